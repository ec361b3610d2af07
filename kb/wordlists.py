"""Per-language word and phrase lists (kb/data/lang/<lang>.toml): read once, looked up by name."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib import resources

#: The languages kb has word lists for.
LIST_LANGUAGES = ("en", "fr")


@cache
def _lists(lang: str) -> dict[str, frozenset[str]]:
    """A language's lists: a string holds words separated by white space, an array holds phrases."""
    text = resources.files("kb").joinpath(f"data/lang/{lang}.toml").read_text(encoding="utf-8")
    return {name: frozenset(value.split() if isinstance(value, str) else (" ".join(item.split()) for item in value))
            for name, value in tomllib.loads(text).items()}


def words(name: str, lang: str | None = None) -> frozenset[str]:
    """The words (or phrases) of list `name` in `lang`, or in every language when `lang` is None."""
    languages = LIST_LANGUAGES if lang is None else (lang,)
    if not any(name in _lists(language) for language in languages):
        raise KeyError(f"no word list {name!r} for {', '.join(languages)}")
    found: frozenset[str] = frozenset()
    for language in languages:
        found |= _lists(language).get(name, frozenset())
    return found


def alternation(phrases: Iterable[str]) -> str:
    """A regex alternation of literal phrases, longest first (so "bien que" wins over "bien"), any
    white space between their words."""
    ordered = sorted({phrase for phrase in phrases if phrase}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(part) for part in phrase.split()) for phrase in ordered)
