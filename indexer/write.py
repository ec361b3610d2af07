"""Write stage: apply prepared documents and removals to the store in one commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from indexer.load import Skipped
from indexer.prepare import Prepared, doc_id_for
from indexer.workers import bind_children_to_this_process
from kb.store import IndexStore

if TYPE_CHECKING:
    from indexer.pipeline import Plan

#: Whoosh's indexing memory before it spills a segment to disk.
WRITER_LIMIT_MB = 256


@dataclass
class WriteCounts:
    """What a write did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)


def write_changes(
    store: IndexStore, prepared: Iterable[Prepared | Skipped], plan: Plan, full: bool, procs: int = 1,
) -> WriteCounts:
    """Add new, replace changed and delete removed documents; nothing is written when nothing changed."""
    counts = WriteCounts()
    if not full and not plan.to_prepare and not plan.to_remove:
        return counts
    if procs > 1:
        bind_children_to_this_process()
    writer = store.open_writer(full=full, procs=procs, limitmb=WRITER_LIMIT_MB)
    try:
        for item in prepared:
            is_update = item.source in plan.updated_sources if isinstance(item, Skipped) \
                else item.document.source in plan.updated_sources
            if isinstance(item, Skipped):
                counts.skipped.append(item)
                if is_update:  # a page that became unusable leaves the index
                    writer.delete(doc_id_for(item.source))
                    counts.removed += 1
                continue
            if is_update:
                writer.delete(item.document.doc_id)
                counts.updated += 1
            else:
                counts.added += 1
            writer.add(item.document, item.passages, item.settings_hash, item.analysed)
        for doc_id in plan.to_remove:
            writer.delete(doc_id)
            counts.removed += 1
        writer.commit(force=full)
    except BaseException:
        writer.cancel()
        raise
    return counts
