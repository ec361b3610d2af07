"""Text analysis per language: the analyzers the index and the highlighter share."""

from __future__ import annotations

from functools import cache

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LanguageAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.support.charset import accent_map

#: Languages with their own stemmed field; any other language is indexed without stemming.
STEMMED_LANGUAGES = ("en", "fr")

# Words, numbers with decimal parts ("8.5", "1,000") and tokens like "Erasmus+" or "S1".
TOKEN_PATTERN = r"\w+(?:[.,]\d+)*"


@cache
def analyzer_for(lang: str) -> Analyzer:
    """The stemming, accent-folding analyzer used for text in `lang` (a plain one for others)."""
    if lang in STEMMED_LANGUAGES:
        # Porter2 ("en") / Snowball ("fr") stemming; folding after stemming so "etudiants" finds "étudiants".
        return LanguageAnalyzer(lang, expression=TOKEN_PATTERN) | CharsetFilter(accent_map)
    return plain_analyzer()


@cache
def plain_analyzer() -> Analyzer:
    """Lowercase, accent-folding analyzer without stemming or stop words."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


@cache
def word_analyzer() -> Analyzer:
    """Lowercase words as written (no stemming, accents kept): the vocabulary for spelling suggestions."""
    return RegexTokenizer(r"[^\W\d_]{3,}") | LowercaseFilter() | StopFilter(minsize=3)


def field_lang(lang: str) -> str:
    """The analysed-field suffix used for text in `lang`."""
    return lang if lang in STEMMED_LANGUAGES else "other"


def analyse(text: str, lang: str) -> list[str]:
    """The index terms that `text` in `lang` produces."""
    return [token.text for token in analyzer_for(field_lang(lang))(text)]


def is_stop_word(word: str) -> bool:
    """True when some stemmed language's analysis drops `word` entirely (a stop word there)."""
    return any(not analyse(word, lang) for lang in STEMMED_LANGUAGES)
