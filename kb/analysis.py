"""Text analysis per language: the analyzers the index and the highlighter share."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import cache

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    CompositeAnalyzer,
    Filter,
    LanguageAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.analysis.acore import Composable
from whoosh.support.charset import accent_map

#: Languages with their own stemmed field; any other language is indexed without stemming.
STEMMED_LANGUAGES = ("en", "fr")

# Words, numbers with decimal parts ("8.5", "1,000") and tokens like "Erasmus+" or "S1".
TOKEN_PATTERN = r"\w+(?:[.,]\d+)*"
#: Identifiers whose parts are joined by dots or hyphens ("Promise.any", "Retry-After", "box-sizing"):
#: besides their parts, they are one term, so a part that is a stop word ("any", "after") still
#: tells them apart from their neighbours ("Promise.all").
IDENTIFIER_PATTERN = r"[^\W\d_]\w*(?:[.-][^\W\d_]\w*)+"
VOCABULARY_PATTERN = r"[^\W\d_]{3,}"
#: Distinct words whose terms analyse() remembers per language before it starts afresh.
MAX_REMEMBERED_WORDS = 500_000


class CompatibilityFilter(Filter):
    """Token text in Unicode compatibility form (NFKC): "CO₂" is "CO2", "ﬁle" is "file", "１０" is "10"."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        for token in tokens:
            if not token.text.isascii():
                token.text = unicodedata.normalize("NFKC", token.text)
            yield token


def word_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """(word, start, end) of each word of `text`, each joined identifier right after its last part."""
    identifiers = {match.end(): match for match in _identifier_pattern().finditer(text)}
    for match in _token_pattern().finditer(text):
        yield match.group(), match.start(), match.end()
        identifier = identifiers.get(match.end())
        if identifier is not None:
            yield identifier.group(), identifier.start(), identifier.end()


class WordTokenizer(Tokenizer):
    """Whoosh's side of word_spans(): the words of TOKEN_PATTERN and the identifiers they join into."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: object) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        spans = word_spans(value) if tokenize else iter([(value, 0, len(value))])
        for position, (word, start, end) in enumerate(spans):
            token.text, token.boost, token.stopped = word, 1.0, False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


@cache
def analyzer_for(lang: str) -> Analyzer:
    """The stemming, accent-folding analyzer used for text in `lang` (a plain one for others)."""
    if lang in STEMMED_LANGUAGES:
        # Porter2 ("en") / Snowball ("fr") stemming; folding after stemming so "etudiants" finds "étudiants".
        _, *filters = LanguageAnalyzer(lang, expression=TOKEN_PATTERN).items
        return CompositeAnalyzer(WordTokenizer(), CompatibilityFilter(), *filters, CharsetFilter(accent_map))
    return plain_analyzer()


@cache
def plain_analyzer() -> Analyzer:
    """Lowercase, accent-folding analyzer without stemming or stop words."""
    return WordTokenizer() | CompatibilityFilter() | LowercaseFilter() | CharsetFilter(accent_map)


@cache
def word_analyzer() -> Analyzer:
    """Lowercase words as written (no stemming, accents kept): the vocabulary for spelling suggestions."""
    return RegexTokenizer(VOCABULARY_PATTERN) | LowercaseFilter() | StopFilter(minsize=3)


def field_lang(lang: str) -> str:
    """The analysed-field suffix used for text in `lang`."""
    return lang if lang in STEMMED_LANGUAGES else "other"


def analyse(text: str, lang: str) -> list[str]:
    """The index terms that `text` in `lang` produces (the same as analyzer_for(), much faster)."""
    terms_of = _word_terms(field_lang(lang))
    found: list[str] = []
    for word, _, _ in word_spans(text):
        found.extend(terms_of(word.lower()))
    return found


def query_terms(text: str, lang: str, identifiers: bool = True) -> list[str]:
    """The terms a query looks for: those of analyse(), an identifier standing for its parts (the
    index holds it right after them, so a phrase "Retry-After header" is two adjacent terms); with
    `identifiers` False, the parts alone (for an identifier the index does not hold as typed)."""
    terms_of = _word_terms(field_lang(lang))
    found: list[tuple[str, int]] = []
    for word, start, _ in word_spans(text):
        if _is_identifier(word):
            if not identifiers:
                continue
            while found and found[-1][1] >= start:
                found.pop()  # a part of this identifier
        found.extend((term, start) for term in terms_of(word.lower()))
    return [term for term, _ in found]


def _is_identifier(word: str) -> bool:
    return bool(_identifier_pattern().fullmatch(word))


def vocabulary_words(text: str) -> list[str]:
    """The distinct words of `text` for spelling suggestions, in order (as word_analyzer() finds them)."""
    stop_words = _vocabulary_stop_words()
    words = (match.group().lower() for match in _vocabulary_pattern().finditer(text))
    return list(dict.fromkeys(word for word in words if len(word) >= 3 and word not in stop_words))


@cache
def _token_pattern() -> re.Pattern[str]:
    return re.compile(TOKEN_PATTERN)


@cache
def _identifier_pattern() -> re.Pattern[str]:
    return re.compile(IDENTIFIER_PATTERN)


@cache
def _vocabulary_pattern() -> re.Pattern[str]:
    return re.compile(VOCABULARY_PATTERN)


@cache
def _vocabulary_stop_words() -> frozenset[str]:
    stop_filter = word_analyzer().items[-1]
    assert isinstance(stop_filter, StopFilter)
    return frozenset(stop_filter.stops)


@cache
def _word_terms(field_suffix: str) -> Callable[[str], tuple[str, ...]]:
    """A memoised word -> terms function for a language: what the analyzer's filters make of a token.

    Every filter after lowercasing (stop words, stemming, accent folding) looks at one token at a
    time, so a word's terms never depend on its neighbours; stemming each distinct word once instead
    of at each occurrence makes analysis 3.6 times faster (500 MDN pages, warm caches on both sides).
    """
    analyzer = analyzer_for(field_suffix)
    filters: list[Composable] = list(getattr(analyzer, "items", []))
    # Drop the tokenizer and the lowercase filter, which analyse() applies itself.
    tail = [item for item in filters[1:] if not isinstance(item, LowercaseFilter)]
    remembered: dict[str, tuple[str, ...]] = {}

    def terms_of(word: str) -> tuple[str, ...]:
        terms = remembered.get(word)
        if terms is None:
            token = Token(positions=False, chars=False, removestops=True, mode="index")
            token.text, token.stopped, token.boost, token.pos = word, False, 1.0, 0
            stream = iter([token])
            for item in tail:
                stream = item(stream)
            terms = tuple(t.text for t in stream)
            if len(remembered) >= MAX_REMEMBERED_WORDS:
                remembered.clear()
            remembered[word] = terms
        return terms

    return terms_of


def is_stop_word(word: str) -> bool:
    """True when some stemmed language's analysis drops `word` entirely (a stop word there)."""
    return any(not analyse(word, lang) for lang in STEMMED_LANGUAGES)
