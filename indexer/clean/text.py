"""Clean plain-text pages: paragraphs, bullets and heading-like lines."""

from __future__ import annotations

import re

from indexer.clean.common import is_chrome
from kb.models import Block

_BULLET = re.compile(r"^\s*(?:[•·\-*–]|\d{1,3}[.)])\s+(.*)$")
_RULE = re.compile(r"^\s*[-*_=]{3,}\s*$")
_BLANK_LINES = re.compile(r"\n[^\S\n]*\n")


def _heading_like(line: str, allow_question: bool = True) -> bool:
    """A short line without sentence punctuation at its end: a title, not prose."""
    line = line.strip()
    if not line or len(line) > 90 or len(line.split()) > 12 or not any(c.isalpha() for c in line):
        return False
    end = line[-1]
    if end in ".!;,:…":
        return False
    # Short questions ("Pour qui ?", "What if we put wind turbines in the sky?") title FAQ and news items.
    return allow_question or end != "?"


#: A line this short, without sentence punctuation, reads as a label (a menu entry, a logo's caption).
_LABEL_WORDS = 5
_WORD = re.compile(r"[^\W\d_]{2,}")


def _navigation(lines: list[str]) -> bool:
    """A stack of menu labels pasted from a browser ("Skip to content / Menu / Search / Billing"):
    chrome lines among short labels only."""
    labels = [line for line in lines if len(_WORD.findall(line)) <= _LABEL_WORDS and line.strip()[-1:] not in ".!?:;,"]
    return len(lines) >= 2 and len(labels) == len(lines) and any(is_chrome(line) for line in lines)


def _paragraph_blocks(lines: list[str], more_follows: bool) -> list[Block]:
    """Blocks of one blank-line separated paragraph of plain text."""
    if _navigation(lines):
        return []
    blocks: list[Block] = []
    prose: list[str] = []
    item: list[str] | None = None
    for line in lines:
        bullet = _BULLET.match(line)
        if bullet:
            if item is not None:
                blocks.append(Block("item", " ".join(item)))
            elif prose:
                blocks.append(Block("paragraph", " ".join(prose)))
                prose = []
            item = [bullet.group(1)]
        elif item is not None:
            item.append(line.strip())
        else:
            prose.append(line.strip())
    if item is not None:
        blocks.append(Block("item", " ".join(item)))
        return blocks
    if not prose:
        return blocks
    if more_follows and len(prose) == 1 and _heading_like(prose[0]):
        return [Block("heading", prose[0], 2)]
    # A stack of short label lines (a news kicker "Company | Innovation" over a title) ends in a heading.
    if (more_follows and 2 <= len(prose) <= 3 and all(_heading_like(p, False) for p in prose[:-1])
            and _heading_like(prose[-1])):
        return [Block("paragraph", " ".join(prose[:-1])), Block("heading", prose[-1], 2)]
    return [Block("paragraph", " ".join(prose))]


def text_blocks(text: str) -> list[Block]:
    """Raw blocks of plain text (newlines already normalised)."""
    paragraphs = []
    for chunk in _BLANK_LINES.split(text):
        lines = [line for line in chunk.split("\n") if line.strip() and not _RULE.match(line)]
        if lines:
            paragraphs.append(lines)
    blocks: list[Block] = []
    for i, lines in enumerate(paragraphs):
        blocks.extend(_paragraph_blocks(lines, i + 1 < len(paragraphs)))
    return blocks
