"""`kb serve` as a real process: gunicorn, the routes over HTTP, live reindex and the corpus watcher."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from kbserver import KbServe

from kb.store import IndexStore

pytestmark = pytest.mark.slow

WEB_CORPUS = Path(__file__).resolve().parent / "fixtures" / "web_corpus"
AUTH = {"Authorization": "Bearer test-token"}
PAGE = """---
title: {title}
school: Northbridge Institute of Technology
lang: en
---

Northbridge students may join the {word} programme in their fourth year.
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return shutil.copytree(WEB_CORPUS, tmp_path / "corpus")


def _total(server: KbServe, q: str) -> int:
    status, body = server.json("/api/search?q=" + quote(q))
    assert status == 200
    return body["total"]


def test_serve_builds_the_index_and_answers_every_route(corpus, tmp_path):
    index = tmp_path / "index"  # not built yet: kb serve builds it first
    with KbServe(corpus, index, "--workers", "2") as server:
        assert "indexed 5 documents: 5 added" in server.output()
        status, health = server.json("/healthz")
        assert status == 200 and health == {"status": "ok", "documents": 5, "passages": health["passages"]}

        status, headers, body = server.get("/")
        assert status == 200 and b"<form" in body
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"]
        status, _, body = server.get("/search?q=exchange")
        assert status == 200 and b'class="result"' in body
        status, _, body = server.get("/ask?q=" + quote("How many partner universities does Northbridge have?"))
        assert status == 200 and b'class="answer' in body

        status, found = server.json("/api/search?q=exchange&per_page=3")
        assert status == 200 and found["results"]
        hit = found["results"][0]
        status, _, page = server.get(hit["url"])
        assert status == 200 and f'id="p-{hit["passage_id"]}"'.encode() in page
        status, document = server.json("/api/documents/" + hit["doc_id"])
        assert status == 200 and document["doc_id"] == hit["doc_id"]

        status, answer = server.json("/api/ask", method="POST", body={"question": "Which schools send students abroad?"})
        assert status == 200 and answer["kind"] in {"list", "fact", "none"}
        status, spec = server.json("/openapi.json")
        assert status == 200 and spec["openapi"].startswith("3")

        for path, want in (("/api/search", 400), ("/api/search?q=", 400), ("/api/search?q=" + "x" * 1001, 400),
                           ("/api/search?q=" + "x" * 6000, 400), ("/api/search?q=a&page=abc", 400),
                           ("/api/documents/no-such-document", 404), ("/api/nothing", 404)):
            status, body = server.json(path)
            assert status == want and body["error"]["status"] == want and body["error"]["message"], path
        status, body = server.json("/api/ask", method="POST", body=b"{not json")
        assert status == 400 and body["error"]["status"] == 400
        status, body = server.json("/api/ask", method="POST", body=b'{"question": "' + b"a" * 100_000 + b'"}')
        assert status == 413 and body["error"]["status"] == 413


def test_reindex_over_http_while_searches_go_on(corpus, tmp_path):
    index = tmp_path / "index"
    with KbServe(corpus, index, "--workers", "1") as server:
        assert server.json("/api/reindex", method="POST")[0] == 401
        assert server.json("/api/reindex", method="POST", headers={"Authorization": "Bearer nope"})[0] == 401

        (corpus / "arctic.md").write_text(PAGE.format(title="Arctic exchange", word="quokkafjord"), encoding="utf-8")
        assert _total(server, "quokkafjord") == 0
        status, summary = server.json("/api/reindex", method="POST", headers=AUTH)
        assert status == 200 and summary["added"] == 1 and summary["documents"] == 6
        assert _total(server, "quokkafjord") == 1  # every worker sees it, no restart

        # A writer elsewhere (a `kb index` run) holds the lock: 409, and searches keep being answered.
        with IndexStore(index).write_lock(timeout=5):
            status, body = server.json("/api/reindex", method="POST", headers=AUTH)
            assert status == 409 and body["error"]["status"] == 409
            results: list[int] = []
            threads = [threading.Thread(target=lambda: results.append(server.get("/api/search?q=exchange")[0]))
                       for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert results == [200] * 6


def test_serve_refuses_reindex_without_a_configured_token(corpus, tmp_path):
    with KbServe(corpus, tmp_path / "index", "--workers", "1", token=None) as server:
        status, body = server.json("/api/reindex", method="POST", headers=AUTH)
        assert status == 403 and body["error"]["status"] == 403


def test_watch_reindexes_a_new_page_within_seconds(corpus, tmp_path):
    index = tmp_path / "index"
    with KbServe(corpus, index, "--workers", "1", "--watch") as server:
        time.sleep(1.0)  # let the watcher take its first look at the corpus
        (corpus / "sub").mkdir()
        (corpus / "sub" / "polar.md").write_text(PAGE.format(title="Polar", word="wombatholm"), encoding="utf-8")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _total(server, "wombatholm") == 0:
            time.sleep(0.5)
        assert _total(server, "wombatholm") == 1, server.output()[-2000:]
        assert "kb watch: indexed 6 documents: 1 added" in server.output()

        (corpus / "sub" / "polar.md").unlink()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _total(server, "wombatholm") == 1:
            time.sleep(0.5)
        assert _total(server, "wombatholm") == 0
