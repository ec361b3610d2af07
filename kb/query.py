"""Turn what a user typed into a backend-neutral StoreQuery; no user text reaches a query parser."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.analysis import analyse
from kb.glossary import Glossary
from kb.store import StoreQuery, TermAlternative, TermGroup

WORD = re.compile(r"\w+(?:[.,'’-]\w+)*")
PHRASE = re.compile(r'"([^"]+)"')
#: A synonym or translation counts for less than the word the user typed.
EXPANSION_WEIGHT = 0.6
MAX_QUERY_WORDS = 32


@dataclass
class UserQuery:
    """The words and quoted phrases of a user's text, in order."""

    words: list[str]
    phrases: list[str]


def parse_user_text(text: str) -> UserQuery:
    """Words and balanced "quoted phrases"; operators, stray quotes and symbols are plain text."""
    phrases = [phrase.strip() for phrase in PHRASE.findall(text) if WORD.search(phrase)]
    words = WORD.findall(text.replace("_", " "))
    return UserQuery(words=words[:MAX_QUERY_WORDS], phrases=phrases[:4])


def content_words(words: list[str], lang: str = "en") -> list[str]:
    """The words that survive analysis (not stop words), deduplicated by their analysed form."""
    seen: set[tuple[str, ...]] = set()
    kept = []
    for word in words:
        key = tuple(analyse(word, lang)) or tuple(analyse(word, "fr" if lang == "en" else "en"))
        if key and key not in seen:
            seen.add(key)
            kept.append(word)
    return kept


def build_query(
    words: list[str],
    glossary: Glossary | None = None,
    phrases: list[str] | None = None,
    lang: str = "en",
    weights: dict[str, float] | None = None,
) -> StoreQuery:
    """A StoreQuery with one concept per content word, expanded with the glossary's equivalents."""
    groups = []
    for word in content_words(words, lang):
        weight = (weights or {}).get(word, 1.0)
        alternatives = [TermAlternative(word, weight)]
        if glossary is not None:
            alternatives += [TermAlternative(term, weight * EXPANSION_WEIGHT) for term in glossary.equivalents(word)]
        groups.append(TermGroup(alternatives))
    return StoreQuery(groups=groups, phrases=list(phrases or []))
