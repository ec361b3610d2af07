"""The domain glossary: groups of equivalent terms (synonyms, English/French) used to expand queries."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from kb.analysis import analyse

GLOSSARY_ENV = "KB_GLOSSARY"


@cache
def _term_keys(term: str) -> frozenset[tuple[str, ...]]:
    """The analysed forms of a term in every stemmed language (a term may be English or French)."""
    keys = frozenset({tuple(analyse(term, lang)) for lang in ("en", "fr")} - {()})
    # A term made only of stop words ("have to", "need to") is known by its lower-cased text instead.
    return keys or frozenset({(" ".join(term.lower().split()),)})


@dataclass(frozen=True)
class Glossary:
    """Equivalence groups, looked up by the analysed (stemmed, folded) form of a term."""

    groups: tuple[tuple[str, ...], ...]

    def equivalents(self, term: str) -> list[str]:
        """The other terms of every group that `term` belongs to (empty when it belongs to none)."""
        keys = _term_keys(term)
        found: list[str] = []
        for group in self.groups:
            if any(_term_keys(member) & keys for member in group):
                found.extend(member for member in group if not (_term_keys(member) & keys))
        return list(dict.fromkeys(found))

    def phrases(self) -> list[str]:
        """Every multi-word term, so a query can recognise them before splitting into words."""
        return [term for group in self.groups for term in group if len(term.split()) > 1]


def parse_glossary(text: str) -> Glossary:
    """A glossary from TOML text: `[[group]]` tables, each with a `terms` list; raises ValueError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"glossary is not valid TOML: {error}") from error
    groups = []
    for number, group in enumerate(data.get("group", []), 1):
        terms = group.get("terms") if isinstance(group, dict) else None
        if not isinstance(terms, list) or not all(isinstance(term, str) for term in terms):
            raise ValueError(f"glossary group {number} needs a `terms` list of strings")
        cleaned = tuple(term.strip() for term in terms if term.strip())
        if len(cleaned) < 2:
            raise ValueError(f"glossary group {number} has fewer than two terms: a group lists equivalents")
        groups.append(cleaned)
    return Glossary(tuple(groups))


@cache
def load_glossary(path: str | None = None) -> Glossary:
    """The glossary from `path`, else $KB_GLOSSARY, else the one shipped with kb (read once)."""
    path = path or os.environ.get(GLOSSARY_ENV)
    if path:
        return parse_glossary(Path(path).read_text(encoding="utf-8"))
    return parse_glossary(resources.files("kb").joinpath("data/glossary.toml").read_text(encoding="utf-8"))
