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
#: A synonym or translation (glossary, lexicon) found for a concept counts for this much: it may
#: carry another sense of the word.
EXPANSION_CREDIT = 0.75
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
    """How to recognise one concept in analysed text: the words typed, then their expansions."""

    weight: float
    key: bool
    role: str
    sequences: dict[str, tuple[tuple[str, ...], ...]]  # field language -> analysed word sequences typed
    expansions: dict[str, tuple[tuple[str, ...], ...]]  # ... of the synonyms and translations
    typed: tuple[str, ...]  # folded single words as typed, for typo tolerance
    idf: float = 0.0

    def all_sequences(self, lang: str) -> tuple[tuple[str, ...], ...]:
        """Every analysed sequence, typed or expanded, of one field language."""
        return self.sequences.get(lang, ()) + self.expansions.get(lang, ())


def _analysed_terms(terms: list[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    found: dict[str, tuple[tuple[str, ...], ...]] = {}
    for lang in ANALYSED:
        found[lang] = tuple(dict.fromkeys(seq for seq in (tuple(analyse(term, lang)) for term in terms) if seq))
    return found


def patterns_for(concepts: Sequence[WeightedConcept]) -> list[ConceptPattern]:
    """The recognisers of each concept: its words and expansions analysed in every field language."""
    patterns = []
    for weighted in concepts:
        typed_terms = list(dict.fromkeys(weighted.concept.terms))
        sequences = _analysed_terms(typed_terms)
        expansions = {lang: tuple(seq for seq in found if seq not in sequences[lang])
                      for lang, found in _analysed_terms(weighted.expansions).items()}
        typed = tuple(fold(term) for term in typed_terms if " " not in term and len(term) >= 6)
        patterns.append(ConceptPattern(weighted.weight, weighted.key, weighted.concept.role, sequences, expansions,
                                       typed, weighted.idf))
    return patterns


def highlight_terms(concepts: Sequence[WeightedConcept]) -> dict[str, set[str]]:
    """The analysed terms of every concept and expansion, per field language, for highlighting."""
    terms: dict[str, set[str]] = {lang: set() for lang in ANALYSED}
    for pattern in patterns_for(concepts):
        for lang in ANALYSED:
            for sequence in pattern.all_sequences(lang):
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
    """Credit for a concept in analysed text (1 for the words typed, less for an expansion, a typo or a
    cognate, 0 when absent), with the character spans it matched."""
    key = field_lang(lang)
    for sequences, credit in ((pattern.sequences.get(key, ()), 1.0), (pattern.expansions.get(key, ()), EXPANSION_CREDIT)):
        spans = _find_sequences(sequences, tokens)
        if spans:
            return credit, spans
    if pattern.typed and pattern.role in ("content", "name"):
        for _, start, end in tokens:
            word = fold(text[start:end])
            if len(word) >= 6 and any(_near_miss(word, typed) for typed in pattern.typed):
                return FUZZY_CREDIT, [(start, end)]
    return 0.0, []


def _find_sequences(sequences: Sequence[tuple[str, ...]], tokens: Sequence[tuple[str, int, int]],
                    ) -> list[tuple[int, int]]:
    """The spans of the first sequence found in order, or of a multi-word one's words in any order."""
    terms = [term for term, _, _ in tokens]
    for sequence in sequences:
        size = len(sequence)
        for index in range(len(terms) - size + 1):
            if tuple(terms[index:index + size]) == sequence:
                return [(tokens[index][1], tokens[index + size - 1][2])]
    present = set(terms)
    for sequence in sequences:
        if len(sequence) > 1 and set(sequence) <= present:
            return [(start, end) for term, start, end in tokens if term in sequence]
    return []


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
