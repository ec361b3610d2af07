"""Compose answers from ranked sentences: a fact (one or two sentences), a list of organisations,
of values one passage or sentence enumerates, or of page subjects; each with its citations, evidence
and the signals the answerability model reads."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from kb.analysis import analyse
from kb.confidence import Logistic
from kb.enumeration import MIN_VALUES, Value, enumerated_values, sentence_values
from kb.matching import ANALYSED, WeightedConcept, analysed, found_in, patterns_for
from kb.models import AnswerItem, Hit
from kb.question import QuestionAnalysis
from kb.sentences import (
    MAX_ANSWER_CHARS,
    ScoredSentence,
    asked_columns,
    score_sentences,
    supports_fact,
    supports_list_item,
)
from kb.tables import TableRow, grants, row_at
from kb.text import is_item, without_item_mark
from kb.wordlists import LIST_LANGUAGES, words

#: The best passages searched for an enumeration of what a list question asks for.
VALUE_PASSAGES = 8
#: ... and every passage of the best few pages (a header's "Directives" list).
VALUE_PAGES = 2
#: When a question names several schools, each one's sentence gets a share of the length, at least this.
MIN_SHARED_CHARS = 150
#: A second sentence from elsewhere joins the answer only when it scores nearly as well as the first.
SECOND_SENTENCE_SHARE = 0.75
#: A definition list's term is this short at most ("reversed", "Array.prototype.some()").
MAX_TERM_WORDS = 5
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_ANAPHORIC = words("anaphoric_openers")


@dataclass
class Composition:
    """The composed answer before it becomes an Answer: kind, text, items, cited passages, and the
    measurements the answerability model reads."""

    kind: Literal["list", "fact", "none"]
    answer: str | None
    items: list[AnswerItem]
    citations: list[Hit]
    evidence: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # passage id -> sentence spans
    signals: dict[str, float] = field(default_factory=dict)


def compose(question: QuestionAnalysis, concepts: Sequence[WeightedConcept], hits: Sequence[Hit],
            relevance: dict[str, float] | None = None, ranker: Logistic | None = None) -> Composition:
    """The best list or fact answer the candidate passages allow, with numbered citations and the
    signals of how well it is supported ('none' only when no passage offers anything)."""
    if not concepts or not hits:
        return _none(hits)
    sentences = score_sentences(question, concepts, hits, relevance, ranker)
    if question.kind == "list" and question.list_of_organisations:
        return compose_list(question, concepts, sentences) or _none(hits)
    if question.kind == "list":
        # Values one passage enumerates, else the subjects of the pages that have the property; when
        # neither, the best sentence still answers.
        return (compose_columns(question, concepts, sentences) or compose_values(question, concepts, sentences)
                or compose_subjects(question, concepts, sentences) or compose_fact(question, concepts, sentences)
                or _none(hits))
    return compose_fact(question, concepts, sentences) or _none(hits)


def compose_values(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                   sentences: Sequence[ScoredSentence]) -> Composition | None:
    """The values one of the best passages enumerates ("visible, hidden and collapse"), each cited,
    when that passage is about what the question lists (its noun in the heading or the lead-in)."""
    best_by_passage: dict[str, ScoredSentence] = {}
    for sentence in sentences:
        kept = best_by_passage.get(sentence.hit.passage_id)
        if kept is None or sentence.score > kept.score:
            best_by_passage[sentence.hit.passage_id] = sentence
    # The passages in the retrieval stage's order: the best pages first, whose list the question asks for.
    ranked = sorted(best_by_passage.values(), key=lambda s: -s.features["relevance"])
    best_pages = list(dict.fromkeys(s.hit.doc_id for s in ranked))[:VALUE_PAGES]
    choices = []
    for rank, sentence in enumerate(ranked):
        if rank >= VALUE_PASSAGES and sentence.hit.doc_id not in best_pages:
            continue
        held = sentence.matched | sentence.in_line | sentence.in_heading
        if not any(concepts[index].concept.role != "light" for index in held):
            continue  # a list in a passage that holds nothing of the question is another list
        # The passage's best sentence may enumerate by itself ("four channels: the inbox, e-mail,
        # push and Slack"); else what the passage lists (items, table rows, runs of names). A list
        # item is one value of its passage's list, not a list of its own.
        values = [Value(value.label, sentence.start + value.start, sentence.start + value.end)
                  for value in ([] if sentence.is_item else sentence_values(sentence.text))]
        values = values or enumerated_values(sentence.hit.text)
        if len(values) >= MIN_VALUES:
            # What introduces the values: the text before them on their line ("four channels: ..."), or
            # the line before them when it announces them ("The following keywords are allowed:").
            line_start = sentence.hit.text.rfind("\n", 0, values[0].start) + 1
            lead = sentence.hit.text[line_start:values[0].start]
            if not lead.strip():
                before = sentence.hit.text[:line_start].rstrip("\n").rsplit("\n", 1)[-1]
                lead = before if before.rstrip().endswith(":") else ""
            noun = question.list_noun or ""
            announced = _announced(values, sentence.hit.text, noun, sentence.hit.lang)
            if announced:
                values, lead = announced  # "... called with the following arguments:" and what follows
            named = (0 if _mentions(noun, sentence.hit.heading, sentence.hit.lang)
                     else 1 if _mentions(noun, lead, sentence.hit.lang) else 2)
            choices.append((named, -sentence.score, sentence, values))
    if not choices:
        return None
    _, _, sentence, values = min(choices, key=lambda choice: choice[:2])
    parts = [(sentence.hit, values)]
    following = _continued_list(sentence.hit, values, [s.hit for s in ranked])
    if following is not None:
        parts.append(following)  # the list runs on in the page's next passage
    citations = [hit for hit, _ in parts]
    items = [AnswerItem(label=value.label, citations=[number])
             for number, (_, part) in enumerate(parts, 1) for value in part]
    # "Subtitles, captions [1], descriptions and chapters [2]": each passage's marker after its last value.
    pieces = [f"{value.label} [{number}]" if index == len(part) - 1 else value.label
              for number, (_, part) in enumerate(parts, 1) for index, value in enumerate(part)]
    text = _joined(pieces, question.lang)
    evidence = {hit.passage_id: [(value.start, value.end) for value in part] for hit, part in parts}
    signals = fact_signals(question, concepts, sentence, ranked)
    return Composition("list", _capitalised(text), items, citations, evidence, signals)


def compose_columns(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                    sentences: Sequence[ScoredSentence]) -> Composition | None:
    """The columns of a table whose row states the property ("Which fares include a checked bag?" ->
    the fares whose cell in the "Checked bags" row grants one), when the question's noun names the
    columns (in the passage's heading or title, or the table's header row) and a telling word of the
    question labels the row; the best-scoring such row decides."""
    noun = question.list_noun or ""
    if not noun:
        return None
    patterns = patterns_for(concepts)
    telling = {index for index, weighted in enumerate(concepts) if weighted.concept.role != "light"}
    best: tuple[ScoredSentence, TableRow] | None = None
    for sentence in sentences:
        if best is not None and sentence.score <= best[0].score:
            continue
        row = row_at(sentence.hit.text, sentence.start)
        if row is None or len(row.cells) < MIN_VALUES or not found_in(patterns, row.label, sentence.hit.lang) & telling:
            continue
        header = sentence.hit.text[:row.start].rstrip("\n").rsplit("\n", 1)[-1]
        context = f"{sentence.hit.title}\n{sentence.hit.heading}\n{header}"
        if _mentions(noun, context, sentence.hit.lang):
            best = (sentence, row)
    if best is None:
        return None
    sentence, row = best
    granted = [cell for cell in row.cells if grants(cell.text)]
    if not granted:
        return None
    items = [AnswerItem(label=cell.column, citations=[1]) for cell in granted]
    text = _joined([cell.column for cell in granted], question.lang) + " [1]"
    evidence = {sentence.hit.passage_id: [(row.label_start, row.end)]}
    return Composition("list", text, items, [sentence.hit], evidence,
                       fact_signals(question, concepts, sentence, sentences))


def _continued_list(hit: Hit, values: list[Value], read: Sequence[Hit]) -> tuple[Hit, list[Value]] | None:
    """When a passage ends inside a list of items, the items that open the page's next passage (read
    with the question's candidates): chunking cut the list, not the page."""
    if not values or not _item_lines_only(hit.text[hit.text.rfind("\n", 0, values[-1].start) + 1:]):
        return None
    after = next((other for other in read if other.doc_id == hit.doc_id and other.position == hit.position + 1
                  and other.heading == hit.heading), None)
    if after is None:
        return None
    opening = []
    for line in after.text.split("\n"):
        if not is_item(line):
            break
        opening.append(line)
    more = enumerated_values("\n".join(opening))
    return (after, more) if more else None


def _item_lines_only(text: str) -> bool:
    """True when every line of `text` is a list item (the passage ends inside its list)."""
    return all(is_item(line) for line in text.split("\n") if line.strip())


def _announced(values: list[Value], text: str, noun: str, lang: str) -> tuple[list[Value], str] | None:
    """The values after a line that announces them by the question's noun ("The function is called with
    the following arguments:"), with that line; None when no line does, or too few values follow."""
    offset = 0
    for line in text.split("\n"):
        offset += len(line) + 1
        if noun and line.rstrip().endswith(":") and _mentions(noun, line, lang):
            following = [value for value in values if value.start >= offset]
            if len(following) >= MIN_VALUES:
                return following, line
    return None


def _mentions(noun: str, text: str, lang: str) -> bool:
    """True when `text` holds the noun (analysed: "values" finds "Value")."""
    wanted = _noun_terms(noun)
    return bool(wanted) and any(term in wanted for term, _, _ in analysed(text, lang))


@cache
def _noun_terms(noun: str) -> frozenset[str]:
    return frozenset(term for field in ANALYSED for term in analyse(noun, field))


def _none(hits: Sequence[Hit]) -> Composition:
    return Composition("none", None, [], list(hits[:3]))


def compose_list(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                 sentences: Sequence[ScoredSentence]) -> Composition | None:
    """One item per organisation whose best sentence supports the property (and does not deny it)."""
    return _one_item_each(question, concepts, sentences, lambda hit: hit.school)


def compose_subjects(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                     sentences: Sequence[ScoredSentence]) -> Composition | None:
    """The subjects of pages, where pages are about things ("Which array methods change the array?"
    -> push(), pop(), ...): one item per page whose sentence states the property and whose passage
    calls its subject by the question's noun ("The pop() method..."), labelled by the page's title;
    None when fewer than MIN_VALUES pages qualify."""
    noun = question.list_noun or ""
    if not noun:
        return None
    # A passage calls its subject by the noun or not, whichever of its sentences is asked about.
    named = {hit.passage_id for hit in {id(s.hit): s.hit for s in sentences}.values()
             if _mentions(noun, hit.text, hit.lang) or _mentions(noun, hit.title, hit.lang)}
    about = [sentence for sentence in sentences if sentence.hit.passage_id in named]
    composed = _one_item_each(question, concepts, about, lambda hit: hit.title or None)
    return composed if composed is not None and len(composed.items) >= MIN_VALUES else None


def _one_item_each(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                   sentences: Sequence[ScoredSentence], label_of: Callable[[Hit], str | None]) -> Composition | None:
    """One item per label (an organisation, a page's subject) whose best sentence supports the property
    and does not deny it (unless the question does), the best supported first."""
    best: dict[str, ScoredSentence] = {}
    for sentence in sentences:
        label = label_of(sentence.hit)
        if label is None or not supports_list_item(sentence, concepts):
            continue
        if label not in best or sentence.score > best[label].score:
            best[label] = sentence
    chosen = [(label, sentence) for label, sentence in sorted(best.items(), key=lambda pair: -pair[1].score)
              if sentence.negated == question.negated]
    if not chosen:
        return None
    citations: list[Hit] = []
    items = []
    for label, sentence in chosen:
        number = _cite(citations, sentence.hit)
        items.append(AnswerItem(label=label, citations=[number]))
    supporting = [sentence for _, sentence in chosen]
    return Composition("list", _list_sentence(question, items), items, citations, _evidence(supporting),
                       list_signals(question, concepts, supporting))


def _cite(citations: list[Hit], hit: Hit) -> int:
    for number, cited in enumerate(citations, 1):
        if cited.passage_id == hit.passage_id:
            return number
    citations.append(hit)
    return len(citations)


def list_signals(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                 chosen: Sequence[ScoredSentence]) -> dict[str, float]:
    """What the answerability model reads of a list of organisations or page subjects: its items'
    signals, averaged, and agreement measured by how many items there are."""
    each = [fact_signals(question, concepts, sentence, chosen) for sentence in chosen]
    signals = {name: sum(item[name] for item in each) / len(each) for name in each[0]}
    signals["agreement"] = min(1.0, (len(chosen) - 1) / 4)
    return signals


def _joined(pieces: Sequence[str], lang: str) -> str:
    """"A, B and C" in the question's language."""
    if len(pieces) == 1:
        return pieces[0]
    conjunction = next(iter(words("conjunction", lang if lang in LIST_LANGUAGES else "en")))
    return f"{', '.join(pieces[:-1])} {conjunction} {pieces[-1]}"


def _list_sentence(question: QuestionAnalysis, items: list[AnswerItem]) -> str:
    """"ESME [1], ESTP [2] and ISA Lille [3] require a semester abroad." (names only when that reads wrong)."""
    names = _joined([f"{item.label} [{item.citations[0]}]" for item in items], question.lang)
    agrees = question.plural == (len(items) > 1)
    if question.predicate and agrees:
        return f"{names} {question.predicate}."
    return f"{names}."


def compose_fact(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                 sentences: Sequence[ScoredSentence]) -> Composition | None:
    """The best one or two supporting sentences (about 300 characters at most), each with its citation."""
    ranked = sorted(sentences, key=lambda s: -s.score)
    supporting = [s for s in ranked if supports_fact(s, question, concepts)]
    if not supporting:
        return None
    if len(question.entities) > 1:
        return _per_entity(question, concepts, supporting)
    first = supporting[0]
    signals = fact_signals(question, concepts, first, supporting)
    row = row_at(first.hit.text, first.start)
    if row is not None:
        return _table_fact(question, concepts, first, row, signals)
    opens_enumeration = _opens_enumeration(first, sentences) and not question.yes_no
    # The lead-in itself answers best: what it announces is asked for (an item answering best is one thing).
    if opens_enumeration and not first.is_item and question.hard_type is None and question.answer_type != "name":
        listed = _announced_items(question, first, sentences, signals)
        if listed is not None:
            return listed  # "Who can't work remotely?" over "The following staff cannot work remotely:" and its items
    if opens_enumeration and question.answer_type is None:
        enumeration = _enumeration(first, sentences)
        if enumeration:
            text, used = enumeration
            citations: list[Hit] = []
            number = _cite(citations, first.hit)
            return Composition("fact", f"{text} [{number}]", [], citations,
                               _evidence(used), signals)
    parts = [first]
    antecedent = _antecedent(first, sentences)
    if antecedent is not None and len(_clip(antecedent)) + len(_clip(first)) + 6 <= MAX_ANSWER_CHARS:
        parts.insert(0, antecedent)  # "The splice() method ... It returns ..." reads on its own
    else:
        second = _second_sentence(first, ranked, {id(s) for s in supporting}, len(_clip(first)), concepts)
        if second is not None:
            parts.append(second)
            if second.hit.passage_id == first.hit.passage_id and second.position < first.position:
                parts.reverse()
    citations = []
    pieces = []
    for index, part in enumerate(parts):
        number = _cite(citations, part.hit)
        # Sentences side by side in one passage share one citation mark.
        follows = index + 1 < len(parts) and parts[index + 1].hit.passage_id == part.hit.passage_id
        pieces.append(_clip(part) if follows else f"{_clip(part)} [{number}]")
    evidence = _evidence(parts)
    term = _defined_term(parts[0])
    if term is not None:
        # A definition list's description: its term is what it defines ("reversed: This Boolean
        # attribute specifies that the list's items are in reverse order...").
        label, start, end = term
        pieces[0] = f"{label}: {pieces[0]}"
        evidence[parts[0].hit.passage_id] = sorted([(start, end), *evidence[parts[0].hit.passage_id]])
    elif _opens_with_pronoun(parts[0]) and antecedent is None:
        # No sentence before it: its heading (or page title) says what "it" is.
        subject = parts[0].hit.heading.rsplit(" > ", 1)[-1] or parts[0].hit.title
        pieces[0] = f"{subject}: {pieces[0]}"
    return Composition("fact", " ".join(pieces), [], citations, evidence, signals)


def _table_fact(question: QuestionAnalysis, concepts: Sequence[WeightedConcept], sentence: ScoredSentence,
                row: TableRow, signals: dict[str, float]) -> Composition:
    """A table row read as a fact: the cells of the columns the question names ("Non-birth parent
    (Dublin): 4 weeks"), else every cell under its column ("Members: Free, up to 10; Team, unlimited")."""
    cells = asked_columns(question, patterns_for(concepts), sentence.hit, sentence.start) or list(row.cells)
    if len(cells) == 1:
        text = f"{row.label} ({cells[0].column}): {cells[0].text}"
    else:
        text = f"{row.label}: " + "; ".join(f"{cell.column}, {cell.text}" for cell in cells)
    evidence = {sentence.hit.passage_id: [(row.label_start, row.end)]}
    return Composition("fact", f"{_capitalised(text)} [1]", [], [sentence.hit], evidence, signals)


def _defined_term(sentence: ScoredSentence) -> tuple[str, int, int] | None:
    """The term a definition list's description sentence defines: the short item on the line before
    the description's item ("• reversed" over "• This Boolean attribute..."), with its offsets."""
    text = sentence.hit.text
    line_start = text.rfind("\n", 0, sentence.start) + 1
    if line_start == 0 or not is_item(text[line_start:]):
        return None
    previous_start = text.rfind("\n", 0, line_start - 1) + 1
    previous = text[previous_start:line_start - 1]
    if not is_item(previous):
        return None
    label = without_item_mark(previous)
    line_end = text.find("\n", line_start)
    description = text[line_start:line_end if line_end >= 0 else None]
    if not label or len(label.split()) > MAX_TERM_WORDS or label.endswith((".", ":", "!", "?")):
        return None
    if len(description.split()) <= MAX_TERM_WORDS or label.casefold() in sentence.text.casefold():
        return None  # two short items are two values, and a sentence naming its term needs no label
    start = previous_start + previous.index(label)
    return label, start, start + len(label)


def _opens_with_pronoun(sentence: ScoredSentence) -> bool:
    """True when the sentence opens with a word that leans on what came before ("It", "Il", "This")."""
    first = _WORD.match(without_item_mark(sentence.text))
    return first is not None and first.group(0).lower() in _ANAPHORIC


def _antecedent(sentence: ScoredSentence, sentences: Sequence[ScoredSentence]) -> ScoredSentence | None:
    """The sentence before one that opens with a pronoun, in the same passage, if there is one."""
    if not _opens_with_pronoun(sentence):
        return None
    return next((other for other in sentences if other.hit.passage_id == sentence.hit.passage_id
                 and other.position == sentence.position - 1), None)


def fact_signals(question: QuestionAnalysis, concepts: Sequence[WeightedConcept], best: ScoredSentence,
                 supporting: Sequence[ScoredSentence]) -> dict[str, float]:
    """What the answerability model reads of a fact answer: how much of the question its sentence
    holds, whether it shows the kind of value asked for, how its passage ranked, and agreement."""
    same_page = sum(1 for s in supporting[1:6] if s.hit.doc_id == best.hit.doc_id)
    found = best.matched | best.in_context
    telling = [index for index, weighted in enumerate(concepts) if weighted.concept.role != "light"]
    rarest = sorted(telling, key=lambda index: -concepts[index].idf)
    # The question's focus: its first telling word, what it asks about ("what *date*", "how many
    # *engineers*", "quel est le taux d'*insertion*"); an answer that never names it is often not one.
    focus = min(telling, key=lambda index: concepts[index].concept.start, default=None)
    return {
        # The question's two rarest words: an answer that lacks them is usually about something else.
        "rarest": sum(1.0 for index in rarest[:2] if index in found) / max(1, min(2, len(rarest))),
        "focus": 1.0 if focus is None or focus in found else 0.0,
        "coverage": best.coverage,
        "rarity": best.features["rarity"],
        "own": len(best.matched) / max(1, len(best.matched | best.in_context)),
        "typed": 1.0 if question.answer_type is not None and best.has_type else 0.0,
        "untyped": 1.0 if question.answer_type is not None and not best.has_type else 0.0,
        "relevance": best.features["relevance"],
        "code": best.features["code"],
        "agreement": same_page / 5,
    }


def _evidence(sentences: Sequence[ScoredSentence]) -> dict[str, list[tuple[int, int]]]:
    """The spans of the sentences an answer uses, by passage, in text order."""
    evidence: dict[str, list[tuple[int, int]]] = {}
    for sentence in sentences:
        evidence.setdefault(sentence.hit.passage_id, []).append((sentence.start, sentence.end))
    return {passage: sorted(set(spans)) for passage, spans in evidence.items()}


def _per_entity(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                supporting: Sequence[ScoredSentence]) -> Composition:
    """"Do ESME and ISA require...": the best supporting sentence of each school named, in turn."""
    chosen = [next(s for s in supporting if s.hit.school == name) for name in question.entities
              if any(s.hit.school == name for s in supporting)]
    limit = max(MIN_SHARED_CHARS, MAX_ANSWER_CHARS // len(chosen))
    citations: list[Hit] = []
    pieces = [f"{_clip(sentence, limit)} [{_cite(citations, sentence.hit)}]" for sentence in chosen]
    return Composition("fact", " ".join(pieces), [], citations, _evidence(chosen),
                       fact_signals(question, concepts, chosen[0], supporting))


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
        if candidate.features.get("code") and not first.features.get("code"):
            continue  # code joins an answer in words only when the answer is code
        neighbour = candidate.hit.passage_id == first.hit.passage_id and abs(candidate.position - first.position) == 1
        # Scores are log-odds: their difference is the log of how much less likely the runner-up is.
        strong = (id(candidate) in supporting and candidate.score - first.score >= math.log(SECOND_SENTENCE_SHARE)
                  and main <= candidate.matched)
        if not (strong or neighbour):
            continue
        if used + len(_plain(candidate.text)) + 6 > MAX_ANSWER_CHARS:
            continue
        adds = bool(candidate.matched - first.matched) or (candidate.has_type and not first.has_type)
        if adds:
            return candidate
    return None


_LOWER_WORD = re.compile(r"[^\W\d_A-Z]+(?=[\s,;:]|$)")


def _capitalised(text: str) -> str:
    """A list item read as a sentence starts with a capital ("a network of ..." -> "A network of ..."),
    unless it starts with an identifier, whose case is its name ("console.log()", "box-sizing")."""
    return text[:1].upper() + text[1:] if _LOWER_WORD.match(text) and text[:1].islower() else text


def _plain(sentence: str) -> str:
    return " ".join(without_item_mark(sentence).split())


def _clip(sentence: ScoredSentence, limit: int = MAX_ANSWER_CHARS) -> str:
    """The sentence, cut around what it matched when longer than `limit` characters."""
    text = without_item_mark(sentence.text)
    offset = sentence.text.find(text)  # where the text starts after the bullet: the spans' origin
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


def _announced_items(question: QuestionAnalysis, sentence: ScoredSentence, sentences: Sequence[ScoredSentence],
                     signals: dict[str, float]) -> Composition | None:
    """The items a lead-in announces ("The following staff cannot work remotely:"): a question in any
    form asking for them gets the list, each item cited; None when fewer than MIN_VALUES values follow."""
    lead = sentence
    if not lead.text.rstrip().endswith(":"):
        return None
    text = lead.hit.text
    after = lead.end
    end = after
    for line_start in (match.end() for match in re.finditer(r"\n", text[after:])):
        line = text[after + line_start:].split("\n", 1)[0]
        if not is_item(line):
            break
        end = after + line_start + len(line)
    values = [value for value in enumerated_values(text) if after <= value.start < end]
    if len(values) < MIN_VALUES:
        return None
    items = [AnswerItem(label=value.label, citations=[1]) for value in values]
    evidence = {lead.hit.passage_id: [(lead.start, lead.end)] + [(value.start, value.end) for value in values]}
    text = _capitalised(_joined([value.label for value in values], question.lang)) + " [1]"
    return Composition("list", text, items, [lead.hit], evidence, signals)


def _enumeration(item: ScoredSentence, sentences: Sequence[ScoredSentence],
                 ) -> tuple[str, list[ScoredSentence]] | None:
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
    used = [siblings[start - 1]] + [s for s in siblings[start:end + 1] if s.position in kept]
    return f"{lead} {'; '.join(entries)}", used
