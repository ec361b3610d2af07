"""Text helpers shared by indexing and answering: normalisation and sentence splitting (pysbd)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pysbd

_SPACES = re.compile(r"\s+")
SENTENCE_LANGUAGES = {"en", "fr", "de", "es", "it", "nl"}
#: What joins a table row's cells in passage text: one row a line, its header row first.
TABLE_CELL_SEPARATOR = " | "
#: What opens a list item's line in passage text ("• a buddy programme").
ITEM_MARK = "• "
_BULLET = ITEM_MARK.strip()
#: Where a sentence may end inside a line: punctuation, then space, then more text.
_INNER_SENTENCE_END = re.compile(r"[.!?…。;:]['’\"”»)\]]*\s+\S")


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace-collapsed text for comparisons."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def word_count(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(text.split())


@cache
def _segmenter(lang: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=lang if lang in SENTENCE_LANGUAGES else "en", clean=False)


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """Sentences of `text` (lines are hard boundaries: list items and headings end a sentence)."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not _INNER_SENTENCE_END.search(line):
            sentences.append(line)  # no full stop inside: one sentence, without the segmenter's cost
            continue
        sentences.extend(piece.strip() for piece in _segmenter(lang).segment(line) if piece.strip())
    return sentences


def fold(text: str) -> str:
    """Lower-case, accent-free text of the same length, so offsets stay valid."""
    folded = []
    for char in text:
        base = unicodedata.normalize("NFD", char)[0].lower()
        folded.append(base if len(base) == 1 else char)
    return "".join(folded)


def is_item(line: str) -> bool:
    """True for a list item's line (or sentence) of passage text."""
    return line.strip().startswith(_BULLET)


def without_item_mark(text: str) -> str:
    """The text of a list item without its bullet."""
    return text.strip().removeprefix(_BULLET).strip()
