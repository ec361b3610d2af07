"""Write stage: shards for the workers, and the parallel path giving the same index as the serial one."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

import indexer.write
from indexer.load import Skipped, SourceFile
from indexer.pipeline import PARALLEL_THRESHOLD, run_index
from indexer.write import balanced_shards
from kb.search import search
from kb.store import IndexStore

PAGES = PARALLEL_THRESHOLD + 16


def _file(name: str, size: int) -> SourceFile:
    return SourceFile(Path(name), name, "text", 0, size)


def test_balanced_shards_split_by_size_and_keep_every_file_once():
    files = [_file(f"f{n}.txt", size) for n, size in enumerate([900, 500, 400, 300, 200, 100, 100, 100])]
    shards = balanced_shards(files, 2)
    assert sorted(f.source for shard in shards for f in shard) == sorted(f.source for f in files)
    loads = sorted(sum(f.size for f in shard) for shard in shards)
    assert loads == [1300, 1300]
    assert balanced_shards(files[:1], 4) == [[files[0]]]  # never an empty shard
    assert balanced_shards([], 2) == []


def _write_pages(corpus: Path, version: int, count: int = PAGES) -> None:
    for n in range(count):
        lang = "fr" if n % 4 == 0 else "en"
        body = (f"Les étudiants du programme {n} partent un semestre à l'étranger, version {version}. " * 6
                if lang == "fr" else
                f"Students of programme {n} spend a semester abroad, version {version}. " * 6)
        path = corpus / ("sub" if n % 3 == 0 else "") / f"p{n:03d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: Programme {n}\nlang: {lang}\n---\n\n# Programme {n}\n\n{body}\n",
                        encoding="utf-8")
    (corpus / "broken.md").write_bytes(b"\x00\x01\x02binary" * 50)


def _snapshot(store: IndexStore) -> dict[str, list[tuple[str, str, str]]]:
    """Every document's passages (heading, language, text), by source."""
    store.refresh()
    return {source: [(hit.heading, hit.lang, hit.text) for hit in store.document(document.doc_id)[1]]
            for source, (document, _) in store.documents().items()}


def test_workers_build_the_same_index_as_one_process(tmp_path):
    corpus = tmp_path / "corpus"
    _write_pages(corpus, 0)
    serial, parallel = IndexStore(tmp_path / "serial"), IndexStore(tmp_path / "parallel")
    skipped: list[Skipped] = []
    one = run_index(corpus, serial, workers=1)
    two = run_index(corpus, parallel, workers=2, on_skip=skipped.append)
    assert (two.added, two.skipped, two.documents) == (one.added, one.skipped, one.documents) == (PAGES, 1, PAGES)
    assert two.passages == one.passages
    assert [item.source for item in skipped] == ["broken.md"]
    assert _snapshot(parallel) == _snapshot(serial)
    for query in ("semestre étranger", "semester abroad programme"):
        found, expected = search(parallel, query, per_page=50), search(serial, query, per_page=50)
        assert found.total == expected.total > 0  # the pages are alike: ties may rank in another order
    french = search(parallel, "semestre étranger", lang="fr", per_page=50)
    assert {hit.source for hit in french.results} == {f"{'sub/' if n % 3 == 0 else ''}p{n:03d}.md"
                                                      for n in range(0, PAGES, 4)}

    # An incremental run in workers replaces every changed page and keeps nothing of the old versions.
    _write_pages(corpus, 1)
    for gone in ("p001.md", "p002.md", "sub/p003.md"):
        (corpus / gone).unlink()
    summary = run_index(corpus, parallel, workers=2)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged, summary.documents) == \
        (0, PAGES - 3, 3, 0, PAGES - 3)
    assert all("version 1" in passages[0][2] for passages in _snapshot(parallel).values())
    serial.close()
    parallel.close()


def _fail_on_page_7(file, overrides):
    if file.source == "p007.md":
        raise RuntimeError("worker failure")
    return _real_prepare_or_skip(file, overrides)


_real_prepare_or_skip = indexer.write.prepare_or_skip


def test_a_failing_worker_leaves_the_previous_index_whole(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    _write_pages(corpus, 0)
    store = IndexStore(tmp_path / "index")
    run_index(corpus, store, workers=2)
    before = _snapshot(store)
    _write_pages(corpus, 1)
    # Workers are forked from this process, so they see the patched stage.
    monkeypatch.setattr(indexer.write, "prepare_or_skip", _fail_on_page_7)
    with pytest.raises(RuntimeError, match="worker failure"):
        run_index(corpus, store, workers=2)
    assert _snapshot(store) == before
    monkeypatch.undo()
    summary = run_index(corpus, store, workers=2)
    assert summary.updated == PAGES
    # What the failed run wrote (its workers' segments, temporary files) is gone after this commit.
    generation = store.index_dir / (store.index_dir / "CURRENT").read_text().strip()
    assert not [path for path in generation.iterdir() if path.suffix == ".tmp"]
    live = {segment.make_filename(".seg") for segment in whoosh_index.open_dir(str(generation))._segments()}
    assert {path.name for path in generation.glob("*.seg")} == live
    store.close()


def test_workers_report_progress_for_every_page(tmp_path):
    from indexer.load import read_metadata, walk_corpus
    from indexer.plan import plan_changes
    from indexer.write import write_changes_in_workers

    corpus = tmp_path / "corpus"
    _write_pages(corpus, 0)
    store = IndexStore(tmp_path / "index")
    plan = plan_changes(walk_corpus(corpus), {}, read_metadata(corpus))
    reported: list[int] = []
    with store.write_lock():
        counts = write_changes_in_workers(store, plan, {}, full=True, workers=2, on_progress=reported.append)
    assert sum(reported) == len(plan.to_prepare) == PAGES + 1  # the binary page is prepared, then skipped
    assert (counts.added, len(counts.skipped)) == (PAGES, 1)
    store.close()


def _fail_first_elsewhere_slowly(file, overrides):
    """Fail on the biggest page (the first of its worker's shard); take a while over every other."""
    if file.source == "p007.md":
        raise RuntimeError("worker failure")
    with open(os.environ["KB_TEST_PREPARED_LOG"], "a", encoding="utf-8") as log:
        log.write(file.source + "\n")
    time.sleep(0.1)  # the other worker's half would take 4 s: it is stopped long before
    return _real_prepare_or_skip(file, overrides)


def test_a_failing_worker_stops_the_other_workers_at_their_next_page(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    _write_pages(corpus, 0)
    (corpus / "p007.md").write_text("---\ntitle: Big\n---\n\n" + "A long page. " * 2000, encoding="utf-8")
    prepared_log = tmp_path / "prepared.log"
    prepared_log.touch()
    monkeypatch.setenv("KB_TEST_PREPARED_LOG", str(prepared_log))
    monkeypatch.setattr(indexer.write, "prepare_or_skip", _fail_first_elsewhere_slowly)
    with pytest.raises(RuntimeError, match="worker failure"):
        run_index(corpus, IndexStore(tmp_path / "index"), workers=2)
    # Without the abort flag the other worker would prepare its whole half (about PAGES / 2 pages).
    assert len(prepared_log.read_text().split()) < PAGES // 4
