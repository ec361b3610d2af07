"""Smoke runs of the benchmark scripts on a few hundred sampled pages, so they cannot rot (no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TARBALL = Path("/work/shared/bench-corpus/corpus.tar.gz")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not TARBALL.exists(), reason=f"the benchmark corpus {TARBALL} is not on this machine"),
]


def run_script(name: str, *args: str, out: Path, work: Path) -> tuple[str, dict[str, Any], str]:
    """Run bench/<name>.py with small settings; its stdout, JSON results and Markdown results."""
    command = [sys.executable, str(BENCH / f"{name}.py"), "--tarball", str(TARBALL), "--out", str(out),
               "--workdir", str(work), *args]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    result_name = {"run_all": "latest", "bench_index": "index", "bench_query": "query"}[name]
    results = json.loads((out / f"{result_name}.json").read_text())
    markdown = (out / f"{result_name}.md").read_text()
    assert markdown in done.stdout  # the table is printed too (bench/results/ is not committed)
    assert not list(work.iterdir()), "the temporary work folder was not removed"
    return done.stdout, results, markdown


def assert_targets(targets: list[dict[str, Any]]) -> None:
    """Every target is judged: a name, a goal, a measured value and a verdict."""
    assert targets
    for target in targets:
        assert target["name"] and target["target"] and target["measured"]
        assert isinstance(target["met"], bool)


def assert_index_results(index: dict[str, Any], pages: int) -> None:
    """The indexing section is complete and consistent with the sample."""
    assert index["corpus"]["pages"] == pages
    assert index["corpus"]["en"] > index["corpus"]["fr"] > 0
    for name in ("kb", "whoosh", "fts5"):
        figures = index["full_build"][name]
        assert figures["wall_s"] > 0 and figures["cpu_s"] > 0 and figures["peak_rss_mb"] > 0
        assert figures["size_mb"] > 0
    summary = index["builds"][0]["kb_summary"]
    assert summary["documents"] + summary["skipped"] == pages
    assert index["ratios"]["kb_over_whoosh_wall_s"] > 0
    assert index["reindex"]["noop"]["runs"][0]["summary"]["updated"] == 0
    assert index["reindex"]["changed"]["runs"][0]["summary"]["updated"] == 10
    assert_targets(index["targets"])


def assert_query_results(query: dict[str, Any], levels: list[int]) -> None:
    """The query section has every way of querying at every level, without errors."""
    assert [level["pages"] for level in query["levels"]] == levels
    for level in query["levels"]:
        ways = [level["floor_whoosh"], level["inprocess_search"], level["inprocess_ask"]]
        ways += [level["http"][mode][kind] for mode in level["http"] for kind in ("search", "ask")]
        for way in ways:
            assert way["n"] > 0 and way["errors"] == 0
            assert 0 < way["p50_ms"] <= way["p95_ms"] <= way["p99_ms"]
        roles = sorted(process["role"] for process in level["server_processes"])
        assert roles.count("master") == 1 and roles.count("worker") == query["server_workers"]
    assert_targets(query["targets"])


def test_bench_index_runs_on_a_sample_and_writes_its_results(tmp_path: Path) -> None:
    _, results, markdown = run_script("bench_index", "--pages", "200", "--runs", "1",
                                      out=tmp_path / "out", work=tmp_path / "work")
    assert_index_results(results["index"], 200)
    assert "| wall time (s) |" in markdown and "no-op `kb index`" in markdown


def test_bench_query_runs_two_sizes_and_writes_its_results(tmp_path: Path) -> None:
    _, results, markdown = run_script("bench_query", "--levels", "100,200", "--queries", "12", "--query-runs", "1",
                                      "--concurrency", "4", out=tmp_path / "out", work=tmp_path / "work")
    assert_query_results(results["query"], [100, 200])
    assert results["query"]["growth"]["size_ratio"] == 2.0
    assert "`/api/ask` HTTP, 4 clients" in markdown


def test_run_all_reuses_the_index_and_writes_latest(tmp_path: Path) -> None:
    stdout, results, markdown = run_script("run_all", "--pages", "200", "--runs", "1", "--levels", "200",
                                           "--queries", "8", "--query-runs", "1", "--concurrency", "2",
                                           out=tmp_path / "out", work=tmp_path / "work")
    assert_index_results(results["index"], 200)
    assert_query_results(results["query"], [200])
    assert results["query"]["levels"][0]["kb_build"] is None  # reused the indexing benchmark's index
    assert len(results["targets"]) == len(results["index"]["targets"]) + len(results["query"]["targets"])
    assert markdown.startswith("## Benchmarks") and "### Targets" in markdown
    assert "Produced by `.venv/bin/python bench/run_all.py --tarball" in stdout


def test_profile_index_times_and_profiles_both_stages(tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    work.mkdir()
    command = [sys.executable, str(BENCH / "profile_index.py"), "--tarball", str(TARBALL), "--out", str(out),
               "--workdir", str(work), "--pages", "60"]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-4000:]
    profile = json.loads((out / "profile.json").read_text())["profile"]
    assert profile["pages"] == 60 and profile["passages"] > profile["documents"] > 0
    assert profile["cpu_s"]["prepare"] > 0 and profile["cpu_s"]["write"] > 0
    for stage, parts in profile["shares"].items():
        assert parts and all(0 < share <= 1 for share in parts.values()), (stage, parts)
    assert (out / "profile.md").read_text() in done.stdout
    assert not list(work.iterdir())
