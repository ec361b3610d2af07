"""Per-language word lists (kb/data/lang/<lang>.toml): read once, looked up by name."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

#: The languages kb has word lists for.
LIST_LANGUAGES = ("en", "fr")


@cache
def _lists(lang: str) -> dict[str, frozenset[str]]:
    text = resources.files("kb").joinpath(f"data/lang/{lang}.toml").read_text(encoding="utf-8")
    return {name: frozenset(value.split()) for name, value in tomllib.loads(text).items()}


def words(name: str, lang: str | None = None) -> frozenset[str]:
    """The words of list `name` in `lang`, or in every language when `lang` is None."""
    languages = LIST_LANGUAGES if lang is None else (lang,)
    found: frozenset[str] = frozenset()
    for language in languages:
        lists = _lists(language)
        if name not in lists:
            raise KeyError(f"no word list {name!r} for {language!r}")
        found |= lists[name]
    return found
