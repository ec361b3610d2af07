"""Tables in passages: a row read under its header row, and the columns a row grants.

Cleaning writes a table as one line per row, cells joined by TABLE_CELL_SEPARATOR and empty cells
left out. A row is read against its table's first line when the cells line up: as many cells as the
header (whose first cell then names the label column) or one more (the header's corner was empty).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from kb.text import TABLE_CELL_SEPARATOR, fold
from kb.wordlists import alternation, words

#: A cell made only of these (dashes, crosses) denies what its row states.
_DENYING_MARKS = re.compile(r"^[\s\-–—‐‑−✗✘✕×xX❌/]*$")


@dataclass(frozen=True)
class Cell:
    """One data cell of a row, with its column's header label and its offsets in the passage text."""

    column: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class TableRow:
    """A table row under its header: the label (first cell) and the data cells, in the passage text."""

    label: str
    label_start: int
    cells: tuple[Cell, ...]
    start: int  # offsets of the whole row line
    end: int
    header: str  # the table's header row


def row_at(text: str, offset: int) -> TableRow | None:
    """The table row of `text` whose line holds `offset`, read under its table's header row; None
    for a line outside a table, the header itself, or a row whose cells do not line up."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    if TABLE_CELL_SEPARATOR not in text[line_start:line_end]:
        return None
    header_start = _table_start(text, line_start)
    if header_start == line_start:
        return None  # the header row names columns, it holds no values
    header_end = text.find("\n", header_start)
    header = text[header_start:header_end].split(TABLE_CELL_SEPARATOR)
    cells = _cells(text, line_start, line_end)
    if len(cells) == len(header):
        columns = header[1:]
    elif len(cells) == len(header) + 1:
        columns = header
    else:
        return None
    label, label_start, _ = cells[0]
    data = tuple(Cell(column.strip(), cell, start, end)
                 for column, (cell, start, end) in zip(columns, cells[1:], strict=True))
    return TableRow(label, label_start, data, line_start, line_end, text[header_start:header_end])


def rows_under(text: str, offset: int) -> list[TableRow]:
    """The rows of the table whose header row holds `offset`; none when that line is no table header."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", line_start)
    if TABLE_CELL_SEPARATOR not in (text[line_start:] if line_end < 0 else text[line_start:line_end]):
        return []
    if _table_start(text, line_start) != line_start:
        return []  # a row, not the header
    rows = []
    cursor = text.find("\n", line_start)
    while cursor >= 0:
        row = row_at(text, cursor + 1)
        if row is None:
            break
        rows.append(row)
        cursor = text.find("\n", row.end)
    return rows


def _table_start(text: str, offset: int) -> int:
    """Where the table holding the line at `offset` starts (its header row)."""
    start = text.rfind("\n", 0, offset) + 1
    while start > 0:
        previous = text.rfind("\n", 0, start - 1) + 1
        if TABLE_CELL_SEPARATOR not in text[previous:start - 1]:
            break
        start = previous
    return start


def _cells(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """The cells of one row line with their offsets."""
    found = []
    cursor = start
    for part in text[start:end].split(TABLE_CELL_SEPARATOR):
        stripped = part.strip()
        cell_start = cursor + (part.find(stripped) if stripped else 0)
        found.append((stripped, cell_start, cell_start + len(stripped)))
        cursor += len(part) + len(TABLE_CELL_SEPARATOR)
    return found


def grants(cell: str) -> bool:
    """Whether a cell grants what its row states: "✓", "1", "Free", "Up to 10" do; "–", "✗", "No",
    "Not allowed", "Non" do not."""
    if _DENYING_MARKS.match(cell):
        return False
    return not _denying_opening().match(fold(cell))


@cache
def _denying_opening() -> re.Pattern[str]:
    """A cell opening with a negation ("no", "not available", "non", "aucun") or a zero."""
    cues = alternation(fold(word) for word in words("negation_cues") | words("denying_cells"))
    return re.compile(rf"^(?:{cues})(?!\w)|^0(?![\d.,])")
