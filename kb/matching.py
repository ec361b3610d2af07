"""Find a question's concepts in passage text: weighted concepts, their recognisers, sentence spans."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from kb.analysis import analyse, analyzer_for, field_lang
from kb.models import Hit
from kb.question import Concept, fold
from kb.text import split_sentences

ANALYSED = ("en", "fr", "other")
#: A concept found only as a one-letter typo ("ERAMUS" for "Erasmus") or as a cognate in the other
#: language ("internationaux" for "international") counts for this much.
FUZZY_CREDIT = 0.8
#: Cognates share a prefix at least this long, covering at least COGNATE_SHARE of the shorter word.
COGNATE_PREFIX = 7
COGNATE_SHARE = 0.8

Tokens = tuple[tuple[str, int, int], ...]


@dataclass
class WeightedConcept:
    """A question concept with its weight, its expansions and whether an answer must hold it."""

    concept: Concept
    weight: float
    expansions: list[str] = field(default_factory=list)
    key: bool = False  # an answer sentence (or its heading) must hold it
    document_frequency: int = 0
    idf: float = 0.0  # rarity in the index, unbounded (weight is bounded for scoring)


@dataclass(frozen=True)
class ConceptPattern:
    """How to recognise one concept in analysed text."""

    weight: float
    key: bool
    role: str
    sequences: dict[str, tuple[tuple[str, ...], ...]]  # field language -> analysed word sequences
    bags: dict[str, tuple[frozenset[str], ...]]  # multi-word terms whose words may come in any order
    typed: tuple[str, ...]  # folded single words as typed, for typo tolerance
    idf: float = 0.0


def patterns_for(concepts: Sequence[WeightedConcept]) -> list[ConceptPattern]:
    """The recognisers of each concept: its words and expansions analysed in every field language."""
    patterns = []
    for weighted in concepts:
        terms = list(dict.fromkeys(weighted.concept.terms + weighted.expansions))
        sequences: dict[str, tuple[tuple[str, ...], ...]] = {}
        bags: dict[str, tuple[frozenset[str], ...]] = {}
        for lang in ANALYSED:
            analysed = [tuple(analyse(term, lang)) for term in terms]
            sequences[lang] = tuple(dict.fromkeys(seq for seq in analysed if seq))
            bags[lang] = tuple(frozenset(seq) for seq in sequences[lang] if len(seq) > 1)
        typed = tuple(fold(term) for term in weighted.concept.terms if " " not in term and len(term) >= 6)
        patterns.append(ConceptPattern(weighted.weight, weighted.key, weighted.concept.role, sequences, bags,
                                       typed, weighted.idf))
    return patterns


def highlight_terms(concepts: Sequence[WeightedConcept]) -> dict[str, set[str]]:
    """The analysed terms of every concept and expansion, per field language, for highlighting."""
    terms: dict[str, set[str]] = {lang: set() for lang in ANALYSED}
    for pattern in patterns_for(concepts):
        for lang, sequences in pattern.sequences.items():
            for sequence in sequences:
                terms[lang].update(sequence)
    return terms


def sentence_spans(hit: Hit) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence of the passage in its text, cached: passages recur across questions."""
    return _spans(hit.text, hit.lang)


@lru_cache(maxsize=8192)
def _spans(text: str, lang: str) -> tuple[tuple[int, int], ...]:
    spans = []
    cursor = 0
    for sentence in split_sentences(text, lang):
        start = text.find(sentence, cursor)
        if start < 0:  # the splitter changed the text (it should not): fall back on a search from 0
            start = max(0, text.find(sentence))
        spans.append((start, start + len(sentence)))
        cursor = start + len(sentence)
    return tuple(spans)


@lru_cache(maxsize=16384)
def analysed(text: str, lang: str) -> Tokens:
    """(term, start, end) of each word of `text` as the index analyses it."""
    analyzer = analyzer_for(field_lang(lang))
    return tuple((token.text, token.startchar, token.endchar) for token in analyzer(text, chars=True))


def _near_miss(word: str, typed: str) -> bool:
    """A one-letter typo of the typed word, or its cognate ("universités" / "universities")."""
    prefix = len(os.path.commonprefix([word, typed]))
    if prefix >= COGNATE_PREFIX and prefix >= COGNATE_SHARE * min(len(word), len(typed)):
        return True
    return _within_one_edit(word, typed)


def _within_one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` differ by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
                                           and a[i + 2:] == b[i + 2:])
    return a[i:] == b[i + 1:]


def find(pattern: ConceptPattern, tokens: Sequence[tuple[str, int, int]], text: str, lang: str,
         ) -> tuple[float, list[tuple[int, int]]]:
    """Credit (1, fuzzy or 0) for a concept in analysed text, with the character spans it matched."""
    terms = [term for term, _, _ in tokens]
    key = field_lang(lang)
    for sequence in pattern.sequences.get(key, ()):
        size = len(sequence)
        for index in range(len(terms) - size + 1):
            if tuple(terms[index:index + size]) == sequence:
                return 1.0, [(tokens[index][1], tokens[index + size - 1][2])]
    present = set(terms)
    for bag in pattern.bags.get(key, ()):
        if bag <= present:
            return 1.0, [(start, end) for term, start, end in tokens if term in bag]
    if pattern.typed and pattern.role in ("content", "name"):
        for _, start, end in tokens:
            word = fold(text[start:end])
            if len(word) >= 6 and any(_near_miss(word, typed) for typed in pattern.typed):
                return FUZZY_CREDIT, [(start, end)]
    return 0.0, []


def found_in(patterns: Sequence[ConceptPattern], text: str, lang: str) -> set[int]:
    """Indexes of the patterns found in `text`."""
    tokens = analysed(text, lang)
    return {index for index, pattern in enumerate(patterns) if find(pattern, tokens, text, lang)[0] > 0}


_CODE_LINE = re.compile(r"^\s*(?://|/\*|\*/|#!|<!--|<[a-zA-Z/!][^>]*>\s*$)|[;{}]\s*$|^\s*[}\])]")


def looks_like_code(text: str) -> bool:
    """True for a line of program code or markup rather than prose: symbols where prose has words."""
    stripped = text.strip().removeprefix("•").strip()
    if not stripped:
        return False
    if _CODE_LINE.search(stripped):
        return True
    letters = sum(char.isalpha() for char in stripped)
    symbols = sum(char in "{}[]();=<>/*+|&$`\\" for char in stripped)
    return letters == 0 or symbols / max(letters, 1) > 0.15
