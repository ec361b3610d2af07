"""Load test: `kb serve` under 1, 8 and 32 concurrent clients, and its memory across 2 x 10,000 requests.

    .venv/bin/python bench/load.py [--corpus DIR] [--index DIR] [--workers 2] [--levels 1,8,32]
                                   [--duration 10] [--memory-requests 10000] [--memory-windows 2]
                                   [--out bench/results]

It starts `kb serve` on a free loopback port (in its own process group, always killed at the end)
and warms it up (one pass over every distinct request). The memory phase then sends
--memory-windows windows of --memory-requests requests (searches and questions alternating, 8
clients), reading the memory of the server's processes (private RssAnon, and resident VmRSS) every
quarter window: bounded caches fill during the first window, and the verdict ("within noise" or
"GROWTH") is on the last. Then, for /api/search and /api/ask in turn, it runs each concurrency level
for --duration seconds: every client thread keeps one keep-alive connection and sends its next
request as soon as the previous answer is in (closed loop).
Queries are built from the index's own titles (English and French). It reports throughput,
p50/p95/p99 latency and the error count (any answer but 200, or a failed connection) and exits 1 when
there was an error. `--url http://127.0.0.1:PORT` targets a running server instead (loopback only;
memory is then not measured). Results: load-<name>.json and load-<name>.md in --out.

Traffic never leaves the machine: the target must be a loopback address, and every phase is bounded
in time (--duration, --max-seconds) and in count (--memory-requests, --max-requests).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import ipaddress
import json
import os
import platform
import random
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from common import KbServer

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_LEVELS = (1, 8, 32)
ENDPOINTS = ("search", "ask")
#: Memory may move by this much across the memory phase and still count as noise.
MEMORY_NOISE_MB = 16.0
MEMORY_NOISE_FRACTION = 0.05
FALLBACK_QUERIES = ("semester abroad", "exchange programme", "internship", "double diplôme", "stage à l'étranger",
                    "partner universities", "Erasmus", "mobilité internationale")


# ------------------------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Request:
    """One request of the load: method, path and optional JSON body."""

    method: str
    path: str
    body: bytes | None = None


def make_queries(index_dir: Path | None, count: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """Search texts and questions built from the index's titles (fixed ones when there is no index)."""
    titles: list[tuple[str, str]] = []
    if index_dir is not None:
        from kb.store import IndexStore

        store = IndexStore(index_dir)
        try:
            titles = [(document.title, document.lang) for document, _ in store.documents().values()]
        finally:
            store.close()
    rng = random.Random(seed)
    rng.shuffle(titles)
    searches: list[str] = []
    questions: list[str] = []
    for title, lang in titles:
        words = [word for word in title.replace("()", "").split() if any(ch.isalnum() for ch in word)][:5]
        if not words or len(" ".join(words)) > 120:
            continue
        text = " ".join(words)
        searches.append(text)
        questions.append(f"Qu'est-ce que {text} ?" if lang == "fr" else f"What is {text}?")
        if len(searches) >= count:
            break
    if not searches:
        searches = list(FALLBACK_QUERIES)
        questions = [f"Which schools offer {text}?" for text in FALLBACK_QUERIES]
    return searches, questions


def requests_for(endpoint: str, searches: Sequence[str], questions: Sequence[str]) -> list[Request]:
    """The request cycle of an endpoint ("search", "ask" or "mixed": both, alternating)."""
    search = [Request("GET", "/api/search?q=" + quote(text, safe="")) for text in searches]
    ask = [Request("GET", "/api/ask?q=" + quote(text, safe="")) if n % 2 else
           Request("POST", "/api/ask", json.dumps({"question": text}).encode()) for n, text in enumerate(questions)]
    if endpoint == "search":
        return search
    if endpoint == "ask":
        return ask
    return [request for pair in zip(search, ask, strict=False) for request in pair]


# -------------------------------------------------------------------------------------------- server


def check_loopback(url: str) -> tuple[str, int]:
    """Host and port of `url`; refuses any address that is not on this machine."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback or parts.port is None:
        raise SystemExit(f"load.py only targets http://127.x.x.x:PORT or http://localhost:PORT, not {url!r}")
    return host, parts.port


class Server(KbServer):
    """The benchmarks' `kb serve` (bench/common.py), with the memory figures this load test reports."""

    host = "127.0.0.1"

    def rss_mb(self) -> dict[str, float]:
        """VmRSS in MB of each process ("master", "worker-<pid>"), their "total", and "private": the
        sum of RssAnon, which leaves out the index's memory-mapped pages that all processes share."""
        processes = self.processes()
        sizes = {"master" if p["role"] == "master" else f"worker-{p['pid']}": p["rss_mb"] for p in processes}
        sizes["total"] = round(sum(sizes.values()), 1)
        sizes["private"] = round(sum(p["anon_mb"] for p in processes), 1)
        return sizes

    def output(self) -> str:
        """What the server printed."""
        return self.log_text()


@contextlib.contextmanager
def serving(corpus: Path, index: Path, workers: int, timeout: float) -> Iterator[Server]:
    """A started server, stopped on the way out whatever happens (SIGTERM and SIGINT included)."""
    server = Server(corpus, index, workers)

    def stop_and_exit(signum: int, _frame: object) -> None:
        server.stop()
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, stop_and_exit) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.wait_ready(timeout)
        yield server
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# ---------------------------------------------------------------------------------------------- load


@dataclass
class Phase:
    """What one load phase measured."""

    endpoint: str
    clients: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    throughput_rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    error_samples: list[str] = field(default_factory=list)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), int(-(-fraction * len(sorted_values) // 1))))
    return sorted_values[rank - 1]


def run_phase(host: str, port: int, endpoint: str, cycle: Sequence[Request], clients: int, duration: float,
              max_requests: int) -> Phase:
    """`clients` threads in a closed loop for `duration` seconds or `max_requests` requests in all."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]
    budget = threading.Semaphore(max_requests)
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        step = number * len(cycle) // clients  # clients start evenly spread over the cycle
        start.wait()
        try:
            while time.perf_counter() < stop_at[0] and budget.acquire(blocking=False):
                request = cycle[step % len(cycle)]
                step += 1
                headers = {"Content-Type": "application/json"} if request.body else {}
                began = time.perf_counter()
                try:
                    connection.request(request.method, request.path, body=request.body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as error:
                    errors[number].append(f"{request.method} {request.path[:80]}: {error!r}")
                    connection.close()
                    connection = http.client.HTTPConnection(host, port, timeout=60)
                    continue
                latencies[number].append(time.perf_counter() - began)
                if status != 200:
                    errors[number].append(f"{request.method} {request.path[:80]}: HTTP {status}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + duration
    start.wait()
    for thread in threads:
        thread.join(duration + 120)
    elapsed = time.perf_counter() - began
    values = sorted(value * 1000 for per_client in latencies for value in per_client)
    failures = [error for per_client in errors for error in per_client]
    return Phase(endpoint=endpoint, clients=clients, requests=len(values) + sum(
        1 for error in failures if "HTTP" not in error), errors=len(failures), seconds=round(elapsed, 2),
        throughput_rps=round(len(values) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(percentile(values, 0.50), 1), p95_ms=round(percentile(values, 0.95), 1),
        p99_ms=round(percentile(values, 0.99), 1), max_ms=round(values[-1], 1) if values else 0.0,
        error_samples=failures[:5])


# ------------------------------------------------------------------------------------------- reports


def markdown(results: dict[str, Any]) -> str:
    """The results as a Markdown section."""
    lines = [f"### Load: {results['name']}", "",
             f"`{results['command']}`", "",
             (f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}, "
              f"{results['server']['workers'] or 'an already running server with its'} gunicorn workers × 4 "
              f"threads; index: {results['index_documents']} documents; {results['duration_s']:g} s per level; "
              f"load average {results['machine']['loadavg_start']:.1f} at the start."), "",
             "| endpoint | clients | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for phase in results["phases"]:
        lines.append(f"| /api/{phase['endpoint']} | {phase['clients']} | {phase['requests']} | {phase['errors']} | "
                     f"{phase['throughput_rps']} | {phase['p50_ms']} | {phase['p95_ms']} | {phase['p99_ms']} | "
                     f"{phase['max_ms']} |")
    memory = results.get("memory")
    if memory:
        windows = "; ".join(f"requests {w['from'] + 1}-{w['to']}: {w['growth_mb']:+.1f} MB" for w in memory["windows"])
        lines += ["", (f"Memory of the master and workers, private (RssAnon; the index's memory-mapped pages, "
                       f"shared by all processes, are left out): {memory['initial']['private']} MB before the "
                       f"first request, {memory['before']['private']} MB before the last "
                       f"{memory['windows'][-1]['to'] - memory['windows'][-1]['from']} requests and "
                       f"{memory['after']['private']} MB after them: {memory['growth_mb']:+.1f} MB "
                       f"({memory['verdict']}, noise {memory['noise_mb']:g} MB). By window after a warm-up of "
                       f"{memory['warmup_requests']} requests: {windows} ({memory['errors']} errors, "
                       f"{memory['seconds']} s). Resident (VmRSS, shared pages counted in each process): "
                       f"{memory['before']['total']} MB before, {memory['after']['total']} MB after.")]
    lines += ["", f"Errors in all: {results['errors']}."]
    return "\n".join(lines) + "\n"


def machine() -> dict[str, Any]:
    """What the figures ran on."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "loadavg_start": os.getloadavg()[0]}


# ---------------------------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="corpus folder [./corpus]")
    parser.add_argument("--index", type=Path, help="index folder [a fresh one in a temporary folder]")
    parser.add_argument("--url", help="a running server on loopback instead of starting one")
    parser.add_argument("--name", help="label of the results [the corpus folder's name]")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the started server [2]")
    parser.add_argument("--levels", default=",".join(map(str, DEFAULT_LEVELS)), help="client counts [1,8,32]")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help="search,ask [both]")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint and level [10]")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap per endpoint and level [100000]")
    parser.add_argument("--memory-requests", type=int, default=10_000,
                        help="requests of each window of the memory phase [10000]")
    parser.add_argument("--memory-windows", type=int, default=2,
                        help="windows of the memory phase; the verdict is on the last [2]")
    parser.add_argument("--memory-clients", type=int, default=8, help="clients of the memory phase [8]")
    parser.add_argument("--warmup", type=int, help="requests before anything is measured [one pass over the "
                                                    "distinct requests: 2 x --queries]")
    parser.add_argument("--queries", type=int, default=400, help="distinct queries and questions [400]")
    parser.add_argument("--max-seconds", type=float, default=1800, help="refuse plans longer than this [1800]")
    parser.add_argument("--startup-timeout", type=float, default=600, help="seconds to wait for kb serve [600]")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="results folder")
    return parser.parse_args(argv)


def memory_phase(host: str, port: int, server: Server, cycle: Sequence[Request],
                 args: argparse.Namespace) -> dict[str, Any]:
    """--memory-windows windows of --memory-requests requests each, the memory read every quarter window.

    Bounded caches (sentence splits and analysed sentences per worker, one index reader and entity
    catalogue per pooled store) fill during the first window; the verdict is on the last one.
    """
    per_window = args.memory_requests
    quarters = [per_window // 4] * 3 + [per_window - 3 * (per_window // 4)]
    samples = [dict(server.rss_mb(), requests=0)]
    done = errors = 0
    seconds = 0.0
    for _ in range(args.memory_windows):
        for count in quarters:
            phase = run_phase(host, port, "mixed", cycle, args.memory_clients, args.max_seconds, count)
            done, errors, seconds = done + phase.requests, errors + phase.errors, seconds + phase.seconds
            samples.append(dict(server.rss_mb(), requests=done))
    windows = [{"from": samples[4 * n]["requests"], "to": samples[4 * n + 4]["requests"],
                "growth_mb": round(samples[4 * n + 4]["private"] - samples[4 * n]["private"], 1)}
               for n in range(args.memory_windows)]
    before, after = samples[-5], samples[-1]
    growth = after["private"] - before["private"]
    noise = max(MEMORY_NOISE_MB, MEMORY_NOISE_FRACTION * before["private"])
    return {"requests": done, "errors": errors, "seconds": round(seconds, 1), "samples": samples,
            "windows": windows, "before": before, "after": after, "growth_mb": round(growth, 1),
            "noise_mb": round(noise, 1), "verdict": "within noise" if growth <= noise else "GROWTH beyond noise"}


def run(args: argparse.Namespace, host: str, port: int, server: Server | None,
        index_documents: int) -> dict[str, Any]:
    """Warm-up, memory phase (own server only) and the load levels; the results as a dict."""
    levels = [int(level) for level in args.levels.split(",") if level.strip()]
    endpoints = [endpoint.strip() for endpoint in args.endpoints.split(",") if endpoint.strip()]
    searches, questions = make_queries(args.index, args.queries)
    mixed = requests_for("mixed", searches, questions)
    initial = server.rss_mb() if server is not None else None
    # One pass over every distinct request by default, so every query has been seen once.
    warmup = len(mixed) if args.warmup is None else args.warmup
    warm = run_phase(host, port, "mixed", mixed, 8, args.max_seconds, warmup)
    results: dict[str, Any] = {"name": args.name, "machine": machine(), "index_documents": index_documents,
                               "duration_s": args.duration, "warmup": asdict(warm), "phases": []}
    if server is not None and args.memory_requests:
        results["memory"] = memory_phase(host, port, server, mixed, args)
        results["memory"].update(initial=initial, warmup_requests=warm.requests)
    for endpoint in endpoints:
        cycle = requests_for(endpoint, searches, questions)
        for clients in levels:
            phase = run_phase(host, port, endpoint, cycle, clients, args.duration, args.max_requests)
            results["phases"].append(asdict(phase))
            print(f"  /api/{endpoint} {clients:>3} clients: {phase.requests} requests, {phase.errors} errors, "
                  f"{phase.throughput_rps} req/s, p50 {phase.p50_ms} ms, p95 {phase.p95_ms} ms, "
                  f"p99 {phase.p99_ms} ms", file=sys.stderr, flush=True)
    results["errors"] = sum(phase["errors"] for phase in results["phases"]) + warm.errors \
        + results.get("memory", {}).get("errors", 0)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load test; print the Markdown; 0 when no request failed."""
    args = parse_args(argv)
    levels = [int(level) for level in args.levels.split(",") if level.strip()]
    planned = len(levels) * len(args.endpoints.split(",")) * args.duration
    if planned > args.max_seconds:
        raise SystemExit(f"the plan takes {planned:.0f} s, over --max-seconds {args.max_seconds:.0f}")
    args.name = args.name or (urlsplit(args.url).netloc if args.url else args.corpus.resolve().name)
    command = " ".join([".venv/bin/python bench/load.py", *(argv if argv is not None else sys.argv[1:])])
    with tempfile.TemporaryDirectory(prefix="kb-load-") as scratch:
        if args.url:
            host, port = check_loopback(args.url)
            server = None
            results = run(args, host, port, None, -1)
        else:
            if args.index is None:
                args.index = Path(scratch) / "index"
            print(f"load: serving {args.corpus} (index {args.index}) with {args.workers} workers", file=sys.stderr)
            with serving(args.corpus, args.index, args.workers, args.startup_timeout) as server:
                from kb.store import IndexStore

                store = IndexStore(args.index)
                try:
                    documents = store.stats()[0]
                finally:
                    store.close()
                results = run(args, server.host, server.port, server, documents)
                log = server.output()
            if "Traceback" in log:
                print(log[-3000:], file=sys.stderr)
                results["errors"] += 1
    results["command"] = command
    results["server"] = {"workers": args.workers if not args.url else None}
    text = markdown(results)
    args.out.mkdir(parents=True, exist_ok=True)
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in args.name)
    (args.out / f"load-{slug}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (args.out / f"load-{slug}.md").write_text(text, encoding="utf-8")
    print(text)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
