"""Shared benchmark plumbing: corpus extraction and sampling, child-process measurement, kb serve, queries."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_TARBALL = Path(os.environ.get("KB_BENCH_TARBALL", "/work/shared/bench-corpus/corpus.tar.gz"))
LANGS = ("en", "fr")
KB_BIN = Path(sys.executable).parent / "kb"


def kb_command(*args: str) -> list[str]:
    """The argv that runs the `kb` CLI of this interpreter's environment."""
    if KB_BIN.exists():
        return [str(KB_BIN), *args]
    return [sys.executable, "-m", "kb", *args]


def clean_env() -> dict[str, str]:
    """The environment for kb child processes, without KB_* overrides that would point elsewhere."""
    return {key: value for key, value in os.environ.items() if not key.startswith("KB_")}


# --------------------------------------------------------------------------------------------- corpus


def _sample_key(path: str) -> str:
    # A hash order is deterministic, spread over the whole tree, and nested: the first n pages of a
    # larger sample are the n pages of the smaller one, so growth levels contain each other.
    return hashlib.sha1(path.encode()).hexdigest()


@dataclass
class Corpus:
    """An extracted benchmark corpus: its folder and page paths (relative, sample order) per language."""

    root: Path
    pages: dict[str, list[str]]

    @property
    def count(self) -> int:
        """Number of pages."""
        return sum(len(paths) for paths in self.pages.values())

    def all_pages(self) -> list[str]:
        """Every page path, in sample order, languages interleaved by that order."""
        return sorted((p for paths in self.pages.values() for p in paths), key=_sample_key)

    def raw_bytes(self) -> int:
        """Sum of the page file sizes."""
        return sum((self.root / p).stat().st_size for p in self.all_pages())


def sample_members(members: Sequence[tarfile.TarInfo], pages: int | None) -> dict[str, list[tarfile.TarInfo]]:
    """The en/ and fr/ page members, optionally a deterministic sample of `pages` keeping the en/fr proportion."""
    by_lang: dict[str, list[tarfile.TarInfo]] = {lang: [] for lang in LANGS}
    for member in members:
        lang = member.name.split("/", 1)[0]
        if lang in by_lang and member.isfile() and member.name.endswith(".md"):
            by_lang[lang].append(member)
    for lang in LANGS:
        by_lang[lang].sort(key=lambda member: _sample_key(member.name))
    total = sum(len(found) for found in by_lang.values())
    if pages is None or pages >= total:
        return by_lang
    wanted_en = round(pages * len(by_lang["en"]) / total)
    return {"en": by_lang["en"][:wanted_en], "fr": by_lang["fr"][: pages - wanted_en]}


def extract_corpus(dest: Path, pages: int | None = None, tarball: Path = DEFAULT_TARBALL) -> Corpus:
    """Extract the en/ and fr/ pages of the benchmark tarball (or a sample of them) into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as archive:
        chosen = sample_members(archive.getmembers(), pages)
        # In archive order: a gzip stream cannot seek back, so any other order re-reads it from the start.
        members = sorted((m for found in chosen.values() for m in found), key=lambda member: member.offset)
        archive.extractall(dest, members=members, filter="data")
    return Corpus(dest, {lang: [m.name for m in found] for lang, found in chosen.items()})


def read_title(path: Path) -> str | None:
    """The `title:` of a page's YAML front matter, unquoted; None when there is none."""
    with path.open(encoding="utf-8") as handle:
        if handle.readline().strip() != "---":
            return None
        for line in handle:
            if line.strip() == "---":
                return None
            if line.startswith("title:"):
                value = line[len("title:"):].strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                    value = value[1:-1].replace("''", "'") if value[0] == "'" else json.loads(value)
                return value or None
    return None


#: Questions for /api/ask are made from titles with one fixed wording per language.
QUESTION_FORMS = {"en": "What is {title}?", "fr": "Qu'est-ce que {title} ?"}


@dataclass(frozen=True)
class BenchQuery:
    """One benchmark query: a page title (the search text), its question form, and its language."""

    lang: str
    text: str
    question: str
    source: str


def make_queries(corpus: Corpus, count: int) -> list[BenchQuery]:
    """`count` distinct title queries from the corpus, deterministic, half English and half French."""
    wanted = {"en": count - count // 2, "fr": count // 2}
    queries: list[BenchQuery] = []
    seen: set[str] = set()
    for lang in LANGS:
        taken = 0
        for path in corpus.pages[lang]:
            if taken == wanted[lang]:
                break
            title = read_title(corpus.root / path)
            if not title or title.casefold() in seen:
                continue
            seen.add(title.casefold())
            queries.append(BenchQuery(lang, title, QUESTION_FORMS[lang].format(title=title), path))
            taken += 1
    # Interleave the languages so any prefix of the list is mixed too.
    english = [q for q in queries if q.lang == "en"]
    french = [q for q in queries if q.lang == "fr"]
    mixed: list[BenchQuery] = []
    for index in range(max(len(english), len(french))):
        mixed.extend(q[index] for q in (english, french) if index < len(q))
    return mixed


def touch_pages(corpus: Corpus, count: int, round_number: int, exclude: Collection[str] = ()) -> list[str]:
    """Change `count` pages (a paragraph appended; different pages each round), not `exclude`; their paths."""
    order = [path for path in corpus.all_pages() if path not in exclude]
    start = (round_number * count) % max(1, len(order) - count)
    changed = order[start:start + count]
    for path in changed:
        with (corpus.root / path).open("a", encoding="utf-8") as handle:
            handle.write(f"\n\nBenchmark edit {round_number}: this paragraph was added to measure reindexing.\n")
    return changed


def tree_size(path: Path) -> int:
    """Bytes of all files below `path` (or of the file itself)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------ measurement


@dataclass
class ProcessStats:
    """What one child process cost: wall and CPU time, peak RSS, exit status and output."""

    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float  # the largest single process of the tree (ru_maxrss of the child and waited-for children)
    returncode: int
    stdout: str = field(repr=False, default="")
    stderr: str = field(repr=False, default="")


def measure_command(command: Sequence[str], env: dict[str, str] | None = None,
                    cwd: Path | None = None, timeout: float = 3600) -> ProcessStats:
    """Run a command to completion and measure it with os.wait4 (its waited-for children included)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), stdout=out, stderr=err, env=env, cwd=cwd,
                                   start_new_session=True)
        deadline = started + timeout
        try:
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"{command[0]} ran longer than {timeout:.0f} s")
                time.sleep(0.01)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(process.pid, 0)
            process.returncode = -9
            raise
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # tells Popen not to wait on it again
        out.seek(0)
        err.seek(0)
        return ProcessStats(
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            user_s=usage.ru_utime,
            sys_s=usage.ru_stime,
            peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
            returncode=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def check(stats: ProcessStats, what: str) -> ProcessStats:
    """The stats, or an error with the child's output when it failed."""
    if stats.returncode != 0:
        raise RuntimeError(f"{what} failed with status {stats.returncode}:\n{stats.stdout[-2000:]}\n"
                           f"{stats.stderr[-4000:]}")
    return stats


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (0..1) with linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    """The median (nan for no values)."""
    return percentile(values, 0.5)


def latency_summary(latencies_s: Sequence[float], elapsed_s: float | None = None, errors: int = 0) -> dict[str, Any]:
    """p50/p95/p99 in ms, mean, count, errors and throughput (requests per second of `elapsed_s`)."""
    ms = [value * 1000 for value in latencies_s]
    elapsed = elapsed_s if elapsed_s is not None else sum(latencies_s)
    return {
        "n": len(ms),
        "errors": errors,
        "p50_ms": round(percentile(ms, 0.50), 3),
        "p95_ms": round(percentile(ms, 0.95), 3),
        "p99_ms": round(percentile(ms, 0.99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else float("nan"),
        "throughput_rps": round(len(ms) / elapsed, 2) if elapsed > 0 else float("nan"),
        "first_ms": round(ms[0], 3) if ms else float("nan"),
    }


def median_summary(passes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The per-figure median of several latency summaries (errors are summed), with the passes kept."""
    merged: dict[str, Any] = {"passes": len(passes)}
    for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "throughput_rps"):
        merged[key] = round(median([p[key] for p in passes]), 3)
    merged["n"] = sum(p["n"] for p in passes)
    merged["errors"] = sum(p["errors"] for p in passes)
    merged["each"] = [{k: p[k] for k in ("p50_ms", "p95_ms", "p99_ms", "throughput_rps")} for p in passes]
    return merged


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -------------------------------------------------------------------------------------- kb serve


class HttpClient:
    """A keep-alive HTTP/1.1 client for one benchmark thread; reconnects after a dropped connection."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        """Status and body of a GET (a second attempt on a fresh connection if the first one was stale)."""
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.connection.request("GET", path)
                response = self.connection.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, body
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Drop the connection."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class KbServer:
    """`kb serve` in its own session (process group) on a free loopback port; stop() kills the group.

    The benchmarks and the test suite (tests/kbserver.py) both start their servers with it. Without a
    `log_path` the server's output goes to a temporary file that stop() removes.
    """

    def __init__(self, corpus_dir: Path, index_dir: Path, workers: int = 2, log_path: Path | None = None,
                 extra_args: Sequence[str] = (), env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.workers = workers
        self._temporary_log = log_path is None
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="kb-serve-", suffix=".log")[1])
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            kb_command("serve", "--host", "127.0.0.1", "--port", str(self.port), "--index", str(index_dir),
                       "--corpus", str(corpus_dir), "--workers", str(workers), *extra_args),
            stdout=self._log, stderr=subprocess.STDOUT, env=clean_env() if env is None else env,
            start_new_session=True)

    def wait_ready(self, timeout: float = 120) -> float:
        """Seconds until /healthz answered 200 and every worker is up; raises with the log otherwise."""
        started = time.perf_counter()
        deadline = started + timeout
        client = HttpClient(self.port, timeout=5)
        try:
            while time.perf_counter() < deadline and self.process.poll() is None:
                try:
                    if client.get("/healthz")[0] == 200 and len(self.processes()) >= self.workers + 1:
                        return time.perf_counter() - started
                except OSError:
                    client.close()
                time.sleep(0.1)
        finally:
            client.close()
        raise RuntimeError(f"kb serve did not come up in {timeout:.0f} s:\n{self.log_text()[-3000:]}")

    def processes(self) -> list[dict[str, Any]]:
        """Every live process of the server's group with its role and VmRSS/VmHWM in MB."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                status = (entry / "status").read_text()
            except OSError:
                continue
            # Fields after the parenthesised command name: state, ppid, pgrp, ...
            after = stat[stat.rindex(")") + 2:].split()
            ppid, pgrp = int(after[1]), int(after[2])
            if pgrp != self.process.pid or after[0] == "Z":
                continue
            values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            pid = int(entry.name)
            role = "master" if pid == self.process.pid else "worker" if ppid == self.process.pid else "other"
            found.append({
                "pid": pid,
                "role": role,
                "rss_mb": round(_kib(values.get("VmRSS")) / 1024, 1),
                "hwm_mb": round(_kib(values.get("VmHWM")) / 1024, 1),
                "anon_mb": round(_kib(values.get("RssAnon")) / 1024, 1),
            })
        return sorted(found, key=lambda p: (p["role"] != "master", p["pid"]))

    def log_text(self) -> str:
        """What the server printed so far."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Terminate the whole process group (gunicorn master and workers), then kill what is left."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(15)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):  # workers (or the watcher) that outlived their master
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()
        if self._temporary_log:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _kib(value: str | None) -> int:
    return int(value.split()[0]) if value else 0


# ----------------------------------------------------------------------------------------- output


@contextlib.contextmanager
def work_folder(parent: str | None, keep: bool) -> Iterator[Path]:
    """A fresh temporary folder (below `parent` if given), removed afterwards unless `keep`."""
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="kb-bench-", dir=parent))
    try:
        yield path
    finally:
        if keep:
            print(f"bench: work folder kept at {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def code_version() -> dict[str, Any]:
    """The commit measured and how many tracked files differ from it (read-only git queries)."""
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip()

    modified = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    return {"commit": git("rev-parse", "--short", "HEAD") or None, "modified_files": len(modified)}


def machine_info() -> dict[str, Any]:
    """Where and on which code the figures were measured."""
    load = os.getloadavg()
    return {
        **code_version(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in load],
        "started_at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def log(message: str) -> None:
    """Progress on stderr (stdout is kept for the results table)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def write_results(results: dict[str, Any], markdown: str, out_dir: Path, name: str) -> tuple[Path, Path]:
    """Write `<name>.json` and `<name>.md` into `out_dir`; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{name}.json", out_dir / f"{name}.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=_jsonable) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path


def publish(results: dict[str, Any], title: str, body: str, out_dir: Path, name: str) -> None:
    """Write a script's results (`<name>.json`, `<name>.md`) and print the Markdown on stdout."""
    text = results_header(title, results) + body
    json_path, _ = write_results(results, text, out_dir, name)
    print(text)
    log(f"{name}: results in {json_path}")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def command_line() -> str:
    """The command that is running, as one would type it from the repository root."""
    script = Path(sys.argv[0])
    with contextlib.suppress(ValueError):
        script = script.resolve().relative_to(ROOT)
    return " ".join([".venv/bin/python", str(script), *sys.argv[1:]])


def measured_code(machine: dict[str, Any]) -> str:
    """'commit abc1234 (+3 modified files)' for a results header."""
    if not machine.get("commit"):
        return "an unknown commit"
    extra = f" + {machine['modified_files']} modified files" if machine.get("modified_files") else ""
    return f"commit {machine['commit']}{extra}"


def results_header(title: str, results: dict[str, Any]) -> str:
    """A Markdown heading and the line saying which command measured what, where."""
    machine = results["machine"]
    return (f"## {title}\n\nMeasured with `{results['command']}` on {machine['cpus']} CPUs, {machine['started_at']}, "
            f"on {measured_code(machine)}.\n\n")


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for a table cell ('-' for none or nan)."""
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def verdict(met: bool | None) -> str:
    """A table cell for a target."""
    return "n/a" if met is None else "met" if met else "**not met**"
