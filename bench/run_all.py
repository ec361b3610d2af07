"""Run the indexing and query benchmarks in one go; write bench/results/latest.json and latest.md, print the table.

    .venv/bin/python bench/run_all.py [--pages N] [--runs 3] [--query-runs 3] [--workdir DIR] [--quick]

(`make bench` runs it with the defaults: the whole MDN corpus, 3 runs; expect 20-30 minutes on 2 cores.)
The query benchmark reuses the corpus and the kb index of the indexing benchmark for its largest size.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from typing import Any

import bench_index
import bench_query
from common import command_line, extract_corpus, log, machine_info, measured_code, work_folder, write_results


def render(results: dict[str, Any]) -> str:
    """The whole results section in Markdown, with the command that produced it."""
    machine = results["machine"]
    return (
        "## Benchmarks\n\n"
        f"Produced by `{results['command']}` on {machine['cpus']} CPUs ({machine['platform']}, Python "
        f"{machine['python']}), {machine['started_at']}, on {measured_code(machine)}, in "
        f"{results['elapsed_min']:.0f} minutes; load average "
        f"{machine['loadavg_at_start'][0]:.1f} at the start and {results['loadavg_at_end'][0]:.1f} at the end. "
        "Corpus: MDN Web Docs, English and French Markdown pages (`/work/shared/bench-corpus`, CC-BY-SA 2.5, "
        "Mozilla Contributors).\n\n"
        + bench_index.markdown(results["index"]) + "\n"
        + bench_query.markdown(results["query"]) + "\n"
        "### Targets\n\n"
        + bench_index.targets_markdown(results["targets"])
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run both benchmarks, write latest.json and latest.md, print the Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench_index.add_common_arguments(parser)
    bench_index.add_index_arguments(parser)
    bench_query.add_query_arguments(parser)
    args = parser.parse_args(argv)
    pages = args.pages if args.pages or not args.quick else 2000
    runs = args.runs or (1 if args.quick else 3)
    levels = bench_query.choose_levels(args.levels, pages, args.quick)
    queries = args.queries or (60 if args.quick else 240)
    passes = args.query_runs or (1 if args.quick else 3)
    started = time.perf_counter()
    results: dict[str, Any] = {"command": command_line(), "machine": machine_info()}
    with work_folder(args.workdir, args.keep) as work:
        log(f"all: extracting {pages or 'all'} pages into {work}")
        corpus = extract_corpus(work / "corpus", pages, args.tarball)
        results["index"] = bench_index.run(pages, runs, work, args.tarball, args.kb_workers, corpus=corpus)
        results["query"] = bench_query.run(levels, queries, passes, args.concurrency, work, args.tarball,
                                           args.server_workers, prebuilt={pages: (corpus, work / "kb-index")})
    results["targets"] = results["index"]["targets"] + results["query"]["targets"]
    results["elapsed_min"] = round((time.perf_counter() - started) / 60, 1)
    results["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = render(results)
    json_path, md_path = write_results(results, text, args.out, "latest")
    print(text)
    log(f"all: results in {json_path} and {md_path}")


if __name__ == "__main__":
    main()
