"""Indexing benchmark: `kb index --full` against plain Whoosh and SQLite FTS5, then no-op and 10-page reindexes.

    .venv/bin/python bench/bench_index.py [--pages N] [--runs 3] [--workdir DIR] [--quick] [--out bench/results]

Extracts the MDN corpus (or a deterministic sample) into a temporary folder, builds each index `--runs`
times in the same run (kb, plain Whoosh, FTS5 in turn, each a fresh folder, each a child process measured
with os.wait4), and reports medians and the median of the per-run ratios. Writes index.json and index.md.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import (
    DEFAULT_TARBALL,
    RESULTS_DIR,
    Corpus,
    ProcessStats,
    check,
    clean_env,
    command_line,
    extract_corpus,
    fmt,
    kb_command,
    log,
    machine_info,
    measure_command,
    median,
    publish,
    touch_pages,
    tree_size,
    verdict,
    work_folder,
)

BASELINES = Path(__file__).resolve().parent / "baselines.py"
SUMMARY = re.compile(r"indexed (\d+) documents: (\d+) added, (\d+) updated, (\d+) removed, (\d+) unchanged, "
                     r"(\d+) skipped; (\d+) passages")
CHANGED_PAGES = 10
TARGET_FULL_VS_WHOOSH = 1.5
TARGET_NOOP_FRACTION = 0.03
TARGET_CHANGED_FRACTION = 0.06


def parse_summary(output: str) -> dict[str, int]:
    """The counts of `kb index`'s summary line."""
    match = SUMMARY.search(output)
    if not match:
        raise RuntimeError(f"no summary line in kb index output: {output[-500:]!r}")
    keys = ("documents", "added", "updated", "removed", "unchanged", "skipped", "passages")
    return dict(zip(keys, map(int, match.groups()), strict=True))


def _figures(stats: ProcessStats, size: int | None = None) -> dict[str, float]:
    figures = {"wall_s": round(stats.wall_s, 3), "cpu_s": round(stats.cpu_s, 3),
               "peak_rss_mb": round(stats.peak_rss_mb, 1)}
    if size is not None:
        figures["size_mb"] = round(size / 1e6, 2)
    return figures


def build_kb(corpus: Path, index: Path, workers: int | None = None) -> tuple[dict[str, float], dict[str, Any]]:
    """A measured `kb index --full` into a fresh folder: figures and summary counts."""
    shutil.rmtree(index, ignore_errors=True)
    extra = ["--workers", str(workers)] if workers else []
    stats = check(measure(kb_command("index", "--full", "--corpus", str(corpus), "--index", str(index), *extra)),
                  "kb index --full")
    summary: dict[str, Any] = parse_summary(stats.stdout)
    summary["skipped_files"] = [line for line in stats.stderr.splitlines() if line.startswith("kb: skipped")]
    return _figures(stats, tree_size(index)), summary


def build_whoosh(corpus: Path, index: Path) -> dict[str, float]:
    """A measured plain-Whoosh build into a fresh folder."""
    shutil.rmtree(index, ignore_errors=True)
    stats = check(measure([sys.executable, str(BASELINES), "whoosh", "--corpus", str(corpus), "--index", str(index)]),
                  "plain Whoosh build")
    return _figures(stats, tree_size(index))


def build_fts5(corpus: Path, db: Path) -> dict[str, float]:
    """A measured SQLite FTS5 build into a fresh database file."""
    db.unlink(missing_ok=True)
    stats = check(measure([sys.executable, str(BASELINES), "fts5", "--corpus", str(corpus), "--db", str(db)]),
                  "SQLite FTS5 build")
    return _figures(stats, tree_size(db))


def measure(command: list[str]) -> ProcessStats:
    """Run and measure one child process with kb's environment overrides removed."""
    return measure_command(command, env=clean_env())


def _medians(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(median([row[key] for row in rows]), 3) for key in rows[0]}


def run(pages: int | None, runs: int, work: Path, tarball: Path = DEFAULT_TARBALL,
        kb_workers: int | None = None, corpus: Corpus | None = None) -> dict[str, Any]:
    """Run the indexing benchmark in `work`; the results (the kb index is left in work/kb-index)."""
    if corpus is None:
        log(f"index: extracting {pages or 'all'} pages")
        corpus = extract_corpus(work / "corpus", pages, tarball)
    log(f"index: {corpus.count} pages ({len(corpus.pages['en'])} en, {len(corpus.pages['fr'])} fr)")
    kb_index, whoosh_index, fts5_db = work / "kb-index", work / "whoosh-index", work / "fts5.db"
    builds: list[dict[str, Any]] = []
    for number in range(1, runs + 1):
        kb, summary = build_kb(corpus.root, kb_index, kb_workers)
        log(f"index: run {number}/{runs}: kb {kb['wall_s']:.1f} s ({summary['passages']} passages)")
        whoosh = build_whoosh(corpus.root, whoosh_index)
        log(f"index: run {number}/{runs}: plain Whoosh {whoosh['wall_s']:.1f} s")
        fts5 = build_fts5(corpus.root, fts5_db)
        log(f"index: run {number}/{runs}: FTS5 {fts5['wall_s']:.1f} s")
        if summary["documents"] + summary["skipped"] != corpus.count:
            raise RuntimeError(f"kb indexed {summary} of {corpus.count} pages")
        ratios = {f"kb_over_{name}_{key}": round(kb[key] / other[key], 3)
                  for name, other in (("whoosh", whoosh), ("fts5", fts5)) for key in kb if other[key]}
        builds.append({"kb": kb, "whoosh": whoosh, "fts5": fts5, "ratios": ratios, "kb_summary": summary})
    full = {name: _medians([b[name] for b in builds]) for name in ("kb", "whoosh", "fts5")}
    ratios = _medians([b["ratios"] for b in builds])

    # A page kb skips stays skipped when changed, so it would not count as updated.
    skipped_sources = {line.removeprefix("kb: skipped ").split(": ", 1)[0]
                       for line in builds[-1]["kb_summary"]["skipped_files"]}
    reindex: dict[str, list[dict[str, Any]]] = {"noop": [], "changed": []}
    for number in range(runs):
        stats = check(measure(kb_command("index", "--corpus", str(corpus.root), "--index", str(kb_index))),
                      "no-op kb index")
        counts = parse_summary(stats.stdout)
        if counts["added"] or counts["updated"] or counts["removed"]:
            raise RuntimeError(f"the no-op kb index changed documents: {counts}")
        reindex["noop"].append({**_figures(stats), "summary": counts})
        touch_pages(corpus, CHANGED_PAGES, number, exclude=skipped_sources)
        stats = check(measure(kb_command("index", "--corpus", str(corpus.root), "--index", str(kb_index))),
                      "kb index after changes")
        counts = parse_summary(stats.stdout)
        if counts["updated"] != CHANGED_PAGES:
            raise RuntimeError(f"expected {CHANGED_PAGES} updated documents, got {counts}")
        reindex["changed"].append({**_figures(stats), "summary": counts})
        log(f"index: reindex {number + 1}/{runs}: no-op {reindex['noop'][-1]['wall_s']:.2f} s, "
            f"{CHANGED_PAGES} changed {reindex['changed'][-1]['wall_s']:.2f} s")
    full_wall = full["kb"]["wall_s"]
    reindex_summary = {}
    for kind, rows in reindex.items():
        wall = median([row["wall_s"] for row in rows])
        reindex_summary[kind] = {"wall_s": round(wall, 3), "cpu_s": round(median([r["cpu_s"] for r in rows]), 3),
                                 "peak_rss_mb": round(median([r["peak_rss_mb"] for r in rows]), 1),
                                 "fraction_of_full": round(wall / full_wall, 4), "runs": rows}

    targets = [
        {"name": "full build vs plain Whoosh (wall time)", "target": f"<= {TARGET_FULL_VS_WHOOSH}x",
         "measured": f"{ratios['kb_over_whoosh_wall_s']:.2f}x",
         "met": ratios["kb_over_whoosh_wall_s"] <= TARGET_FULL_VS_WHOOSH},
        {"name": "no-op reindex / full build", "target": f"<= {TARGET_NOOP_FRACTION:.0%}",
         "measured": f"{reindex_summary['noop']['fraction_of_full']:.1%}",
         "met": reindex_summary["noop"]["fraction_of_full"] <= TARGET_NOOP_FRACTION},
        {"name": f"{CHANGED_PAGES}-page reindex / full build", "target": f"<= {TARGET_CHANGED_FRACTION:.0%}",
         "measured": f"{reindex_summary['changed']['fraction_of_full']:.1%}",
         "met": reindex_summary["changed"]["fraction_of_full"] <= TARGET_CHANGED_FRACTION},
    ]
    return {
        "corpus": {"pages": corpus.count, "en": len(corpus.pages["en"]), "fr": len(corpus.pages["fr"]),
                   "raw_mb": round(corpus.raw_bytes() / 1e6, 2)},
        "runs": runs,
        "kb_workers": kb_workers,
        "full_build": full,
        "ratios": ratios,
        "builds": builds,
        "reindex": reindex_summary,
        "targets": targets,
    }


def markdown(results: dict[str, Any]) -> str:
    """The indexing tables in Markdown."""
    corpus, full, ratios = results["corpus"], results["full_build"], results["ratios"]
    passages = results["builds"][-1]["kb_summary"]["passages"]
    lines = [
        (f"### Indexing: {corpus['pages']:,} pages ({corpus['en']:,} en, {corpus['fr']:,} fr, "
         f"{corpus['raw_mb']:.1f} MB), median of {results['runs']} run(s)"),
        "",
        "| | `kb index --full` | plain Whoosh | SQLite FTS5 | kb / Whoosh | kb / FTS5 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label, digits in (("wall_s", "wall time (s)", 1), ("cpu_s", "CPU time, children included (s)", 1),
                               ("peak_rss_mb", "peak RSS, largest process (MB)", 0),
                               ("size_mb", "index size (MB)", 1)):
        lines.append(f"| {label} | {fmt(full['kb'][key], digits)} | {fmt(full['whoosh'][key], digits)} | "
                     f"{fmt(full['fts5'][key], digits)} | {fmt(ratios.get(f'kb_over_whoosh_{key}'), 2)}x | "
                     f"{fmt(ratios.get(f'kb_over_fts5_{key}'), 2)}x |")
    summary = results["builds"][-1]["kb_summary"]
    skipped = "".join(f" kb skipped {line.removeprefix('kb: skipped ')}." for line in summary["skipped_files"])
    lines += [
        "",
        (f"kb stores {passages:,} passages of {summary['documents']:,} pages (one Whoosh document per passage, plus "
         f"one per page); the baselines store one document per page.{skipped} Ratios are the median of the "
         "ratios measured within each run."),
        "",
        "| reindex | wall time (s) | CPU time (s) | fraction of the full build | target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for kind, label, target in (("noop", "no-op `kb index`", TARGET_NOOP_FRACTION),
                                ("changed", f"`kb index` after {CHANGED_PAGES} pages changed",
                                 TARGET_CHANGED_FRACTION)):
        row = results["reindex"][kind]
        lines.append(f"| {label} | {fmt(row['wall_s'], 2)} | {fmt(row['cpu_s'], 2)} | "
                     f"{row['fraction_of_full']:.1%} | <= {target:.0%}: "
                     f"{verdict(row['fraction_of_full'] <= target)} |")
    return "\n".join(lines) + "\n"


def targets_markdown(targets: Sequence[dict[str, Any]]) -> str:
    """A table of targets with their measured value and whether each is met."""
    lines = ["| target | goal | measured | |", "| --- | --- | --- | --- |"]
    lines += [f"| {t['name']} | {t['target']} | {t['measured']} | {verdict(t['met'])} |" for t in targets]
    return "\n".join(lines) + "\n"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by every benchmark script."""
    parser.add_argument("--pages", type=int, help="deterministic sample of N pages, en/fr proportion kept "
                                                  "[all 16,872]")
    parser.add_argument("--workdir", help="parent folder of the temporary work folder [system temp]")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (corpus and indexes)")
    parser.add_argument("--tarball", type=Path, default=DEFAULT_TARBALL, help="the benchmark corpus archive")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder for the results files")
    parser.add_argument("--quick", action="store_true", help="a fast rough run: 2,000 pages, 1 run")


def add_index_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the indexing benchmark."""
    parser.add_argument("--runs", type=int, default=None, help="full builds of each index [3; 1 with --quick]")
    parser.add_argument("--kb-workers", type=int, help="kb index --workers [kb's default: CPU count]")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the indexing benchmark, write index.json and index.md, print the Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    add_index_arguments(parser)
    args = parser.parse_args(argv)
    pages = args.pages if args.pages or not args.quick else 2000
    runs = args.runs or (1 if args.quick else 3)
    with work_folder(args.workdir, args.keep) as work:
        results = {"command": command_line(), "machine": machine_info(),
                   "index": run(pages, runs, work, args.tarball, args.kb_workers)}
    body = markdown(results["index"]) + "\n" + targets_markdown(results["index"]["targets"])
    publish(results, "kb indexing benchmark", body, args.out, "index")


if __name__ == "__main__":
    main()
