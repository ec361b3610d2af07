"""Highlight query terms in stored passage text: HTML-escaped, <mark> only, original words shown."""

from __future__ import annotations

from html import escape

from kb.analysis import analyzer_for, field_lang


def highlight(text: str, terms: set[str], lang: str) -> str:
    """`text` escaped for HTML with each word whose analysed form is in `terms` wrapped in <mark>."""
    if not terms:
        return escape(text, quote=False)
    analyzer = analyzer_for(field_lang(lang))
    pieces: list[str] = []
    cursor = 0
    for token in analyzer(text, chars=True, removestops=True):
        if token.text in terms and token.startchar >= cursor:
            pieces.append(escape(text[cursor:token.startchar], quote=False))
            pieces.append("<mark>" + escape(text[token.startchar:token.endchar], quote=False) + "</mark>")
            cursor = token.endchar
    pieces.append(escape(text[cursor:], quote=False))
    return "".join(pieces)


def mark_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` escaped for HTML with each (start, end) span wrapped in <mark> (the evidence an answer quotes)."""
    pieces: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        start, end = max(start, cursor), min(end, len(text))
        if start >= end:
            continue
        pieces.append(escape(text[cursor:start], quote=False))
        pieces.append("<mark>" + escape(text[start:end], quote=False) + "</mark>")
        cursor = end
    pieces.append(escape(text[cursor:], quote=False))
    return "".join(pieces)
