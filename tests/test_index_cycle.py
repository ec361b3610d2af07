"""The incremental indexing cycle end to end: add, change, delete, no-op, --full, locking, kill -9."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import lock_is_held
from whoosh.fields import STORED

from indexer.load import Skipped
from indexer.pipeline import run_index
from kb.store import IndexIncompatible, IndexLocked, IndexStore

PAGE = """<html lang="en"><head><title>{title} | Northbridge Institute of Technology</title></head>
<body><nav><a href="/">Home</a><a href="/apply">Apply</a></nav>
<main><h1>{title}</h1><p>{body}</p></main><footer>© Northbridge</footer></body></html>"""


def _write(corpus: Path, name: str, title: str, body: str) -> None:
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAGE.format(title=title, body=body), encoding="utf-8")


def _sources(store: IndexStore) -> set[str]:
    store.refresh()
    return set(store.documents())


def _counts(summary):
    return (summary.added, summary.updated, summary.removed, summary.unchanged, summary.skipped)


def test_an_index_built_with_another_schema_is_rebuilt_whole(corpus, store, monkeypatch):
    from whoosh.fields import STORED

    import kb.store.index

    _write(corpus, "a.html", "Exchange", "Every student spends a semester abroad at a partner university.")
    _write(corpus, "b.html", "Fees", "Tuition fees are listed each year.")
    older = kb.store.index.SCHEMA.copy()
    older.add("retired_field", STORED())
    with monkeypatch.context() as patch:
        patch.setattr(kb.store.index, "SCHEMA", older)
        run_index(corpus, store)
        assert store.outdated() is False
    store.refresh()
    assert store.outdated() is True
    # Nothing changed in the corpus, yet every page is written again, into the current schema.
    assert _counts(run_index(corpus, store)) == (2, 0, 0, 0, 0)
    store.refresh()
    assert store.outdated() is False and _sources(store) == {"a.html", "b.html"}
    assert _counts(run_index(corpus, store)) == (0, 0, 0, 2, 0)


def test_add_change_delete_and_no_op(corpus, store):
    _write(corpus, "a.html", "Exchange", "Every student spends a semester abroad at a partner university.")
    _write(corpus, "sub/b.html", "Internships", "Internships abroad last eight weeks.")
    first = run_index(corpus, store)
    assert _counts(first) == (2, 0, 0, 0, 0)
    assert first.documents == 2 and first.passages >= 2
    assert _sources(store) == {"a.html", "sub/b.html"}

    index_files = {p: p.stat().st_mtime_ns for p in (store.index_dir).rglob("*") if p.is_file() and p.name != "write.lock"}
    assert _counts(run_index(corpus, store)) == (0, 0, 0, 2, 0)
    assert {p: p.stat().st_mtime_ns for p in index_files} == index_files  # a no-op writes nothing

    _write(corpus, "a.html", "Exchange", "Every student spends two semesters abroad at a partner university.")
    (corpus / "sub" / "b.html").unlink()
    _write(corpus, "c.html", "Fees", "Tuition fees are listed each year.")
    summary = run_index(corpus, store)
    assert _counts(summary) == (1, 1, 1, 0, 0)
    assert _sources(store) == {"a.html", "c.html"}
    passages = store.document(store.documents()["a.html"][0].doc_id)[1]
    assert "two semesters" in " ".join(p.text for p in passages)


def test_touched_but_unchanged_file_is_not_reindexed(corpus, store):
    _write(corpus, "a.html", "Exchange", "A semester abroad.")
    run_index(corpus, store)
    os.utime(corpus / "a.html", ns=(time.time_ns(), time.time_ns() + 10**9))
    assert _counts(run_index(corpus, store)) == (0, 0, 0, 1, 0)


def test_passage_ids_survive_a_reindex_of_other_pages(corpus, store):
    _write(corpus, "a.html", "Exchange", "A semester abroad.")
    _write(corpus, "b.html", "Fees", "Fees.")
    run_index(corpus, store)
    doc_id = store.documents()["a.html"][0].doc_id
    before = [p.passage_id for p in store.document(doc_id)[1]]
    _write(corpus, "b.html", "Fees", "Fees changed.")
    run_index(corpus, store, full=True)
    store.refresh()
    assert [p.passage_id for p in store.document(doc_id)[1]] == before


def test_sources_toml_change_reindexes_the_page(corpus, store):
    _write(corpus, "a.html", "Exchange", "A semester abroad.")
    run_index(corpus, store)
    (corpus / "sources.toml").write_text('["a.html"]\nschool = "Southgate School"\n')
    assert _counts(run_index(corpus, store)) == (0, 1, 0, 0, 0)
    store.refresh()
    assert store.documents()["a.html"][0].school == "Southgate School"


def test_unusable_files_are_skipped_and_named(corpus, store):
    _write(corpus, "good.html", "Exchange", "A semester abroad.")
    (corpus / "empty.html").write_bytes(b"")
    (corpus / "binary.html").write_bytes(b"\x00\x01\x02PNG" * 100)
    skipped: list[Skipped] = []
    summary = run_index(corpus, store, on_skip=skipped.append)
    assert summary.added == 1 and summary.skipped == 2
    assert {s.source: s.reason for s in skipped} == {"empty.html": "empty file",
                                                      "binary.html": "binary file (contains NUL bytes)"}


def test_full_rebuild_switches_generations_and_leaves_no_debris(corpus, store):
    _write(corpus, "a.html", "Exchange", "A semester abroad.")
    run_index(corpus, store)
    full = run_index(corpus, store, full=True)
    assert full.added == 1 and full.documents == 1
    generations = sorted(p.name for p in store.index_dir.glob("gen-*"))
    assert len(generations) <= 2  # the live one and the one it replaced (a reader may still hold it)
    assert (store.index_dir / "CURRENT").read_text().strip() in generations


def test_empty_corpus_gives_an_empty_index(corpus, store):
    summary = run_index(corpus, store)
    assert (summary.documents, summary.passages) == (0, 0)


def test_second_writer_waits_then_fails_clearly(corpus, store):
    _write(corpus, "a.html", "Exchange", "A semester abroad.")
    with store.write_lock(), pytest.raises(IndexLocked, match="another process is writing the index"):
        run_index(corpus, IndexStore(store.index_dir), lock_timeout=0.3)


def _big_corpus(corpus: Path, pages: int) -> None:
    for number in range(pages):
        _write(corpus, f"p{number:04d}.html", f"Page {number}",
               f"Page {number} tells how students of programme {number} spend a semester abroad. " * 20)


def _assert_no_process_left(marker: str) -> None:
    """No worker of a killed run lives on (it would hold the lock and wait forever)."""
    deadline = time.monotonic() + 10
    while True:
        alive = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if marker.encode() in cmdline.read_bytes():
                    alive.append(cmdline.parent.name)
            except OSError:
                continue
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not alive, f"processes of the killed run are still alive: {alive}"


def _kill_mid_run(command: list[str], index_dir: Path, delay: float) -> bool:
    """Start a run, wait until it holds the write lock (it is writing), then kill -9 it after `delay`.

    A busy machine makes run times vary: a run that ends before the kill is retried with a shorter
    delay; False when every attempt ended first.
    """
    for _attempt in range(4):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not lock_is_held(index_dir) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        delay /= 3
    return False


def test_kill_9_during_full_and_incremental_runs_loses_nothing(corpus, store):
    pages = 700
    _big_corpus(corpus, pages)
    # Default workers: the runs fork cleaning workers and Whoosh writer processes.
    kb = [sys.executable, "-m", "kb", "index", "--corpus", str(corpus), "--index", str(store.index_dir)]
    started = time.monotonic()
    subprocess.run(kb, check=True, capture_output=True, timeout=300)
    duration = time.monotonic() - started
    before = store.stats()
    rng = random.Random(9)
    for run in range(3):
        if run == 2:  # an incremental run that rewrites every page
            for number in range(pages):
                _write(corpus, f"p{number:04d}.html", f"Page {number}", f"Page {number} was rewritten. " * 30)
        killed = _kill_mid_run(kb + (["--full"] if run < 2 else []), store.index_dir,
                               rng.uniform(0.1, 0.4) * duration)
        assert killed or run == 2, "every run ended before it could be killed: make the corpus bigger"
        reader = IndexStore(store.index_dir)
        if run < 2:  # a rebuild of the same pages: the previous index still answers with every page
            assert reader.stats() == before
        else:  # old or new version of the rewritten pages, depending on the commit, but every page
            assert reader.stats()[0] == pages
        reader.close()
        _assert_no_process_left(str(store.index_dir))
    # The next run completes without anyone removing a lock, and the index matches the corpus.
    done = subprocess.run(kb, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"indexed {pages} documents: 0 added" in done.stdout
    store.refresh()
    rewritten = store.document(store.documents()["p0000.html"][0].doc_id)[1]
    assert "was rewritten" in rewritten[0].text


def test_spelling_suggestions_follow_the_corpus(corpus, store):
    _write(corpus, "a.html", "Exchange", "Every student spends a semester abroad at a partner university.")
    _write(corpus, "b.html", "Music", "The xylophonist of the orchestra studied abroad.")
    run_index(corpus, store)
    store.refresh()
    assert store.suggest("xylophonistt") == "xylophonist"
    assert _counts(run_index(corpus, store)) == (0, 0, 0, 2, 0)
    (corpus / "b.html").unlink()
    run_index(corpus, store)
    store.refresh()
    assert store.suggest("xylophonistt") is None  # the word left with its page
    assert store.suggest("universty") == "university"
    assert store.stats() == (1, 1)  # the vocabulary records count as neither pages nor passages


class VanishingField(STORED):
    """A field type that a later version of kb no longer has."""


def test_an_index_whose_schema_cannot_be_read_is_rebuilt_whole(corpus, store, monkeypatch):
    import sys
    import types

    import kb.store.index

    _write(corpus, "a.html", "Exchange", "Every student spends a semester abroad at a partner university.")
    gone = types.ModuleType("kb_gone_fields")
    gone.VanishingField = VanishingField
    VanishingField.__module__ = "kb_gone_fields"
    monkeypatch.setitem(sys.modules, "kb_gone_fields", gone)
    older = kb.store.index.SCHEMA.copy()
    older.add("retired_field", VanishingField())
    with monkeypatch.context() as patch:
        patch.setattr(kb.store.index, "SCHEMA", older)
        run_index(corpus, store)
    store.close()
    del sys.modules["kb_gone_fields"]  # the pickled schema now names a module that is gone
    with pytest.raises(IndexIncompatible, match="run `kb index --full`"):
        IndexStore(store.index_dir).searcher()
    assert _counts(run_index(corpus, store)) == (1, 0, 0, 0, 0)  # rebuilt, not a traceback
    store.refresh()
    assert store.outdated() is False and _sources(store) == {"a.html"}
