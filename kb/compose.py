"""Compose answers from ranked sentences: a fact (one or two sentences, a table cell, the items a
lead-in announces) or a list (kb.lists), each with its citations, evidence and the signals the
answerability model reads (kb.composition)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from kb.composition import Composition, capitalised, cite, evidence_of, fact_signals, joined, no_answer
from kb.confidence import Logistic
from kb.enumeration import MIN_VALUES, enumerated_values
from kb.lists import compose_list, compose_subjects, compose_table_list, compose_values
from kb.matching import WeightedConcept, patterns_for
from kb.models import AnswerItem, Hit
from kb.question import QuestionAnalysis
from kb.sentences import (
    MAX_ANSWER_CHARS,
    ScoredSentence,
    asked_columns,
    score_sentences,
    supports_fact,
)
from kb.tables import TableRow, row_at
from kb.text import is_item, without_item_mark
from kb.wordlists import words

#: When a question names several schools, each one's sentence gets a share of the length, at least this.
MIN_SHARED_CHARS = 150
#: A second sentence from elsewhere joins the answer only when it scores nearly as well as the first.
SECOND_SENTENCE_SHARE = 0.75
#: A definition list's term is this short at most ("reversed", "Array.prototype.some()").
MAX_TERM_WORDS = 5
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_ANAPHORIC = words("anaphoric_openers")


def compose(question: QuestionAnalysis, concepts: Sequence[WeightedConcept], hits: Sequence[Hit],
            relevance: dict[str, float] | None = None, ranker: Logistic | None = None) -> Composition:
    """The best list or fact answer the candidate passages allow, with numbered citations and the
    signals of how well it is supported ('none' only when no passage offers anything)."""
    if not concepts or not hits:
        return no_answer(hits)
    sentences = score_sentences(question, concepts, hits, relevance, ranker)
    if question.kind == "list" and question.list_of_organisations:
        return compose_list(question, concepts, sentences) or no_answer(hits)
    if question.kind == "list":
        # Values one passage enumerates, else the subjects of the pages that have the property; when
        # neither, the best sentence still answers.
        return (compose_table_list(question, concepts, sentences) or compose_values(question, concepts, sentences)
                or compose_subjects(question, concepts, sentences) or compose_fact(question, concepts, sentences)
                or no_answer(hits))
    return compose_fact(question, concepts, sentences) or no_answer(hits)


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
            number = cite(citations, first.hit)
            return Composition("fact", f"{text} [{number}]", [], citations,
                               evidence_of(used), signals)
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
        number = cite(citations, part.hit)
        # Sentences side by side in one passage share one citation mark.
        follows = index + 1 < len(parts) and parts[index + 1].hit.passage_id == part.hit.passage_id
        pieces.append(_clip(part) if follows else f"{_clip(part)} [{number}]")
    evidence = evidence_of(parts)
    term = _defined_term(parts[0])
    if term is not None:
        # A definition list's description: its term is what it defines ("reversed: This Boolean
        # attribute specifies that the list's items are in reverse order...").
        label, start, end = term
        pieces[0] = f"{label}: {pieces[0]}"
        evidence[parts[0].hit.passage_id] = sorted([(start, end), *evidence[parts[0].hit.passage_id]])
    elif parts[0].type_in_heading or (_opens_with_pronoun(parts[0]) and antecedent is None):
        # The value asked for is its section's heading ("Montréal: 10 public holidays"), or the sentence
        # leans on what comes before it and nothing does: its heading says what "it" is.
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
    return Composition("fact", f"{capitalised(text)} [1]", [], [sentence.hit], evidence, signals)


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


def _per_entity(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                supporting: Sequence[ScoredSentence]) -> Composition:
    """"Do ESME and ISA require...": the best supporting sentence of each school named, in turn."""
    chosen = [next(s for s in supporting if s.hit.school == name) for name in question.entities
              if any(s.hit.school == name for s in supporting)]
    limit = max(MIN_SHARED_CHARS, MAX_ANSWER_CHARS // len(chosen))
    citations: list[Hit] = []
    pieces = [f"{_clip(sentence, limit)} [{cite(citations, sentence.hit)}]" for sentence in chosen]
    return Composition("fact", " ".join(pieces), [], citations, evidence_of(chosen),
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


def _plain(sentence: str) -> str:
    return " ".join(without_item_mark(sentence).split())


def _clip(sentence: ScoredSentence, limit: int = MAX_ANSWER_CHARS) -> str:
    """The sentence, cut around what it matched when longer than `limit` characters."""
    text = without_item_mark(sentence.text)
    offset = sentence.text.find(text)  # where the text starts after the bullet: the spans' origin
    if len(text) <= limit:
        return capitalised(" ".join(text.split()))
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
    text = capitalised(joined([value.label for value in values], question.lang)) + " [1]"
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
