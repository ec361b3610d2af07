"""Query benchmark: /api/search and /api/ask over HTTP against `kb serve`, kb in-process, and a plain-Whoosh floor.

    .venv/bin/python bench/bench_query.py [--pages N] [--levels 1000,4000,all] [--queries 240] [--query-runs 3]
                                          [--concurrency 8] [--workdir DIR] [--quick] [--out bench/results]

At each corpus size (nested deterministic samples) it builds a kb index and a plain-Whoosh index, then
times the same title queries (half English, half French) four ways: plain Whoosh in-process (QueryParser,
AND), `kb.search.search` and `kb.answer.ask` in-process, and `kb serve` over loopback HTTP sequentially
and at `--concurrency` clients; finally it reads the VmRSS of every server process. Each way gets one
warm-up pass, then `--query-runs` timed passes whose p50/p95/p99 are reported as medians.
Writes query.json and query.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench_index import add_common_arguments, build_kb, build_whoosh, targets_markdown
from common import (
    DEFAULT_TARBALL,
    BenchQuery,
    Corpus,
    HttpClient,
    KbServer,
    command_line,
    extract_corpus,
    fmt,
    latency_summary,
    log,
    machine_info,
    make_queries,
    median_summary,
    publish,
    verdict,
    work_folder,
)

DEFAULT_LEVELS = (1000, 4000, None)  # None: the whole corpus
TARGET_SEARCH_P95_MS = 50.0
TARGET_ASK_P95_MS = 150.0
TARGET_HTTP_FACTOR, TARGET_HTTP_ADD_MS = 1.5, 2.0
TARGET_RSS_MB = 400.0
#: "Clearly sublinear": latency ~ pages**b with b at most this (16.9x the pages -> at most ~4.1x the latency).
TARGET_GROWTH_EXPONENT = 0.5


def search_path(query: BenchQuery) -> str:
    """The /api/search request for a query."""
    return "/api/search?q=" + quote(query.text, safe="")


def ask_path(query: BenchQuery) -> str:
    """The /api/ask request for a query's question form."""
    return "/api/ask?q=" + quote(query.question, safe="")


def _valid_search(body: dict[str, Any]) -> bool:
    return isinstance(body.get("results"), list) and isinstance(body.get("total"), int)


def _valid_ask(body: dict[str, Any]) -> bool:
    return body.get("kind") in ("list", "fact", "none") and isinstance(body.get("citations"), list)


def time_calls(items: Sequence[Any], call: Callable[[Any], bool]) -> dict[str, Any]:
    """Call `call` on each item in turn; the latency summary with the 5 slowest (False or an exception: error)."""
    latencies, errors = [], 0
    started = time.perf_counter()
    for item in items:
        before = time.perf_counter()
        try:
            ok = call(item)
        except Exception:  # noqa: BLE001 (a benchmark counts failures instead of stopping)
            ok = False
        latencies.append(time.perf_counter() - before)
        errors += not ok
    summary = latency_summary(latencies, time.perf_counter() - started, errors)
    ranked = sorted(zip(latencies, items, strict=True), key=lambda pair: pair[0], reverse=True)
    summary["slowest"] = [{"ms": round(seconds * 1000, 1), "query": getattr(item, "text", str(item))}
                          for seconds, item in ranked[:5]]
    return summary


def http_pass(port: int, paths: Sequence[str], valid: Callable[[dict[str, Any]], bool],
              clients: int = 1) -> dict[str, Any]:
    """GET every path once, from `clients` keep-alive clients at a time; the latency summary."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = itertools.count()

    def client_loop() -> None:
        nonlocal errors
        client = HttpClient(port)
        try:
            while (index := next(counter)) < len(paths):
                before = time.perf_counter()
                try:
                    status, body = client.get(paths[index])
                    ok = status == 200 and valid(json.loads(body))
                except Exception:  # noqa: BLE001 (a benchmark counts failures instead of stopping)
                    client.close()
                    ok = False
                elapsed = time.perf_counter() - before
                with lock:
                    latencies.append(elapsed)
                    errors += not ok
        finally:
            client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latency_summary(latencies, time.perf_counter() - started, errors)


def repeat(passes: int, one_pass: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One warm-up pass (reported apart), then `passes` timed passes summarised by their medians."""
    warmup = one_pass()
    timed = [one_pass() for _ in range(passes)]
    summary = median_summary(timed)
    summary["warmup"] = {k: warmup[k] for k in ("first_ms", "p50_ms", "p99_ms", "errors")}
    if "slowest" in timed[-1]:
        summary["slowest"] = timed[-1]["slowest"]
    return summary


def measure_level(corpus: Corpus, kb_index: Path, whoosh_index: Path, queries: Sequence[BenchQuery],
                  passes: int, concurrency: int, server_workers: int, work: Path) -> dict[str, Any]:
    """Every latency figure at one corpus size, on already built indexes."""
    from baselines import WhooshFloor

    from kb.answer import ask
    from kb.search import search
    from kb.store import IndexStore

    result: dict[str, Any] = {"pages": corpus.count, "queries": len(queries)}
    found = {"whoosh": 0, "kb": 0}

    floor = WhooshFloor(whoosh_index)
    try:
        def floor_call(query: BenchQuery) -> bool:
            paths = floor.search(query.text)
            found["whoosh"] += query.source in paths
            return True

        result["floor_whoosh"] = repeat(passes, lambda: time_calls(queries, floor_call))
    finally:
        floor.close()
    log(f"query: {corpus.count} pages: plain Whoosh p50 {result['floor_whoosh']['p50_ms']:.2f} ms")

    store = IndexStore(kb_index)
    try:
        def kb_search_call(query: BenchQuery) -> bool:
            found_sources = [hit.source for hit in search(store, query.text).results]
            found["kb"] += query.source in found_sources
            return True

        result["inprocess_search"] = repeat(passes, lambda: time_calls(queries, kb_search_call))
        log(f"query: {corpus.count} pages: kb search in-process p50 {result['inprocess_search']['p50_ms']:.1f} ms")
        result["inprocess_ask"] = repeat(passes, lambda: time_calls(queries, lambda q: _valid_ask(
            ask(store, q.question).to_dict())))
        log(f"query: {corpus.count} pages: kb ask in-process p50 {result['inprocess_ask']['p50_ms']:.1f} ms")
    finally:
        store.close()
    # Each query ran once as warm-up and `passes` times; the share whose own page was in the top 10.
    runs = passes + 1
    result["title_page_in_top10"] = {name: round(count / (runs * len(queries)), 3) for name, count in found.items()}

    search_paths, ask_paths = [search_path(q) for q in queries], [ask_path(q) for q in queries]
    server = KbServer(corpus.root, kb_index, workers=server_workers,
                      log_path=work / f"serve-{corpus.count}.log")
    try:
        result["server_startup_s"] = round(server.wait_ready(), 2)
        http: dict[str, Any] = {}
        for mode, clients in (("sequential", 1), (f"concurrent_{concurrency}", concurrency)):
            http[mode] = {
                "search": repeat(passes, lambda c=clients: http_pass(server.port, search_paths, _valid_search, c)),
                "ask": repeat(passes, lambda c=clients: http_pass(server.port, ask_paths, _valid_ask, c)),
            }
            log(f"query: {corpus.count} pages: HTTP {mode}: search p50 {http[mode]['search']['p50_ms']:.1f} ms, "
                f"ask p50 {http[mode]['ask']['p50_ms']:.1f} ms, errors "
                f"{http[mode]['search']['errors'] + http[mode]['ask']['errors']}")
        result["http"] = http
        result["server_processes"] = server.processes()
    finally:
        server.stop()
    return result


def run(levels: Sequence[int | None], query_count: int, passes: int, concurrency: int, work: Path,
        tarball: Path = DEFAULT_TARBALL, server_workers: int = 2,
        prebuilt: dict[int | None, tuple[Corpus, Path]] | None = None) -> dict[str, Any]:
    """Run the query benchmark at each corpus size; `prebuilt` maps a level to an extracted corpus and kb index."""
    prebuilt = prebuilt or {}
    results: list[dict[str, Any]] = []
    queries: list[BenchQuery] | None = None
    for level in levels:
        folder = work / f"query-{level or 'all'}"
        if level in prebuilt:
            corpus, kb_index = prebuilt[level]
            kb_build = None
            log(f"query: {corpus.count} pages: reusing the kb index of the indexing benchmark")
        else:
            log(f"query: extracting {level or 'all'} pages")
            corpus = extract_corpus(folder / "corpus", level, tarball)
            kb_index = folder / "kb-index"
            kb_build, _ = build_kb(corpus.root, kb_index)
            log(f"query: {corpus.count} pages: kb index --full {kb_build['wall_s']:.1f} s")
        whoosh_index = folder / "whoosh-index"
        whoosh_build = build_whoosh(corpus.root, whoosh_index)
        if queries is None:
            # From the smallest level: the samples are nested, so every level holds every query's page.
            queries = make_queries(corpus, query_count)
        level_result = measure_level(corpus, kb_index, whoosh_index, queries, passes, concurrency,
                                     server_workers, folder)
        level_result["kb_build"], level_result["whoosh_build"] = kb_build, whoosh_build
        results.append(level_result)
    assert queries is not None
    return {"levels": results, "passes": passes, "concurrency": concurrency, "server_workers": server_workers,
            "query_examples": [q.text for q in queries[:6]], "growth": growth(results),
            "targets": targets(results, concurrency)}


def growth(levels: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Latency ratio and exponent b (latency ~ pages**b) from the smallest to the largest corpus."""
    if len(levels) < 2:
        return {}
    small, large = levels[0], levels[-1]
    size_ratio = large["pages"] / small["pages"]
    figures = {}
    for name, pick in (("http_search_p50", lambda lv: lv["http"]["sequential"]["search"]["p50_ms"]),
                       ("http_search_p95", lambda lv: lv["http"]["sequential"]["search"]["p95_ms"]),
                       ("http_ask_p50", lambda lv: lv["http"]["sequential"]["ask"]["p50_ms"]),
                       ("http_ask_p95", lambda lv: lv["http"]["sequential"]["ask"]["p95_ms"]),
                       ("inprocess_search_p50", lambda lv: lv["inprocess_search"]["p50_ms"]),
                       ("floor_whoosh_p50", lambda lv: lv["floor_whoosh"]["p50_ms"])):
        ratio = pick(large) / pick(small)
        figures[name] = {"ratio": round(ratio, 2), "exponent": round(math.log(ratio) / math.log(size_ratio), 2)
                         if size_ratio > 1 and ratio > 0 else None}
    return {"pages_from": small["pages"], "pages_to": large["pages"], "size_ratio": round(size_ratio, 2),
            "latency": figures}


def targets(levels: Sequence[dict[str, Any]], concurrency: int) -> list[dict[str, Any]]:
    """The query targets, judged on the largest corpus (errors and growth on every level)."""
    full = levels[-1]
    sequential = full["http"]["sequential"]
    search_p50, inprocess_p50 = sequential["search"]["p50_ms"], full["inprocess_search"]["p50_ms"]
    allowed = TARGET_HTTP_FACTOR * inprocess_p50 + TARGET_HTTP_ADD_MS
    concurrent_errors = sum(lv["http"][f"concurrent_{concurrency}"][kind]["errors"] for lv in levels
                            for kind in ("search", "ask"))
    concurrent_requests = sum(lv["http"][f"concurrent_{concurrency}"][kind]["n"] for lv in levels
                              for kind in ("search", "ask"))
    biggest = max(full["server_processes"], key=lambda p: p["rss_mb"])
    result = [
        {"name": f"/api/search p95, sequential, {full['pages']:,} pages", "target": f"<= {TARGET_SEARCH_P95_MS:.0f} ms",
         "measured": f"{sequential['search']['p95_ms']:.1f} ms",
         "met": sequential["search"]["p95_ms"] <= TARGET_SEARCH_P95_MS},
        {"name": f"/api/ask p95, sequential, {full['pages']:,} pages", "target": f"<= {TARGET_ASK_P95_MS:.0f} ms",
         "measured": f"{sequential['ask']['p95_ms']:.1f} ms", "met": sequential["ask"]["p95_ms"] <= TARGET_ASK_P95_MS},
        {"name": "search p50 over HTTP vs in-process", "target": f"<= {TARGET_HTTP_FACTOR}x in-process + "
                                                                 f"{TARGET_HTTP_ADD_MS:.0f} ms ({allowed:.1f} ms)",
         "measured": f"{search_p50:.1f} ms (in-process {inprocess_p50:.1f} ms)", "met": search_p50 <= allowed},
        {"name": f"errors at {concurrency} concurrent clients", "target": "0",
         "measured": f"{concurrent_errors} of {concurrent_requests}", "met": concurrent_errors == 0},
        {"name": "RSS of each server process after the run", "target": f"<= {TARGET_RSS_MB:.0f} MB",
         "measured": f"largest {biggest['rss_mb']:.0f} MB ({biggest['role']})",
         "met": all(p["rss_mb"] <= TARGET_RSS_MB for p in full["server_processes"])},
    ]
    grown = growth(levels)
    if grown:
        exponents = {name: grown["latency"][name]["exponent"] for name in ("http_search_p50", "http_ask_p50")}
        result.append({
            "name": f"latency growth {grown['pages_from']:,} -> {grown['pages_to']:,} pages "
                    f"({grown['size_ratio']:.1f}x)",
            "target": f"sublinear: exponent b <= {TARGET_GROWTH_EXPONENT} for HTTP search and ask p50",
            "measured": ", ".join(f"{name.split('_')[1]} {grown['latency'][name]['ratio']:.2f}x (b={b})"
                                  for name, b in exponents.items()),
            "met": all(b is not None and b <= TARGET_GROWTH_EXPONENT for b in exponents.values())})
    return result


def markdown(results: dict[str, Any]) -> str:
    """The query, growth and memory tables in Markdown."""
    concurrency = results["concurrency"]
    lines = [
        (f"### Queries: {results['levels'][0]['queries']} title queries (half en, half fr), median of "
         f"{results['passes']} pass(es) after a warm-up; `kb serve` with {results['server_workers']} workers"),
        "",
        "| pages | path | p50 (ms) | p95 (ms) | p99 (ms) | throughput (req/s) | errors |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for level in results["levels"]:
        rows = [
            ("plain Whoosh in-process (floor)", level["floor_whoosh"]),
            ("`kb.search.search` in-process", level["inprocess_search"]),
            ("`kb.answer.ask` in-process", level["inprocess_ask"]),
            ("`/api/search` HTTP, sequential", level["http"]["sequential"]["search"]),
            ("`/api/ask` HTTP, sequential", level["http"]["sequential"]["ask"]),
            (f"`/api/search` HTTP, {concurrency} clients", level["http"][f"concurrent_{concurrency}"]["search"]),
            (f"`/api/ask` HTTP, {concurrency} clients", level["http"][f"concurrent_{concurrency}"]["ask"]),
        ]
        for label, row in rows:
            lines.append(f"| {level['pages']:,} | {label} | {fmt(row['p50_ms'], 2)} | {fmt(row['p95_ms'], 2)} | "
                         f"{fmt(row['p99_ms'], 2)} | {fmt(row['throughput_rps'], 1)} | {row['errors']} |")
    full = results["levels"][-1]
    http_p50, inproc_p50 = full["http"]["sequential"]["search"]["p50_ms"], full["inprocess_search"]["p50_ms"]
    floor_p50 = full["floor_whoosh"]["p50_ms"]
    lines += [
        "",
        (f"On {full['pages']:,} pages, search p50: HTTP / in-process = {http_p50 / inproc_p50:.2f}x "
         f"({http_p50 - inproc_p50:+.1f} ms), in-process kb / plain Whoosh floor = {inproc_p50 / floor_p50:.1f}x. "
         f"A query's own page is in the top 10 for {full['title_page_in_top10']['kb']:.0%} of the titles with kb "
         f"and {full['title_page_in_top10']['whoosh']:.0%} with plain Whoosh. Server start-up (to /healthz and all "
         f"workers up): {full['server_startup_s']:.1f} s; the first request after it took "
         f"{full['http']['sequential']['search']['warmup']['first_ms']:.0f} ms (search) and "
         f"{full['http']['sequential']['ask']['warmup']['first_ms']:.0f} ms (first ask); the warm-up pass had "
         f"search p50 {full['http']['sequential']['search']['warmup']['p50_ms']:.1f} ms and ask p50 "
         f"{full['http']['sequential']['ask']['warmup']['p50_ms']:.1f} ms."),
    ]
    for key, label in (("inprocess_search", "`kb.search.search`"), ("inprocess_ask", "`kb.answer.ask`")):
        slowest = ", ".join(f"{row['query']!r} {row['ms']:,.0f} ms" for row in full[key].get("slowest", [])[:3])
        lines += ["", f"Slowest queries of {label} in-process on {full['pages']:,} pages (last pass): {slowest}."]
    grown = results["growth"]
    if grown:
        lines += ["", (f"Growth from {grown['pages_from']:,} to {grown['pages_to']:,} pages "
                       f"({grown['size_ratio']:.1f}x the pages); b is the exponent in latency ~ pages^b "
                       "(1 = linear):"), "",
                  "| latency | ratio | b |", "| --- | ---: | ---: |"]
        for name, row in grown["latency"].items():
            lines.append(f"| {name.replace('_', ' ')} | {row['ratio']:.2f}x | {fmt(row['exponent'], 2)} |")
    lines += ["", (f"Memory of the `kb serve` processes after the run on {full['pages']:,} pages "
                   "(VmRSS and peak VmHWM from /proc/<pid>/status):"), "",
              "| process | pid | RSS (MB) | peak RSS (MB) | <= 400 MB |", "| --- | ---: | ---: | ---: | --- |"]
    for process in full["server_processes"]:
        lines.append(f"| gunicorn {process['role']} | {process['pid']} | {process['rss_mb']:.0f} | "
                     f"{process['hwm_mb']:.0f} | {verdict(process['rss_mb'] <= TARGET_RSS_MB)} |")
    return "\n".join(lines) + "\n"


def parse_levels(text: str) -> list[int | None]:
    """'1000,4000,all' -> [1000, 4000, None]."""
    return [None if part.strip() == "all" else int(part) for part in text.split(",") if part.strip()]


def choose_levels(levels: str | None, pages: int | None, quick: bool) -> list[int | None]:
    """The corpus sizes to measure: explicit, else 1k/4k below --pages plus --pages itself (or all)."""
    if levels:
        return parse_levels(levels)
    if quick:
        return [500, pages or 2000]
    return [level for level in DEFAULT_LEVELS if level is None or pages is None or level < pages][:-1] + [pages]


def add_query_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the query benchmark."""
    parser.add_argument("--levels", help="corpus sizes for the growth figures, e.g. 1000,4000,all "
                                         "[1000,4000 and --pages]")
    parser.add_argument("--queries", type=int, default=None, help="title queries [240; 60 with --quick]")
    parser.add_argument("--query-runs", type=int, default=None, help="timed passes over the queries per way "
                                                                     "[3; 1 with --quick]")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent HTTP clients [8]")
    parser.add_argument("--server-workers", type=int, default=2, help="kb serve --workers [2]")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the query benchmark, write query.json and query.md, print the Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    add_query_arguments(parser)
    args = parser.parse_args(argv)
    levels = choose_levels(args.levels, args.pages, args.quick)
    queries = args.queries or (60 if args.quick else 240)
    passes = args.query_runs or (1 if args.quick else 3)
    with work_folder(args.workdir, args.keep) as work:
        results = {"command": command_line(), "machine": machine_info(),
                   "query": run(levels, queries, passes, args.concurrency, work, args.tarball, args.server_workers)}
    body = markdown(results["query"]) + "\n" + targets_markdown(results["query"]["targets"])
    publish(results, "kb query benchmark", body, args.out, "query")


if __name__ == "__main__":
    main()
