"""Write stage: apply prepared documents and removals to the store in one commit.

Small runs prepare and write pages in this process. Large ones hand the pages to worker processes
that prepare them and write each its own segment of the same transaction, so that no page crosses
a process boundary and both cores clean and index; the commit then publishes every segment at once.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as EventType

from indexer.load import Skipped, SourceFile, UnreadableFile
from indexer.plan import Plan
from indexer.prepare import Prepared, doc_id_for, prepare
from indexer.workers import bind_children_to_this_process
from kb.store import IndexStore, ShardTarget, ShardWriter, StoreWriter, WrittenShard

#: Whoosh's posting pool before it spills a sorted run to disk, per writing process. Merging spilled
#: runs back is slow (a sixth of a full build of the benchmark corpus at 128 MB); at 384 MB a worker
#: holds 8,400 MDN pages without spilling, at a peak of ~700 MB RSS, and bigger corpora still spill.
WRITER_LIMIT_MB = 256
WORKER_LIMIT_MB = 384
#: Pages a worker prepares between two progress reports.
PROGRESS_EVERY = 8


@dataclass
class WriteCounts:
    """What a write did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)


def prepare_or_skip(file: SourceFile, overrides: dict[str, str]) -> Prepared | Skipped:
    """Prepare one file, or say why it cannot be indexed."""
    try:
        return prepare(file, overrides)
    except UnreadableFile as error:
        return Skipped(file.source, str(error))
    except RecursionError:
        return Skipped(file.source, "structure too deeply nested to parse")


def write_changes(
    store: IndexStore, prepared: Iterable[Prepared | Skipped], plan: Plan, full: bool,
) -> WriteCounts:
    """Add new, replace changed and delete removed documents; nothing is written when nothing changed."""
    counts = WriteCounts()
    if not full and not plan.to_prepare and not plan.to_remove:
        return counts
    writer = store.open_writer(full=full, limitmb=WRITER_LIMIT_MB)
    try:
        _delete_outdated(writer, plan, counts)
        for item in prepared:
            if isinstance(item, Skipped):
                _count_skip(item, plan, counts)
                continue
            writer.add(item.document, item.passages, item.settings_hash, item.analysed)
            _count_written(item.document.source, plan, counts)
        writer.commit(force=full)
    except BaseException:
        writer.cancel()
        raise
    return counts


def write_changes_in_workers(
    store: IndexStore,
    plan: Plan,
    metadata: dict[str, dict[str, str]],
    full: bool,
    workers: int,
    on_progress: Callable[[int], None] | None = None,
) -> WriteCounts:
    """write_changes() for many pages: `workers` processes prepare the pages and write a segment each."""
    counts = WriteCounts()
    bind_children_to_this_process()
    writer = store.open_writer(full=full, limitmb=WRITER_LIMIT_MB)
    try:
        _delete_outdated(writer, plan, counts)
        target = writer.shard_target(WORKER_LIMIT_MB)
        shards = balanced_shards(plan.to_prepare, workers)
        channel = WorkerChannel(multiprocessing.Queue(), multiprocessing.Event())
        with ProcessPoolExecutor(max_workers=len(shards), initializer=_open_channel,
                                 initargs=(channel,)) as pool:
            futures = [pool.submit(_prepare_and_write_shard, target, shard, metadata) for shard in shards]
            try:
                results = _collect_results(futures, channel.progress, on_progress)
            except BaseException:
                channel.abort.set()  # the other workers stop at their next page, not at their last
                raise
        for result in results:
            writer.adopt(result.shard)
            for source in result.written:
                _count_written(source, plan, counts)
            for item in result.skipped:
                _count_skip(item, plan, counts)
        writer.commit(force=full)
    except BaseException:
        writer.cancel()
        raise
    return counts


def balanced_shards(files: list[SourceFile], count: int) -> list[list[SourceFile]]:
    """Split files into at most `count` non-empty shards of about equal total size (work is ~size)."""
    shards: list[list[SourceFile]] = [[] for _ in range(max(1, min(count, len(files))))]
    loads = [0] * len(shards)
    for file in sorted(files, key=lambda file: file.size, reverse=True):
        lightest = loads.index(min(loads))
        shards[lightest].append(file)
        loads[lightest] += file.size
    return [shard for shard in shards if shard]


@dataclass
class ShardResult:
    """What one worker wrote: its segment, the sources in it and the files it skipped."""

    shard: WrittenShard
    written: list[str]
    skipped: list[Skipped]


class RunAborted(RuntimeError):
    """Another worker of the run failed: this one stops too."""


@dataclass
class WorkerChannel:
    """What the run's process and its workers share: page counts going up, an abort flag going down."""

    progress: multiprocessing.Queue[int]
    abort: EventType


_channel: WorkerChannel | None = None


def _open_channel(channel: WorkerChannel) -> None:
    global _channel
    _channel = channel


def _report(pages: int) -> None:
    if _channel is not None and pages:
        _channel.progress.put(pages)


def _prepare_and_write_shard(target: ShardTarget, files: list[SourceFile],
                             metadata: dict[str, dict[str, str]]) -> ShardResult:
    """In a worker: prepare each file and write it into this worker's own segment."""
    writer = ShardWriter(target)
    written: list[str] = []
    skipped: list[Skipped] = []
    unreported = 0
    try:
        for file in files:
            if _channel is not None and _channel.abort.is_set():
                raise RunAborted("stopped: another worker of the run failed")
            item = prepare_or_skip(file, metadata.get(file.source, {}))
            if isinstance(item, Skipped):
                skipped.append(item)
            else:
                writer.add(item.document, item.passages, item.settings_hash, item.analysed)
                written.append(item.document.source)
            unreported += 1
            if unreported == PROGRESS_EVERY:
                _report(unreported)
                unreported = 0
        shard = writer.finish()
    except BaseException:
        writer.abandon()
        raise
    _report(unreported)
    return ShardResult(shard, written, skipped)


def _collect_results(futures: list[Future[ShardResult]], progress: multiprocessing.Queue[int],
                     on_progress: Callable[[int], None] | None) -> list[ShardResult]:
    """The workers' results once all are done, reporting their progress meanwhile; the first failure
    (an exception in a worker, or a worker killed) is raised."""
    pending = set(futures)
    reported = 0
    while pending:
        done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
        for future in done:
            future.result()  # raise now rather than after the other workers finish
        reported += _drain(progress, on_progress)
    results = [future.result() for future in futures]
    # A worker's last report may still be in its queue's feeder thread when its result arrives: the
    # results say how many pages there were, so whatever the queue has not delivered is reported now.
    total = sum(len(result.written) + len(result.skipped) for result in results)
    reported += _drain(progress, on_progress)
    if total > reported and on_progress is not None:
        on_progress(total - reported)
    return results


def _drain(progress: multiprocessing.Queue[int], on_progress: Callable[[int], None] | None) -> int:
    """Report what the workers have queued; the number of pages reported."""
    drained = 0
    while True:
        try:
            pages = progress.get_nowait()
        except queue.Empty:
            return drained
        drained += pages
        if on_progress is not None:
            on_progress(pages)


def _delete_outdated(writer: StoreWriter, plan: Plan, counts: WriteCounts) -> None:
    """Delete the removed documents and the old versions of the changed ones."""
    for source in plan.updated_sources:
        writer.delete(doc_id_for(source))
    for doc_id in plan.to_remove:
        writer.delete(doc_id)
        counts.removed += 1


def _count_written(source: str, plan: Plan, counts: WriteCounts) -> None:
    if source in plan.updated_sources:
        counts.updated += 1
    else:
        counts.added += 1


def _count_skip(item: Skipped, plan: Plan, counts: WriteCounts) -> None:
    counts.skipped.append(item)
    if item.source in plan.updated_sources:  # a page that became unusable leaves the index
        counts.removed += 1
