"""Question analysis: language, kind (list or fact), named entities, content concepts, answer type."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from kb.analysis import analyse
from kb.answer_types import (
    HARD_TYPES,
    AnswerType,
    Bound,
    WordKnowledge,
    question_answer_type,
    question_bound,
    type_words,
)
from kb.glossary import Glossary
from kb.language import detect_language
from kb.text import fold
from kb.wordlists import LIST_LANGUAGES, alternation, words

Kind = Literal["list", "fact"]
Role = Literal["content", "light", "place", "name", "number"]


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a word-list literal."""
    return frozenset(text.split())


# The per-language word lists (kb/data/lang/*.toml), both languages at once: a question may mix them.
QUESTION_WORDS = words("question_words")
#: Pronouns joined to the verb of an inverted question, per language, longest first ("-t-il" before "-il").
_INVERSION_CLITICS = {lang: sorted(words("inversion_clitics", lang), key=len, reverse=True) for lang in LIST_LANGUAGES}
LIGHT_WORDS = words("light_words")
LOCATION_PREPOSITIONS = words("location_prepositions")
YES_NO_OPENERS = words("yes_no_openers")
NEGATION_WORDS = words("negation_cues")
ORGANISATION_WORDS = words("organisation_name_words") | words("generic_organisation_nouns") | words(
    "organisation_nouns")

_GENERIC = frozenset(fold(word) for word in ORGANISATION_WORDS)
_GENERIC_ORGANISATION_NOUNS = frozenset(fold(word) for word in words("generic_organisation_nouns"))
_ORGANISATION_NOUNS = _GENERIC_ORGANISATION_NOUNS | frozenset(fold(word) for word in words("organisation_nouns"))
_NOT_OWN = frozenset(fold(word) for word in words("not_own_organisation_adjectives"))
_NAME_LINKS = words("name_links")
#: A word, joined by hyphens ("box-sizing") or dots before a letter ("Promise.any": an identifier).
_TOKEN = re.compile(r"[^\W_]\w*(?:(?:[-+&]|\.(?=[^\W\d_]{2}))[^\W_]\w*)*\+?")
_ELISIONS = frozenset({"s", "l", "d", "j", "m", "n", "t", "qu", "c"})
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]*[A-Z0-9]$")
_NUMBER = re.compile(r"\d")
_FRENCH_HINTS = words("language_hints", "fr")
_ENGLISH_HINTS = words("language_hints", "en")


# A list question: "(preposition) which/what (of the) + a plural noun", "list (all) the X" (word lists
# in kb/data/lang: name_prepositions, name_question_words, list_question_fillers, list_verbs...).
_LIST_OPENING = re.compile(
    rf"^(?:(?:{alternation(words('name_prepositions'))})\s+)?"
    rf"(?:(?P<wh>{alternation(words('name_question_words'))})\s+(?:(?:{alternation(words('list_question_fillers'))})\s*)?"
    rf"|(?P<verb>{alternation(words('list_verbs'))})\s+(?:(?:{alternation(words('list_quantifiers'))})\s+)?"
    rf"(?P<article>(?:{alternation(words('definite_articles'))})\s+)?)",
    re.IGNORECASE)
#: Languages whose noun phrases put the noun first ("quelles universités canadiennes").
_HEAD_FIRST = [lang for lang in LIST_LANGUAGES if "first" in words("noun_phrase_head", lang)]
_PLURAL_MARKERS = frozenset(fold(word) for word in words("plural_markers"))
#: English words ending in "s" that are not plurals.
_SINGULAR_S = re.compile(r"(?:ss|us|is|ics)$")
#: Words a noun phrase of a list question may hold before its noun ("which two schools").
_NOUN_PHRASE_WORDS = 3
@dataclass(frozen=True)
class KnownEntity:
    """An organisation of the index (its `school` value) and the names a question may call it by."""

    name: str
    variants: tuple[str, ...]


@dataclass
class Concept:
    """One idea of the question: the words typed for it (synonyms of each other) and their role."""

    terms: list[str]
    role: Role = "content"
    start: int = 0  # index of its first and last word among the question's words, for adjacency
    end: int = 0

    @property
    def text(self) -> str:
        """The first term, as typed."""
        return self.terms[0]


@dataclass
class QuestionAnalysis:
    """What a question asks, as plain data."""

    text: str
    lang: str
    kind: Kind
    entities: list[str] = field(default_factory=list)  # canonical names of the organisations named
    concepts: list[Concept] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    answer_type: AnswerType | None = None
    bound: Bound | None = None  # "upper" for "the largest file", "lower" for "the shortest password"
    yes_no: bool = False
    negated: bool = False
    predicate: str | None = None  # list questions: what the organisations share, as asked
    plural: bool = True  # list questions: whether the organisation noun was plural
    list_noun: str | None = None  # list questions: what is listed ("values", "schools")
    list_of_organisations: bool = False  # list questions: the organisations of the index are listed

    @property
    def hard_type(self) -> AnswerType | None:
        """The answer type a sentence must show, if any."""
        return self.answer_type if self.answer_type in HARD_TYPES else None


def _is_acronym(word: str) -> bool:
    return bool(_ACRONYM.match(word)) and sum(char.isalpha() for char in word) >= 2


def entity_catalogue(schools: Iterable[str], titles: Iterable[tuple[str, str | None]]) -> list[KnownEntity]:
    """Known organisations with their name variants, from the index's school values and page titles."""
    candidates: dict[str, set[str]] = {}
    for school in schools:
        if school.strip():
            candidates[school] = _name_variants(school)
    for title, school in titles:
        if school in candidates and title:
            candidates[school] |= _title_variants(title, candidates[school])
    owners: dict[str, set[str]] = {}
    for school, variants in candidates.items():
        for variant in variants:
            owners.setdefault(fold(variant), set()).add(school)
    entities = []
    for school, variants in candidates.items():
        # A variant two organisations share names neither; the full name always stays.
        kept = {variant for variant in variants if len(owners[fold(variant)]) == 1 or variant == school}
        entities.append(KnownEntity(school, tuple(sorted(kept, key=lambda v: (-len(v), v)))))
    return sorted(entities, key=lambda entity: entity.name)


def _name_variants(name: str) -> set[str]:
    """The name, its parenthesised parts, leading acronym or distinctive first word, and initials."""
    variants = {name.strip()}
    variants.update(part.strip() for part in re.findall(r"\(([^)]+)\)", name))
    outside = re.sub(r"\s*\([^)]*\)\s*", " ", name).strip()
    variants.add(outside)
    words = outside.split()
    if len(words) >= 2:
        first = words[0]
        # "ISA Lille" -> "ISA"; "Northbridge Institute of Technology" -> "Northbridge".
        if _is_acronym(first) or (first[:1].isupper() and len(first) >= 4 and fold(first) not in _GENERIC):
            variants.add(first)
    # "Mines de Castelnau": after a generic head, the place names the school.
    if len(words) == 3 and fold(words[0]) in _GENERIC and fold(words[1]) in _NAME_LINKS \
            and words[2][:1].isupper() and len(words[2]) >= 4:
        variants.add(words[2])
    # "Northbridge Institute of Technology" -> "NIT", when every meaningful word is capitalised.
    meaningful = [word for word in words if fold(word) not in _NAME_LINKS]
    if len(meaningful) >= 3 and all(word[:1].isupper() for word in meaningful):
        variants.add("".join(word[0] for word in meaningful).upper())
    return {variant for variant in variants if len(variant) >= 2}


def _title_variants(title: str, variants: set[str]) -> set[str]:
    """Longer names a page title gives an organisation: "Full Name (ACR)", "ENSTA Paris"."""
    found = set()
    for variant in variants:
        before = re.search(rf"([^|:()–—]+?)\s*\({re.escape(variant)}\)", title)
        if before:
            full = re.split(r"\s[-–—]\s", before.group(1))[-1].strip()
            if len(full.split()) >= 2 and full[:1].isupper():
                found.add(full)
    words = re.findall(r"[\w&.-]+|['’]s\b|\S", title)
    folded_variants = {fold(variant) for variant in variants}
    for index, word in enumerate(words):
        if fold(word) not in folded_variants:
            continue
        # The name with one capitalised, non-generic neighbour: "ISA Lille", "ESME Sudria".
        for neighbour in (index - 1, index + 1):
            if 0 <= neighbour < len(words):
                other = words[neighbour]
                if other[:1].isupper() and other.isalpha() and fold(other) not in _GENERIC:
                    found.add(f"{other} {word}" if neighbour < index else f"{word} {other}")
    return found


@dataclass
class _Token:
    text: str
    start: int
    end: int


def _without_clitic(word: str, lang: str) -> str:
    """The verb of an inverted question ("peut-il" -> "peut", "accueille-t-elle" -> "accueille")."""
    lowered = word.lower()
    for clitic in _INVERSION_CLITICS.get(lang, ()):
        if lowered.endswith(clitic) and len(word) > len(clitic) + 1:
            return word[: len(word) - len(clitic)]
    return word


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if word.lower() in _ELISIONS and (before in "'’" or after in "'’"):
            continue
        tokens.append(_Token(word, match.start(), match.end()))
    return tokens


def question_language(text: str) -> str:
    """"fr" or "en": function words decide, the language detector breaks ties."""
    words = [token.text.lower() for token in _tokens(text)]
    french = sum(word in _FRENCH_HINTS for word in words) + 2 * ("'" in text and bool(re.search(
        r"\b[ldjqu]+['’]\w", text, re.IGNORECASE)))
    english = sum(word in _ENGLISH_HINTS for word in words)
    if french != english:
        return "fr" if french > english else "en"
    lang = detect_language(text)[0]
    return "fr" if lang == "fr" else "en"


def _entity_spans(text: str, entities: Sequence[KnownEntity]) -> list[tuple[int, int, str]]:
    """Where the question names a known organisation: (start, end, canonical name), longest first."""
    folded = fold(text)
    options = sorted(((variant, entity.name) for entity in entities for variant in entity.variants),
                     key=lambda pair: -len(pair[0]))
    spans: list[tuple[int, int, str]] = []
    for variant, name in options:
        pattern = re.escape(fold(variant)) if len(variant) > 2 else None
        haystack, needle = (folded, pattern) if pattern else (text, re.escape(variant))
        for match in re.finditer(rf"(?<![\w]){needle}(?![\w+])", haystack):
            if all(match.end() <= start or match.start() >= end for start, end, _ in spans):
                spans.append((match.start(), match.end(), name))
    return sorted(spans)


def _glossary_phrase_spans(text: str, glossary: Glossary | None) -> list[tuple[int, int, str]]:
    """Multi-word glossary terms in the question ("dual degree", "have to"), longest first."""
    if glossary is None:
        return []
    folded = fold(text).replace("’", "'")
    spans: list[tuple[int, int, str]] = []
    for phrase in sorted(set(glossary.phrases()), key=len, reverse=True):
        for match in re.finditer(rf"(?<!\w){re.escape(fold(phrase))}(?!\w)", folded):
            if all(match.end() <= start or match.start() >= end for start, end, _ in spans):
                spans.append((match.start(), match.end(), text[match.start():match.end()]))
    return spans


def _is_title_case(tokens: list[_Token]) -> bool:
    words = [token.text for token in tokens if token.text[:1].isalpha()]
    return len(words) >= 4 and sum(word[:1].isupper() for word in words) >= 0.6 * len(words)


def _role(token: _Token, index: int, tokens: list[_Token], title_case: bool) -> Role:
    word = token.text
    if "." in word:
        return "name"  # "promise.any": an identifier, however it is cased
    if _NUMBER.search(word) and not _is_acronym(word):
        return "number"
    if word.lower() in LIGHT_WORDS:
        return "light"
    capitalised = _is_acronym(word.rstrip("+")) or (word[:1].isupper() and index > 0 and not title_case)
    if not capitalised:
        return "content"
    # A capitalised run ("the United States") takes the role of the preposition before its first word.
    first = index
    while first > 0 and (tokens[first - 1].text[:1].isupper() or tokens[first - 1].text.lower() in {"the", "la",
                                                                                                 "le", "les"}):
        first -= 1
    if first > 0 and tokens[first - 1].text.lower() in LOCATION_PREPOSITIONS:
        return "place"
    return "name"


def _content_key(word: str, lang: str) -> tuple[str, ...]:
    """The word's analysed form in the question's language: empty for that language's stop words."""
    return tuple(analyse(word, lang))


def _concepts(text: str, lang: str, skip: list[tuple[int, int]], glossary: Glossary | None) -> list[Concept]:
    """The question's ideas in order: glossary phrases first, then its remaining content words."""
    tokens = _tokens(text)
    title_case = _is_title_case(tokens)
    phrase_spans = [span for span in _glossary_phrase_spans(text, glossary)
                    if all(span[1] <= start or span[0] >= end for start, end in skip)]
    found: list[Concept] = []
    for start, end, phrase in phrase_spans:
        inside = [index for index, token in enumerate(tokens) if token.start < end and token.end > start]
        if not inside:
            continue
        first = inside[0]
        role = _role(tokens[first], first, tokens, title_case)
        found.append(Concept([phrase], role if role in ("place", "name") else "content", first, inside[-1]))
    seen_keys: set[tuple[str, ...]] = set()
    for index, token in enumerate(tokens):
        if any(token.start < end and token.end > start for start, end in skip):
            continue
        if any(token.start < end and token.end > start for start, end, _ in phrase_spans):
            continue
        word = _without_clitic(token.text.rstrip("+"), lang)
        if word.lower() in QUESTION_WORDS and not _is_acronym(word):
            continue
        if index == 0 and word.lower() in YES_NO_OPENERS:
            continue
        key = _content_key(word, lang)
        if not key or key in seen_keys:
            continue
        seen_keys.add(key)
        found.append(Concept([word], _role(token, index, tokens, title_case), index, index))
    found.sort(key=lambda concept: concept.start)
    concepts: list[Concept] = []
    for concept in found:
        merged = False
        if glossary is not None and concept.role in ("content", "light"):
            equivalents = {fold(term) for term in glossary.equivalents(concept.text)}
            for other in concepts:
                if other.role in ("content", "light") and fold(other.text) in equivalents:
                    other.terms.append(concept.text)
                    merged = True
                    break
        if not merged:
            concepts.append(concept)
    _join_capitalised_runs(concepts, text)
    return concepts


def _join_capitalised_runs(concepts: list[Concept], text: str) -> None:
    """Adjacent names typed as one ("United States", "Director General") become one concept."""
    index = 0
    while index < len(concepts) - 1:
        first, second = concepts[index], concepts[index + 1]
        joined = f"{first.text} {second.text}"
        # Two acronyms side by side ("SSO SAML", "HTTP POST") are two names, in whatever order pages use.
        both_acronyms = _is_acronym(first.text.split()[-1]) and _is_acronym(second.text)
        if first.role == second.role and first.role in ("place", "name") and joined in text and not both_acronyms:
            first.terms, first.end = [joined], second.end
            del concepts[index + 1]
            continue
        index += 1


@dataclass(frozen=True)
class ListForm:
    """What a list question asks for: its noun, the property shared, and where the wh-phrase ends."""

    noun: str
    predicate: str
    plural: bool
    end: int
    organisations: bool  # the noun asks for the knowledge base's organisations ("which schools...")


def _list_form(text: str, entities_named: bool, entities: Sequence[KnownEntity],
               lexicon: WordKnowledge | None = None) -> ListForm | None:
    """The list question's form when `text` asks which things share a property: a plural noun, or a
    noun for the knowledge base's organisations ("Which school has...": a list of one).

    The lexicon's parts of speech tell a verb after a singular noun from a plural
    noun after an adjective: "which label attests" asks for one label, "which partner universities" for several.
    """
    stripped = text.strip()
    opening = _LIST_OPENING.match(stripped)
    if not opening:
        return None
    wh = (opening.group("wh") or "").lower()
    verb = " ".join((opening.group("verb") or "").lower().split())
    # Some languages put the noun first ("quelles universités canadiennes") and show the number on the
    # question word or the article ("quels", "citez les"); English puts it last and marks it on the noun.
    head_first = any(wh in words("name_question_words", lang) or verb in words("list_verbs", lang)
                     for lang in _HEAD_FIRST)
    marked_plural = fold(wh) in _PLURAL_MARKERS or fold((opening.group("article") or "").strip()) in _PLURAL_MARKERS
    noun: _Token | None = None
    adjective = ""
    for token in _tokens(stripped[opening.end():])[:_NOUN_PHRASE_WORDS]:
        word, folded = token.text, fold(token.text)
        if word.lower() in QUESTION_WORDS or word.lower() in YES_NO_OPENERS:
            break
        # French puts the noun first ("quelles universités canadiennes"), English last ("which partner universities").
        if not head_first and lexicon is not None:
            parts = lexicon.parts_of_speech(word)
            if adjective and parts[:1] == ["v"]:
                break  # "which label attests ...": the word before was the noun, this is its verb
            if not adjective and parts and "n" not in parts:
                break  # "what happens if ...": a verb, no noun is asked for
        if head_first or _english_plural(word) or folded in _ORGANISATION_NOUNS:
            noun = token
            break
        adjective = folded
    if noun is None:
        return None
    folded = fold(noun.text)
    plural = marked_plural if head_first else _english_plural(noun.text)
    organisations = (not entities_named and folded in _ORGANISATION_NOUNS and adjective not in _NOT_OWN
                     and _names_organisations(folded, entities))
    if not plural and not organisations:
        return None  # "Quel attribut...", "What status code...": one thing is asked for, a fact
    end = opening.end() + noun.end
    predicate = re.sub(r"^(?:that|which|who|qui|que|qu['’]|où)\s+", "", stripped[end:].strip(), flags=re.IGNORECASE)
    offset = len(text) - len(text.lstrip())
    return ListForm(noun.text, predicate.rstrip(" ?？!.").strip(), plural, offset + end, organisations)


def _english_plural(word: str) -> bool:
    """A lower-case word that reads as an English plural ("values", not "status" nor "CSS")."""
    return word.islower() and len(word) >= 4 and word.endswith("s") and not _SINGULAR_S.search(fold(word))


def _names_organisations(noun: str, entities: Sequence[KnownEntity]) -> bool:
    """True when the noun asks for the index's organisations: a generic organisation noun, or one the
    organisations' own names use ("universities" where they are universities)."""
    if noun in _GENERIC_ORGANISATION_NOUNS:
        return len(entities) >= 2
    stem = noun[:6]
    return any(stem in fold(variant) for entity in entities for variant in entity.variants)


def _is_yes_no(text: str, tokens: list[_Token]) -> bool:
    if not tokens:
        return False
    first = tokens[0].text.lower()
    return first in YES_NO_OPENERS or bool(re.search(r"^\w+-(?:t-)?(?:il|elle|ils|elles|on)\b|^est-ce que",
                                                      text.strip().lower()))


def analyse_question(
    text: str, known_entities: Sequence[KnownEntity] = (), glossary: Glossary | None = None,
    lexicon: WordKnowledge | None = None,
) -> QuestionAnalysis:
    """What `text` asks: language, kind, organisations named, concepts, numbers and answer type.

    `lexicon` (parts of speech, adjectives of measure) reads "which label attests" as one label and
    "the shortest password" as a minimum; without it those readings are not made."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    lang = question_language(text) if text else "en"
    spans = _entity_spans(text, known_entities)
    entities = list(dict.fromkeys(name for _, _, name in spans))
    list_form = _list_form(text, bool(entities), known_entities, lexicon)
    kind: Kind = "list" if list_form else "fact"
    skip = [(start, end) for start, end, _ in spans]
    if list_form and list_form.organisations:
        # "Which schools": the organisation noun is the answer's type, not a property to look for.
        skip.append((0, list_form.end))
    concepts = _concepts(text, lang, skip, glossary)
    tokens = _tokens(text)
    # A list of organisations names them; values and facts may be asked for by "which X" too.
    answer_type = question_answer_type(text, organisations_listed=bool(list_form and list_form.organisations))
    bound, bound_words = question_bound(text, lang, lexicon)
    if list_form and not list_form.organisations and bound and any(
            word in bound_words for word in fold(text[:list_form.end]).replace("’", "'").split()):
        kind, list_form = "fact", None  # "What are the maximum dimensions...": an extreme is one thing
    if bound and answer_type is None:
        answer_type = "quantity"  # "the shortest password": a measure
    asked_type = type_words(answer_type or "") | bound_words
    concepts = [concept for concept in concepts if fold(concept.text) not in asked_type]
    return QuestionAnalysis(
        text=text,
        lang=lang,
        kind=kind,
        entities=entities,
        concepts=concepts,
        numbers=[token.text for token in tokens if token.text.isdigit()],
        answer_type=answer_type,
        bound=bound,
        yes_no=_is_yes_no(text, tokens),
        negated=any(token.text.lower() in NEGATION_WORDS for token in tokens)
        or bool(re.search(r"n['’]t\b", text, re.IGNORECASE)),
        predicate=list_form.predicate if list_form else None,
        plural=list_form.plural if list_form else True,
        list_noun=list_form.noun if list_form else None,
        list_of_organisations=bool(list_form and list_form.organisations),
    )
