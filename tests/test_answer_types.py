"""Answer types: the kind of value a question asks for, and where a sentence shows one (plain strings in, spans out)."""

import pytest

from kb.answer_types import (
    currency_words,
    duration_unit_words,
    question_answer_type,
    question_bound,
    states_bound,
    type_words,
    value_spans,
)


def shown(sentence: str, answer_type: str, asked: set[str] | None = None) -> list[str]:
    return [sentence[start:end] for start, end in value_spans(sentence, answer_type, asked or set())]


@pytest.mark.parametrize(("question", "answer_type"), [
    ("How many hours a week do interns work?", "duration"),  # the counted noun is a time unit
    ("Combien d'euros coûte le semestre ?", "money"),  # ...or a currency
    ("Combien de semaines dure le stage ?", "duration"),
    ("What's the cap on members of the free plan?", "quantity"),
    ("Quelle est la taille maximale d'une pièce jointe ?", "quantity"),
    ("What time does the office open?", "clock"),
    ("In what year was the school founded?", "year"),
    ("À partir de quelle date les augmentations s'appliquent-elles ?", "date"),
    ("À quelle heure ouvre la piscine ?", "clock"),
    ("Why does my request fail?", "reason"),
    ("Pourquoi typeof null renvoie-t-il object ?", "reason"),
    ("My site is down, when will it be back?", "date"),  # "when" at the start of a clause
    ("How do I empty the cache when it is full?", None),  # "when" as a conjunction asks for no date
    ("How do I set max-width on an image?", None),  # no cue inside an identifier
    ("Quel attribut rend un cookie inaccessible au JavaScript ?", "name"),
    # The clause that asks is the last one a question word opens; what comes before sets the scene.
    ("When my API answers 405, which response header must it include?", "name"),
    ("My API created a record. Which status code should it send?", "name"),
    ("Quand la page charge, combien de requêtes part-il ?", "number"),
])
def test_cue_phrases_give_the_type(question, answer_type):
    assert question_answer_type(question, organisations_listed=False) == answer_type


def test_a_list_of_organisations_is_not_a_name_question():
    assert question_answer_type("Which schools offer a summer school?", organisations_listed=True) is None


def test_time_units_and_currencies_come_from_cldr_in_both_languages():
    assert {"hours", "heures", "wks", "semaines", "jours", "semesters"} <= duration_unit_words()
    names, signs = currency_words()
    assert {"euros", "dollars", "pounds", "livres", "yen"} <= names
    assert {"€", "$", "£", "CHF", "USD"} <= signs
    assert "units" not in names and "account" not in names  # funds and units of account are not money


@pytest.mark.parametrize(("sentence", "answer_type", "values"), [
    ("It lasts 30s, 2 hours or one full year.", "duration", ["30s", "2 hours", "one full year"]),
    ("Le stage dure une semaine ou 3 mois.", "duration", ["une semaine", "3 mois"]),
    ("It costs 1 150 € or $8, or 40 CHF.", "money", ["1 150 €", "$8", "40 CHF"]),
    ("Pick 5 ALL or all 5 of them.", "money", ["5 ALL"]),  # ISO codes keep their case
    ("About 7% of them, nearly half, 20 pour cent.", "percent", ["7%", "half", "20 pour cent"]),
    ("It had 74 partners in 2019.", "number", ["74"]),  # a year is not a count
    ("Closed on 1 January and 25 December: 10 days.", "number", ["10"]),  # nor a day of the month
    ("Open 08:00–18:30, Sat. 9 am to 1 pm.", "clock", ["08:00", "18:30", "9 am", "1 pm"]),
    ("Ouvert de 8h à 18 h 30 ; 12 places.", "clock", ["8h", "18 h 30"]),
    # "When" is answered by a day (CLDR's month and weekday names), a year, a time of day or a delay.
    ("Due by 17 November; opens 36 hours before.", "date", ["17 November", "36 hours"]),
    ("Applies from 1er avril, on Monday, or 2025-04-01.", "date", ["1er avril", "Monday", "2025-04-01"]),
    ("Uploads can be up to 100 MB; 2019 saw 3 changes.", "quantity", ["100", "3"]),
    ("Yannick Le Goff heads the office.", "person", ["Yannick Le Goff"]),
    ("The campus is in Rennes.", "place", ["Rennes"]),
    ("It fails because the value is a string.", "reason", ["because"]),
    ("L'étiquette valait 0, d'où le comportement de typeof.", "reason", ["d'où"]),
])
def test_values_in_sentences(sentence, answer_type, values):
    assert shown(sentence, answer_type) == values


@pytest.mark.parametrize(("question", "lang", "bound", "asking"), [
    ("What's the maximum size of an upload?", "en", "upper", {"maximum"}),
    ("What's the cap on members of the free plan?", "en", "upper", {"cap"}),
    ("Combien de tâches un projet peut-il contenir au maximum ?", "fr", "upper", {"au", "maximum"}),
    ("Quel délai minimum le navigateur impose-t-il ?", "fr", "lower", {"minimum"}),
    ("How do I set max-width on an image?", "en", None, set()),  # no cue inside an identifier
    # Superlatives need a lexicon to tell an adjective of measure (tests/test_lexicon.py).
    ("What's the shortest password I can choose?", "en", None, set()),
])
def test_bound_cues_without_a_lexicon(question, lang, bound, asking):
    assert question_bound(question, lang) == (bound, frozenset(asking))


@pytest.mark.parametrize(("sentence", "upper", "lower"), [
    ("Each import file can be up to 100 MB.", True, False),
    ("Your password must be at least 12 characters long.", False, True),
    ("Passwords of 12 characters or more are accepted; no more than 128.", True, True),
    ("Les pièces jointes sont limitées à 250 Mo, au moins 1 Ko.", True, True),
    ("Set max-width to 100%.", False, False),  # an identifier states no bound
])
def test_sentences_state_bounds(sentence, upper, lower):
    assert (states_bound(sentence, "upper"), states_bound(sentence, "lower")) == (upper, lower)


def test_the_question_s_own_values_are_not_answers():
    assert shown("Firefox 150 ships 12 fixes.", "number", asked={"150"}) == ["12"]


def test_words_that_only_name_the_type_are_known_per_type():
    assert {"proportion", "pourcentage"} <= type_words("percent")
    assert type_words("reason") == frozenset()
