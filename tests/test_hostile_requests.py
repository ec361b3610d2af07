"""Hostile requests: malformed queries, parameters, bodies and paths never give a 5xx, always a reason.

Each case goes through Flask's test client; a set of them also goes over raw sockets and http.client to
a real `kb serve`, so gunicorn's and werkzeug's own parsing is covered too.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from kbserver import KbServe

from indexer.pipeline import run_index
from kb.store import IndexStore
from webapp import create_app

WEB_CORPUS = Path(__file__).resolve().parent / "fixtures" / "web_corpus"
JSON_ROUTES = ("/api/search", "/api/ask")
HTML_ROUTES = ("/search", "/ask")
#: Raw (already percent-encoded) values of q, and whether the app must refuse them with a 400.
QUERIES: dict[str, tuple[str, bool]] = {
    "empty": ("", True),
    "blank": ("%20%20%09", True),
    "plus signs": ("+++", True),
    "only NUL": ("%00", True),
    "only controls": ("%01%02%1F%7F%C2%85", True),
    "10,000 characters": ("x" * 10_000, True),
    "1,001 characters": ("y" * 1001, True),
    "1,000 characters": ("z" * 1000, False),
    "NUL inside": ("exchange%00abroad", False),
    "lone surrogate (CESU-8)": ("%ED%A0%80exchange", False),
    "invalid UTF-8": ("%FF%FE%C0%AF", False),
    "invalid percent-encoding": ("%zz%E9%%2", False),
    "bare AND": ("AND", False),
    "bare OR": ("OR", False),
    "bare NOT": ("NOT", False),
    "operators only": ("AND%20OR%20NOT%20NEAR", False),
    "unbalanced quote": ("%22exchange", False),
    "empty quotes": ("%22%22", False),
    "unbalanced parentheses": ("((exchange%20OR%20)", False),
    "star": ("*", False),
    "question star": ("%3F*", False),
    "field syntax": ("title%3Aexchange%20school%3A%2A%20lang%3Afr", False),
    "range syntax": ("[a%20TO%20z]%20%7B1%20TO%202%7D", False),
    "fuzzy and boost": ("exchange~2%5E10", False),
    "emoji": ("%F0%9F%98%80%F0%9F%8E%93", False),
    "emoji and words": ("%F0%9F%8E%93%20semester%20abroad", False),
    "zero-width and bidi": ("%E2%80%8B%E2%80%AE%EF%BB%BF", False),
    "markup": ("%3Cscript%3Ealert(1)%3C%2Fscript%3E%20%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E", False),
    "repeated q": ("exchange&q=&q=%00", False),
    "backslashes": ("%5C%5C%5C%22exchange%5C", False),
}
#: Extra search parameters, and whether they must be refused with a 400.
SEARCH_PARAMS: dict[str, tuple[str, bool]] = {
    "page=-1": ("page=-1", True),
    "page=0": ("page=0", True),
    "page=abc": ("page=abc", True),
    "page=1.5": ("page=1.5", True),
    "huge page": ("page=99999999999999999999999", True),
    "page out of range": ("page=1001", True),
    "page with NUL": ("page=1%00", True),
    "per_page=0": ("per_page=0", True),
    "per_page=100000": ("per_page=100000", True),
    "per_page=-5": ("per_page=-5", True),
    "malformed lang": ("lang=english%21", True),
    "lang with NUL": ("lang=f%00r", True),
    "over-long school": ("school=" + "s" * 300, True),
    "last page": ("page=1000", False),
    "unknown lang": ("lang=xx", False),
    "unknown regional lang": ("lang=ZZ-zz", False),
    "unknown school": ("school=Nowhere%20University", False),
    "school with markup": ("school=%3Cscript%3Ealert(1)%3C%2Fscript%3E", False),
    "school with field syntax": ("school=school%3A*%20OR%20lang%3Aen", False),
    "blank filters": ("school=&lang=%20", False),
    "repeated page": ("page=1&page=abc&page=-1", False),
    "per_page=100": ("per_page=100", False),
    "unknown parameter": ("debug=1&__proto__=x", False),
}
ASK_BODIES: dict[str, tuple[bytes, str, int]] = {
    "not JSON": (b"{not json", "application/json", 400),
    "truncated": (b'{"question": "semester', "application/json", 400),
    "a list": (b'["question"]', "application/json", 400),
    "a string": (b'"semester abroad"', "application/json", 400),
    "null": (b"null", "application/json", 400),
    "number question": (b'{"question": 12}', "application/json", 400),
    "null question": (b'{"question": null}', "application/json", 400),
    "nested question": (b'{"question": {"$ne": ""}}', "application/json", 400),
    "blank question": (b'{"question": " \\u0000 "}', "application/json", 400),
    "lone surrogate": (b'{"question": "\\udc80 exchange"}', "application/json", 400),
    "invalid UTF-8": (b'{"question": "\xff\xfe"}', "application/json", 400),
    "UTF-16 with a BOM": ('{"question": "exchange"}'.encode("utf-16"), "application/json", 200),  # RFC 8259 allows it
    "too long question": (json.dumps({"question": "q" * 1001}).encode(), "application/json", 400),
    "deeply nested": (b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}", "application/json", 400),
    "over 64 KiB": (json.dumps({"question": "a", "pad": "p" * 70_000}).encode(), "application/json", 413),
    "empty body": (b"", "application/json", 400),
    "form body": (b"question=semester+abroad", "application/x-www-form-urlencoded", 400),
    "duplicate keys": (b'{"question": "", "question": "semester abroad"}', "application/json", 200),
    "extra fields": (b'{"question": "semester abroad", "school": 5, "__proto__": {}}', "application/json", 200),
    "JSON without content type": (b'{"question": "semester abroad"}', "text/plain", 200),
}
TRAVERSALS = (
    "/documents/..%2F..%2F..%2Fetc%2Fpasswd",
    "/documents/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/documents/....//....//etc/passwd",
    "/api/documents/..%2F..%2Fetc%2Fpasswd",
    "/api/documents/%00",
    "/documents/%C0%AE%C0%AE%2Fetc%2Fpasswd",
    "/documents/" + "a" * 5000,
    "/documents/..%5C..%5Cwindows%5Cwin.ini",
    "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/%2e%2e/%2e%2e/kb/store.py",
    "/static/../webapp/views.py",
    "/documents/doc?hl=%3Cscript%3Ealert(1)%3C/script%3E",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The web fixture corpus and its index, built once for this module."""
    root = tmp_path_factory.mktemp("hostile-requests")
    corpus = shutil.copytree(WEB_CORPUS, root / "corpus")
    store = IndexStore(root / "index")
    run_index(corpus, store)
    store.close()
    return corpus, root / "index"


@pytest.fixture(scope="module")
def client(built):
    corpus, index = built
    app = create_app({"INDEX_DIR": index, "CORPUS_DIR": corpus, "ADMIN_TOKEN": "t0ken", "TESTING": True})
    yield app.test_client()
    app.extensions["kb.stores"].close()


def check_response(path: str, status: int, content_type: str, body: bytes) -> None:
    """No 5xx; errors in the JSON error shape (JSON routes) or as the HTML error page with a reason."""
    assert status < 500, (path, status, body[:300])
    if path.startswith(("/api/", "/healthz", "/openapi.json")):
        assert content_type.startswith("application/json"), (path, content_type)
        data = json.loads(body)
        if status >= 400:
            assert set(data) == {"error"} and set(data["error"]) == {"status", "message"}, data
            assert data["error"]["status"] == status and data["error"]["message"].strip(), data
    else:
        assert content_type.startswith("text/html"), (path, content_type)
        if status >= 400:
            page = BeautifulSoup(body, "html.parser")
            assert f"({status})" in page.select_one("h1").get_text(), (path, status)
            assert page.select_one(".error-message").get_text(strip=True), path


def _get(client, url: str):
    response = client.get(url)
    check_response(url, response.status_code, response.content_type, response.data)
    return response


@pytest.mark.parametrize("route", JSON_ROUTES + HTML_ROUTES)
@pytest.mark.parametrize("case", sorted(QUERIES))
def test_hostile_queries(client, route, case):
    raw, refused = QUERIES[case]
    response = _get(client, f"{route}?q={raw}")
    assert response.status_code == (400 if refused else 200), (case, response.data[:300])
    if route == "/api/search" and not refused:
        body = response.get_json()
        assert body["total"] >= len(body["results"]) and isinstance(body["results"], list)
    if route == "/api/ask" and not refused:
        assert response.get_json()["kind"] in {"list", "fact", "none"}
    if not refused and route in HTML_ROUTES:
        page = BeautifulSoup(response.data, "html.parser")
        assert not [tag for tag in page.find_all("script") if tag.get("src") != "/static/app.js"]
        assert not page.find_all("img")


def test_overlong_query_says_why(client):
    message = _get(client, "/api/search?q=" + "x" * 10_000).get_json()["error"]["message"]
    assert "too long" in message and "1000" in message
    page = BeautifulSoup(_get(client, "/search?q=" + "x" * 10_000).data, "html.parser")
    assert "too long" in page.select_one(".error-message").get_text()


@pytest.mark.parametrize("route", ("/api/search", "/search"))
@pytest.mark.parametrize("case", sorted(SEARCH_PARAMS))
def test_hostile_search_parameters(client, route, case):
    extra, refused = SEARCH_PARAMS[case]
    response = _get(client, f"{route}?q=exchange&{extra}")
    assert response.status_code == (400 if refused else 200), (case, response.data[:300])
    if route == "/api/search" and not refused:
        body = response.get_json()
        assert 1 <= body["per_page"] <= 100 and 1 <= body["page"] <= 1000
        if case.startswith("unknown") and "parameter" not in case:
            assert body["total"] == 0 and body["results"] == []


@pytest.mark.parametrize("case", sorted(ASK_BODIES))
def test_hostile_ask_bodies(client, case):
    data, content_type, want = ASK_BODIES[case]
    response = client.post("/api/ask", data=data, content_type=content_type)
    check_response("/api/ask", response.status_code, response.content_type, response.data)
    assert response.status_code == want, (case, response.data[:300])


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_finds_nothing(client, path):
    response = _get(client, path)
    assert response.status_code == 404
    assert b"root:" not in response.data and b"IndexStore" not in response.data


@pytest.mark.parametrize("method, path", [
    ("PUT", "/api/search?q=a"), ("DELETE", "/api/ask?q=a"), ("PATCH", "/api/reindex"), ("POST", "/search?q=a"),
    ("GET", "/api/reindex"), ("POST", "/healthz"), ("TRACE", "/"),
])
def test_wrong_methods_are_405_with_a_reason(client, method, path):
    response = client.open(path, method=method)
    check_response(path.split("?")[0], response.status_code, response.content_type, response.data)
    assert response.status_code == 405 and response.headers["Allow"]


def test_reindex_with_hostile_tokens_is_refused(client):
    for header in ("Bearer", "Bearer ", "Basic dDBrZW4=", "Bearer t0ken\x00", "bearer  t0ken2", "Bearer " + "t" * 10_000,
                   "Bearer t0kén"):
        response = client.post("/api/reindex", headers={"Authorization": header})
        check_response("/api/reindex", response.status_code, response.content_type, response.data)
        assert response.status_code in (400, 401), header


# -- a real server: gunicorn and werkzeug parse the bytes -------------------------------------------


@pytest.fixture(scope="module")
def server(built):
    corpus, index = built
    with KbServe(corpus, index, "--workers", "2") as running:
        yield running


def raw_request(server: KbServe, data: bytes, timeout: float = 15) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (the request asks to close), return status, headers and body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def _raw_get(target: bytes) -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def _raw_post(path: bytes, body: bytes, headers: bytes = b"", content_length: bool = True) -> bytes:
    length = b"Content-Length: %d\r\n" % len(body) if content_length else b""
    return (b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\n" + length + headers + b"\r\n" + body)


def _chunked(body: bytes) -> bytes:
    return b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"


@pytest.mark.parametrize("route", (b"/api/search", b"/search", b"/api/ask", b"/ask"))
def test_real_server_refuses_a_10000_character_query_with_a_reason(server, route):
    status, _, body = raw_request(server, _raw_get(route + b"?q=" + b"x" * 10_000))
    assert status in (400, 414)
    assert b"too large" in body or b"too long" in body  # gunicorn's page names the limit
    # Under the HTTP server's limit the app answers in its own shape.
    status, headers, body = raw_request(server, _raw_get(route + b"?q=" + b"y" * 8000))
    check_response(route.decode(), status, headers["content-type"], body)
    assert status == 400 and b"too long" in body


@pytest.mark.parametrize("target, want", [
    (b"/api/search?q=exchange%00abroad", 200),
    (b"/api/search?q=%ED%A0%80exchange", 200),
    (b"/api/search?q=%zz%E9%%2", 200),
    (b"/api/search?q=%22((exchange%20OR", 200),
    (b"/api/search?q=exchange&q=&page=1&page=x", 200),
    (b"/api/search?q=exchange&page=-1", 400),
    (b"/api/search?q=exchange&per_page=100000", 400),
    (b"/search?q=exchange&page=abc", 400),
    (b"/ask?q=%00", 400),
    (b"/api/ask?q=%20", 400),
    (b"/documents/../../etc/passwd", 404),
    (b"/documents/..%2F..%2Fetc%2Fpasswd", 404),
    (b"/api/documents/..%2F..%2Fetc%2Fpasswd", 404),
    (b"/static/../../../../etc/passwd", 404),
    (b"/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd", 404),
    (b"/static/%2e%2e/%2e%2e/webapp/views.py", 404),
    (b"//etc/passwd", 404),
])
def test_real_server_parses_hostile_urls(server, target, want):
    status, headers, body = raw_request(server, _raw_get(target))
    check_response(target.split(b"?")[0].decode(), status, headers.get("content-type", ""), body)
    assert status == want, (target, body[:300])
    assert b"root:" not in body


@pytest.mark.parametrize("request_bytes", [
    _raw_get(b"/api/search?q=a\x00b"),
    _raw_get(b"/api/search?q=\xff\xfe\xed\xa0\x80"),
    _raw_get("/api/search?q=été😀".encode()),
    _raw_get(b"/api/search?q=a b"),
    b"GET /api/search?q=exchange HTTP/9.9\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n",
    b"GET /api/search?q=a HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\nConnection: close\r\n\r\n",
    _raw_post(b"/api/ask", b"{}", headers=b"Content-Length: abc\r\n", content_length=False),
])
def test_real_server_refuses_malformed_http_with_a_4xx(server, request_bytes):
    status, _, body = raw_request(server, request_bytes)
    assert 400 <= status < 500 and body.strip()


@pytest.mark.parametrize("request_bytes, want, reason", [
    (_raw_post(b"/api/ask", b"{not json"), 400, b"JSON object"),
    (_raw_post(b"/api/ask", b'{"question": "\\ud800"}'), 400, b"surrogate"),
    (_raw_post(b"/api/ask", _chunked(b'{"question": "semester abroad"}'), b"Transfer-Encoding: chunked\r\n",
               content_length=False), 200, b'"kind"'),
    (_raw_post(b"/api/ask", b"zz\r\n{}\r\n0\r\n\r\n", b"Transfer-Encoding: chunked\r\n", content_length=False),
     400, b"could not be read"),
    (_raw_post(b"/api/ask", _chunked(b'{"question": "' + b"a" * 100_000 + b'"}'), b"Transfer-Encoding: chunked\r\n",
               content_length=False), 413, b"too large"),
    (_raw_post(b"/api/ask", b'{"question": "' + b"a" * 100_000 + b'"}'), 413, b"too large"),
])
def test_real_server_answers_hostile_bodies_in_the_json_shape(server, request_bytes, want, reason):
    status, headers, body = raw_request(server, request_bytes)
    check_response("/api/ask", status, headers["content-type"], body)
    assert status == want and reason in body, body[:300]


def test_real_server_through_http_client_and_still_healthy(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        for path, want in (("/api/search?q=" + "%F0%9F%98%80" * 600, 200), ("/api/search?q=" + "%C3%A9" * 1001, 400),
                           ("/api/ask?q=NOT%20AND%20OR", 200), ("/ask?q=%3F*", 200)):
            connection.request("GET", path)  # one keep-alive connection for all of them
            response = connection.getresponse()
            body = response.read()
            check_response(path.split("?")[0], response.status, response.getheader("Content-Type", ""), body)
            assert response.status == want, (path[:60], body[:200])
        connection.request("POST", "/api/ask", body=b"[1, 2", headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 400 and json.loads(response.read())["error"]["status"] == 400
    finally:
        connection.close()
    status, health = server.json("/healthz")
    assert status == 200 and health["status"] == "ok"
    log = server.output()
    assert "Traceback" not in log and "unhandled error" not in log, log[-3000:]


def test_a_long_query_falls_back_to_its_rarest_concepts_only(seed_store, monkeypatch):
    """Dozens of common words that no passage holds together must not become a union over the whole index."""
    from kb.search import FALLBACK_CONCEPTS, search

    requests: list[tuple[int, bool]] = []
    original = seed_store.search

    def spy(request):
        requests.append((len(request.groups), all(group.required for group in request.groups)))
        return original(request)

    monkeypatch.setattr(seed_store, "search", spy)
    words = ["students", "semester", "abroad", "exchange", "internship", "university", "partner", "school", "year",
             "programme", "international", "mobility", "qwertyzyx"]
    result = search(seed_store, " ".join(words))
    assert requests == [(len(words), True), (FALLBACK_CONCEPTS, False)]
    assert result.total > 0 and result.results  # the rarest real words still find passages
