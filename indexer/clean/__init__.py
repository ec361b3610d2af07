"""Clean stage: turn HTML, Markdown and plain-text pages into ordered prose blocks plus page metadata."""

from __future__ import annotations

from indexer.clean.html import clean_html
from indexer.clean.markdown import clean_markdown, clean_text
from kb.models import CleanPage

__all__ = ["clean_document", "clean_html", "clean_markdown", "clean_text"]

_KINDS = {
    "html": clean_html,
    "htm": clean_html,
    "markdown": clean_markdown,
    "md": clean_markdown,
    "text": clean_text,
    "txt": clean_text,
    "plain": clean_text,
}


def clean_document(text: str, kind: str) -> CleanPage:
    """Clean a document of the given kind ("html", "markdown" or "text")."""
    cleaner = _KINDS.get(kind.strip().lower()) if isinstance(kind, str) else None
    if cleaner is None:
        raise ValueError(f"unknown document kind: {kind!r}")
    return cleaner(text)
