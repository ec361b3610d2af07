"""Rank sentences: how well each sentence of the retrieved passages answers the question (concepts
found in it, around it and in its headings; the kind of value asked for; negation), and which ones
may be offered at all."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.answer_types import AnswerType, Bound, states_bound, value_spans
from kb.confidence import Logistic, load_model
from kb.matching import (
    ConceptPattern,
    WeightedConcept,
    analysed,
    find,
    found_in,
    looks_like_code,
    patterns_for,
    sentence_spans,
)
from kb.models import Hit
from kb.question import ORGANISATION_WORDS, QuestionAnalysis
from kb.tables import Cell, grants, row_at
from kb.text import TABLE_CELL_SEPARATOR, fold, is_item
from kb.wordlists import alternation, words

#: A list item needs this share, with every content concept of the property found (one may be missing
#: from a property of three or more).
LIST_COVERAGE = 0.75
#: A concept found only in a neighbouring sentence, the passage's heading or title counts for this much.
CONTEXT_CREDIT = 0.5
#: A concept found in another sentence of the same line (one list item, one paragraph line) counts this much.
LINE_CREDIT = 0.8
#: An answer's length in characters, about: a sentence longer than this (and some) is marked "long".
MAX_ANSWER_CHARS = 300

# Where a clause ends: punctuation, or a word that opens a contrasting clause ("but", "alors que").
_CLAUSE_BREAK = re.compile(rf"[;:,()\[\]–—]|\s-\s|\b(?:{alternation(words('contrast_openers'))})\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
NEGATION_CUES = words("negation_cues")
_CODE_REQUESTS = words("code_request_words")
# Phrases with a negation word that negate nothing ("not only ... but also").
_NOT_NEGATING = re.compile(rf"\b(?:{alternation(words('not_negating'))})\b", re.IGNORECASE)
_ORGANISATION_WORDS = frozenset(fold(word) for word in ORGANISATION_WORDS)
_OTHER_BOUND: dict[Bound, Bound] = {"upper": "lower", "lower": "upper"}
_ENUMERATED_NAMES = re.compile(r"[A-ZÀ-Ý][\w&+.-]*(?:\s+[\w&+.-]+){0,3}(?:\s*,\s*[A-ZÀ-Ý][\w&+.-]*"
                               r"(?:\s+[\w&+.-]+){0,3}){2,}")


@dataclass
class ScoredSentence:
    """A passage sentence with how well it answers the question."""

    text: str
    hit: Hit
    position: int  # sentence index in its passage
    start: int  # offsets of the sentence in the passage text
    end: int
    coverage: float  # share of the question's concept weight found here, its neighbours or its context
    score: float
    matched: frozenset[int]  # concepts found in the sentence itself
    in_context: frozenset[int]  # concepts found only in a neighbouring sentence, the heading or title
    negated: bool
    has_type: bool
    keys_found: bool
    features: dict[str, float] = field(default_factory=dict)  # what the sentence ranker scored (see _score)
    strict_coverage: float = 0.0  # coverage by the sentence, its heading and title alone
    in_heading: frozenset[int] = frozenset()  # concepts found in the heading or title
    in_line: frozenset[int] = frozenset()  # concepts found in another sentence of the same line
    spans: list[tuple[int, int]] = field(default_factory=list)  # where matches and typed answers are
    type_in_heading: bool = False  # the value asked for stands in the sentence's section heading, not in it

    @property
    def is_item(self) -> bool:
        """True for a list item of the page."""
        return is_item(self.text)


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
    return value_spans(sentence, answer_type, _asked(question), _ORGANISATION_WORDS)


def _asked(question: QuestionAnalysis) -> set[str]:
    """The question's own words and the parts of the names it brings, folded: no answer of its type."""
    asked = {fold(word) for word in re.findall(r"[\w&+-]+", question.text)}
    return asked | {fold(part) for name in question.entities for part in name.split()}


def score_sentences(question: QuestionAnalysis, concepts: Sequence[WeightedConcept], hits: Sequence[Hit],
                    relevance: dict[str, float] | None = None, ranker: Logistic | None = None,
                    ) -> list[ScoredSentence]:
    """Every sentence of `hits`, scored by concept coverage, proximity, answer type and passage rank.

    `relevance` (passage id -> 0..1) is the retrieval stage's judgement of each passage; without it
    the store's scores, relative to the best, stand in.
    """
    ranker = ranker or load_model().sentences
    patterns = patterns_for(concepts)
    total = sum(pattern.weight for pattern in patterns) or 1.0
    total_idf = sum(pattern.idf for pattern in patterns) or 1.0
    top_score = max((hit.score for hit in hits), default=0.0) or 1.0
    entity_names = [fold(name) for name in question.entities]
    asked = _asked(question)
    scored = []
    for hit in hits:
        # What the passage is about beyond its words: its page's title, organisation and headings (as
        # the index's context field holds them).
        context = f"{hit.title}\n{hit.school or ''}\n{hit.heading}"
        context_tokens = analysed(context, hit.lang)
        in_context = {index for index, pattern in enumerate(patterns)
                      if find(pattern, context_tokens, context, hit.lang)[0] > 0}
        # A name the question brings ("at Castelnau") may sit anywhere in the passage: it sets the scene.
        passage_tokens = analysed(hit.text, hit.lang)
        in_context |= {index for index, pattern in enumerate(patterns)
                       if pattern.key and find(pattern, passage_tokens, hit.text, hit.lang)[0] > 0}
        rank = relevance.get(hit.passage_id, 0.0) if relevance is not None else hit.score / top_score
        spans = sentence_spans(hit)
        found = [_found(patterns, hit.text[start:end], hit.lang) for start, end in spans]
        lines = _line_numbers(hit.text, spans)
        headers = _table_headers(hit.text)
        for position, (start, end) in enumerate(spans):
            # A sentence leans on the rest of its line (a list item: "rows: The number of visible text
            # lines. ... the default value is 2.") and on the lines beside it (a definition's term):
            # what they hold counts, for less than what it holds itself.
            same_line: dict[int, float] = {}
            nearby: dict[int, float] = {}
            for other, (credits, _) in enumerate(found):
                if other != position and abs(lines[other] - lines[position]) <= 1:
                    around = same_line if lines[other] == lines[position] else nearby
                    for index, credit in credits.items():
                        around[index] = max(credit, around.get(index, 0.0))
            # A table row is read under its header row ("Plan | Requests per minute" over "Business | 1,000").
            header = headers.get(lines[position])
            if header is not None and header != lines[position]:
                for other in (o for o, line in enumerate(lines) if line == header):
                    for index, credit in found[other][0].items():
                        nearby[index] = max(credit, nearby.get(index, 0.0))
            scored.append(_score(question, patterns, total, total_idf, hit, position, start, end,
                                 found[position], in_context, same_line, nearby, rank, entity_names, asked, ranker))
    return scored


def _table_headers(text: str) -> dict[int, int]:
    """Line number -> the header line of its table, for the lines of tables ("a | b" rows)."""
    headers: dict[int, int] = {}
    header: int | None = None
    for number, line in enumerate(text.split("\n")):
        if TABLE_CELL_SEPARATOR in line:
            header = number if header is None else header
            headers[number] = header
        else:
            header = None
    return headers


def _line_numbers(text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """The line of the passage each sentence starts on."""
    return [text.count("\n", 0, start) for start, _ in spans]


def _found(patterns: Sequence[ConceptPattern], sentence: str, lang: str,
           ) -> tuple[dict[int, float], dict[int, list[tuple[int, int]]]]:
    """Credit and spans of each pattern found in one sentence."""
    tokens = analysed(sentence, lang)
    credits: dict[int, float] = {}
    where: dict[int, list[tuple[int, int]]] = {}
    for index, pattern in enumerate(patterns):
        credit, spans = find(pattern, tokens, sentence, lang)
        if credit:
            credits[index], where[index] = credit, spans
    return credits, where


def _score(question: QuestionAnalysis, patterns: list[ConceptPattern], total: float, total_idf: float, hit: Hit,
           position: int, start: int, end: int, found: tuple[dict[int, float], dict[int, list[tuple[int, int]]]],
           in_context: set[int], same_line: dict[int, float], nearby: dict[int, float], rank: float,
           entity_names: list[str], asked: set[str], ranker: Logistic) -> ScoredSentence:
    sentence = hit.text[start:end]
    credits, where = found
    credit = 0.0
    rarity = 0.0
    matched: set[int] = set()
    spans: list[tuple[int, int]] = []
    first_span: dict[int, int] = {}
    negatable: list[tuple[int, int]] = []
    strict = 0.0  # the sentence with its heading and title only: what a list item must hold by itself
    for index, pattern in enumerate(patterns):
        if index in credits:
            credit += credits[index] * pattern.weight
            strict += pattern.weight  # found at all: a list item must hold each concept, in any form
            rarity += pattern.idf
            matched.add(index)
            spans.extend(where[index])
            first_span[index] = where[index][0][0]
            if pattern.role != "light":
                negatable.extend(where[index])
        else:
            # Found around the sentence: in its line, its heading or title, or the lines beside it.
            around = max(LINE_CREDIT * same_line.get(index, 0.0), CONTEXT_CREDIT * nearby.get(index, 0.0),
                         CONTEXT_CREDIT if index in in_context else 0.0)
            credit += around * pattern.weight
            rarity += around * pattern.idf
            if index in in_context:
                strict += CONTEXT_CREDIT * pattern.weight
    context_only = frozenset((in_context | set(nearby) | set(same_line)) - matched)
    coverage = credit / total
    keys_found = all(index in matched or index in context_only
                     for index, pattern in enumerate(patterns) if pattern.key)
    type_spans = value_spans(sentence, question.answer_type, asked, _ORGANISATION_WORDS)
    # A section may state its value in its own heading ("Montréal: 10 public holidays" over the list of
    # them): the sentence answers with its heading, which then opens the answer.
    section = hit.heading.rsplit(" > ", 1)[-1]
    heading_typed = (not type_spans and question.hard_type is not None
                     and bool(value_spans(section, question.hard_type, asked, _ORGANISATION_WORDS)))
    negated = is_negated(sentence, negatable)
    close_pairs = sum(1 for (_, a), (_, b) in itertools.pairwise(sorted(first_span.items())) if abs(b - a) <= 40)
    adjacent = any(0 <= concept_start - type_end <= 3 or 0 <= type_start - concept_end <= 3
                   for type_start, type_end in type_spans for concept_start, concept_end in negatable)
    features = {
        "coverage": coverage,
        "own": sum(credits[index] * patterns[index].weight for index in matched) / total,
        "rarity": rarity / total_idf,
        "proximity": min(close_pairs, 3) / 3,
        "typed": 1.0 if type_spans else 0.5 if heading_typed else 0.0,
        "adjacent": 1.0 if adjacent else 0.0,
        # "the shortest password": a sentence stating a lower bound ("at least 12 characters") rather
        # than an upper one ("up to 128 characters").
        "bound": 1.0 if question.bound and states_bound(sentence, question.bound) else 0.0,
        "counter_bound": 1.0 if question.bound and states_bound(sentence, _OTHER_BOUND[question.bound])
        and not states_bound(sentence, question.bound) else 0.0,
        "enumerates": 1.0 if question.answer_type == "name" and _ENUMERATED_NAMES.search(sentence) else 0.0,
        "relevance": rank,
        "entity": 1.0 if entity_names and any(name in fold(sentence) for name in entity_names) else 0.0,
        "code": 1.0 if looks_like_code(sentence) else 0.0,
        "lead": 1.0 if position == 0 and hit.position == 0 else 0.0,
        "foreign": 1.0 if hit.lang != question.lang else 0.0,
        "long": 1.0 if len(sentence) > MAX_ANSWER_CHARS + 50 else 0.0,
        "short": 1.0 if len(sentence) < 25 else 0.0,
        "column": 1.0 if asked_columns(question, patterns, hit, start, asked) else 0.0,
    }
    score = ranker.score(features)
    return ScoredSentence(
        text=sentence, hit=hit, position=position, start=start, end=end, coverage=coverage, score=score,
        matched=frozenset(matched), in_context=context_only, negated=negated, has_type=bool(type_spans) or heading_typed,
        type_in_heading=heading_typed,
        keys_found=keys_found, spans=sorted(spans + type_spans),
        features=features, strict_coverage=strict / total, in_heading=frozenset(in_context - matched),
        in_line=frozenset(set(same_line) - matched),
    )


def asked_columns(question: QuestionAnalysis, patterns: Sequence[ConceptPattern], hit: Hit, start: int,
                  asked: set[str] | None = None) -> list[Cell]:
    """The cells of the table row at `start` whose column the question names ("in Dublin" over a
    "Lyon | Montréal | Dublin" header), holding a value of the type asked for if any."""
    row = row_at(hit.text, start)
    if row is None:
        return []
    asked = _asked(question) if asked is None else asked
    valued = [cell for cell in row.cells
              if (value_spans(cell.text, question.hard_type, asked) if question.hard_type else grants(cell.text))]
    # A column named by a name the question brings ("Dublin", "Team") before one a common word finds
    # ("office" in "Lyon (head office)").
    for roles in (("name", "place"), ("content", "name", "place", "number")):
        wanted = {index for index, pattern in enumerate(patterns) if pattern.role in roles}
        cells = [cell for cell in valued if found_in(patterns, cell.column, hit.lang) & wanted]
        if cells:
            return cells
    return []


def supports_fact(sentence: ScoredSentence, question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                   ) -> bool:
    """Can the sentence be offered at all: it holds the names asked about, some telling word of the
    question and, for "how many" and the like, a value of that type. How likely it is right is the
    answerability model's to judge, from the sentence's signals."""
    if not sentence.keys_found:
        return False
    if sentence.features.get("code") and not asks_for_code(question):
        return False  # a line of code is never an answer in words
    # A telling word of the question in the sentence, or in its line ("Bold font weight. Same as 700.").
    # When the value stands in the section's heading, the heading is where the question's words are too.
    held = sentence.matched | sentence.in_line | (sentence.in_heading if sentence.type_in_heading else frozenset())
    if not any(concepts[index].concept.role != "light" for index in held):
        return False
    return sentence.has_type or question.hard_type is None


def supports_list_item(sentence: ScoredSentence, concepts: Sequence[WeightedConcept]) -> bool:
    """A list item must state the property in its own sentence (its heading may set the scene)."""
    if not sentence.keys_found or sentence.strict_coverage < LIST_COVERAGE:
        return False
    needed = [index for index, weighted in enumerate(concepts)
              if weighted.concept.role != "light" and weighted.weight > 0]
    found = sentence.matched | sentence.in_heading
    # A long property may miss one word ("rendent"), never a short one: coverage still has to be high.
    missing_allowed = 1 if len(needed) >= 3 else 0
    missing = sum(index not in found for index in needed)
    return missing <= missing_allowed and any(index in sentence.matched for index in needed)


def asks_for_code(question: QuestionAnalysis) -> bool:
    """True when the question asks for code, an example or the syntax: then code may answer."""
    return any(word in _CODE_REQUESTS for word in re.findall(r"\w+", question.text.lower()))
