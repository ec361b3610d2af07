"""bench/load.py in a couple of seconds against the seed corpus: it runs, measures, reports and cleans up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import load  # bench/ is not a package

pytestmark = pytest.mark.slow


def test_load_runs_against_the_seed_corpus_and_stops_its_server(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--corpus", str(ROOT / "corpus"), "--index",
         str(tmp_path / "index"), "--name", "smoke", "--levels", "1,4", "--duration", "1", "--warmup", "20",
         "--memory-requests", "100", "--memory-windows", "2", "--out", str(tmp_path / "out"), "--workers", "1"],
        check=False, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / "out" / "load-smoke.json").read_text())
    assert results["errors"] == 0 and results["index_documents"] == 5
    phases = {(phase["endpoint"], phase["clients"]): phase for phase in results["phases"]}
    assert set(phases) == {("search", 1), ("search", 4), ("ask", 1), ("ask", 4)}
    for phase in phases.values():
        assert phase["requests"] > 0 and phase["errors"] == 0 and phase["throughput_rps"] > 0
        assert 0 < phase["p50_ms"] <= phase["p95_ms"] <= phase["p99_ms"] <= phase["max_ms"]
    memory = results["memory"]
    assert memory["requests"] == 200 and memory["errors"] == 0 and len(memory["samples"]) == 9
    assert [(w["from"], w["to"]) for w in memory["windows"]] == [(0, 100), (100, 200)]
    assert memory["before"]["private"] > 0 and memory["after"]["total"] >= memory["after"]["private"]
    markdown = (tmp_path / "out" / "load-smoke.md").read_text()
    assert "| /api/search | 4 |" in markdown and "bench/load.py" in markdown
    # Its server is gone: no process of it is left holding the index.
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert str(tmp_path / "index").encode() not in cmdline.read_bytes(), cmdline
        except OSError:
            continue


@pytest.mark.parametrize("url", ["http://10.0.0.1:5000", "http://example.org:80", "https://127.0.0.1:5000",
                                 "http://192.168.1.2:5000", "http://127.0.0.1"])
def test_load_refuses_targets_off_this_machine(url):
    with pytest.raises(SystemExit, match="only targets"):
        load.check_loopback(url)


def test_load_accepts_loopback_targets():
    assert load.check_loopback("http://127.0.0.1:5000") == ("127.0.0.1", 5000)
    assert load.check_loopback("http://localhost:8080") == ("localhost", 8080)
    assert load.check_loopback("http://127.1.2.3:9") == ("127.1.2.3", 9)


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert (load.percentile(values, 0.5), load.percentile(values, 0.95), load.percentile(values, 0.99)) == (50, 95, 99)
    assert load.percentile([], 0.5) == 0.0 and load.percentile([7.0], 0.99) == 7.0


def test_open_searchers_do_not_each_copy_the_index(tmp_path):
    """The server pools one store per thread: each must read the index files in place. (Whoosh copies
    every part of a compound segment it opens into memory: ~200 MB per store on the 17k-page corpus.)"""
    import random
    import tracemalloc

    from indexer.pipeline import run_index
    from kb.search import search
    from kb.store import IndexStore

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rng = random.Random(3)
    vocabulary = [f"w{n}x{chr(97 + n % 26)}" for n in range(5000)]
    for n in range(150):
        (corpus / f"p{n}.txt").write_text("\n\n".join(" ".join(rng.choice(vocabulary) for _ in range(120)) + "."
                                                      for _ in range(6)), encoding="utf-8")
    writer = IndexStore(tmp_path / "index")
    run_index(corpus, writer, workers=1)
    writer.close()
    index_bytes = sum(path.stat().st_size for path in (tmp_path / "index").rglob("*") if path.is_file())
    assert index_bytes > 2_000_000
    stores = [IndexStore(tmp_path / "index")]
    try:
        assert search(stores[0], "w1xb w2xc").total
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(3):
                stores.append(IndexStore(tmp_path / "index"))
                assert search(stores[-1], "w1xb w2xc").total and stores[-1].stats()[0] == 150
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert grown < index_bytes / 4, f"3 more open stores took {grown} bytes for an index of {index_bytes}"
    finally:
        for store in stores:
            store.close()
