"""Retrieve stage: how many concepts a store query looks for, and which."""

from __future__ import annotations

from kb.matching import WeightedConcept
from kb.question import Concept
from kb.retrieve import MAX_COMMON_CONCEPTS, MAX_SEARCHED_CONCEPTS, build_store_query


class LargeIndex:
    """The part of IndexStore that build_store_query reads: a large passage count."""

    def stats(self) -> tuple[int, int]:
        return 20_000, 200_000

    def document_frequency(self, text: str) -> int:
        return 0


def _concept(word: str, position: int, frequency: int, key: bool = False) -> WeightedConcept:
    role = "name" if key else "content"
    return WeightedConcept(Concept([word], role, position, position), 1.0, [], key, frequency)


def _searched(concepts: list[WeightedConcept], store: object | None) -> list[str]:
    query = build_store_query(concepts, store)  # type: ignore[arg-type]
    return [group.alternatives[0].text for group in query.groups]


def test_a_question_of_many_words_searches_the_names_and_the_rarest_in_order():
    concepts = [_concept(f"w{n}", n, frequency=1000 - n) for n in range(40)]
    concepts.insert(5, _concept("Northbridge", 100, frequency=5000, key=True))
    searched = _searched(concepts, None)
    assert len(searched) == MAX_SEARCHED_CONCEPTS
    assert searched == [w for w in ["Northbridge", *[f"w{n}" for n in range(40)]] if w in searched]
    assert set(searched) - {"Northbridge"} == {f"w{n}" for n in range(40 - MAX_SEARCHED_CONCEPTS + 1, 40)}


def test_common_words_only_are_all_required_and_few_in_a_large_index():
    common = [_concept(word, n, frequency=50_000 + n) for n, word in enumerate(["css", "property", "element", "web"])]
    query = build_store_query(common, LargeIndex())  # type: ignore[arg-type]
    assert [group.alternatives[0].text for group in query.groups] == ["css", "property", "element"][:MAX_COMMON_CONCEPTS]
    assert all(group.required for group in query.groups)
    # With one telling word, the rarest common ones join it (up to MAX_COMMON_CONCEPTS concepts), so
    # that one word does not choose the pages alone; nothing is required.
    telling = [*common, _concept("outline", 9, frequency=40)]
    query = build_store_query(telling, LargeIndex())  # type: ignore[arg-type]
    assert [(g.alternatives[0].text, g.required) for g in query.groups] == [
        ("css", False), ("property", False), ("outline", False)][-MAX_COMMON_CONCEPTS:]


def test_common_words_beside_a_telling_one_are_searched_in_titles_and_headings_only():
    concepts = [_concept("css", 0, frequency=50_000), _concept("property", 1, frequency=50_001),
                _concept("visibility", 2, frequency=900)]
    query = build_store_query(concepts, LargeIndex())  # type: ignore[arg-type]
    assert [(g.alternatives[0].text, g.context_only) for g in query.groups] == [
        ("css", True), ("property", True), ("visibility", False)]


class LargeIndexWithFrequencies(LargeIndex):
    """A large index that knows a few words' passage counts."""

    def __init__(self, frequencies: dict[str, int]) -> None:
        self.frequencies = frequencies

    def document_frequency(self, text: str) -> int:
        return self.frequencies.get(text, 0)


def test_a_name_pins_the_subject_unless_a_large_index_holds_it_everywhere():
    from kb.question import analyse_question
    from kb.retrieve import weigh_concepts

    store = LargeIndexWithFrequencies({"HSTS": 40, "API": 9_000, "subdomains": 300})
    analysis = analyse_question("How does the API extend HSTS to subdomains?")
    keys = {weighted.concept.text: weighted.key for weighted in weigh_concepts(store, analysis, None)}  # type: ignore[arg-type]
    assert keys["HSTS"] and not keys["API"] and not keys["subdomains"]


def test_plain_words_are_searched_in_the_question_s_language_and_names_in_every_language():
    word = WeightedConcept(Concept(["cookie"], "content", 0, 0), 1.0, ["biscuit"], False, 10)
    name = WeightedConcept(Concept(["HttpOnly"], "name", 1, 1), 1.0, [], True, 10)
    query = build_store_query([word, name], None, "fr")
    typed, expansion = query.groups[0].alternatives
    assert (typed.text, typed.lang) == ("cookie", "fr")  # the other language through its translations
    assert expansion.lang is None
    assert query.groups[1].alternatives[0].lang is None


def test_a_plain_word_the_lexicon_relates_to_nothing_is_searched_in_every_language():
    # "ski" has no translation: it may read the same in the other language.
    untranslated = WeightedConcept(Concept(["ski"], "content", 0, 0), 1.0, [], False, 10)
    query = build_store_query([untranslated], None, "fr")
    assert query.groups[0].alternatives[0].lang is None
