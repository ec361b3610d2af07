"""Writing the index: a run's transaction (StoreWriter) and the segments its worker processes write (ShardWriter)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from kb.analysis import analyse, field_lang, vocabulary_words
from kb.models import Document, Passage
from kb.store.schema import CODEC, NO_SCHOOL, VOCABULARY_RECORD


class StoreWriter:
    """Adds and deletes documents in one transaction; commit() makes them visible at once.

    Worker processes can add documents too, each into a segment of its own (see ShardWriter):
    commit() then publishes their segments with this writer's changes.
    """

    def __init__(self, writer: SegmentWriter, generation_dir: Path, on_commit, on_cancel) -> None:
        self._writer = writer
        self._records = _RecordWriter(writer)
        self._generation_dir = generation_dir
        self._on_commit = on_commit
        self._on_cancel = on_cancel
        self._shards: list[WrittenShard] = []
        self.changed = False

    def add(self, document: Document, passages: list[Passage], settings_hash: str = "",
            analysed: dict[str, dict[str, str]] | None = None) -> None:
        """Write a document record and its passages (delete first to update).

        `analysed` maps passage ids to analyse_passage() results computed beforehand, e.g. in workers.
        """
        self._records.add(document, passages, settings_hash, analysed)
        self.changed = True

    def delete(self, doc_id: str) -> None:
        """Remove a document and all its passages."""
        self._writer.delete_by_term("doc_id", doc_id)
        self.changed = True

    def shard_target(self, limitmb: int) -> ShardTarget:
        """Where worker processes open their ShardWriter for this transaction."""
        return ShardTarget(str(self._generation_dir), limitmb)

    def adopt(self, shard: WrittenShard) -> None:
        """Publish a worker's segment with this transaction when it commits."""
        if shard.documents:
            self._shards.append(shard)
            self.changed = True

    def commit(self, force: bool = False) -> None:
        """Make the changes visible to readers (atomically); writes nothing when nothing changed."""
        writer = self._writer
        if self.changed:
            self._records.add_vocabulary()
        if not (self.changed or force):
            writer.cancel()
        elif not self._shards:
            writer.commit(merge=True)
        else:
            # SegmentWriter.commit() with the workers' segments added to the new table of contents,
            # as Whoosh's own multi-process writer does.
            segments = writer._merge_segments(None, None, True)
            if writer._added:
                segments.append(writer._finalize_segment())
            else:
                writer._close_segment()
            writer._commit_toc(segments + [shard.segment for shard in self._shards])
            writer._finish()
        self._on_commit()

    def cancel(self) -> None:
        """Drop every change of this transaction (workers' segments included)."""
        self._writer.cancel()
        self._on_cancel()


@dataclass(frozen=True)
class ShardTarget:
    """Where a worker process writes its segment of an open transaction (picklable)."""

    generation_dir: str
    limitmb: int


@dataclass
class WrittenShard:
    """A worker's finished segment, to hand to StoreWriter.adopt()."""

    segment: object
    documents: int


class ShardWriter:
    """Adds documents to a new segment of an open StoreWriter transaction, from a worker process.

    The segment becomes visible only when the StoreWriter adopts it and commits; until then, and if
    the run fails, it is a stray file that the next commit deletes.
    """

    def __init__(self, target: ShardTarget) -> None:
        index = whoosh_index.open_dir(target.generation_dir)
        # No Whoosh lock: the transaction's StoreWriter holds it for the whole run.
        self._writer = SegmentWriter(index, _lk=False, limitmb=target.limitmb, codec=CODEC, compound=True)
        self._records = _RecordWriter(self._writer)
        self._documents = 0

    def add(self, document: Document, passages: list[Passage], settings_hash: str = "",
            analysed: dict[str, dict[str, str]] | None = None) -> None:
        """Write a document record and its passages into this worker's segment."""
        self._records.add(document, passages, settings_hash, analysed)
        self._documents += 1

    def finish(self) -> WrittenShard:
        """Write the segment out; the result goes back to the transaction's process."""
        if not self._documents:
            self._writer._close_segment()
            return WrittenShard(None, 0)
        self._records.add_vocabulary()
        # Not commit(): that would write a table of contents; not _finish(): that would delete the
        # temporary folder the other workers share.
        return WrittenShard(self._writer._finalize_segment(), self._documents)

    def abandon(self) -> None:
        """Stop writing after a failure (the transaction will be cancelled)."""
        self._writer._close_segment()


class _RecordWriter:
    """Writes kb's records through a Whoosh writer: per page a document record and its passages, and
    once per transaction (or worker) a vocabulary record of the pages' words for spelling suggestions.

    One vocabulary record for many pages, each word weighted by the number of pages holding it, costs
    a posting per distinct word instead of one per word and page (a third of all postings). It is not
    deleted with its pages: suggest() checks that a suggestion still occurs in some passage.
    """

    def __init__(self, writer: SegmentWriter) -> None:
        self.writer = writer
        self.vocabulary: dict[str, int] = {}

    def add(self, document: Document, passages: list[Passage], settings_hash: str,
            analysed: dict[str, dict[str, str]] | None) -> None:
        """Add a document record and its passage records."""
        school = document.school or NO_SCHOOL
        fields = [(passage, (analysed or {}).get(passage.passage_id)
                   or analyse_passage(passage, document.title, document.school)) for passage in passages]
        vocabulary = self.vocabulary
        for word in {word for _, values in fields for word in values["words"].split()}:
            vocabulary[word] = vocabulary.get(word, 0) + 1
        self.writer.add_document(
            record="doc",
            doc_id=document.doc_id,
            passage_id=f"doc:{document.doc_id}",
            source=document.source,
            title=document.title,
            school=school,
            lang=document.lang,
            url=document.url,
            content_hash=document.content_hash,
            settings_hash=settings_hash,
            mtime_ns=document.mtime_ns,
            size=document.size,
            indexed_at=document.indexed_at,
            passage_count=len(passages),
        )
        for passage, values in fields:
            self.writer.add_document(
                record="passage",
                doc_id=document.doc_id,
                passage_id=passage.passage_id,
                source=document.source,
                title=document.title,
                school=school,
                lang=passage.lang,
                heading=passage.heading,
                text=passage.text,
                position=passage.position,
                text_hash=passage_text_key(passage.text),
                **{name: value for name, value in values.items() if name != "words"},
            )

    def add_vocabulary(self) -> None:
        """Add the vocabulary record of the pages added so far (none when there were none)."""
        if self.vocabulary:
            self.writer.add_document(record=VOCABULARY_RECORD, words=self.vocabulary)
            self.vocabulary = {}


def analyse_passage(passage: Passage, title: str, organisation: str | None = None) -> dict[str, str]:
    """The analysed field values of a passage: its body and context terms, and its words for spelling.

    The context is what the passage is about: its page's title, the organisation the page belongs to
    and its heading path, so "partner universities Northbridge" finds Northbridge's passage on partner
    universities even when that passage does not repeat the name.
    """
    suffix = field_lang(passage.lang)
    words = vocabulary_words(passage.text)
    context = "\n".join(part for part in (title, organisation, passage.heading) if part)
    return {
        f"body_{suffix}": " ".join(analyse(passage.text, passage.lang)),
        f"context_{suffix}": " ".join(analyse(context, passage.lang)),
        "words": " ".join(words),
    }


def segment_writer(index: whoosh_index.Index, limitmb: int) -> SegmentWriter:
    # Compound segments: a reader maps the segment's one file when it opens, so its snapshot stays
    # readable after a later commit merges the segment away and deletes the file. With separate files
    # the reader opens stored fields and columns lazily and fails once they are gone (a 500 for a
    # request that overlaps a reindex). _MemoryViewFile keeps the mapped parts from being copied.
    return SegmentWriter(index, limitmb=limitmb, codec=CODEC, compound=True)


def passage_text_key(text: str) -> str:
    """A key equal for passages whose text is the same up to case and spacing (duplicates)."""
    normalised = " ".join(text.casefold().split())
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=10).hexdigest()
