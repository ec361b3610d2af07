"""Compose answers from passages: sentence scoring, negation, list and fact answers, abstention."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from kb.analysis import analyse, analyzer_for, field_lang
from kb.models import AnswerItem, Hit
from kb.question import ORGANISATION_WORDS, AnswerType, Concept, QuestionAnalysis, fold, word_set
from kb.text import split_sentences

ANALYSED = ("en", "fr", "other")
#: A fact needs a sentence covering at least this share of the question's concept weight.
FACT_COVERAGE = 0.5
#: A list item needs this share, with every content concept of the property found (one may be missing
#: from a property of three or more).
LIST_COVERAGE = 0.75
#: A concept found only in the passage's heading or title counts for this much.
CONTEXT_CREDIT = 0.5
#: A concept found only as a one-letter typo ("ERAMUS" for "Erasmus") or as a cognate in the other
#: language ("internationaux" for "international") counts for this much.
FUZZY_CREDIT = 0.8
#: Cognates share a prefix at least this long, covering at least COGNATE_SHARE of the shorter word.
COGNATE_PREFIX = 7
COGNATE_SHARE = 0.8
TYPE_BONUS = 0.25
#: "Which universities...": a sentence listing several names ("MIT, UC Berkeley, UCLA") answers best.
ENUMERATION_BONUS = 0.1
#: "42 partner universities": the answer typed right next to what the question asks about.
ADJACENT_TYPE_BONUS = 0.1
RANK_BONUS = 0.1
PROXIMITY_BONUS = 0.05
ENTITY_BONUS = 0.05
MAX_ANSWER_CHARS = 300
#: When a question names several schools, each one's sentence gets a share of the length, at least this.
MIN_SHARED_CHARS = 150
#: A second sentence from elsewhere joins the answer only when it scores nearly as well as the first.
SECOND_SENTENCE_SHARE = 0.75
ITEM_MARK = "• "

_CLAUSE_BREAK = re.compile(r"[;:,()\[\]–—]|\s-\s|\b(?:but|however|whereas|although|though|while|mais|cependant|"
                           r"toutefois|tandis|bien que|alors que)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
NEGATION_CUES = word_set("""
not no never none neither without cannot nobody nothing
pas jamais aucun aucune sans ni non nullement
""")
# Phrases with a negation word that negate nothing ("not only ... but also").
_NOT_NEGATING = re.compile(r"\b(?:not only|not least|no later than|no doubt|non seulement|pas seulement|"
                           r"sans doute|non plus)\b", re.IGNORECASE)

_NUMBER_WORDS = ("two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                 "fifty|hundred|hundreds|thousand|thousands|dozen|dozens|deux|trois|quatre|cinq|six|sept|huit|"
                 "neuf|dix|onze|douze|quinze|vingt|trente|quarante|cinquante|cent|cents|mille|dizaine|"
                 "dizaines|centaine|centaines")
_YEAR = re.compile(r"(?<![\w.,])(?:1[5-9]\d\d|20\d\d)(?![\w%])")
_TYPE_PATTERNS: dict[str, re.Pattern[str]] = {
    "percent": re.compile(r"\d+(?:[.,]\d+)?\s?(?:%|per ?cent|pour ?cent)|\b(?:half|a third|two thirds|"
                          r"a quarter|three quarters|majority|moitié|tiers|quart|majorité)\b", re.IGNORECASE),
    "money": re.compile(r"[€$£]\s?\d|\d[\d\s.,]*\s?(?:€|euros?|dollars?|\$|£|EUR|USD|GBP)\b", re.IGNORECASE),
    "duration": re.compile(rf"(?:\b\d+(?:[.,]\d+)?|\b(?:{_NUMBER_WORDS}|one|a|an|un|une))[\s-]+(?:full[\s-]+)?"
                           r"(?:weeks?|months?|years?|days?|semesters?|terms?|trimesters?|quarters?|semaines?|"
                           r"mois|ans|années?|jours?|semestres?|trimestres?)\b", re.IGNORECASE),
    "number": re.compile(rf"(?<![\w.,])\d+(?:[.,\s]\d{{3}})*(?:[.,]\d+)?(?![\w%]|\s?%)|\b(?:{_NUMBER_WORDS})\b",
                         re.IGNORECASE),
    "year": _YEAR,
}
_CAPITALISED = re.compile(r"(?<![\w'’])(?:[A-ZÀ-Ý][\w&+-]*)")
_PERSON = re.compile(r"(?<![\w'’])(?:Dr\.?\s|Prof\.?\s|Professor\s|Mr\.?\s|Mrs\.?\s|Ms\.?\s|M\.\s|Mme\s)?"
                     r"[A-ZÀ-Ý][a-zà-ÿ]+(?:[\s-][A-ZÀ-Ý][a-zà-ÿ]+)+")
_ENUMERATED_NAMES = re.compile(r"[A-ZÀ-Ý][\w&+.-]*(?:\s+[\w&+.-]+){0,3}(?:\s*,\s*[A-ZÀ-Ý][\w&+.-]*"
                               r"(?:\s+[\w&+.-]+){0,3}){2,}")
_PLACE = re.compile(r"\b(?:in|at|à|en|au|aux|dans)\s+(?:the\s+)?([A-ZÀ-Ý][\w-]+)")


@dataclass
class WeightedConcept:
    """A question concept with its weight, its glossary expansions and whether an answer must hold it."""

    concept: Concept
    weight: float
    expansions: list[str] = field(default_factory=list)
    key: bool = False  # an answer sentence (or its heading) must hold it
    document_frequency: int = 0


@dataclass(frozen=True)
class _Pattern:
    """How to recognise one concept in analysed text."""

    weight: float
    key: bool
    role: str
    sequences: dict[str, tuple[tuple[str, ...], ...]]  # field language -> analysed word sequences
    bags: dict[str, tuple[frozenset[str], ...]]  # multi-word terms whose words may come in any order
    typed: tuple[str, ...]  # folded single words as typed, for typo tolerance


@dataclass
class ScoredSentence:
    """A passage sentence with how well it answers the question."""

    text: str
    hit: Hit
    position: int  # sentence index in its passage
    coverage: float
    score: float
    matched: frozenset[int]  # concepts found in the sentence itself
    in_context: frozenset[int]  # concepts found only in the heading or title
    negated: bool
    has_type: bool
    keys_found: bool
    spans: list[tuple[int, int]] = field(default_factory=list)  # where matches and typed answers are

    @property
    def is_item(self) -> bool:
        """True for a list item of the page."""
        return self.text.startswith(ITEM_MARK.strip())


@dataclass
class Composition:
    """The composed answer before it becomes an Answer: kind, text, items and cited passages."""

    kind: Literal["list", "fact", "none"]
    answer: str | None
    items: list[AnswerItem]
    citations: list[Hit]


def patterns_for(concepts: Sequence[WeightedConcept]) -> list[_Pattern]:
    """The recognisers of each concept: its words and expansions analysed in every field language."""
    patterns = []
    for weighted in concepts:
        terms = list(dict.fromkeys(weighted.concept.terms + weighted.expansions))
        sequences: dict[str, tuple[tuple[str, ...], ...]] = {}
        bags: dict[str, tuple[frozenset[str], ...]] = {}
        for lang in ANALYSED:
            analysed = [tuple(analyse(term, lang)) for term in terms]
            sequences[lang] = tuple(dict.fromkeys(seq for seq in analysed if seq))
            bags[lang] = tuple(frozenset(seq) for seq in sequences[lang] if len(seq) > 1)
        typed = tuple(fold(term) for term in weighted.concept.terms if " " not in term and len(term) >= 6)
        patterns.append(_Pattern(weighted.weight, weighted.key, weighted.concept.role, sequences, bags, typed))
    return patterns


def highlight_terms(concepts: Sequence[WeightedConcept]) -> dict[str, set[str]]:
    """The analysed terms of every concept and expansion, per field language, for highlighting."""
    terms: dict[str, set[str]] = {lang: set() for lang in ANALYSED}
    for pattern in patterns_for(concepts):
        for lang, sequences in pattern.sequences.items():
            for sequence in sequences:
                terms[lang].update(sequence)
    return terms


def sentences_of(hit: Hit) -> tuple[str, ...]:
    """The passage's sentences (pysbd), cached: the same passages come back question after question."""
    return _split(hit.text, hit.lang)


@lru_cache(maxsize=8192)
def _split(text: str, lang: str) -> tuple[str, ...]:
    return tuple(split_sentences(text, lang))


@lru_cache(maxsize=16384)
def _analysed(text: str, lang: str) -> tuple[tuple[str, int, int], ...]:
    """(term, start, end) of each word of `text` as the index analyses it."""
    analyzer = analyzer_for(field_lang(lang))
    return tuple((token.text, token.startchar, token.endchar) for token in analyzer(text, chars=True))


def _near_miss(word: str, typed: str) -> bool:
    """A one-letter typo of the typed word, or its cognate ("universités" / "universities")."""
    prefix = len(os.path.commonprefix([word, typed]))
    if prefix >= COGNATE_PREFIX and prefix >= COGNATE_SHARE * min(len(word), len(typed)):
        return True
    return _within_one_edit(word, typed)


def _within_one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` differ by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
                                           and a[i + 2:] == b[i + 2:])
    return a[i:] == b[i + 1:]


def _find(pattern: _Pattern, tokens: Sequence[tuple[str, int, int]], text: str, lang: str,
          ) -> tuple[float, list[tuple[int, int]]]:
    """Credit (1, fuzzy or 0) for a concept in analysed text, with the character spans it matched."""
    terms = [term for term, _, _ in tokens]
    key = field_lang(lang)
    for sequence in pattern.sequences.get(key, ()):
        size = len(sequence)
        for index in range(len(terms) - size + 1):
            if tuple(terms[index:index + size]) == sequence:
                return 1.0, [(tokens[index][1], tokens[index + size - 1][2])]
    present = set(terms)
    for bag in pattern.bags.get(key, ()):
        if bag <= present:
            return 1.0, [(start, end) for term, start, end in tokens if term in bag]
    if pattern.typed and pattern.role in ("content", "name"):
        for _, start, end in tokens:
            word = fold(text[start:end])
            if len(word) >= 6 and any(_near_miss(word, typed) for typed in pattern.typed):
                return FUZZY_CREDIT, [(start, end)]
    return 0.0, []


def _negation_parity(clause: str) -> bool:
    clause = _NOT_NEGATING.sub(" ", clause)
    words = [word.lower() for word in _WORD.findall(clause)]
    cues = sum(word in NEGATION_CUES or word.endswith(("n't", "n’t")) for word in words)
    return cues % 2 == 1


def is_negated(sentence: str, spans: Sequence[tuple[int, int]]) -> bool:
    """True when a clause holding one of the matched spans is negated ("is not mandatory", "n'est pas")."""
    boundaries = [0] + [m.start() for m in _CLAUSE_BREAK.finditer(sentence)] + [len(sentence)]
    for start, end in itertools.pairwise(boundaries):
        if any(start <= span_start < end for span_start, _ in spans) and _negation_parity(sentence[start:end]):
            return True
    return False


def answer_type_spans(sentence: str, answer_type: AnswerType | None, question: QuestionAnalysis,
                      ) -> list[tuple[int, int]]:
    """Where `sentence` shows the kind of answer the question expects (a number, a year, a name...)."""
    if answer_type is None:
        return []
    asked = {fold(word) for word in re.findall(r"[\w&+-]+", question.text)}
    asked |= {fold(part) for name in question.entities for part in name.split()}
    if answer_type in _TYPE_PATTERNS:
        spans = []
        # "How many" is answered by a share when the page gives no count.
        patterns = [_TYPE_PATTERNS[answer_type]] + ([_TYPE_PATTERNS["percent"]] if answer_type == "number" else [])
        for match in (m for pattern in patterns for m in pattern.finditer(sentence)):
            if answer_type == "number" and _YEAR.fullmatch(match.group(0).strip()):
                continue
            if fold(match.group(0).strip()) in asked:
                continue
            spans.append(match.span())
        return spans
    if answer_type == "person":
        return [m.span() for m in _PERSON.finditer(sentence)
                if not ({fold(word) for word in m.group(0).split()} & (asked | ORGANISATION_WORDS))]
    if answer_type == "place":
        return [m.span(1) for m in _PLACE.finditer(sentence) if fold(m.group(1)) not in asked]
    # "which ..." asks for names: capitalised words the question did not bring, past the first word.
    return [m.span() for m in _CAPITALISED.finditer(sentence)
            if m.start() > 2 and fold(m.group(0).rstrip("+")) not in asked and len(m.group(0)) > 1]


def score_sentences(question: QuestionAnalysis, concepts: Sequence[WeightedConcept], hits: Sequence[Hit],
                    ) -> list[ScoredSentence]:
    """Every sentence of `hits`, scored by concept coverage, proximity, answer type and passage rank."""
    patterns = patterns_for(concepts)
    total = sum(pattern.weight for pattern in patterns) or 1.0
    top_score = max((hit.score for hit in hits), default=0.0) or 1.0
    entity_names = [fold(name) for name in question.entities]
    scored = []
    for hit in hits:
        context = f"{hit.title}\n{hit.heading}"
        context_tokens = _analysed(context, hit.lang)
        in_context = {index for index, pattern in enumerate(patterns)
                      if _find(pattern, context_tokens, context, hit.lang)[0] > 0}
        # A name the question brings ("at Castelnau") may sit anywhere in the passage: it sets the scene.
        passage_tokens = _analysed(hit.text, hit.lang)
        in_context |= {index for index, pattern in enumerate(patterns)
                       if pattern.key and _find(pattern, passage_tokens, hit.text, hit.lang)[0] > 0}
        for position, sentence in enumerate(sentences_of(hit)):
            scored.append(_score(question, patterns, total, hit, position, sentence, in_context,
                                 hit.score / top_score, entity_names))
    return scored


def _score(question: QuestionAnalysis, patterns: list[_Pattern], total: float, hit: Hit, position: int,
           sentence: str, in_context: set[int], rank: float, entity_names: list[str]) -> ScoredSentence:
    tokens = _analysed(sentence, hit.lang)
    credit = 0.0
    matched: set[int] = set()
    spans: list[tuple[int, int]] = []
    first_span: dict[int, int] = {}
    negatable: list[tuple[int, int]] = []
    for index, pattern in enumerate(patterns):
        found, where = _find(pattern, tokens, sentence, hit.lang)
        if found:
            credit += found * pattern.weight
            matched.add(index)
            spans.extend(where)
            first_span[index] = where[0][0]
            if pattern.role != "light":
                negatable.extend(where)
        elif index in in_context:
            credit += CONTEXT_CREDIT * pattern.weight
    context_only = frozenset(in_context - matched)
    coverage = credit / total
    keys_found = all(index in matched or index in context_only
                     for index, pattern in enumerate(patterns) if pattern.key)
    type_spans = answer_type_spans(sentence, question.answer_type, question)
    negated = is_negated(sentence, negatable)
    proximity = 0.0
    ordered = sorted(first_span.items())
    for (_, a), (_, b) in itertools.pairwise(ordered):
        if abs(b - a) <= 40:
            proximity += PROXIMITY_BONUS
    enumerates = question.answer_type == "name" and _ENUMERATED_NAMES.search(sentence) is not None
    adjacent = any(0 <= concept_start - type_end <= 3 or 0 <= type_start - concept_end <= 3
                   for type_start, type_end in type_spans for concept_start, concept_end in negatable)
    score = (coverage + min(proximity, 3 * PROXIMITY_BONUS) + (TYPE_BONUS if type_spans else 0.0)
             + (ENUMERATION_BONUS if enumerates else 0.0) + (ADJACENT_TYPE_BONUS if adjacent else 0.0)
             + RANK_BONUS * rank
             + (ENTITY_BONUS if any(name in fold(sentence) for name in entity_names) else 0.0)
             - (0.1 if len(sentence) > MAX_ANSWER_CHARS + 50 else 0.0))
    return ScoredSentence(
        text=sentence, hit=hit, position=position, coverage=coverage, score=score,
        matched=frozenset(matched), in_context=context_only, negated=negated, has_type=bool(type_spans),
        keys_found=keys_found, spans=sorted(spans + type_spans),
    )


def _supports_fact(sentence: ScoredSentence, question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                   ) -> bool:
    if not sentence.keys_found or sentence.coverage < FACT_COVERAGE:
        return False
    if not any(concepts[index].concept.role != "light" for index in sentence.matched):
        return False
    return sentence.has_type or question.hard_type is None


def _supports_list_item(sentence: ScoredSentence, concepts: Sequence[WeightedConcept]) -> bool:
    if not sentence.keys_found or sentence.coverage < LIST_COVERAGE:
        return False
    needed = [index for index, weighted in enumerate(concepts)
              if weighted.concept.role != "light" and weighted.weight > 0]
    found = sentence.matched | sentence.in_context
    # A long property may miss one word ("rendent"), never a short one: coverage still has to be high.
    missing_allowed = 1 if len(needed) >= 3 else 0
    missing = sum(index not in found for index in needed)
    return missing <= missing_allowed and any(index in sentence.matched for index in needed)


def compose(question: QuestionAnalysis, concepts: Sequence[WeightedConcept], hits: Sequence[Hit]) -> Composition:
    """A list, fact or 'none' answer from the candidate passages, with numbered citations."""
    if not concepts or not hits:
        return _none(hits)
    sentences = score_sentences(question, concepts, hits)
    if question.kind == "list":
        return compose_list(question, concepts, sentences) or _none(hits)
    return compose_fact(question, concepts, sentences) or _none(hits)


def _none(hits: Sequence[Hit]) -> Composition:
    return Composition("none", None, [], list(hits[:3]))


def compose_list(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                 sentences: Sequence[ScoredSentence]) -> Composition | None:
    """One item per organisation whose best sentence supports the property (and does not deny it)."""
    best: dict[str, ScoredSentence] = {}
    for sentence in sentences:
        school = sentence.hit.school
        if school is None or not _supports_list_item(sentence, concepts):
            continue
        if school not in best or sentence.score > best[school].score:
            best[school] = sentence
    chosen = [sentence for sentence in sorted(best.values(), key=lambda s: -s.score)
              if sentence.negated == question.negated]
    if not chosen:
        return None
    citations: list[Hit] = []
    items = []
    for sentence in chosen:
        number = _cite(citations, sentence.hit)
        items.append(AnswerItem(label=sentence.hit.school or "", citations=[number]))
    return Composition("list", _list_sentence(question, items), items, citations)


def _cite(citations: list[Hit], hit: Hit) -> int:
    for number, cited in enumerate(citations, 1):
        if cited.passage_id == hit.passage_id:
            return number
    citations.append(hit)
    return len(citations)


def _list_sentence(question: QuestionAnalysis, items: list[AnswerItem]) -> str:
    """"ESME [1], ESTP [2] and ISA Lille [3] require a semester abroad." (names only when that reads wrong)."""
    named = [f"{item.label} [{item.citations[0]}]" for item in items]
    conjunction = " et " if question.lang == "fr" else " and "
    names = named[0] if len(named) == 1 else ", ".join(named[:-1]) + conjunction + named[-1]
    agrees = question.plural == (len(items) > 1)
    if question.predicate and agrees:
        return f"{names} {question.predicate}."
    return f"{names}."


def compose_fact(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                 sentences: Sequence[ScoredSentence]) -> Composition | None:
    """The best one or two supporting sentences (about 300 characters at most), each with its citation."""
    ranked = sorted(sentences, key=lambda s: -s.score)
    supporting = [s for s in ranked if _supports_fact(s, question, concepts)]
    if not supporting:
        return None
    if len(question.entities) > 1:
        return _per_entity(question, supporting)
    first = supporting[0]
    if _opens_enumeration(first, sentences) and question.answer_type is None and not question.yes_no:
        enumeration = _enumeration(first, sentences)
        if enumeration:
            citations: list[Hit] = []
            number = _cite(citations, first.hit)
            return Composition("fact", f"{enumeration} [{number}]", [], citations)
    parts = [first]
    first_text = _clip(first)
    second = _second_sentence(first, ranked, {id(s) for s in supporting}, len(first_text), concepts)
    if second is not None:
        parts.append(second)
        if second.hit.passage_id == first.hit.passage_id and second.position < first.position:
            parts.reverse()
    citations = []
    pieces = []
    for part in parts:
        number = _cite(citations, part.hit)
        pieces.append(f"{_clip(part)} [{number}]")
    return Composition("fact", " ".join(pieces), [], citations)


def _per_entity(question: QuestionAnalysis, supporting: Sequence[ScoredSentence]) -> Composition:
    """"Do ESME and ISA require...": the best supporting sentence of each school named, in turn."""
    chosen = [next(s for s in supporting if s.hit.school == name) for name in question.entities
              if any(s.hit.school == name for s in supporting)]
    limit = max(MIN_SHARED_CHARS, MAX_ANSWER_CHARS // len(chosen))
    citations: list[Hit] = []
    pieces = [f"{_clip(sentence, limit)} [{_cite(citations, sentence.hit)}]" for sentence in chosen]
    return Composition("fact", " ".join(pieces), [], citations)


def _second_sentence(first: ScoredSentence, ranked: Sequence[ScoredSentence], supporting: set[int], used: int,
                     concepts: Sequence[WeightedConcept]) -> ScoredSentence | None:
    """A runner-up that adds a concept or an answer the first lacks, if both fit in the length limit.

    It must be the first sentence's neighbour in the same passage, or support the answer on its own
    nearly as well and hold every concept the first holds (so it is about the same thing).
    """
    main = {index for index in first.matched if concepts[index].concept.role != "light"}
    for candidate in ranked:
        if candidate is first or candidate.text == first.text:
            continue
        neighbour = candidate.hit.passage_id == first.hit.passage_id and abs(candidate.position - first.position) == 1
        strong = (id(candidate) in supporting and candidate.score >= SECOND_SENTENCE_SHARE * first.score
                  and main <= candidate.matched)
        if not (strong or neighbour):
            continue
        if used + len(_plain(candidate.text)) + 6 > MAX_ANSWER_CHARS:
            continue
        adds = bool(candidate.matched - first.matched) or (candidate.has_type and not first.has_type)
        if adds:
            return candidate
    return None


def _capitalised(text: str) -> str:
    """A list item read as a sentence starts with a capital ("a network of ..." -> "A network of ...")."""
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _plain(sentence: str) -> str:
    return " ".join(sentence.removeprefix(ITEM_MARK.strip()).split())


def _clip(sentence: ScoredSentence, limit: int = MAX_ANSWER_CHARS) -> str:
    """The sentence, cut around what it matched when longer than `limit` characters."""
    text = sentence.text.removeprefix(ITEM_MARK.strip()).strip()
    offset = len(sentence.text) - len(sentence.text.lstrip().removeprefix(ITEM_MARK.strip()).lstrip())
    if len(text) <= limit:
        return _capitalised(" ".join(text.split()))
    spans = [(start - offset, end - offset) for start, end in sentence.spans] or [(0, 0)]
    start = max(0, min(start for start, _ in spans))
    end = max(end for _, end in spans)
    if end - start > limit:
        start = max(0, end - limit)
    slack = limit - (end - start)
    start = max(0, start - slack // 2)
    end = min(len(text), start + limit)
    start = max(0, end - limit)
    if start > 0:
        start = text.find(" ", start) + 1 or start
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    clipped = " ".join(text[start:end].split())
    return ("…" if start > 0 else "") + clipped + ("…" if end < len(text) else "")


def _opens_enumeration(sentence: ScoredSentence, sentences: Sequence[ScoredSentence]) -> bool:
    """True for a list item, or for a lead-in ending with ":" that list items follow."""
    if sentence.is_item:
        return True
    following = [s for s in sentences if s.hit.passage_id == sentence.hit.passage_id
                 and s.position == sentence.position + 1]
    return sentence.text.rstrip().endswith(":") and bool(following) and following[0].is_item


def _enumeration(item: ScoredSentence, sentences: Sequence[ScoredSentence]) -> str | None:
    """An item's list with its lead-in ("ISA has set up several actions: A; B; C"), cut to the length limit."""
    siblings = sorted((s for s in sentences if s.hit.passage_id == item.hit.passage_id), key=lambda s: s.position)
    if not item.is_item:
        item = siblings[item.position + 1]
    start = item.position
    while start > 0 and siblings[start - 1].is_item:
        start -= 1
    end = item.position
    while end + 1 < len(siblings) and siblings[end + 1].is_item:
        end += 1
    if start == 0 or not siblings[start - 1].text.rstrip().endswith(":") or end == start:
        return None
    lead = _plain(siblings[start - 1].text)
    # The best item always stays; the others fill the remaining room in page order.
    room = MAX_ANSWER_CHARS - len(lead) - len(_plain(item.text)) - 4
    kept = {item.position}
    for sibling in siblings[start:end + 1]:
        size = len(_plain(sibling.text)) + 2
        if sibling.position not in kept and size <= room:
            kept.add(sibling.position)
            room -= size
    if len(kept) < 2:
        return None
    entries: list[str] = []
    for sibling in siblings[start:end + 1]:
        if sibling.position in kept:
            entries.append(_plain(sibling.text))
        elif not entries or entries[-1] != "…":
            entries.append("…")
    return f"{lead} {'; '.join(entries)}"
