"""Concurrency and crashes: searches during reindexes, two writers at once, a worker killed mid-reindex.

Every test runs real processes (`kb serve` under gunicorn, `kb index`) on loopback, bounded in time,
and checks afterwards that the index holds exactly what the corpus holds.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self
from urllib.parse import quote

import pytest
from conftest import lock_is_held
from kbserver import KbServe

from indexer.pipeline import run_index
from indexer.prepare import content_hash
from kb.store import IndexStore

pytestmark = pytest.mark.slow

WEB_CORPUS = Path(__file__).resolve().parent / "fixtures" / "web_corpus"
TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLIENTS = 4
REINDEXES = 5
#: Pages of the corpus whose indexing must last long enough to be caught in the act (~1-3 s).
BIG = 360
#: Requests the clients cycle through: searches, questions (GET and POST) and the HTML pages.
CLIENT_REQUESTS: tuple[tuple[str, str, bytes | None], ...] = (
    ("GET", "/api/search?q=" + quote("semester abroad"), None),
    ("GET", "/api/ask?q=" + quote("Which schools send students abroad?"), None),
    ("POST", "/api/ask", json.dumps({"question": "How many partner universities does Northbridge have?"}).encode()),
    ("GET", "/search?q=" + quote("programme reports") + "&per_page=5&page=2", None),
    ("GET", "/ask?q=" + quote("What do students of programme 3 write?"), None),
    ("GET", "/api/search?q=exchange&lang=en&school=" + quote("School 2"), None),
    ("GET", "/healthz", None),
)


def page_text(n: int, version: int) -> str:
    """A generated page: its token names the page and its version, so a stale copy in the index shows."""
    return (f"---\ntitle: Programme {n}\nschool: School {n % 5}\nlang: en\n---\n\n# Programme {n}\n\n"
            + f"Students of programme {n} spend a semester abroad and write reports pagetok{n}v{version}. " * 12
            + "\n")


def write_page(corpus: Path, n: int, version: int) -> None:
    """Write page n (in a sub-folder for every third page)."""
    path = corpus / ("sub" if n % 3 == 0 else "") / f"p{n:03d}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page_text(n, version), encoding="utf-8")


def page_path(corpus: Path, n: int) -> Path:
    """Where page n lives."""
    return corpus / ("sub" if n % 3 == 0 else "") / f"p{n:03d}.md"


def corpus_files(corpus: Path) -> dict[str, bytes]:
    """Every document file of the corpus by source, with its bytes."""
    return {path.relative_to(corpus).as_posix(): path.read_bytes()
            for path in sorted(corpus.rglob("*")) if path.is_file() and path.name != "sources.toml"}


def assert_index_matches(index: Path, corpus: Path) -> None:
    """The index holds exactly the corpus: the same sources, each with the content hash of its bytes."""
    store = IndexStore(index)
    try:
        indexed = store.documents()
        files = corpus_files(corpus)
        assert set(indexed) == set(files)
        stale = [source for source, data in files.items() if indexed[source][0].content_hash != content_hash(data)]
        assert not stale, f"indexed from old bytes: {stale}"
        documents, passages = store.stats()
        assert documents == len(files) and passages >= documents
    finally:
        store.close()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def kb(*args: str) -> list[str]:
    """The argv of a `kb` command in this interpreter's environment."""
    return [sys.executable, "-m", "kb", *args]


def clean_env() -> dict[str, str]:
    """The environment without KB_* overrides."""
    return {key: value for key, value in os.environ.items() if not key.startswith("KB_")}


def total(server: KbServe, q: str) -> int:
    """The total of /api/search for q (asserting a 200)."""
    status, body = server.json("/api/search?q=" + quote(q))
    assert status == 200, body
    return body["total"]


def sources_for(server: KbServe, q: str) -> list[str]:
    """The sources of the results of /api/search for q."""
    status, body = server.json("/api/search?q=" + quote(q) + "&per_page=50")
    assert status == 200, body
    return [result["source"] for result in body["results"]]


class Clients:
    """Threads that send CLIENT_REQUESTS over keep-alive connections until stopped; every non-200 is kept."""

    def __init__(self, port: int, count: int = CLIENTS) -> None:
        self.port = port
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.counts = [0] * count
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(count)]

    def _run(self, number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        step = number  # each client starts at a different request
        try:
            while not self.stop.is_set():
                method, path, body = CLIENT_REQUESTS[step % len(CLIENT_REQUESTS)]
                step += 1
                headers = {"Content-Type": "application/json"} if body else {}
                try:
                    connection.request(method, path, body=body, headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException) as error:
                    self.failures.append(f"{method} {path}: {error!r}")
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    continue
                if response.status != 200:
                    self.failures.append(f"{method} {path}: {response.status} {data[:200]!r}")
                self.counts[number] += 1
        finally:
            connection.close()

    def __enter__(self) -> Self:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def test_searches_never_fail_while_the_corpus_changes_and_reindex_runs(tmp_path):
    corpus = shutil.copytree(WEB_CORPUS, tmp_path / "corpus")
    versions = {n: 0 for n in range(40)}
    for n in versions:
        write_page(corpus, n, 0)
    index = tmp_path / "index"
    store = IndexStore(index)
    run_index(corpus, store)
    store.close()
    next_page = len(versions)
    removed: set[int] = set()

    def mutate(round_number: int) -> None:
        """Add two pages, rewrite three, delete two."""
        nonlocal next_page
        for _ in range(2):
            versions[next_page] = 0
            write_page(corpus, next_page, 0)
            next_page += 1
        alive = sorted(versions)
        for n in alive[round_number::7][:3]:
            versions[n] += 1
            write_page(corpus, n, versions[n])
        for n in alive[round_number + 3::11][:2]:
            page_path(corpus, n).unlink()
            del versions[n]
            removed.add(n)

    with KbServe(corpus, index, "--workers", "2", token=TOKEN) as server, Clients(server.port) as clients:
        time.sleep(0.5)
        for round_number in range(REINDEXES):
            answer: dict[str, object] = {}

            def reindex(answer: dict[str, object] = answer) -> None:
                answer["status"], answer["body"] = server.json("/api/reindex", method="POST", headers=AUTH,
                                                               timeout=120)

            if round_number < REINDEXES - 1:
                # The corpus changes while the reindex reads it: whatever the run saw, the next run fixes.
                worker = threading.Thread(target=reindex)
                worker.start()
                mutate(round_number)
                worker.join(120)
            else:
                mutate(round_number)
                reindex()
            assert answer["status"] == 200, answer
            summary = answer["body"]
            assert isinstance(summary, dict) and summary["status"] == "ok"
        # The last run saw the final corpus: each page is found by its current token, never by an old one.
        for n, version in sorted(versions.items())[::4]:
            assert sources_for(server, f"pagetok{n}v{version}") == [page_path(corpus, n).relative_to(corpus).as_posix()]
            if version:
                assert total(server, f"pagetok{n}v{version - 1}") == 0
        for n in sorted(removed):
            assert total(server, f"pagetok{n}v0") == 0
        status, health = server.json("/healthz")
        assert status == 200 and health["documents"] == len(corpus_files(corpus))
        time.sleep(0.5)
        log = server.output()
    if "Traceback" in log:
        print(log[log.find("Traceback") - 300:][:12000])  # pytest shows captured output of a failed test
    assert not clients.failures, clients.failures[:10]
    assert min(clients.counts) >= 10, clients.counts  # every client kept going the whole time
    assert_index_matches(index, corpus)
    assert "Traceback" not in log and "unhandled error" not in log, log[-3000:]


@pytest.fixture
def big_corpus(tmp_path: Path) -> Path:
    """A corpus large enough that an indexing run takes a few seconds."""
    corpus = tmp_path / "corpus"
    for n in range(BIG):
        write_page(corpus, n, 0)
    return corpus


def test_two_kb_index_runs_at_once_the_second_waits_and_nothing_is_corrupted(big_corpus, tmp_path):
    index = tmp_path / "index"
    first = subprocess.Popen(kb("index", "--corpus", str(big_corpus), "--index", str(index)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    try:
        wait_for(lambda: lock_is_held(index) or first.poll() is not None, 60, "the first run to take the lock")
        if first.poll() is not None:
            pytest.fail(f"the first run ended before the second started (make the corpus bigger):\n"
                        f"{first.communicate()}")
        second = subprocess.run(kb("index", "--corpus", str(big_corpus), "--index", str(index), "--full"),
                                check=False, capture_output=True, text=True, env=clean_env(), timeout=180)
        out, err = first.communicate(timeout=180)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert out.startswith(f"indexed {BIG} documents: {BIG} added, 0 updated, 0 removed")
    # The second run waited for the lock, then rebuilt the whole index from scratch.
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(f"indexed {BIG} documents: {BIG} added, 0 updated, 0 removed")
    assert_index_matches(index, big_corpus)
    assert len(list(index.glob("gen-*"))) <= 2
    assert not lock_is_held(index)


def test_api_reindex_during_a_cli_reindex_is_409_and_searches_go_on(big_corpus, tmp_path):
    index = tmp_path / "index"
    store = IndexStore(index)
    run_index(big_corpus, store)
    store.close()
    with KbServe(big_corpus, index, "--workers", "2", token=TOKEN) as server:
        for n in range(BIG):
            write_page(big_corpus, n, 1)
        cli = subprocess.Popen(kb("index", "--corpus", str(big_corpus), "--index", str(index)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
        try:
            wait_for(lambda: lock_is_held(index) or cli.poll() is not None, 60, "the CLI run to take the lock")
            if cli.poll() is not None:
                pytest.fail(f"the CLI run ended too soon (make the corpus bigger):\n{cli.communicate()}")
            # Paused while it holds the lock, so that it is still running, whatever the machine's speed.
            os.kill(cli.pid, signal.SIGSTOP)
            try:
                status, body = server.json("/api/reindex", method="POST", headers=AUTH)
                assert status == 409 and body["error"]["status"] == 409
                assert "already running" in body["error"]["message"]
                assert sources_for(server, "pagetok7v0") == ["p007.md"]  # the old index answers meanwhile
            finally:
                os.kill(cli.pid, signal.SIGCONT)
            out, err = cli.communicate(timeout=180)
        finally:
            if cli.poll() is None:
                cli.kill()
        assert cli.returncode == 0, err
        assert f"{BIG} updated" in out
        assert sources_for(server, "pagetok7v1") == ["p007.md"] and total(server, "pagetok7v0") == 0
        status, summary = server.json("/api/reindex", method="POST", headers=AUTH)
        assert status == 200 and (summary["unchanged"], summary["documents"]) == (BIG, BIG)
    assert_index_matches(index, big_corpus)


def _server_workers(server: KbServe) -> list[int]:
    """The pids of the gunicorn workers (children of the master) of a server."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def test_a_worker_killed_mid_reindex_loses_nothing_and_the_next_reindex_completes(big_corpus, tmp_path):
    index = tmp_path / "index"
    store = IndexStore(index)
    run_index(big_corpus, store)
    before = store.stats()
    store.close()
    with KbServe(big_corpus, index, "--workers", "1", token=TOKEN) as server:
        for n in range(BIG):
            write_page(big_corpus, n, 1)
        answer: dict[str, object] = {}

        def reindex() -> None:
            try:
                answer["result"] = server.json("/api/reindex", method="POST", headers=AUTH, timeout=120)
            except (OSError, http.client.HTTPException, json.JSONDecodeError) as error:
                answer["error"] = error

        thread = threading.Thread(target=reindex)
        thread.start()
        wait_for(lambda: lock_is_held(index) or not thread.is_alive(), 60, "the API reindex to take the lock")
        time.sleep(0.2)
        assert thread.is_alive(), "the reindex ended before the kill: make the corpus bigger"
        (worker,) = _server_workers(server)
        os.kill(worker, signal.SIGKILL)  # as the OOM killer would
        thread.join(60)
        assert "error" in answer or answer["result"][0] >= 500  # that one request is lost, nothing else
        # The master starts a new worker; the previous index answers, whole; the lock died with the worker.
        wait_for(lambda: _server_workers(server) not in ([], [worker]), 30, "gunicorn to replace the worker")
        wait_for(lambda: server.get("/healthz")[0] == 200, 30, "the new worker to answer")
        reader = IndexStore(index)
        assert reader.stats() == before
        reader.close()
        assert not lock_is_held(index)
        assert sources_for(server, "pagetok7v0") == ["p007.md"]
        status, summary = server.json("/api/reindex", method="POST", headers=AUTH, timeout=120)
        assert status == 200 and summary["updated"] == BIG, summary
        assert sources_for(server, "pagetok7v1") == ["p007.md"] and total(server, "pagetok7v0") == 0
    assert_index_matches(index, big_corpus)
    # What the killed writer left half-written (temporary segment files) is gone after the next run.
    assert not [path for path in index.rglob("*") if path.suffix in (".tmp", ".ctmp")]


def test_a_reader_opened_before_merging_commits_keeps_answering(tmp_path):
    """A request that opened its reader just before a reindex commits must finish on that snapshot, even
    when the commit merged the reader's segments away and deleted their files."""
    from kb.answer import ask
    from kb.search import search

    corpus = tmp_path / "corpus"
    for n in range(60):
        write_page(corpus, n, 0)
    index = tmp_path / "index"
    for version in range(4):  # a few segments, so that later commits merge them
        write_page(corpus, version, version)
        writer = IndexStore(index)
        run_index(corpus, writer, workers=1)
        writer.close()
    reader = IndexStore(index)
    try:
        reader.searcher()  # opened, as at the start of a request, before anything was read
        files = {path for path in index.rglob("MAIN_*") if path.is_file()}  # segment files, not the TOC
        for version in range(4, 16):
            write_page(corpus, version, version)
            writer = IndexStore(index)
            run_index(corpus, writer, workers=1)
            writer.close()
            if files - {path for path in index.rglob("MAIN_*") if path.is_file()}:
                break  # a merge deleted files the reader's snapshot is made of
        else:
            pytest.fail("no commit merged segments away: the test no longer exercises anything")
        assert sources_of(search(reader, "pagetok3v3").results) == ["sub/p003.md"]  # the snapshot it opened
        assert len(search(reader, "programme", per_page=100).results) == 60  # every segment's stored fields
        assert ask(reader, "What do students of programme 7 write?").kind in {"fact", "list", "none"}
        assert reader.stats()[0] == 60
    finally:
        reader.close()


def test_readers_opening_while_commits_replace_the_table_of_contents_never_fail(tmp_path):
    """Opening a store lists the live table of contents, then reads it; a commit in between deletes
    it. Stores opened in a loop during a run of incremental reindexes must all open."""
    corpus = tmp_path / "corpus"
    for n in range(30):
        write_page(corpus, n, 0)
    index = tmp_path / "index"
    writer = IndexStore(index)
    run_index(corpus, writer, workers=1)
    writer.close()
    stop = threading.Event()
    errors: list[str] = []
    opened = [0]

    def open_stores() -> None:
        while not stop.is_set():
            store = IndexStore(index)
            try:
                assert store.exists() and store.stats()[0] == 30
                opened[0] += 1
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                errors.append(repr(error))
            finally:
                store.close()

    readers = [threading.Thread(target=open_stores, daemon=True) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for version in range(1, 25):
            for n in range(version % 5, 30, 5):
                write_page(corpus, n, version)
            writer = IndexStore(index)
            run_index(corpus, writer, workers=1)
            writer.close()
    finally:
        stop.set()
        for thread in readers:
            thread.join(30)
    assert not errors, errors[:5]
    assert opened[0] >= 25


def sources_of(hits: list) -> list[str]:
    """The sources of search hits."""
    return [hit.source for hit in hits]
