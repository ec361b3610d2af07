"""Values a passage enumerates: the heads of its list items, the key cells of its table rows, or the
names of a comma-separated run ("Which values can visibility take?" -> visible, hidden, collapse)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.text import TABLE_CELL_SEPARATOR, is_item, without_item_mark
from kb.wordlists import alternation, words

#: A list item this short is a value (a term of a definition list, a keyword); longer ones describe.
MAX_VALUE_WORDS = 5
MAX_VALUE_CHARS = 48
#: A run of at least this many values makes an enumeration.
MIN_VALUES = 2
_HEAD_SEPARATOR = re.compile(r"\s*(?::\s|\s[-–—]\s)")
_NUMERIC = re.compile(r"^[\d\s.,%+-]*$")

_AND = alternation(words("list_conjunctions"))
# A proper name: capitalised words, with the small words names hold between them ("Institut für Technologie").
_NAME = (rf"[A-ZÀ-Ý](?:[\w&+'’-]|\.(?=\w))*(?:[^\S\n]+(?:(?:{alternation(words('name_particles'))}|&)[^\S\n]+)?"
         r"[A-ZÀ-Ý](?:[\w&+'’-]|\.(?=\w))*)*")
# Two names joined by "and"/"et" ("le Karlsruher Institut für Technologie et la Technische Universität Berlin").
# Runs of names stay within a line: a list's last item and the next line's first word are not one name.
# A name may say where it stands ("HEC Montréal in Canada"): the place is not part of the value.
_IN_PLACE = rf"[^\S\n]+(?:{alternation(words('location_prepositions'))})[^\S\n]+{_NAME}"
_PLACED_NAME = rf"{_NAME}(?:{_IN_PLACE})?"
_COMMA_RUN = re.compile(rf"{_PLACED_NAME}(?:[^\S\n]*,[^\S\n]*{_PLACED_NAME}){{2,}}"
                        rf"(?:,?[^\S\n]+(?:{_AND})[^\S\n]+{_PLACED_NAME})?")
_PAIR = re.compile(rf"(?P<first>{_NAME})(?:[^\S\n]*\([^)\n]{{1,20}}\))?[^\S\n]*,?[^\S\n]+(?:{_AND})[^\S\n]+"
                   rf"(?:(?:{alternation(words('value_openers'))})(?:[^\S\n]+|(?<=['’])))*(?P<second>{_NAME})")


@dataclass(frozen=True)
class Value:
    """One enumerated value and where it stands in the passage text."""

    label: str
    start: int
    end: int  # end of the value's line (or of the value, in a run): the evidence for it


def _is_value(text: str) -> bool:
    words = text.split()
    return (0 < len(words) <= MAX_VALUE_WORDS and len(text) <= MAX_VALUE_CHARS and not text.endswith((".", ":"))
            and _balanced(text))


def _balanced(text: str) -> bool:
    """A value holds a letter or digit, closes the brackets it opens and holds no alternatives: "[ top"
    and "[ left | center ]" are pieces of a grammar's notation, not values ("[attr=value]" is one)."""
    if not any(char.isalnum() for char in text) or "|" in text:
        return False
    depth = 0
    for char in text:
        depth += (char in "([{") - (char in ")]}")
        if depth < 0:
            return False
    return depth == 0


def enumerated_values(text: str) -> list[Value]:
    """The values the passage enumerates, in order: list items' heads first, then table rows, then a
    comma-separated run of names, then two names joined by "and"; empty when it enumerates fewer
    than MIN_VALUES."""
    for finder in (_item_values, _table_values, _run_values, _pair_values):
        values = finder(text)
        if len(values) >= MIN_VALUES:
            return values
    return []


def sentence_values(sentence: str) -> list[Value]:
    """The values one sentence enumerates after a colon ("four channels: the inbox, e-mail, push
    notifications and Slack"), or as a run or pair of names; empty when fewer than MIN_VALUES."""
    for finder in (_colon_values, _run_values, _pair_values):
        values = finder(sentence)
        if len(values) >= MIN_VALUES:
            return values
    return []


#: A value of a sentence's enumeration may be a short phrase ("les notifications push sur mobile").
MAX_PHRASE_WORDS = 6
_COLON_LIST = re.compile(r":\s+(?P<list>[^:;\n]+?)\s*[.;!?]?\s*$")
_CONJUNCTION = re.compile(rf",?\s+(?:{_AND})\s+")
_ELIDED = re.compile(r"^[A-Za-z]['’](?=\w)")
_VALUE_OPENERS = words("value_openers")


def _colon_values(sentence: str) -> list[Value]:
    match = _COLON_LIST.search(sentence)
    if not match or not re.search(r"[,|]", match.group("list")) and not _CONJUNCTION.search(match.group("list")):
        return []
    values = []
    start = match.start("list")
    # Values apart by commas, or by bars as a grammar writes alternatives ("auto|metadata|none").
    separator = r"[^,|]+" if "|" in match.group("list") else r"[^,]+"
    for part in re.finditer(separator, match.group("list")):
        for piece in _CONJUNCTION.split(part.group(0)):
            label = _without_leading_function_words(piece.strip())
            if (not label or len(label.split()) > MAX_PHRASE_WORDS or len(label) > 2 * MAX_VALUE_CHARS
                    or not _balanced(label)):
                return []  # a clause, not a list of values
            at = start + part.start() + part.group(0).find(label)
            values.append(Value(label, at, at + len(label)))
    return values


def _without_leading_function_words(phrase: str) -> str:
    """The phrase without the articles and prepositions it opens with ("avec l'École..." -> "École...")."""
    while True:
        elided = _ELIDED.match(phrase)
        if elided:
            phrase = phrase[elided.end():]
            continue
        first, _, rest = phrase.partition(" ")
        if rest and first.lower() in _VALUE_OPENERS:
            phrase = rest.lstrip()
            continue
        return phrase


def _lines(text: str) -> list[tuple[int, str]]:
    found, offset = [], 0
    for line in text.split("\n"):
        found.append((offset, line))
        offset += len(line) + 1
    return found


def _item_values(text: str) -> list[Value]:
    values = []
    for offset, line in _lines(text):
        if not is_item(line):
            continue
        body = without_item_mark(line)
        head = _HEAD_SEPARATOR.split(body, maxsplit=1)[0].strip()
        if _is_value(head):
            start = offset + line.index(body)
            values.append(Value(head, start, offset + len(line)))
    return values


def _table_values(text: str) -> list[Value]:
    values = []
    rows = [(offset, line) for offset, line in _lines(text) if line.count(TABLE_CELL_SEPARATOR) >= 1]
    for index, (offset, line) in enumerate(rows):
        cells = [cell.strip() for cell in line.split(TABLE_CELL_SEPARATOR)]
        # The first cell that names something (not a number): the row's key.
        key = next((cell for cell in cells if cell and not _NUMERIC.match(cell)), None)
        if index == 0 and len(rows) > 2:
            continue  # a header row ("Value | State | Description")
        if key and _is_value(key):
            values.append(Value(key, offset + line.index(key), offset + len(line)))
    return values


def _run_values(text: str) -> list[Value]:
    match = _COMMA_RUN.search(text)
    if not match:
        return []
    values = []
    for part in re.finditer(r"[^,]+", match.group(0)):
        label = re.sub(rf"^\s*(?:{_AND})\s+", "", part.group(0)).strip()
        label = re.split(rf"\s+(?:{_AND})\s+", label)
        for piece in label:
            piece = re.sub(rf"{_IN_PLACE}$", "", piece.strip())
            if piece and _is_value(piece):
                start = match.start() + part.start() + part.group(0).find(piece)
                values.append(Value(piece, start, start + len(piece)))
    return values


def _pair_values(text: str) -> list[Value]:
    for match in _PAIR.finditer(text):
        names = [(match.group(name), match.start(name)) for name in ("first", "second")]
        # Two full names ("Karlsruher Institut für Technologie"): single words joined by "and" are
        # mostly prose ("Chrome and Firefox support it"), not a list.
        if all(len(name.split()) >= 2 for name, _ in names):
            return [Value(name, start, start + len(name)) for name, start in names]
    return []
