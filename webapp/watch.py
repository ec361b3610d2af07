"""Reindex when the corpus changes: poll file names, sizes and mtimes; index after a short quiet period.

Polling (rather than inotify) works the same on every filesystem, including network mounts and
container volumes, and costs one directory walk a second for a corpus of a few thousand files.
`kb serve --watch` runs this module as one process beside the web workers (`python -m webapp.watch`).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kb.models import IndexSummary
from kb.store import IndexLocked, IndexStore

POLL_SECONDS = 1.0
#: Changes must stop for this long before reindexing, so a copy of many files triggers one run.
QUIET_SECONDS = 1.5
LOCK_TIMEOUT_SECONDS = 1.0

Snapshot = dict[str, tuple[int, int]]


def snapshot(corpus: Path) -> Snapshot:
    """Every file below `corpus` (hidden ones excepted) with its size and mtime in nanoseconds."""
    found: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue  # removed between the listing and the stat
            found[os.path.relpath(path, corpus)] = (stat.st_size, stat.st_mtime_ns)
    return found


class CorpusWatcher:
    """Watches one corpus and brings one index in line with it after each burst of changes."""

    def __init__(
        self,
        corpus_dir: str | os.PathLike[str],
        index_dir: str | os.PathLike[str],
        *,
        quiet: float = QUIET_SECONDS,
        on_summary: Callable[[IndexSummary], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.corpus = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        self.quiet = quiet
        self.on_summary = on_summary
        self.on_error = on_error
        self.clock = clock
        self._seen: Snapshot | None = None
        self._changed_at: float | None = None  # when the last unindexed change was seen

    def poll(self) -> IndexSummary | None:
        """Look at the corpus once; reindex when it changed and has been quiet long enough."""
        current = snapshot(self.corpus) if self.corpus.is_dir() else {}
        now = self.clock()
        if self._seen is None:
            self._seen = current
        elif current != self._seen:
            self._seen = current
            self._changed_at = now
        if self._changed_at is None or now - self._changed_at < self.quiet:
            return None
        return self._reindex()

    def sync(self) -> IndexSummary | None:
        """Reindex now (catches changes made before the first poll); None when another writer is busy."""
        if self._seen is None:
            self.poll()
        return self._reindex()

    def _reindex(self) -> IndexSummary | None:
        from indexer.pipeline import run_index

        store = IndexStore(self.index_dir)
        try:
            summary = run_index(self.corpus, store, lock_timeout=LOCK_TIMEOUT_SECONDS)
        except IndexLocked:
            # Another run (CLI or API) is writing: try again once the corpus has been quiet again.
            if self._changed_at is None:
                self._changed_at = self.clock()
            return None
        except (OSError, ValueError) as error:
            self._changed_at = None  # a broken corpus waits for the next change
            if self.on_error is not None:
                self.on_error(error)
            return None
        finally:
            store.close()
        self._changed_at = None
        if self.on_summary is not None:
            self.on_summary(summary)
        return summary

    def run(self, stop: threading.Event, interval: float = POLL_SECONDS) -> None:
        """Poll every `interval` seconds until `stop` is set."""
        while not stop.wait(interval):
            self._poll_safely()

    def _poll_safely(self) -> None:
        try:
            self.poll()
        except Exception as error:  # noqa: BLE001 (a watcher that dies silently is worse than one that complains)
            if self.on_error is not None:
                self.on_error(error)

    def start(self, interval: float = POLL_SECONDS) -> tuple[threading.Thread, threading.Event]:
        """Run in a daemon thread of this process; set the returned event to stop it."""
        stop = threading.Event()
        self.poll()  # the first snapshot: later changes are measured against it
        thread = threading.Thread(target=self.run, args=(stop, interval), name="kb-watch", daemon=True)
        thread.start()
        return thread, stop


def main(argv: list[str] | None = None) -> int:
    """Entry point of the watcher process started by `kb serve --watch`."""
    parser = argparse.ArgumentParser(prog="python -m webapp.watch", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--interval", type=float, default=POLL_SECONDS)
    parser.add_argument("--quiet", type=float, default=QUIET_SECONDS)
    parser.add_argument("--parent", type=int, help="exit when this process (the server) is gone")
    args = parser.parse_args(argv)

    def report(summary: IndexSummary) -> None:
        print(f"kb watch: {summary.line()}", file=sys.stderr, flush=True)

    def complain(error: Exception) -> None:
        print(f"kb watch: cannot reindex: {error}", file=sys.stderr, flush=True)

    watcher = CorpusWatcher(args.corpus, args.index, quiet=args.quiet, on_summary=report, on_error=complain)
    print(f"kb watch: watching {args.corpus} (every {args.interval:g} s)", file=sys.stderr, flush=True)
    try:
        watcher.sync()
    except Exception as error:  # noqa: BLE001 (keep watching; the next change may fix it)
        complain(error)
    try:
        while args.parent is None or os.getppid() == args.parent:
            time.sleep(args.interval)
            watcher._poll_safely()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
