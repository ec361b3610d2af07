"""Bring an index in line with a corpus folder: plan the changes, prepare and write pages, commit once."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tqdm import tqdm

from indexer.load import Skipped, read_metadata, walk_corpus
from indexer.plan import Plan, plan_changes
from indexer.prepare import Prepared, doc_id_for
from indexer.write import prepare_or_skip, write_changes, write_changes_in_workers
from kb.models import IndexSummary
from kb.store import IndexStore

#: Below this many pages to prepare, worker processes cost more to start than they save.
PARALLEL_THRESHOLD = 64
LOCK_TIMEOUT_SECONDS = 30.0




def _counted(items: Iterator[Prepared | Skipped], bar: tqdm) -> Iterator[Prepared | Skipped]:
    for item in items:
        yield item
        bar.update(1)


def run_index(
    corpus: str | os.PathLike[str],
    store: IndexStore,
    full: bool = False,
    *,
    workers: int | None = None,
    progress: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
) -> IndexSummary:
    """Index `corpus` into `store`: incrementally, or from scratch when `full`; returns the summary."""
    started = time.perf_counter()
    corpus_path = Path(corpus)
    if not corpus_path.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus_path}")
    metadata = read_metadata(corpus_path)
    with store.write_lock(timeout=lock_timeout):
        store.refresh()
        full = full or not store.exists() or store.outdated()
        indexed = {} if full else store.documents()
        plan = plan_changes(walk_corpus(corpus_path), indexed, metadata)
        workers = workers or os.cpu_count() or 1
        with tqdm(total=len(plan.to_prepare), unit="page", desc="indexing", leave=False,
                  disable=not progress) as bar:
            if len(plan.to_prepare) >= PARALLEL_THRESHOLD and workers > 1:
                counts = write_changes_in_workers(store, plan, metadata, full=full, workers=workers,
                                                  on_progress=bar.update)
            else:
                prepared = (prepare_or_skip(file, metadata.get(file.source, {})) for file in plan.to_prepare)
                counts = write_changes(store, _counted(prepared, bar), plan, full=full)
        store.refresh()
        documents, passages = store.stats() if store.exists() else (0, 0)
    skipped = plan.skipped + counts.skipped
    if on_skip is not None:
        for item in skipped:
            on_skip(item)
    return IndexSummary(
        documents=documents,
        added=counts.added,
        updated=counts.updated,
        removed=counts.removed,
        unchanged=plan.unchanged,
        skipped=len(skipped),
        passages=passages,
        seconds=time.perf_counter() - started,
    )


__all__ = ["Plan", "doc_id_for", "plan_changes", "run_index"]
