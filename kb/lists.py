"""List answers: the values one passage enumerates, the columns of a table a row grants, the
organisations or page subjects whose own sentence states the property; each item cited."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from kb.analysis import analyse
from kb.composition import Composition, capitalised, cite, evidence_of, fact_signals, joined
from kb.enumeration import MIN_VALUES, Value, enumerated_values, sentence_values
from kb.matching import ANALYSED, WeightedConcept, analysed, found_in, patterns_for
from kb.models import AnswerItem, Hit
from kb.question import QuestionAnalysis
from kb.sentences import ScoredSentence, supports_list_item
from kb.tables import TableRow, grants, row_at, rows_under
from kb.text import TABLE_CELL_SEPARATOR, is_item

#: The best passages searched for an enumeration of what a list question asks for.
VALUE_PASSAGES = 8
#: ... and every passage of the best few pages (a header's "Directives" list).
VALUE_PAGES = 2
#: A table column whose cells grant or deny ("Yes", "✓", "2 per flight") holds this many words a cell at most.
MAX_FLAG_WORDS = 4


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
    text = joined(pieces, question.lang)
    evidence = {hit.passage_id: [(value.start, value.end) for value in part] for hit, part in parts}
    signals = fact_signals(question, concepts, sentence, ranked)
    return Composition("list", capitalised(text), items, citations, evidence, signals)


def compose_table_list(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                       sentences: Sequence[ScoredSentence]) -> Composition | None:
    """A list read from a table: its columns a row grants, or its rows a column grants, whichever
    row or header sentence scores higher."""
    found = [scored for scored in (_table_columns(question, concepts, sentences),
                                   _table_rows(question, concepts, sentences)) if scored is not None]
    return max(found, key=lambda scored: scored[0])[1] if found else None


def _table_columns(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                   sentences: Sequence[ScoredSentence]) -> tuple[float, Composition] | None:
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
        if any(len(cell.text.split()) > MAX_FLAG_WORDS for cell in row.cells):
            continue  # a row of descriptions, not of cells that grant or deny
        context = f"{sentence.hit.title}\n{sentence.hit.heading}\n{row.header}"
        if _mentions(noun, context, sentence.hit.lang):
            best = (sentence, row)
    if best is None:
        return None
    sentence, row = best
    granted = [cell for cell in row.cells if grants(cell.text)]
    if not granted:
        return None
    items = [AnswerItem(label=cell.column, citations=[1]) for cell in granted]
    text = joined([cell.column for cell in granted], question.lang) + " [1]"
    evidence = {sentence.hit.passage_id: [(row.label_start, row.end)]}
    return sentence.score, Composition("list", text, items, [sentence.hit], evidence,
                                       fact_signals(question, concepts, sentence, sentences))


def _table_rows(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                sentences: Sequence[ScoredSentence]) -> tuple[float, Composition] | None:
    """The rows of a table whose cell in the column the question's property names grants it ("At which
    airports is there a self-service bag drop?" -> the airports whose "Self-service bag drop" cell says
    yes; those that deny it for a negated question), when the question's noun names the rows in the
    header's first cell and the column holds short cells; the best-scoring such header decides."""
    noun = question.list_noun or ""
    if not noun:
        return None
    patterns = patterns_for(concepts)
    telling = {index for index, weighted in enumerate(concepts) if weighted.concept.role != "light"}
    for sentence in sorted(sentences, key=lambda s: -s.score):
        rows = rows_under(sentence.hit.text, sentence.start)
        if len(rows) < MIN_VALUES:
            continue
        lang = sentence.hit.lang
        if not _mentions(noun, rows[0].header.split(TABLE_CELL_SEPARATOR)[0], lang):
            continue  # the header's first cell names what the rows are ("Airport")
        # The table holds the whole question: in its header, its rows' names, its heading or title.
        context = "\n".join([rows[0].header, sentence.hit.heading, sentence.hit.title, *(row.label for row in rows)])
        missing = telling - found_in(patterns, context, lang)
        if len(missing) > (1 if len(telling) >= 3 else 0):
            continue
        # The column that states the property: the one holding most of the question's telling words.
        matched = {cell.column: len(found_in(patterns, cell.column, lang) & telling) for cell in rows[0].cells}
        column = max(matched, key=lambda name: matched[name], default="")
        if not matched.get(column):
            continue
        cells = [(row, cell) for row in rows for cell in row.cells if cell.column == column]
        if any(len(cell.text.split()) > MAX_FLAG_WORDS for _, cell in cells):
            continue  # a column of descriptions, not one that grants or denies
        chosen = [(row, cell) for row, cell in cells if grants(cell.text) != question.negated]
        if not chosen:
            return None
        items = [AnswerItem(label=row.label, citations=[1]) for row, _ in chosen]
        text = joined([row.label for row, _ in chosen], question.lang) + " [1]"
        evidence = {sentence.hit.passage_id: [(row.label_start, row.end) for row, _ in chosen]}
        return sentence.score, Composition("list", text, items, [sentence.hit], evidence,
                                           fact_signals(question, concepts, sentence, sentences))
    return None


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
        number = cite(citations, sentence.hit)
        items.append(AnswerItem(label=label, citations=[number]))
    supporting = [sentence for _, sentence in chosen]
    return Composition("list", _list_sentence(question, items), items, citations, evidence_of(supporting),
                       list_signals(question, concepts, supporting))


def list_signals(question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
                 chosen: Sequence[ScoredSentence]) -> dict[str, float]:
    """What the answerability model reads of a list of organisations or page subjects: its items'
    signals, averaged, and agreement measured by how many items there are."""
    each = [fact_signals(question, concepts, sentence, chosen) for sentence in chosen]
    signals = {name: sum(item[name] for item in each) / len(each) for name in each[0]}
    signals["agreement"] = min(1.0, (len(chosen) - 1) / 4)
    return signals


def _list_sentence(question: QuestionAnalysis, items: list[AnswerItem]) -> str:
    """"ESME [1], ESTP [2] and ISA Lille [3] require a semester abroad." (names only when that reads wrong)."""
    names = joined([f"{item.label} [{item.citations[0]}]" for item in items], question.lang)
    agrees = question.plural == (len(items) > 1)
    if question.predicate and agrees:
        return f"{names} {question.predicate}."
    return f"{names}."
