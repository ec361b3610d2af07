"""The web app through Flask's test client: every route, HTML checked with BeautifulSoup, JSON by field and type."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.pipeline import run_index
from kb.store import IndexStore
from webapp import create_app
from webapp.security import SECURITY_HEADERS
from webapp.views import looks_like_question
from webapp.watch import CorpusWatcher

WEB_CORPUS = Path(__file__).resolve().parent / "fixtures" / "web_corpus"
TOKEN = "s3cret-token"
RESULT_TYPES = {"doc_id": str, "passage_id": str, "source": str, "title": str, "lang": str, "text": str,
                "highlight": str, "score": (int, float), "url": str}
ONLY_MARK_TAGS = re.compile(r"<(?!/?mark>)")


def _build(tmp: Path) -> tuple[Path, Path]:
    corpus = shutil.copytree(WEB_CORPUS, tmp / "corpus")
    index = tmp / "index"
    store = IndexStore(index)
    run_index(corpus, store)
    store.close()
    return corpus, index


def _app(corpus: Path, index: Path, token: str | None = TOKEN):
    app = create_app({"INDEX_DIR": index, "CORPUS_DIR": corpus, "ADMIN_TOKEN": token, "TESTING": True})
    yield app
    app.extensions["kb.stores"].close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The web fixture corpus indexed once for the read-only tests of this module."""
    return _build(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def app(built):
    yield from _app(*built)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def writable(tmp_path: Path):
    """A corpus, its index and an app of their own, for tests that change them."""
    corpus, index = _build(tmp_path)
    for app in _app(corpus, index):
        yield corpus, index, app


def soup(response) -> BeautifulSoup:
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def assert_error(response, status: int) -> str:
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["message"]


# -- question detection --------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Which schools require a semester abroad?", "how many partner universities", "What's an exchange",
    "Quelles écoles exigent un semestre à l'étranger", "Où partir en échange ?", "qu'est-ce qu'Erasmus",
    "Est-ce que le stage est obligatoire", "Combien d'universités partenaires", "semester abroad?",
    "Is the internship mandatory", "Pourquoi partir",
])
def test_questions_are_recognised(text):
    assert looks_like_question(text)


@pytest.mark.parametrize("text", ["semester abroad", "Erasmus internship", "double diplôme", "", "   ", "ESTP",
                                  "outgoing mobility", "isa lille"])
def test_keywords_are_not_questions(text):
    assert not looks_like_question(text)


# -- pages ---------------------------------------------------------------------------------------

def test_home_has_one_labelled_search_box(client):
    page = soup(client.get("/"))
    forms = page.find_all("form", attrs={"role": "search"})
    assert len(forms) == 1 and forms[0]["method"] == "get"
    box = forms[0].find("input", attrs={"name": "q"})
    label = page.find("label", attrs={"for": box["id"]})
    assert label is not None and label.get_text(strip=True)
    assert page.html["lang"] == "en" and page.find("h1") is not None
    assert page.find("meta", attrs={"name": "viewport"}) is not None
    assert page.find("a", class_="skip-link")["href"] == "#main"


def test_home_routes_questions_to_the_answer_and_keywords_to_results(client):
    response = client.get("/", query_string={"q": "Which schools require a semester abroad?"})
    assert response.status_code == 303
    assert urlsplit(response.location).path == "/ask"
    assert parse_qs(urlsplit(response.location).query)["q"] == ["Which schools require a semester abroad?"]
    response = client.get("/", query_string={"q": "semester abroad"})
    assert response.status_code == 303 and urlsplit(response.location).path == "/search"
    assert client.get("/", query_string={"q": "  "}).status_code == 200
    assert client.get("/", query_string={"q": "x" * 1001}).status_code == 400


def test_search_page_lists_highlighted_passages_with_links(client):
    response = client.get("/search", query_string={"q": "semester abroad"})
    assert response.status_code == 200
    page = soup(response)
    results = page.select("li.result")
    assert results
    first = results[0]
    link = first.select_one(".result-title a")
    assert re.fullmatch(r"/documents/[\w-]+\?hl=[\w-]+#p-[\w-]+", link["href"])
    assert first.select_one(".tag-school").get_text(strip=True)
    assert first.select_one(".tag-lang").get_text(strip=True) in {"English", "French"}
    assert page.select("li.result .passage mark")
    assert "semester abroad" in page.find("h1").get_text()
    # the search box keeps the query
    assert page.find("input", attrs={"name": "q"})["value"] == "semester abroad"


def test_search_page_facets_filter_and_count(client):
    page = soup(client.get("/search", query_string={"q": "exchange"}))
    facets = page.select("aside.facets a.facet")
    assert facets
    labels = {a.get_text(" ", strip=True) for a in facets}
    assert any(label.startswith("French") for label in labels)
    french = next(a for a in facets if a.get_text(" ", strip=True).startswith("French"))
    count = int(french.select_one(".count").get_text())
    href = french["href"]
    assert "lang=fr" in href
    filtered = soup(client.get(href))
    assert len(filtered.select("li.result")) == count
    assert {tag.get_text(strip=True) for tag in filtered.select("li.result .tag-lang")} == {"French"}
    active = filtered.select_one("a.facet.is-active")
    assert active is not None and "lang=" not in active["href"]


def test_search_page_paginates(client):
    first = soup(client.get("/search", query_string={"q": "exchange", "per_page": 2}))
    nav = first.find("nav", attrs={"aria-label": "Result pages"})
    assert nav is not None
    assert nav.find("a", attrs={"aria-current": "page"}).get_text(strip=True) == "1"
    next_link = nav.find("a", attrs={"rel": "next"})
    second = soup(client.get(next_link["href"]))
    assert second.find("ol", class_="result-list")["start"] == "3"
    titles_1 = [a["href"] for a in first.select("li.result .result-title a")]
    titles_2 = [a["href"] for a in second.select("li.result .result-title a")]
    assert len(titles_1) == 2 and titles_2 and not set(titles_1) & set(titles_2)


def test_search_page_did_you_mean_and_empty_state(client):
    page = soup(client.get("/search", query_string={"q": "exchnage semster"}))
    suggestion = page.select_one(".suggestion a")
    assert suggestion is not None and "exchange" in suggestion.get_text()
    assert page.select_one(".empty") is not None
    empty = soup(client.get("/search", query_string={"q": "zzzqqq"}))
    assert "Nothing found" in empty.select_one(".empty").get_text()
    assert not empty.select("li.result")


def test_ask_page_shows_a_cited_answer_and_the_passages(client):
    response = client.get("/ask", query_string={"q": "How many partner universities does Northbridge have?"})
    assert response.status_code == 200
    page = soup(response)
    answer = page.select_one("section.answer")
    assert answer is not None and answer.find("h2").get_text(strip=True) == "Answer"
    cites = answer.select("a.cite")
    assert cites and all(re.fullmatch(r"\[\d+\]", a.get_text(strip=True)) for a in cites)
    assert all(a["href"].startswith("/documents/") for a in cites)
    assert page.select("ol.citations li.citation")
    assert page.select("section.ranked li.result")


def test_ask_page_says_not_found_plainly(client):
    page = soup(client.get("/ask", query_string={"q": "What colour is the Northbridge cafeteria's zebra?"}))
    answer = page.select_one("section.answer")
    if "answer-none" in answer["class"]:
        assert "No answer found" in answer.get_text()


def test_french_question_is_answered(client):
    response = client.get("/api/ask", query_string={"q": "Combien de semaines dure le stage à l'étranger ?"})
    assert response.status_code == 200
    assert response.get_json()["citations"]
    assert client.get("/ask", query_string={"q": "Combien de semaines dure le stage ?"}).status_code == 200


def _doc_id(client, q: str, source: str) -> tuple[str, str]:
    body = client.get("/api/search", query_string={"q": q, "per_page": 50}).get_json()
    hit = next(r for r in body["results"] if r["source"] == source)
    return hit["doc_id"], hit["passage_id"]


def test_document_page_anchors_passages_and_marks_the_cited_one(client):
    doc_id, passage_id = _doc_id(client, "partner universities countries", "exchange.md")
    page = soup(client.get(f"/documents/{doc_id}", query_string={"hl": passage_id}))
    assert page.find("h1").get_text(strip=True) == "Semester abroad at Northbridge"
    passages = page.select("p.doc-passage")
    assert passages and all(p["id"].startswith("p-") for p in passages)
    cited = page.select("p.is-cited")
    assert len(cited) == 1 and cited[0]["id"] == f"p-{passage_id}"
    meta = page.select_one("dl.doc-meta").get_text(" ", strip=True)
    assert "Northbridge Institute of Technology" in meta and "English" in meta
    original = page.select_one("dl.doc-meta a")
    assert original["href"] == "https://northbridge.example.org/exchange"
    # without ?hl= nothing is marked
    assert not soup(client.get(f"/documents/{doc_id}")).select("p.is-cited")


def test_document_routes_only_look_up_index_ids(client):
    for path in ("/documents/nope", "/documents/..%2F..%2Fetc%2Fpasswd", "/documents/" + "a" * 500,
                 "/documents/%00"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html"
    for path in ("/api/documents/nope", "/api/documents/..%2Fpyproject.toml", "/api/documents/%2e%2e"):
        assert_error(client.get(path), 404)


def test_html_errors_are_pages_with_the_status(client):
    for path, status in (("/search", 400), ("/search?q=", 400), ("/ask?q=" + "x" * 1001, 400),
                         ("/search?q=a&page=0", 400), ("/no/such/page", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        page = soup(response)
        assert str(status) in page.find("h1").get_text()
        assert page.select_one(".error-message").get_text(strip=True)
    assert client.post("/search?q=a").status_code == 405


# -- security ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/search?q=exchange", "/api/search?q=exchange", "/healthz", "/nope",
                                  "/api/nope", "/static/style.css"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    response.close()  # a static file is streamed from an open file
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _scripts_and_images(page: BeautifulSoup) -> tuple[list, list]:
    scripts = [tag for tag in page.find_all("script") if tag.get("src") != "/static/app.js" or tag.string]
    handlers = [tag for tag in page.find_all(True) if any(attr.startswith("on") for attr in tag.attrs)]
    return scripts, page.find_all("img") + handlers


def test_document_text_is_shown_as_text_never_as_markup(client):
    for path in ("/search?q=exchange+handbook+script", "/ask?q=What+does+the+exchange+handbook+quote%3F",
                 "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E+exchange"):
        response = client.get(path)
        assert response.status_code == 200
        page = soup(response)
        scripts, injected = _scripts_and_images(page)
        assert not scripts and not injected, path
    page = soup(client.get("/search", query_string={"q": "exchange handbook"}))
    text = page.get_text()
    assert '<script>alert("txt")</script>' in text and "<img src=x onerror=alert(3)>" in text
    assert "<script>alert('title')</script> handbook" in text  # a title from sources.toml
    doc_id, _ = _doc_id(client, "exchange handbook", "hostile.txt")
    page = soup(client.get(f"/documents/{doc_id}"))
    scripts, injected = _scripts_and_images(page)
    assert not scripts and not injected
    assert "<img src=x onerror=alert(4)> School" in page.get_text()
    # a javascript: URL from the metadata is shown, never linked
    assert not page.select("dl.doc-meta a") and "javascript:alert(5)" in page.get_text()


def test_api_highlights_hold_no_tag_but_mark(client):
    body = client.get("/api/search", query_string={"q": "exchange handbook script"}).get_json()
    assert body["results"]
    for result in body["results"]:
        assert not ONLY_MARK_TAGS.search(result["highlight"])


def test_request_size_is_limited(client):
    assert_error(client.post("/api/ask", data=b"{" + b" " * 70_000 + b"}", content_type="application/json"), 413)


# -- JSON API ------------------------------------------------------------------------------------

def test_api_search_body(client):
    response = client.get("/api/search", query_string={"q": "semester abroad"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["query"] == "semester abroad"
    assert isinstance(body["total"], int) and body["total"] >= len(body["results"]) > 0
    assert (body["page"], body["per_page"]) == (1, 10)
    assert isinstance(body["took_ms"], (int, float))
    for result in body["results"]:
        for name, kind in RESULT_TYPES.items():
            assert isinstance(result[name], kind), name
        assert result["school"] is None or isinstance(result["school"], str)
        assert result["url"] == f"/documents/{result['doc_id']}?hl={result['passage_id']}#p-{result['passage_id']}"
    assert {"school", "lang"} <= set(body["facets"])


def test_api_search_pages_and_filters(client):
    body = client.get("/api/search", query_string={"q": "exchange", "per_page": 1, "page": 2}).get_json()
    assert (body["page"], body["per_page"]) == (2, 1) and len(body["results"]) == 1
    body = client.get("/api/search", query_string={"q": "exchange", "lang": "fr"}).get_json()
    assert body["results"] and {r["lang"] for r in body["results"]} == {"fr"}
    body = client.get("/api/search", query_string={"q": "exchange", "school": "École Centrale du Nord"}).get_json()
    assert body["results"] and {r["school"] for r in body["results"]} == {"École Centrale du Nord"}
    # an unknown school is a filter that matches nothing, not an error
    body = client.get("/api/search", query_string={"q": "exchange", "school": "Nowhere U"}).get_json()
    assert body["total"] == 0 and body["results"] == []
    body = client.get("/api/search", query_string={"q": "exchange", "page": 999}).get_json()
    assert body["results"] == []


@pytest.mark.parametrize("query, reason", [
    ({}, "missing"), ({"q": ""}, "empty"), ({"q": "   "}, "empty"), ({"q": "x" * 1001}, "too long"),
    ({"q": "a", "page": "0"}, "page"), ({"q": "a", "page": "1001"}, "page"), ({"q": "a", "page": "two"}, "page"),
    ({"q": "a", "page": "1.5"}, "page"), ({"q": "a", "per_page": "0"}, "per_page"),
    ({"q": "a", "per_page": "101"}, "per_page"), ({"q": "a", "per_page": "99999999999999999999"}, "per_page"),
    ({"q": "a", "lang": "english!"}, "lang"), ({"q": "a", "school": "s" * 201}, "school"),
])
def test_api_search_rejects_bad_parameters(client, query, reason):
    assert reason in assert_error(client.get("/api/search", query_string=query), 400)


def test_api_ask_get_and_post(client):
    question = "How many partner universities does Northbridge have?"
    for response in (client.get("/api/ask", query_string={"q": question}),
                     client.post("/api/ask", json={"question": question})):
        assert response.status_code == 200
        body = response.get_json()
        assert body["question"] == question and body["kind"] in {"list", "fact", "none"}
        assert (body["answer"] is None) == (body["kind"] == "none")
        assert isinstance(body["items"], list) and isinstance(body["citations"], list)
        for n, citation in enumerate(body["citations"], 1):
            assert citation["n"] == n
            for name, kind in RESULT_TYPES.items():
                assert isinstance(citation[name], kind), name
            assert not ONLY_MARK_TAGS.search(citation["highlight"])


@pytest.mark.parametrize("data, content_type", [
    (b"not json", "application/json"), (b"[1, 2]", "application/json"), (b'{"q": "hi"}', "application/json"),
    (b'{"question": 42}', "application/json"), (b'{"question": ""}', "application/json"),
    (b'{"question": "\\ud800 lone surrogate"}', "application/json"), (b"", "text/plain"),
    (b'{"question": "' + b"x" * 1001 + b'"}', "application/json"), (b"\xff\xfe", "application/json"),
])
def test_api_ask_rejects_bad_bodies(client, data, content_type):
    assert_error(client.post("/api/ask", data=data, content_type=content_type), 400)


def test_api_ask_get_requires_q(client):
    assert_error(client.get("/api/ask"), 400)
    assert_error(client.get("/api/ask", query_string={"q": "x" * 1001}), 400)


def test_api_document(client):
    doc_id, passage_id = _doc_id(client, "partner universities countries", "exchange.md")
    body = client.get(f"/api/documents/{doc_id}").get_json()
    assert body["doc_id"] == doc_id and body["source"] == "exchange.md"
    assert body["school"] == "Northbridge Institute of Technology" and body["lang"] == "en"
    assert body["url"] == "https://northbridge.example.org/exchange"
    assert body["passage_count"] == len(body["passages"]) > 0
    assert passage_id in {p["passage_id"] for p in body["passages"]}
    assert [p["position"] for p in body["passages"]] == sorted(p["position"] for p in body["passages"])


def test_healthz_and_openapi(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["documents"] == 5 and body["passages"] > 5
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/search", "/api/ask", "/api/documents/{doc_id}", "/api/reindex", "/healthz"} <= set(spec["paths"])
    assert set(spec["paths"]["/api/ask"]) == {"get", "post"}


def test_unknown_routes_and_methods_use_the_error_shape(client):
    assert_error(client.get("/api/nothing"), 404)
    response = client.get("/api/reindex")
    assert_error(response, 405)
    assert "POST" in response.headers["Allow"]
    assert_error(client.delete("/api/search?q=a"), 405)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60), page=st.one_of(st.none(), st.text(max_size=5)))
def test_no_input_produces_a_server_error(client, q, page):
    args = {"q": q} if page is None else {"q": q, "page": page}
    for path in ("/api/search", "/search", "/api/ask", "/ask", "/"):
        response = client.get(path, query_string=args)
        assert response.status_code in {200, 303, 400}, (path, args, response.get_data(as_text=True)[:300])
    response = client.post("/api/ask", json={"question": q})
    assert response.status_code in {200, 400}


# -- reindexing ----------------------------------------------------------------------------------

NEW_PAGE = """---
title: Summer school in Lisbon
school: Northbridge Institute of Technology
lang: en
---

Northbridge runs a zanzibarian summer school in Lisbon every July.
"""


def test_reindex_needs_a_configured_token(built):
    for app in _app(*built, token=None):
        client = app.test_client()
        assert_error(client.post("/api/reindex", headers={"Authorization": f"Bearer {TOKEN}"}), 403)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer "}])
def test_reindex_rejects_a_bad_token(client, headers):
    response = client.post("/api/reindex", headers=headers)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_reindex_makes_a_new_page_searchable_without_restart(writable):
    corpus, _index, app = writable
    client = app.test_client()
    assert client.get("/api/search", query_string={"q": "zanzibarian"}).get_json()["total"] == 0
    (corpus / "summer.md").write_text(NEW_PAGE, encoding="utf-8")
    response = client.post("/api/reindex", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["added"], body["updated"], body["removed"], body["unchanged"]) == (1, 0, 0, 5)
    assert body["documents"] == 6 and body["summary"].startswith("indexed 6 documents: 1 added")
    hits = client.get("/api/search", query_string={"q": "zanzibarian"}).get_json()["results"]
    assert [hit["source"] for hit in hits] == ["summer.md"]
    assert client.get("/healthz").get_json()["documents"] == 6


def test_index_changes_made_elsewhere_are_seen_without_restart(writable):
    corpus, index, app = writable
    client = app.test_client()
    assert client.get("/healthz").get_json()["documents"] == 5
    (corpus / "exchange.md").unlink()
    other = IndexStore(index)  # what `kb index` in another process does
    run_index(corpus, other)
    other.close()
    assert client.get("/healthz").get_json()["documents"] == 4
    assert all(hit["source"] != "exchange.md" for hit in
               client.get("/api/search", query_string={"q": "Northbridge semester"}).get_json()["results"])


def test_reindex_while_another_writer_holds_the_lock_is_409_and_search_goes_on(writable):
    _corpus, index, app = writable
    client = app.test_client()
    with IndexStore(index).write_lock(timeout=1):
        assert_error(client.post("/api/reindex", headers={"Authorization": f"Bearer {TOKEN}"}), 409)
        assert client.get("/api/search", query_string={"q": "exchange"}).get_json()["total"] > 0
        assert client.get("/search", query_string={"q": "exchange"}).status_code == 200
    assert client.post("/api/reindex", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_missing_index_is_503_not_500(tmp_path):
    for app in _app(tmp_path / "corpus", tmp_path / "no-index"):
        client = app.test_client()
        assert_error(client.get("/healthz"), 503)
        assert_error(client.get("/api/search?q=a"), 503)
        assert client.get("/").status_code == 200
        assert client.get("/search?q=a").status_code == 503


def test_config_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "i"))
    monkeypatch.setenv("KB_CORPUS_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("KB_ADMIN_TOKEN", "from-env")
    app = create_app()
    assert (app.config["INDEX_DIR"], app.config["CORPUS_DIR"], app.config["ADMIN_TOKEN"]) == (
        str(tmp_path / "i"), str(tmp_path / "c"), "from-env")
    assert create_app({"ADMIN_TOKEN": "from-test"}).config["ADMIN_TOKEN"] == "from-test"


# -- the watcher ---------------------------------------------------------------------------------

def test_watcher_reindexes_after_a_quiet_period(writable):
    corpus, index, app = writable
    now = [0.0]
    summaries = []
    watcher = CorpusWatcher(corpus, index, quiet=1.5, on_summary=summaries.append, clock=lambda: now[0])
    assert watcher.poll() is None  # first look: nothing to do
    (corpus / "summer.md").write_text(NEW_PAGE, encoding="utf-8")
    now[0] = 1.0
    assert watcher.poll() is None  # changed, not yet quiet
    now[0] = 2.0
    assert watcher.poll() is None
    now[0] = 2.6
    summary = watcher.poll()
    assert summary is not None and summary.added == 1
    assert summaries == [summary]
    now[0] = 10.0
    assert watcher.poll() is None  # nothing changed since
    client = app.test_client()
    assert client.get("/api/search", query_string={"q": "zanzibarian"}).get_json()["total"] == 1


def test_watcher_retries_while_the_index_is_locked(writable):
    corpus, index, _ = writable
    now = [0.0]
    watcher = CorpusWatcher(corpus, index, quiet=0.5, clock=lambda: now[0])
    watcher.poll()
    (corpus / "summer.md").write_text(NEW_PAGE, encoding="utf-8")
    watcher.poll()
    now[0] = 5.0
    with IndexStore(index).write_lock(timeout=1):
        assert watcher.poll() is None
    summary = watcher.poll()
    assert summary is not None and summary.added == 1
