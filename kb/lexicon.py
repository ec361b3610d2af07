"""Lexical knowledge from maintained, licensed sources installed beside kb (never fetched at run time).

- English WordNet 3.0 (Debian's `wordnet-base`): synonyms from a word's most frequent senses, and the
  noun an adjective pertains to ("German" -> "Germany");
- FreeDict's English-French and French-English dictionaries (Debian's `dict-freedict-eng-fra` and
  `dict-freedict-fra-eng`): translations, so a question reaches pages in the other language;
- CLDR territory names in English and French (through Babel): "Allemagne" <-> "Germany".

`make install` installs the Debian packages where apt-get may run; without them kb works as before,
with the glossary only (`Lexicon.sources` says what was found). Files are read lazily, once per process.
"""

from __future__ import annotations

import gzip
import mmap
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kb.analysis import analyse

WORDNET_DIR = Path(os.environ.get("KB_WORDNET_DIR", "/usr/share/wordnet"))
FREEDICT_DIR = Path(os.environ.get("KB_FREEDICT_DIR", "/usr/share/dictd"))
#: A word's synonyms come from this many of its most frequent senses per part of speech.
SENSES = 1
#: At most this many related terms per word and source: more are noise, and each one is searched.
MAX_RELATED = 4
#: WordNet nouns under which an adjective's attribute makes it an adjective of measure: "large" has the
#: attribute "size", a kind of "magnitude"; "good" has "quality", which measures nothing.
MEASURES = frozenset({"magnitude", "measure", "fundamental_quantity", "dimension", "amount", "number",
                      "physical_property"})
#: How far up the hypernyms of an attribute a measure may be.
MEASURE_DEPTH = 4
_POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
# WordNet's detachment rules (morphy): how an inflected form reaches its lemma.
_DETACH = {
    "n": (("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y"),
          ("s", "")),
    "v": (("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""), ("s", "")),
    "a": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
    "r": (),
}


@dataclass
class _WordNet:
    """WordNet's index (lemma -> synset offsets, most frequent sense first) and data files."""

    root: Path
    index: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # pos -> lemma -> offsets
    tagged: dict[str, dict[str, int]] = field(default_factory=dict)  # pos -> lemma -> senses seen in corpora
    exceptions: dict[str, dict[str, str]] = field(default_factory=dict)  # pos -> inflected -> lemma
    data: dict[str, mmap.mmap] = field(default_factory=dict)  # pos -> data file, mapped (shared by processes)

    @classmethod
    def load(cls, root: Path) -> _WordNet | None:
        if not (root / "index.noun").exists():
            return None
        wordnet = cls(root)
        for pos, name in _POS_FILES.items():
            lemmas: dict[str, list[int]] = {}
            tagged: dict[str, int] = {}
            with open(root / f"index.{name}", encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    if line.startswith(" "):
                        continue  # the licence header
                    fields = line.split()
                    pointer_count = int(fields[3])
                    sense_count = int(fields[2])
                    first = 6 + pointer_count
                    lemmas[fields[0]] = [int(offset) for offset in fields[first:first + sense_count]]
                    tagged[fields[0]] = int(fields[5 + pointer_count])
            wordnet.index[pos] = lemmas
            wordnet.tagged[pos] = tagged
            exceptions: dict[str, str] = {}
            exception_file = root / f"{name}.exc"
            if exception_file.exists():
                for line in exception_file.read_text(encoding="utf-8", errors="replace").splitlines():
                    parts = line.split()
                    if len(parts) >= 2:
                        exceptions.setdefault(parts[0], parts[1])
            wordnet.exceptions[pos] = exceptions
            with open(root / f"data.{name}", "rb") as handle:
                wordnet.data[pos] = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return wordnet

    def lemmas(self, word: str, pos: str) -> list[str]:
        """The lemmas an English word form may be of, in WordNet's part of speech `pos`."""
        word = word.lower().replace(" ", "_")
        found = [word] if word in self.index[pos] else []
        if word in self.exceptions[pos]:
            found.append(self.exceptions[pos][word])
        for suffix, ending in _DETACH[pos]:
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                base = word[: len(word) - len(suffix)] + ending
                if base in self.index[pos]:
                    found.append(base)
        return list(dict.fromkeys(lemma for lemma in found if lemma in self.index[pos]))

    def synset(self, pos: str, offset: int) -> tuple[list[str], list[tuple[str, str, int, int]]]:
        """A synset's words and its pointers (symbol, pos, offset, target word number)."""
        data = self.data[pos]
        end = data.find(b"\n", offset)
        fields = data[offset:end].decode("utf-8", errors="replace").split(" | ")[0].split()
        count = int(fields[3], 16)
        words = [fields[4 + 2 * index] for index in range(count)]
        at = 4 + 2 * count
        pointers = []
        for _ in range(int(fields[at])):
            symbol, target, target_pos, source_target = fields[at + 1:at + 5]
            pointers.append((symbol, "a" if target_pos == "s" else target_pos, int(target), int(source_target, 16) & 0xFFFF))
            at += 4
        return words, pointers


def _lemma_text(lemma: str) -> str:
    return re.sub(r"\(\w+\)$", "", lemma).replace("_", " ")


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _dictd_number(text: str) -> int:
    """A dictd index number (base 64, most significant digit first)."""
    value = 0
    for char in text:
        value = value * 64 + _B64.index(char)
    return value


def _dictionary(path: Path) -> dict[str, list[str]]:
    """A FreeDict dictd dictionary: headword -> its translations, most common first."""
    index = path.with_suffix("").with_suffix(".index")
    if not path.exists() or not index.exists():
        return {}
    text = gzip.decompress(path.read_bytes())
    entries: dict[str, list[str]] = {}
    for line in index.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or parts[0].startswith("00"):
            continue
        start, length = _dictd_number(parts[1]), _dictd_number(parts[2])
        body = text[start:start + length].decode("utf-8", errors="replace").split("\n")[1:]
        for definition in body:
            definition = re.sub(r"^\s*\d+\.\s*", "", definition).strip()
            for translation in re.sub(r"\([^)]*\)", "", definition).split(","):
                translation = translation.strip()
                if translation and len(translation.split()) <= 3 and not translation.startswith("-"):
                    entries.setdefault(parts[0].lower(), []).append(translation)
    return entries


@dataclass
class Lexicon:
    """Related terms of a word (synonyms, translations, territory names), from what is installed."""

    wordnet: _WordNet | None = None
    english_french: dict[str, list[str]] = field(default_factory=dict)
    french_english: dict[str, list[str]] = field(default_factory=dict)
    territories: dict[str, list[str]] = field(default_factory=dict)  # a name in one language -> the other's
    sources: list[str] = field(default_factory=list)
    _stems: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # lang -> stem -> headwords

    def synonyms(self, word: str) -> list[str]:
        """English synonyms from the word's most frequent senses, and the nouns its adjectives pertain to."""
        if self.wordnet is None or not word.isascii():
            return []
        wordnet = self.wordnet
        readings = [(pos, lemma) for pos in _POS_FILES for lemma in wordnet.lemmas(word, pos)]
        # The word's commonest part of speech (by the senses corpora show of it): "give" is a verb.
        readings.sort(key=lambda reading: -wordnet.tagged[reading[0]].get(reading[1], 0))
        found: list[str] = []
        for rank, (pos, lemma) in enumerate(readings):
            for offset in wordnet.index[pos][lemma][:SENSES]:
                words, pointers = wordnet.synset(pos, offset)
                if rank == 0:
                    found += [_lemma_text(other) for other in words if other.lower() != lemma]
                if pos == "a":
                    found += list(self._pertainyms(lemma, words, pointers))
        return _distinct(found, word)

    def _pertainyms(self, lemma: str, words: list[str], pointers: list[tuple[str, str, int, int]]) -> Iterator[str]:
        assert self.wordnet is not None
        source = next((number for number, other in enumerate(words, 1) if other.lower() == lemma), 0)
        for symbol, pos, offset, source_target in pointers:
            if symbol == "\\" and (source_target >> 8 in (0, source)):
                targets, _ = self.wordnet.synset(pos, offset)
                number = source_target & 0xFF
                yield from (_lemma_text(target) for index, target in enumerate(targets, 1)
                            if number in (0, index))

    def parts_of_speech(self, word: str) -> list[str]:
        """WordNet's parts of speech ("n", "v", "a", "r") an English word form may have, the commonest
        in tagged corpora first ("tells": verb, then noun); empty when unknown."""
        if self.wordnet is None or not word.isascii():
            return []
        wordnet = self.wordnet
        counts = {pos: max((wordnet.tagged[pos].get(lemma, 0) for lemma in lemmas), default=0)
                  for pos in _POS_FILES if (lemmas := wordnet.lemmas(word, pos))}
        return sorted(counts, key=lambda pos: -counts[pos])

    def measure_scale(self, adjective: str, lang: str) -> str | None:
        """The English adjective of measure that `adjective` (any inflection; French through its
        translations) is: "large" for "largest", "short" for "courte"; None when it measures nothing."""
        if self.wordnet is None:
            return None
        if lang == "fr":
            return next((scale for form in _french_adjective_forms(adjective.lower())
                         for english in self.translations(form, "fr")
                         if " " not in english and (scale := self.measure_scale(english, "en"))), None)
        if lang != "en" or not adjective.isascii():
            return None
        return next((lemma for lemma in self.wordnet.lemmas(adjective, "a") if self._measures(lemma)), None)

    def _measures(self, lemma: str) -> bool:
        """Whether the adjective's commonest senses have an attribute that is a measure (WordNet's "=")."""
        assert self.wordnet is not None
        wordnet = self.wordnet
        for offset in wordnet.index["a"][lemma][:2]:
            for symbol, pos, target, _ in wordnet.synset("a", offset)[1]:
                if symbol != "=":
                    continue
                node = (pos, target)
                for _ in range(MEASURE_DEPTH + 1):
                    words, pointers = wordnet.synset(*node)
                    if MEASURES & {word.lower() for word in words}:
                        return True
                    hypernyms = [(p, o) for s, p, o, _ in pointers if s == "@"]
                    if not hypernyms:
                        break
                    node = hypernyms[0]
        return False

    def translations(self, word: str, lang: str) -> list[str]:
        """The word's translations into the other language (`lang` is the word's own: "en" or "fr")."""
        table = self.english_french if lang == "en" else self.french_english if lang == "fr" else {}
        key = word.lower()
        found = list(table.get(key, []))
        if not found and table:
            # An inflected form ("renvoie", "removes"): the headwords of the same stem.
            for headword in self._headwords_by_stem(lang, table).get(_stem(key, lang), []):
                found += table[headword]
        return _distinct(found + self.territories.get(key, []), word)

    def _headwords_by_stem(self, lang: str, table: dict[str, list[str]]) -> dict[str, list[str]]:
        """A dictionary's headwords by stem, built on first use."""
        if lang not in self._stems:
            stems: dict[str, list[str]] = {}
            for headword in table:
                stems.setdefault(_stem(headword, lang), []).append(headword)
            self._stems[lang] = stems
        return self._stems[lang]

    def related(self, word: str, lang: str) -> list[str]:
        """Synonyms (English) and translations of a word typed in `lang`, at most MAX_RELATED of each."""
        synonyms = self.synonyms(word)[:MAX_RELATED] if lang == "en" else []
        # A country reached through its adjective has its other-language name too: German -> Germany -> Allemagne.
        places = [name for synonym in synonyms for name in self.territories.get(synonym.lower(), [])]
        return _distinct(synonyms + places + self.translations(word, lang)[:MAX_RELATED], word)


def _french_adjective_forms(word: str) -> list[str]:
    """The word and its masculine singular by French's regular endings ("petites" -> "petit",
    "longue" -> "long", "basse" -> "bas"): dictionaries list adjectives under that form."""
    forms = [word]
    singular = word[:-1] if word.endswith("s") and len(word) > 3 else word
    for ending, replacement in (("sse", "s"), ("ue", ""), ("e", "")):
        if singular.endswith(ending) and len(singular) > len(ending) + 1:
            forms.append(singular[: len(singular) - len(ending)] + replacement)
            break
    forms.append(singular)
    return list(dict.fromkeys(forms))


def _stem(word: str, lang: str) -> str:
    return " ".join(analyse(word, lang))


def _distinct(terms: list[str], word: str) -> list[str]:
    seen = {word.lower()}
    kept = []
    for term in terms:
        key = term.lower()
        if key not in seen:
            seen.add(key)
            kept.append(term)
    return kept


def _territories() -> dict[str, list[str]]:
    """Country and region names in English and French, each leading to the other (CLDR, by Babel)."""
    try:
        from babel import Locale
    except ImportError:  # pragma: no cover - babel is a dependency; kept optional for a minimal install
        return {}
    english, french = Locale("en").territories, Locale("fr").territories
    pairs: dict[str, list[str]] = {}
    for code, name in english.items():
        other = french.get(code)
        if code.isalpha() and other and other.lower() != name.lower():
            pairs.setdefault(name.lower(), []).append(other)
            pairs.setdefault(other.lower(), []).append(name)
    return pairs


@cache
def load_lexicon() -> Lexicon:
    """The lexicon of what is installed (read once per process); none when KB_LEXICON is "off"."""
    lexicon = Lexicon()
    if os.environ.get("KB_LEXICON", "").lower() == "off":
        lexicon.sources.append("none (KB_LEXICON=off)")
        return lexicon
    lexicon.wordnet = _WordNet.load(WORDNET_DIR)
    if lexicon.wordnet is not None:
        lexicon.sources.append(f"WordNet ({WORDNET_DIR})")
    lexicon.english_french = _dictionary(FREEDICT_DIR / "freedict-eng-fra.dict.dz")
    lexicon.french_english = _dictionary(FREEDICT_DIR / "freedict-fra-eng.dict.dz")
    if lexicon.english_french or lexicon.french_english:
        lexicon.sources.append(f"FreeDict eng-fra/fra-eng ({FREEDICT_DIR})")
    lexicon.territories = _territories()
    if lexicon.territories:
        lexicon.sources.append("CLDR territory names (Babel)")
    return lexicon
