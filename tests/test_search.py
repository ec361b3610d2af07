"""Full-text search: user text handling, ranking, filters, facets, pages, duplicates, highlights, spelling."""

from __future__ import annotations

import shutil

import pytest
from conftest import SEED_CORPUS

from indexer.pipeline import run_index
from kb.highlight import highlight
from kb.query import build_query, parse_user_text
from kb.search import search
from kb.store import IndexStore


def test_user_text_never_reaches_a_parser_as_syntax():
    parsed = parse_user_text('title:abroad AND "semester abroad" OR (NOT * ?* "unbalanced')
    assert parsed.phrases == ["semester abroad"]
    assert "title" in parsed.words and "abroad" in parsed.words and "*" not in parsed.words
    assert parse_user_text('""  ***  ').words == []


def test_build_query_expands_with_the_glossary():
    from kb.glossary import load_glossary

    query = build_query(["mandatory", "semester", "the"], load_glossary())
    assert len(query.groups) == 2  # stop word dropped
    alternatives = {alt.text for alt in query.groups[0].alternatives}
    assert {"mandatory", "compulsory", "obligatoire"} <= alternatives
    assert query.groups[0].alternatives[0].weight > query.groups[0].alternatives[1].weight


def test_highlight_marks_words_by_stem_and_escapes_everything_else():
    marked = highlight("Students <b>must</b> spend semesters abroad & more", {"student", "semest"}, "en")
    assert marked == "<mark>Students</mark> &lt;b&gt;must&lt;/b&gt; spend <mark>semesters</mark> abroad &amp; more"
    assert highlight("<script>alert(1)</script>", set(), "en") == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_ranked_highlighted_results_with_facets(seed_store):
    result = search(seed_store, "semester abroad")
    assert result.total == len(result.results) >= 3
    assert {hit.school for hit in result.results} >= {"ESME", "ESTP", "ISA Lille"}
    assert all("<mark>" in hit.highlight for hit in result.results)
    assert result.facets["lang"] == {"en": result.total}
    assert sum(result.facets["school"].values()) == result.total
    scores = [hit.score for hit in result.results]
    assert scores == sorted(scores, reverse=True)


def test_school_and_language_filters(seed_store):
    assert {hit.school for hit in search(seed_store, "mobility", school="ESTP").results} == {"ESTP"}
    french = search(seed_store, "mobilité", lang="fr")
    assert french.total >= 1 and {hit.lang for hit in french.results} == {"fr"}
    assert search(seed_store, "mobility", school="No Such School").total == 0


def test_french_query_finds_accented_and_unaccented_forms(seed_store):
    accented = search(seed_store, "sélection motivation")
    plain = search(seed_store, "selection motivation")
    assert accented.results and accented.results[0].source == "004_21e782c85eb9b775.txt"
    assert [h.passage_id for h in plain.results] == [h.passage_id for h in accented.results]


def test_all_words_first_then_any_word(seed_store):
    assert search(seed_store, "BRICS Sherbrooke").total >= 2  # no passage has both: any word counts


def test_pagination_is_consistent(seed_store):
    everything = search(seed_store, "international", per_page=50)
    first, second = search(seed_store, "international", per_page=3), search(seed_store, "international", page=2, per_page=3)
    assert first.total == second.total == everything.total > 6
    assert [h.passage_id for h in first.results + second.results] == [h.passage_id for h in everything.results[:6]]
    assert search(seed_store, "international", page=99, per_page=10).results == []


def test_chrome_never_reaches_the_index(seed_store):
    assert search(seed_store, '"Retour en haut de page"').total == 0
    assert search(seed_store, '"Skip to content"').total == 0
    assert search(seed_store, "logorics100x100").total == 0


def test_ensta_teaser_is_indexed_once(seed_store):
    result = search(seed_store, '"wind turbines in the sky"')
    assert result.total == 1


def test_spelling_suggestion_when_little_is_found(seed_store):
    result = search(seed_store, "semestr abraod")
    assert result.suggestion == "semester abroad"
    assert search(seed_store, "semester abroad").suggestion is None


def test_seed_schools_come_out_right(seed_store):
    schools = {document.source: document.school for document, _ in seed_store.documents().values()}
    assert schools == {
        "000_1dc87ddac6799ac7.txt": "ESME", "001_3891511229b6acc0.txt": "ESTP",
        "002_0997346c80bdc2b7.txt": "ENSTA", "003_cc325451335c01fa.txt": "ISA Lille",
        "004_21e782c85eb9b775.txt": None,
    }


@pytest.fixture
def store_with_copy(tmp_path):
    corpus = shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    shutil.copy(corpus / "003_cc325451335c01fa.txt", corpus / "copy of ISA.txt")
    store = IndexStore(tmp_path / "index")
    run_index(corpus, store)
    yield store
    store.close()


def test_identical_passages_show_once_and_say_where_else(store_with_copy):
    result = search(store_with_copy, "experience abroad semester graduate")
    sources = [hit.source for hit in result.results]
    assert len(sources) == len({hit.text for hit in result.results})  # no duplicate text listed
    isa = next(hit for hit in result.results if hit.text.startswith("All ISA student"))
    others = {"003_cc325451335c01fa.txt", "copy of ISA.txt"} - {isa.source}
    assert isa.also_in == sorted(others)


def test_totals_past_the_exact_count_are_estimated(seed_store, monkeypatch):
    import kb.store.index

    exact = search(seed_store, "international")
    assert exact.total_exact and exact.to_dict()["total_exact"] is True
    monkeypatch.setattr(kb.store.index, "COUNT_EXACT_UP_TO", 3)
    monkeypatch.setattr(kb.store.index, "COLLECT_AT_LEAST", 1)  # or the search collects, and counts, all 20
    estimated = search(seed_store, "international")
    assert not estimated.total_exact
    assert estimated.total >= 3 and [h.passage_id for h in estimated.results] == [h.passage_id for h in exact.results]


@pytest.mark.parametrize("query", ["international", "étudiants", "partner", "international students"])
def test_counting_while_searching_or_by_a_second_walk_gives_the_same_figures(seed_store, monkeypatch, query):
    import kb.store.index

    walks: list[int] = []
    count = kb.store.index.IndexStore._count
    monkeypatch.setattr(kb.store.index.IndexStore, "_count",
                        staticmethod(lambda *args: walks.append(1) or count(*args)))
    collected = search(seed_store, query, per_page=1)
    assert not walks  # fewer matches than collected: counted from what the search saw
    monkeypatch.setattr(kb.store.index, "COLLECT_AT_LEAST", 1)  # collect one page: the total is walked
    walked = search(seed_store, query, per_page=1)
    assert walks == [1]
    assert collected.total == walked.total > 11 and collected.total_exact and walked.total_exact
    assert collected.facets == walked.facets
    assert [hit.passage_id for hit in collected.results] == [hit.passage_id for hit in walked.results]


def test_a_passage_is_found_by_its_page_s_title_and_organisation(corpus, store):
    # The passage on partner universities never names Northbridge: its page's organisation does.
    (corpus / "northbridge.html").write_text(
        '<html><head><title>Study abroad | Northbridge Institute of Technology</title></head><body><main>'
        "<h1>Study abroad</h1><h2>Partner universities</h2><p>Our students choose among 42 partner "
        "universities in 19 countries.</p></main></body></html>", encoding="utf-8")
    (corpus / "other.html").write_text(
        '<html><head><title>Exchanges | Harbour School</title></head><body><main><h1>Exchanges</h1>'
        "<h2>Partner universities</h2><p>Partner universities: Harbour has 12 partner universities.</p>"
        "</main></body></html>", encoding="utf-8")
    run_index(corpus, store)
    result = search(store, "partner universities Northbridge")
    # Every word matches only where the organisation counts as context: that passage alone is found.
    assert [hit.source for hit in result.results] == ["northbridge.html"]


def test_a_glossary_group_of_one_term_is_refused_with_a_reason():
    from kb.glossary import parse_glossary

    with pytest.raises(ValueError, match="group 2 has fewer than two terms"):
        parse_glossary('[[group]]\nterms = ["a", "b"]\n[[group]]\nterms = ["campus"]\n')


def test_a_group_matched_in_context_only_ignores_the_body(corpus, store):
    from kb.store import StoreQuery, TermAlternative, TermGroup

    (corpus / "titled.md").write_text("---\ntitle: Visibility\n---\nIt hides an element.\n", encoding="utf-8")
    (corpus / "body.md").write_text("---\ntitle: Display\n---\nVisibility is another property.\n", encoding="utf-8")
    run_index(corpus, store)
    query = StoreQuery(groups=[TermGroup([TermAlternative("visibility")], context_only=True)])
    assert [hit.source for hit in store.search(query).hits] == ["titled.md"]


def test_identifiers_are_found_whole_and_by_their_parts(corpus, store):
    pages = {
        "flat.md": ("Array.prototype.flat()", ("The Array.prototype.flat() method creates a new array with the "
                                               "sub-array elements concatenated into it.")),
        "arrays.md": ("Arrays", "An array is flat when no element is an array; prototype chains are elsewhere."),
        "box-sizing.md": ("box-sizing", ("The box-sizing CSS property sets how the total width and height of an "
                                         "element is calculated.")),
        "retry-after.md": ("Retry-After", ("The HTTP Retry-After response header indicates how long the user "
                                           "agent should wait before making a follow-up request.")),
    }
    for name, (title, text) in pages.items():
        (corpus / name).write_text(f"---\ntitle: {title}\n---\n\n{text}\n", encoding="utf-8")
    run_index(corpus, store)
    assert search(store, "Array.prototype.flat").results[0].source == "flat.md"  # the whole identifier first
    assert search(store, "flat").total == 2  # and its parts
    assert search(store, "box-sizing").results[0].source == "box-sizing.md"
    assert search(store, "sizing").results[0].source == "box-sizing.md"
    assert search(store, "Retry-After").results[0].source == "retry-after.md"
    assert search(store, "retry").results[0].source == "retry-after.md"


def test_identifiers_whose_parts_are_stop_words_stay_apart(corpus, store):
    # "any" and "all" are stop words: only the whole identifier tells these pages apart.
    for name, title in (("any.md", "Promise.any()"), ("all.md", "Promise.all()")):
        (corpus / name).write_text(f"---\ntitle: {title}\n---\n\nThe {title} static method takes an iterable of "
                                   "promises and returns a single promise.\n", encoding="utf-8")
    run_index(corpus, store)
    assert [hit.source for hit in search(store, "Promise.any").results] == ["any.md"]
    assert [hit.source for hit in search(store, "promise.all()").results] == ["all.md"]
    assert search(store, "promise").total == 2  # and by their parts
    assert search(store, "Promise.any static method").results[0].source == "any.md"


def test_an_identifier_the_pages_do_not_hold_as_typed_is_searched_by_its_parts(corpus, store):
    (corpus / "flat.md").write_text("---\ntitle: Array.prototype.flat()\n---\n\nIt flattens an array.\n",
                                    encoding="utf-8")
    run_index(corpus, store)
    assert search(store, "array.flat").results[0].source == "flat.md"


def test_an_alternative_searched_in_one_language_matches_only_that_language_s_pages(corpus, store):
    from kb.store.index import StoreQuery, TermAlternative, TermGroup

    (corpus / "en.md").write_text("---\ntitle: Cookies\nlang: en\n---\n\nA cookie is a small piece of data.\n")
    (corpus / "fr.md").write_text("---\ntitle: Cookies\nlang: fr\n---\n\nUn cookie est une petite donnée.\n")
    run_index(corpus, store)

    def sources(lang):
        request = StoreQuery(groups=[TermGroup([TermAlternative("cookie", 1.0, lang)])], limit=10)
        return {hit.source for hit in store.search(request).hits}

    assert sources(None) == {"en.md", "fr.md"}
    assert sources("fr") == {"fr.md"} and sources("en") == {"en.md"}


def test_a_question_naming_an_identifier_cites_its_page_not_its_sibling_s(corpus, store):
    from kb.answer import ask

    for name, title, verb in (("any.md", "Promise.any()", "rejects with an AggregateError when every promise rejects"),
                              ("all.md", "Promise.all()", "rejects with the first rejection reason")):
        (corpus / name).write_text(f"---\ntitle: {title}\n---\n\nThe {title} method {verb}.\n", encoding="utf-8")
    run_index(corpus, store)
    answer = ask(store, "What does promise.any() reject with?")
    assert answer.citations[0].source == "any.md" and "AggregateError" in answer.answer
