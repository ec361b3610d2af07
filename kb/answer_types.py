"""Answer types: which kind of value a question asks for, and where a sentence shows one.

A question's cue phrases come from the language data files (kb/data/lang/*.toml); currencies and
time units from CLDR through Babel, so "2 heures", "3 wks" and "40 CHF" are values without a list
written here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Literal, Protocol

from babel import Locale
from babel.numbers import get_currency_name, get_territory_currencies
from babel.units import format_unit

from kb.text import fold
from kb.wordlists import LIST_LANGUAGES, alternation, words

Bound = Literal["upper", "lower"]


class WordKnowledge(Protocol):
    """What question analysis asks of a lexicon (kb.lexicon.Lexicon is one)."""

    def parts_of_speech(self, word: str) -> list[str]:
        """A word's parts of speech ("n", "v", "a", "r"), commonest first; empty when unknown."""
        ...

    def measure_scale(self, adjective: str, lang: str) -> str | None:
        """The English adjective of measure a word is or translates to ("large" for "largest"), if any."""
        ...


AnswerType = Literal["percent", "money", "duration", "number", "quantity", "clock", "year", "date", "person",
                     "place", "reason", "name"]

#: Answer types a sentence must show to answer the question at all ("how many" needs a number).
HARD_TYPES = frozenset({"percent", "money", "duration", "number", "clock", "year"})
#: Types announced by cue phrases, tried in this order ("how many hours" is a duration, not a number).
CUED_TYPES: tuple[AnswerType, ...] = ("percent", "money", "duration", "number", "quantity", "clock", "year", "date",
                                      "person", "place", "reason")
#: Where a question's own wh-word may stand: at its start, or after a clause ("My site is down — which header...").
CLAUSE_BREAK = r"(?:[,;:—–?]\s*|[.!]\s+|\s-\s)"
CLAUSE_START = rf"(?:^|{CLAUSE_BREAK})"
#: CLDR's time units whose names and abbreviations make a duration.
DURATION_UNITS = ("millisecond", "second", "minute", "hour", "day", "week", "month", "year")
_YEAR = re.compile(r"(?<![\w.,])(?:1[5-9]\d\d|20\d\d)(?![\w%])")
_CAPITALISED = re.compile(r"(?<![\w'’])(?:[A-ZÀ-Ý][\w&+-]*)")
_NAME = r"[A-ZÀ-Ý][a-zà-ÿ]+(?:[\s-][A-ZÀ-Ý][a-zà-ÿ]+)+"


def _cue_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern for cue phrases on folded text: "…" is any words, a leading "^" a clause start."""
    alternatives = []
    for phrase in phrases:
        at_clause_start = phrase.startswith("^")
        parts = [r"\s+".join(re.escape(word) for word in fold(part).split()) for part in phrase.lstrip("^").split("…")]
        body = r"\b.*?\b".join(part for part in parts if part)
        # Not inside an identifier: "max-width" holds no "max".
        alternatives.append((CLAUSE_START if at_clause_start else r"(?<![\w-])") + f"(?:{body})" + r"(?![\w-])")
    return re.compile("|".join(alternatives)) if alternatives else None


@cache
def _cues() -> dict[str, re.Pattern[str] | None]:
    return {answer_type: _cue_pattern(words(f"{answer_type}_cues")) for answer_type in CUED_TYPES}


@cache
def _name_question() -> re.Pattern[str]:
    """"which/what + a noun" (after a preposition or not), unless a verb follows the question word."""
    return re.compile(
        rf"{CLAUSE_START}(?:(?:{alternation(words('name_prepositions'))})\s+)?"
        rf"(?:{alternation(words('name_question_words'))})\s+(?!(?:{alternation(words('name_blocking_verbs'))})\b)"
        r"[\w'-]+")


@cache
def _later_question() -> re.Pattern[str]:
    """A question word opening a clause after the first ("When my API answers 405, which header...")."""
    interrogatives = alternation(fold(word) for word in words("interrogatives"))
    return re.compile(rf"{CLAUSE_BREAK}(?:(?:{alternation(words('name_prepositions'))})\s+)?"
                      rf"(?:{interrogatives})(?![\w-])")


def _asking_clause(text: str) -> str:
    """The clause that asks: from the last question word that opens a clause after the first one,
    since what comes before it ("When my API answers 405", "My site is down") sets the scene."""
    matches = list(_later_question().finditer(fold(text)))
    return text[matches[-1].start():].lstrip(",;:—–?.! -") if matches else text


@cache
def duration_unit_words() -> frozenset[str]:
    """Names and abbreviations of time units in every language (CLDR's, and the data files' extras)."""
    found: set[str] = set(words("extra_duration_units"))
    for lang in LIST_LANGUAGES:
        for unit in DURATION_UNITS:
            for count in (1, 2):
                for length in ("long", "short"):
                    text = format_unit(count, f"duration-{unit}", locale=lang, length=length)
                    found.update(part.rstrip(".") for part in text.split() if not part[0].isdigit())
    return frozenset(word.casefold() for word in found if word)


@cache
def calendar_words() -> tuple[frozenset[str], frozenset[str]]:
    """Month and weekday names, wide and abbreviated, in every language (CLDR, through Babel)."""
    months: set[str] = set()
    weekdays: set[str] = set()
    for lang in LIST_LANGUAGES:
        locale = Locale.parse(lang)
        for width in ("wide", "abbreviated"):
            months.update(name.rstrip(".") for name in locale.months["format"][width].values())
            weekdays.update(name.rstrip(".") for name in locale.days["format"][width].values())
    # Short forms that are everyday words ("may", "mar", "sun") name no day by themselves.
    return (frozenset(name for name in months if len(name) >= 3),
            frozenset(name for name in weekdays if len(name) >= 4 or name[:1].isupper()))


@cache
def currency_words() -> tuple[frozenset[str], frozenset[str]]:
    """Words for the currencies in use ("euros", "dollars") and their signs ("€", "CA$", "USD"), from CLDR."""
    current: set[str] = set()
    for territory in Locale.parse("en").territories:
        current.update(get_territory_currencies(territory, tender=True, non_tender=False))
    names: set[str] = set()
    signs: set[str] = set(current)
    for lang in LIST_LANGUAGES:
        symbols = Locale.parse(lang).currency_symbols
        signs.update(symbols[code] for code in current if code in symbols)
        head_last = "last" in words("noun_phrase_head", lang)
        for code in current:
            for count in (1, 2):
                # The name's head noun: "dollars" of "US dollars", "livres" of "livres sterling".
                name_words = re.sub(r"\(.*?\)", "", get_currency_name(code, count=count, locale=lang)).split()
                head = name_words[-1 if head_last else 0] if name_words else ""
                if head.islower() and head.isalpha() and len(head) >= 3:
                    names.add(head)
    return frozenset(names), frozenset(signs)


def question_answer_type(text: str, organisations_listed: bool) -> AnswerType | None:
    """The kind of answer `text` asks for, or None when any sentence may answer it."""
    text = _asking_clause(text.strip())
    folded = fold(text).replace("’", "'")
    for answer_type in CUED_TYPES:
        pattern = _cues()[answer_type]
        match = pattern.search(folded) if pattern else None
        if not match:
            continue
        if answer_type == "number":
            # "How many hours", "combien d'euros": the counted noun tells a duration or an amount of money.
            counted = re.match(r"[\s']*(?:de\s+|d')?([\w$€£]+)", folded[match.end():])
            noun = counted.group(1) if counted else ""
            if noun in duration_unit_words():
                return "duration"
            if noun in currency_words()[0]:
                return "money"
        return answer_type
    # A list of organisations names them: "which/what + noun" is then the list's form, not a name asked for.
    if not organisations_listed and _name_question().search(text.strip().lower()):
        return "name"
    return None


@cache
def _bound_cues() -> dict[Bound, re.Pattern[str] | None]:
    return {"upper": _cue_pattern(words("upper_bound_cues")), "lower": _cue_pattern(words("lower_bound_cues"))}


@cache
def _superlative_markers() -> re.Pattern[str]:
    """"the most"/"le plus" and "the least"/"le moins", then the word they grade, on folded text."""
    articles = alternation(fold(word) for word in words("superlative_articles"))
    return re.compile(rf"(?<![\w-])(?:{articles})\s*(?:(?P<greatest>{alternation(words('greatest_markers'))})"
                      rf"|(?P<least>{alternation(words('least_markers'))}))\s+(?P<graded>[\w']+)")


def _flip(bound: Bound) -> Bound:
    return "lower" if bound == "upper" else "upper"


def _pole(scale: str, bound: Bound) -> Bound:
    """The bound a superlative of `scale` asks for: "shortest" (the low end of length) asks for a minimum."""
    return _flip(bound) if scale in words("low_pole_adjectives", "en") else bound


def question_bound(text: str, lang: str, lexicon: WordKnowledge | None = None,
                   ) -> tuple[Bound | None, frozenset[str]]:
    """The bound a question asks for ("the maximum size", "the shortest password", "le plus long
    délai"), with the words that ask it (folded: they say what is asked, they are not a topic)."""
    folded = fold(_asking_clause(text.strip())).replace("’", "'")
    for bound, pattern in _bound_cues().items():
        match = pattern.search(folded) if pattern else None
        if match:
            return bound, frozenset(match.group(0).split())
    if lexicon is None:
        return None, frozenset()
    for match in _superlative_markers().finditer(folded):
        marked: Bound = "upper" if match.group("greatest") else "lower"
        marker, graded = match.group("greatest") or match.group("least"), match.group("graded")
        scale = lexicon.measure_scale(graded, lang)
        if scale:  # "the most expensive", "la plus longue"
            return _pole(scale, marked), frozenset({marker, graded})
        # "the most results", "le plus de résultats": the greatest or least amount of a thing.
        if graded in ("de", "d'") or graded.startswith("d'") or (
                lang == "en" and lexicon.parts_of_speech(graded)[:1] == ["n"]):
            return marked, frozenset({marker})
    if lang == "en":
        for word in re.findall(r"[a-z]+est\b", folded):
            scale = lexicon.measure_scale(word, "en")
            if scale and scale != word:  # "largest", "shortest": an inflected superlative of measure
                return _pole(scale, "upper"), frozenset({word})
    return None, frozenset()


@cache
def _bound_phrases() -> dict[Bound, re.Pattern[str]]:
    """How sentences state each bound, on folded text ("up to 100 MB", "au moins 12 caractères")."""
    return {bound: re.compile(rf"(?<![\w-])(?:{alternation(fold(p) for p in words(f'{bound}_bound_phrases'))})"
                              r"(?![\w-])")
            for bound in ("upper", "lower")}


def states_bound(sentence: str, bound: Bound) -> bool:
    """Whether `sentence` states a bound of that direction ("can be up to 100 MB" is an upper one)."""
    return bool(_bound_phrases()[bound].search(fold(sentence).replace("’", "'")))


@cache
def type_words(answer_type: str) -> frozenset[str]:
    """Words that only say which kind of answer is wanted ("what proportion"), folded."""
    try:
        return frozenset(fold(word) for word in words(f"{answer_type}_type_words"))
    except KeyError:
        return frozenset()


@cache
def _value_patterns() -> dict[str, re.Pattern[str]]:
    """Where a sentence shows a value of each type."""
    number_words = alternation(words("number_words"))
    names, signs = currency_words()
    currency_names = alternation(names)
    # Signs and ISO codes keep their case: "5 ALL" is an amount in leks, "5 all" is not.
    currency_signs = "(?-i:" + "|".join(re.escape(sign) for sign in sorted(signs, key=len, reverse=True)) + ")"
    units = alternation(duration_unit_words())
    months, weekdays = (alternation(names) for names in calendar_words())
    modifiers = alternation(words("duration_modifiers"))
    # "3 weeks", "30s", "two full years", "une semaine".
    counts = (rf"\b\d+(?:[.,]\d+)?[\s-]*|\b(?:{number_words}|{alternation(words('indefinite_articles'))})[\s-]+")
    return {
        "percent": re.compile(rf"\d+(?:[.,]\d+)?\s?(?:%|(?:{alternation(words('percent_words'))})\b)"
                              rf"|\b(?:{alternation(words('fraction_words'))})\b", re.IGNORECASE),
        "money": re.compile(rf"(?:{currency_signs})\s?\d|\d[\d\s.,]*\s?(?:(?:{currency_names})\b|(?:{currency_signs})"
                            r"(?![\w$€£]))", re.IGNORECASE),
        "duration": re.compile(rf"(?:{counts})" + (rf"(?:(?:{modifiers})[\s-]+)?" if modifiers else "")
                               + rf"(?:{units})(?![\w-])", re.IGNORECASE),
        "number": re.compile(rf"(?<![\w.,])\d+(?:[.,\s]\d{{3}})*(?:[.,]\d+)?(?![\w%]|\s?%)|\b(?:{number_words})\b",
                             re.IGNORECASE),
        "year": _YEAR,
        # "1 April", "April 1st", "le 31 octobre", "2024-05-01", "Monday": a day (names from CLDR).
        "day": re.compile(rf"(?<![\w])(?:\d{{1,2}}(?:st|nd|rd|th|er)?\s+(?:{months})(?![\w])|(?:{months})\.?\s+\d{{1,2}}"
                          rf"(?:st|nd|rd|th)?(?![\w])|(?:{weekdays})(?![\w]))"
                          r"|(?<![\w/.-])\d{4}-\d{2}-\d{2}(?![\w])|(?<![\w/.-])\d{1,2}/\d{1,2}/\d{2,4}(?![\w/])",
                          re.IGNORECASE),
        # "08:00", "8.30", "18h", "8 h 30", "9 am": a time of day.
        "clock": re.compile(rf"(?<![\w:.,])(?:[01]?\d|2[0-3])(?:[:.][0-5]\d|\s?h(?:\s?[0-5]\d)?)(?![\w:])"
                            rf"|(?<![\w:.,])(?:1[0-2]|0?[1-9])(?:[:.][0-5]\d)?\s?(?:{alternation(words('clock_suffixes'))})"
                            r"(?![\w])", re.IGNORECASE),
    }


@cache
def _person_pattern() -> re.Pattern[str]:
    titles = alternation(words("honorifics"))
    return re.compile(rf"(?<![\w'’])(?:(?:{titles})\s)?{_NAME}")


@cache
def _name_links() -> frozenset[str]:
    return frozenset(fold(word) for word in words("name_links"))


@cache
def _reason_pattern() -> re.Pattern[str]:
    """Words that give a cause or a purpose ("because", "due to", "parce que"), on folded text."""
    return re.compile(rf"(?<![\w-])(?:{alternation(fold(marker) for marker in words('reason_markers'))})(?![\w-])")


@cache
def _place_pattern() -> re.Pattern[str]:
    articles = alternation(words("definite_articles"))
    return re.compile(rf"\b(?:{alternation(words('place_prepositions'))})\s+(?:(?:{articles})\s*)?([A-ZÀ-Ý][\w-]+)")


def value_spans(sentence: str, answer_type: AnswerType | None, asked: set[str],
                excluded_name_words: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Where `sentence` shows the kind of answer expected, leaving out words the question itself brought
    (`asked`, folded) and, for a person, words that name organisations (`excluded_name_words`, folded)."""
    if answer_type is None:
        return []
    patterns = _value_patterns()
    if answer_type in patterns or answer_type in ("quantity", "date"):
        if answer_type == "quantity":
            chosen = [patterns[kind] for kind in ("percent", "money", "duration", "number")]
        elif answer_type == "date":
            # "When ...?" is answered by a day, a year, a time of day or a delay ("36 hours before departure").
            chosen = [patterns[kind] for kind in ("day", "year", "clock", "duration")]
        else:
            # "How many" is answered by a share when the page gives no count.
            chosen = [patterns[answer_type]] + ([patterns["percent"]] if answer_type == "number" else [])
        spans = []
        # A count is no day of the month: "1" of "1 January" answers no "how many".
        days = [m.span() for m in patterns["day"].finditer(sentence)] if answer_type in ("number", "quantity") else []
        for match in (m for pattern in chosen for m in pattern.finditer(sentence)):
            value = match.group(0).strip()
            if answer_type in ("number", "quantity") and _YEAR.fullmatch(value):
                continue
            if any(start <= match.start() and match.end() <= end for start, end in days):
                continue
            if fold(value) not in asked:
                spans.append(match.span())
        # A value inside a longer one ("2025" of "2025-04-01") is part of it.
        return sorted(span for span in set(spans)
                      if not any(other != span and other[0] <= span[0] and span[1] <= other[1] for other in spans))
    if answer_type == "reason":
        return [m.span() for m in _reason_pattern().finditer(fold(sentence))]
    if answer_type == "person":
        # "Yannick Le Goff" is a person even though "le" links the words of organisations' names.
        return [m.span() for m in _person_pattern().finditer(sentence)
                if not (({fold(word) for word in m.group(0).split()} - _name_links()) & (asked | excluded_name_words))]
    if answer_type == "place":
        return [m.span(1) for m in _place_pattern().finditer(sentence) if fold(m.group(1)) not in asked]
    # "which ..." asks for names: capitalised words the question did not bring, past the first word.
    return [m.span() for m in _CAPITALISED.finditer(sentence)
            if m.start() > 2 and fold(m.group(0).rstrip("+")) not in asked and len(m.group(0)) > 1]
