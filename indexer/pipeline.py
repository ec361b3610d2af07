"""Bring an index in line with a corpus folder: plan the changes, prepare and write pages, commit once."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from indexer.load import Skipped, SourceFile, UnreadableFile, read_bytes, read_metadata, walk_corpus
from indexer.prepare import Prepared, content_hash, doc_id_for, settings_hash
from indexer.write import prepare_or_skip, write_changes, write_changes_in_workers
from kb.models import Document, IndexSummary
from kb.store import IndexStore

#: Below this many pages to prepare, worker processes cost more to start than they save.
PARALLEL_THRESHOLD = 64
LOCK_TIMEOUT_SECONDS = 30.0


@dataclass
class Plan:
    """What an incremental run has to do."""

    to_prepare: list[SourceFile] = field(default_factory=list)
    updated_sources: set[str] = field(default_factory=set)
    unchanged: int = 0
    to_remove: list[str] = field(default_factory=list)  # doc ids
    skipped: list[Skipped] = field(default_factory=list)


def plan_changes(
    files: Iterable[SourceFile | Skipped],
    indexed: dict[str, tuple[Document, str]],
    metadata: dict[str, dict[str, str]],
) -> Plan:
    """Compare the corpus with the index: new, changed, unchanged and deleted documents."""
    plan = Plan()
    seen: set[str] = set()
    for file in files:
        if isinstance(file, Skipped):
            plan.skipped.append(file)
            continue
        seen.add(file.source)
        known = indexed.get(file.source)
        if known is None:
            plan.to_prepare.append(file)
            continue
        document, known_settings = known
        if known_settings != settings_hash(metadata.get(file.source, {})):
            plan.to_prepare.append(file)
            plan.updated_sources.add(file.source)
            continue
        if (document.mtime_ns, document.size) == (file.mtime_ns, file.size):
            plan.unchanged += 1
            continue
        # Touched but maybe not changed: hashing is far cheaper than cleaning.
        try:
            same = content_hash(read_bytes(file)) == document.content_hash
        except UnreadableFile:
            same = False
        if same:
            plan.unchanged += 1
        else:
            plan.to_prepare.append(file)
            plan.updated_sources.add(file.source)
    plan.to_remove = [document.doc_id for source, (document, _) in indexed.items() if source not in seen]
    return plan


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
