"""Indexing profile: CPU time of preparing and of writing pages, in one process, and where it goes.

    .venv/bin/python bench/profile_index.py                 # 2,000 sampled pages
    .venv/bin/python bench/profile_index.py --pages 500 --profile-lines 30

`kb index` runs both stages in worker processes; here they run one after the other in this process,
so each is timed alone (CPU time, no profiler), then profiled with cProfile for the share of its
parts (cProfile slows small functions down more than large ones: shares, not times).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench_index import add_common_arguments
from common import command_line, extract_corpus, fmt, log, machine_info, publish, work_folder

from indexer.load import Skipped, walk_corpus
from indexer.prepare import Prepared
from indexer.write import WRITER_LIMIT_MB, prepare_or_skip
from kb.language import detect_language
from kb.store import IndexStore

DEFAULT_PAGES = 2000
#: The parts of each stage reported: (end of the file name, function name) of the function doing them.
PARTS = {
    "prepare": {
        "cleaning (all)": ("indexer/clean/__init__.py", "clean_document"),
        "Markdown parsing (markdown-it)": ("markdown_it/main.py", "parse"),
        "chunking (all)": ("indexer/chunk.py", "chunk_blocks"),
        "passage language detection": ("kb/language.py", "detect_language"),
        "analysis (stemming, vocabulary)": ("kb/store/writer.py", "analyse_passage"),
    },
    "write": {
        "adding records": ("whoosh/writing.py", "add_document"),
        "writing the segment out": ("whoosh/writing.py", "_finalize_segment"),
    },
}


def prepare_pages(corpus: Path) -> list[Prepared]:
    """Every page of the corpus through load, clean, chunk and analysis."""
    files = [file for file in walk_corpus(corpus) if not isinstance(file, Skipped)]
    return [item for item in (prepare_or_skip(file, {}) for file in files) if not isinstance(item, Skipped)]


def write_pages(prepared: list[Prepared], index: Path) -> None:
    """A full build of an index from prepared pages, in this process."""
    store = IndexStore(index)
    with store.write_lock():
        writer = store.open_writer(full=True, limitmb=WRITER_LIMIT_MB)
        for item in prepared:
            writer.add(item.document, item.passages, item.settings_hash, item.analysed)
        writer.commit(force=True)
    store.close()


def cpu_seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds of this process for fn(), and its result."""
    started = time.process_time()
    result = fn()
    return time.process_time() - started, result


def shares(profile: cProfile.Profile, parts: dict[str, tuple[str, str]]) -> tuple[dict[str, float], str]:
    """Each part's share of the profiled total (cumulative time of its function), and the top lines."""
    stats = pstats.Stats(profile)
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for label, (file_end, function) in parts.items():
        cumulative = sum(entry[3] for (path, _, name), entry in stats.stats.items()  # type: ignore[attr-defined]
                         if name == function and path.endswith(file_end))
        found[label] = cumulative / total
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(15)
    return found, text.getvalue()


def run(pages: int, work: Path, tarball: Path) -> dict[str, Any]:
    """Time and profile both stages on a sample of `pages` pages."""
    corpus = extract_corpus(work / "corpus", pages, tarball)
    log(f"profile: {corpus.count} pages")
    detect_language("Load the language model outside the timing.")
    prepare_s, prepared = cpu_seconds(lambda: prepare_pages(corpus.root))
    write_s, _ = cpu_seconds(lambda: write_pages(prepared, work / "index-timed"))
    log(f"profile: prepare {prepare_s:.2f} s, write {write_s:.2f} s CPU")
    result: dict[str, Any] = {
        "pages": corpus.count,
        "documents": len(prepared),
        "passages": sum(len(item.passages) for item in prepared),
        "cpu_s": {"prepare": round(prepare_s, 2), "write": round(write_s, 2)},
        "shares": {},
        "top": {},
    }
    for stage, fn in (("prepare", lambda: prepare_pages(corpus.root)),
                      ("write", lambda: write_pages(prepared, work / "index-profiled"))):
        profile = cProfile.Profile()
        profile.runcall(fn)
        result["shares"][stage], result["top"][stage] = shares(profile, PARTS[stage])
    return result


def markdown(result: dict[str, Any]) -> str:
    """The results as Markdown."""
    pages, cpu = result["pages"], result["cpu_s"]
    heading = f"{pages:,} pages, {result['passages']:,} passages; CPU seconds in one process:"
    lines = [heading, "", "| stage | CPU (s) | ms / page |", "| --- | ---: | ---: |"]
    for stage in ("prepare", "write"):
        lines.append(f"| {stage} | {fmt(cpu[stage], 2)} | {fmt(1000 * cpu[stage] / max(pages, 1), 2)} |")
    lines += ["", "Share of each stage's profiled time (cProfile, cumulative; parts may nest):", "",
              "| stage | part | share |", "| --- | --- | ---: |"]
    for stage, found in result["shares"].items():
        for label, share in found.items():
            lines.append(f"| {stage} | {label} | {share:.0%} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """Profile indexing, write profile.json and profile.md, print the Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--profile-lines", type=int, default=0,
                        help="also print this many lines of each stage's cProfile (by own time)")
    args = parser.parse_args(argv)
    pages = args.pages or DEFAULT_PAGES
    with work_folder(args.workdir, args.keep) as work:
        results = {"command": command_line(), "machine": machine_info(), "profile": run(pages, work, args.tarball)}
    publish(results, "kb indexing profile", markdown(results["profile"]), args.out, "profile")
    if args.profile_lines:
        for stage, text in results["profile"]["top"].items():
            print(f"\n### {stage}\n\n" + "\n".join(text.splitlines()[:args.profile_lines + 8]))


if __name__ == "__main__":
    main()
