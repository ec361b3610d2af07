"""The index store: write, search and refresh passages; the only module that talks to Whoosh.

Layout of an index directory::

    CURRENT        name of the live generation (replaced atomically)
    write.lock     held (flock) by the one process writing
    gen-*/         Whoosh indexes; only the one CURRENT names is live

A full rebuild writes a new generation and switches CURRENT to it, so readers never see a half-built
index and an interrupted rebuild leaves the previous one whole. Incremental runs write into the live
generation through Whoosh's own atomic commits.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.codec import whoosh3
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.searching import Searcher
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from kb import whoosh_fixes  # noqa: F401 - patches Whoosh before any index is opened
from kb.analysis import STEMMED_LANGUAGES, analyse, analyzer_for, field_lang, vocabulary_words
from kb.models import Document, Hit, Passage

#: Postings blocks compressed with zlib's fastest level instead of Whoosh's 3: as small within a few
#: percent, for a fraction of the time (uncompressed, the index was 60% bigger, and so was the
#: memory its maps take, for ~5% faster queries).
CODEC = whoosh3.W3Codec(compression=1)
ANALYSED_LANGS = (*STEMMED_LANGUAGES, "other")
#: Heading path and title count more than body text: they say what a passage is about.
CONTEXT_BOOST = 1.6
NO_SCHOOL = ""
VOCABULARY_RECORD = "vocabulary"
#: Matching passages counted one by one for totals and facets; beyond this they are extrapolated.
COUNT_EXACT_UP_TO = 1000
#: Best matches that optional phrases re-rank.
RERANK_POOL = 60
#: Matches a search collects at least: when a query has fewer, the search saw them all and counts
#: them itself, without a second walk through the posting lists.
COLLECT_AT_LEAST = 150
MIN_SUGGEST_LETTERS, MAX_SUGGEST_LETTERS = 3, 20
FILTER_SCORE = 1e-9
#: Tries at opening the live generation while writers replace it (~1 s in all).
OPEN_ATTEMPTS = 20


class PreAnalysedText(TEXT):
    """A phrase-searchable TEXT field whose values are terms analysed beforehand, space-separated.

    Indexing them skips Whoosh's token pipeline (a Token object per word, through a tokenizer and the
    format's generic loop), which cost more than writing the postings; the postings are the same.
    """

    def index(self, value: str, **kwargs: object) -> list[tuple[bytes, int, float, bytes]]:
        """(term, frequency, weight, encoded positions) of each distinct term, in order of appearance."""
        positions: dict[str, list[int]] = {}
        for position, term in enumerate(value.split()):
            found = positions.get(term)
            if found is None:
                positions[term] = [position]
            else:
                found.append(position)
        boost, encode = self.format.field_boost, self.format.encode
        return [(term.encode("utf-8"), len(where), len(where) * boost, encode(where))
                for term, where in positions.items()]


class CountedWords(KEYWORD):
    """A keyword field whose value is a {word: count} mapping: each word is indexed once, weighted
    by its count (what the spelling corrector ranks candidates by)."""

    def index(self, value: dict[str, int], **kwargs: object) -> list[tuple[bytes, int, float, bytes]]:
        """(word, count, weight, encoded count) of each word."""
        boost = self.format.field_boost
        return [(word.encode("utf-8"), count, count * boost, pack_uint(count)) for word, count in value.items()]


def _build_schema() -> Schema:
    """The one declaration of the index schema (passage records and document records)."""
    # The analysed fields receive text already analysed by analyse_passage() (in the indexer's worker
    # processes), so Whoosh only splits it on spaces; queries are analysed with the same analyzers.
    analysed = {}
    for lang in ANALYSED_LANGS:
        analysed[f"body_{lang}"] = PreAnalysedText(analyzer=SpaceSeparatedTokenizer(), phrase=True)
        analysed[f"context_{lang}"] = PreAnalysedText(analyzer=SpaceSeparatedTokenizer(), phrase=True,
                                                      field_boost=CONTEXT_BOOST)
    return Schema(
        record=ID(stored=True),  # "passage", "doc" or VOCABULARY_RECORD
        doc_id=ID(stored=True),
        # Only what queries look up is indexed: every indexed value costs a posting per record.
        passage_id=STORED(),
        source=STORED(),
        title=STORED(),
        school=ID(stored=True, sortable=True),
        lang=ID(stored=True, sortable=True),
        url=STORED(),
        heading=STORED(),
        text=STORED(),
        position=STORED(),
        text_hash=ID(stored=True, sortable=True),
        content_hash=STORED(),
        settings_hash=STORED(),
        mtime_ns=STORED(),
        size=STORED(),
        indexed_at=STORED(),
        passage_count=STORED(),
        # Spelling vocabulary, on vocabulary records: looked up, never scored, so no field lengths.
        words=CountedWords(scorable=False),
        **analysed,
    )


SCHEMA = _build_schema()


def _schema_signature(schema: Schema) -> list[tuple[str, ...]]:
    """What decides how a schema's fields are written, comparable across processes (Whoosh's own
    equality compares column objects by identity)."""
    return [(name, type(field).__name__, type(field.format).__name__, repr(getattr(field, "analyzer", None)),
             str(field.stored), str(field.unique), str(field.scorable), type(field.column_type).__name__,
             repr(getattr(field.format, "field_boost", 1.0)))
            for name, field in schema.items()]


class IndexLocked(RuntimeError):
    """Another process holds the index's write lock."""


class IndexMissing(RuntimeError):
    """No index has been built in the directory."""


@dataclass
class TermAlternative:
    """A word or phrase that satisfies a query concept, with its weight."""

    text: str
    weight: float = 1.0


@dataclass
class TermGroup:
    """One concept of a query: any alternative (the word itself, a synonym, a translation) matches."""

    alternatives: list[TermAlternative]
    required: bool = False


@dataclass
class StoreQuery:
    """A backend-neutral retrieval request built from user text by kb.query."""

    groups: list[TermGroup]
    phrases: list[str] = field(default_factory=list)  # exact phrases, each also boosts proximity
    phrases_required: bool = False  # True: every phrase must match; False: phrases only add score
    school: str | None = None
    lang: str | None = None
    doc_ids: list[str] | None = None
    schools: list[str] | None = None  # only passages of one of these schools
    limit: int = 10
    offset: int = 0
    facets: bool = False
    min_should_match: int = 0
    count: bool = True  # False: skip counting every match; `total` is then only the distinct hits found

    def is_empty(self) -> bool:
        """True when the query holds nothing to match."""
        return not self.groups and not self.phrases


@dataclass
class StoreResults:
    """Ranked hits of one page, the total, and facet counts when asked."""

    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]]
    matched_terms: dict[str, set[str]]  # analysed-field suffix -> query terms, for highlighting
    total_exact: bool = True  # False: total and facets are extrapolated (very common queries)


def _current_name(index_dir: Path) -> str | None:
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def _open_live(index_dir: Path) -> tuple[str, whoosh_index.Index] | None:
    """The live generation's name and index, or None when there is none.

    A commit writes a new table of contents, then deletes the old one: a reader that listed the
    old one can find it gone, and a full rebuild can retire the whole generation. Both are the
    moment a writer finishes, so trying again shortly sees its result.
    """
    for attempt in range(OPEN_ATTEMPTS):
        name = _current_name(index_dir)
        if name is None:
            return None
        try:
            return name, whoosh_index.open_dir(str(index_dir / name))
        except (FileNotFoundError, whoosh_index.EmptyIndexError):
            if attempt == OPEN_ATTEMPTS - 1:
                break
            time.sleep(0.005 * (attempt + 1))
    return None


def _hit_from_fields(fields: dict, score: float) -> Hit:
    return Hit(
        doc_id=fields["doc_id"],
        passage_id=fields["passage_id"],
        source=fields["source"],
        title=fields.get("title") or fields["source"],
        school=fields.get("school") or None,
        lang=fields.get("lang", ""),
        text=fields.get("text", ""),
        heading=fields.get("heading", ""),
        position=int(fields.get("position", 0)),
        score=float(score),
    )


def _document_from_fields(fields: dict) -> Document:
    return Document(
        doc_id=fields["doc_id"],
        source=fields["source"],
        title=fields.get("title") or fields["source"],
        school=fields.get("school") or None,
        lang=fields.get("lang", ""),
        url=fields.get("url"),
        content_hash=fields.get("content_hash", ""),
        mtime_ns=int(fields.get("mtime_ns", 0)),
        size=int(fields.get("size", 0)),
        indexed_at=float(fields.get("indexed_at", 0.0)),
        passage_count=int(fields.get("passage_count", 0)),
    )


def _ordered(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Facet counts, largest first."""
    return {name: dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))) for name, found in counts.items()}


def _facets(searcher: Searcher, docnums: list[int]) -> dict[str, dict[str, int]]:
    """Counts by school and by language of the given passages."""
    counts: dict[str, dict[str, int]] = {}
    for name in ("school", "lang"):
        column = searcher.reader().column_reader(name)
        found = counts[name] = {}
        for docnum in docnums:
            value = column[docnum]
            if value:
                found[value] = found.get(value, 0) + 1
    return _ordered(counts)


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

    def shard_target(self, limitmb: int = 128) -> ShardTarget:
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
        fields = [(passage, (analysed or {}).get(passage.passage_id) or analyse_passage(passage, document.title))
                  for passage in passages]
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


def analyse_passage(passage: Passage, title: str) -> dict[str, str]:
    """The analysed field values of a passage: its body and context terms, and its words for spelling."""
    suffix = field_lang(passage.lang)
    words = vocabulary_words(passage.text)
    return {
        f"body_{suffix}": " ".join(analyse(passage.text, passage.lang)),
        f"context_{suffix}": " ".join(analyse(f"{title}\n{passage.heading}", passage.lang)),
        "words": " ".join(words),
    }


def _segment_writer(index: whoosh_index.Index, limitmb: int) -> SegmentWriter:
    # Compound segments: a reader maps the segment's one file when it opens, so its snapshot stays
    # readable after a later commit merges the segment away and deletes the file. With separate files
    # the reader opens stored fields and columns lazily and fails once they are gone (a 500 for a
    # request that overlaps a reindex). _MemoryViewFile keeps the mapped parts from being copied.
    return SegmentWriter(index, limitmb=limitmb, codec=CODEC, compound=True)


def passage_text_key(text: str) -> str:
    """A key equal for passages whose text is the same up to case and spacing (duplicates)."""
    normalised = " ".join(text.casefold().split())
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=10).hexdigest()


class IndexStore:
    """A Whoosh-backed passage index in a directory: write, search and refresh."""

    def __init__(self, index_dir: str | os.PathLike[str]) -> None:
        self.index_dir = Path(index_dir)
        self._index: whoosh_index.Index | None = None
        self._generation: str | None = None
        self._searcher: Searcher | None = None
        self._stats: tuple[int, int] | None = None

    # -- reading -------------------------------------------------------------------------------

    def exists(self) -> bool:
        """True when a built index is present."""
        if self._searcher is not None:
            return True
        return _open_live(self.index_dir) is not None

    def outdated(self) -> bool:
        """True when the live index was built with another schema: only a full rebuild can update it."""
        self.searcher()
        assert self._index is not None
        return _schema_signature(self._index.schema) != _schema_signature(SCHEMA)

    def searcher(self) -> Searcher:
        """The open searcher, (re)opened on the live generation when needed."""
        if self._searcher is None:
            opened = _open_live(self.index_dir)
            if opened is None:
                raise IndexMissing(f"no index in {self.index_dir}: run `kb index` first")
            self._generation, self._index = opened
            self._searcher = self._index.searcher()
        return self._searcher

    def refresh(self) -> bool:
        """Pick up a commit or a rebuild made since the searcher was opened; True if it changed."""
        if self._searcher is None:
            return False
        try:
            changed = _current_name(self.index_dir) != self._generation or not self._searcher.up_to_date()
        except OSError:
            changed = True
        if changed:
            # Reopen rather than Searcher.refresh(): that reuses segment readers and can keep
            # a segment's old deletions.
            self.close()
        return changed

    def close(self) -> None:
        """Release open files."""
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = None
        self._index = None
        self._generation = None
        self._stats = None

    def stats(self) -> tuple[int, int]:
        """Number of documents and of passages in the index (deleted ones not counted)."""
        searcher = self.searcher()
        if self._stats is None:
            # doc_frequency() would count deleted records until segments merge; walking the document
            # records' postings does not, and the live passages are all the other live records.
            documents = sum(1 for _ in searcher.docs_for_query(wq.Term("record", "doc")))
            vocabularies = sum(1 for _ in searcher.docs_for_query(wq.Term("record", VOCABULARY_RECORD)))
            self._stats = (documents, searcher.reader().doc_count() - documents - vocabularies)
        return self._stats

    def documents(self) -> dict[str, tuple[Document, str]]:
        """Every indexed document with its settings hash, by source path."""
        found: dict[str, tuple[Document, str]] = {}
        for fields in self.searcher().documents(record="doc"):
            found[fields["source"]] = (_document_from_fields(fields), fields.get("settings_hash", ""))
        return found

    def schools(self) -> list[str]:
        """The distinct school names in the index."""
        return sorted(
            term.decode("utf-8") if isinstance(term, bytes) else term
            for term in self.searcher().lexicon("school")
            if term not in (b"", "")
        )

    def titles(self) -> list[tuple[str, str | None]]:
        """Every document's title with its school."""
        return [(fields.get("title", ""), fields.get("school") or None)
                for fields in self.searcher().documents(record="doc")]

    def document(self, doc_id: str) -> tuple[Document, list[Hit]] | None:
        """A document's metadata and its passages in order, or None if unknown."""
        searcher = self.searcher()
        record = searcher.document(record="doc", doc_id=doc_id)
        if record is None:
            return None
        query = wq.And([wq.Term("doc_id", doc_id), wq.Term("record", "passage")])
        passages = [_hit_from_fields(hit.fields(), 0.0) for hit in searcher.search(query, limit=None)]
        passages.sort(key=lambda hit: hit.position)
        return _document_from_fields(record), passages

    def duplicates(self, text_hash_by_passage: dict[str, str]) -> dict[str, list[str]]:
        """For each passage id, the sources of other passages with the same text."""
        searcher = self.searcher()
        found: dict[str, list[str]] = {}
        for passage_id, key in text_hash_by_passage.items():
            sources = [fields["source"] for fields in searcher.documents(text_hash=key)
                       if fields["passage_id"] != passage_id]
            if sources:
                found[passage_id] = sorted(set(sources))
        return found

    def search(self, request: StoreQuery) -> StoreResults:
        """Ranked passages for a query, one page of them, with the total and facets when asked.

        Identical passages (copies of a page) count and show once: the best-scored stands for all
        and names the other sources in `also_in`.
        """
        searcher = self.searcher()
        query, terms, bonus = self._compile(request)
        filter_query = self._filter(request)
        if filter_query is not None:
            # As a required clause the filter lets matching leapfrog through the intersection, where
            # Whoosh's filter= scores every match of the query first. Its score is a negligible constant
            # (0 would read as "unset" in Whoosh); wq.Require trips an assertion when skipping blocks.
            query = wq.And([wq.ConstantScoreQuery(filter_query, FILTER_SCORE), query])
        text_hashes = searcher.reader().column_reader("text_hash")
        wanted = request.offset + request.limit
        fetch = max(wanted + 10, COLLECT_AT_LEAST)
        while True:
            # Plain top-N search keeps Whoosh's block-skipping collector; collapsing and facet
            # grouping inside Whoosh would score every match, several times slower on large indexes.
            results = searcher.search(query, limit=fetch)
            ranked = [(hit.docnum, hit.score) for hit in results]
            if bonus is not None and ranked:
                # Optional phrases re-rank the best matches instead of joining the query: a phrase
                # matcher has no block-quality bounds, so inside the query it would make Whoosh score
                # every match of every word.
                extra = {hit.docnum: hit.score for hit in
                         searcher.search(bonus, filter={docnum for docnum, _ in ranked}, limit=None)}
                ranked = sorted(((docnum, score + extra.get(docnum, 0.0)) for docnum, score in ranked),
                                key=lambda pair: -pair[1])
            unique: list[tuple[int, float]] = []
            seen: set[str] = set()
            for docnum, score in ranked:
                key = text_hashes[docnum]
                if key not in seen:
                    seen.add(key)
                    unique.append((docnum, score))
            complete = results.scored_length() < fetch  # every match was collected
            if len(unique) >= wanted or complete:
                break
            fetch *= 2
        page = [(searcher.stored_fields(docnum), score) for docnum, score in unique[request.offset:wanted]]
        hits = [_hit_from_fields(fields, score) for fields, score in page]
        copies = self.duplicates({fields["passage_id"]: fields["text_hash"] for fields, _ in page})
        for hit in hits:
            hit.also_in = [source for source in copies.get(hit.passage_id, []) if source != hit.source]
        if complete:
            # The search saw every match: count them from what it collected, not by a second walk
            # through the query's posting lists (the larger part of a search's time).
            total, exact = len(unique), True
            facet_counts = _facets(searcher, [docnum for docnum, _ in unique]) if request.facets else {}
        elif request.count or request.facets:
            total, exact, facet_counts = self._count(searcher, query, request.facets)
        else:
            total, exact, facet_counts = len(unique), True, {}
        return StoreResults(hits=hits, total=total, facets=facet_counts, matched_terms=terms, total_exact=exact)

    @staticmethod
    def _filter(request: StoreQuery) -> wq.Query | None:
        # No record filter: document records carry no analysed text, so they never match, and a
        # filter over every passage would cost a bitset build per query.
        filters: list[wq.Query] = []
        if request.school:
            filters.append(wq.Term("school", request.school))
        if request.lang:
            filters.append(wq.Term("lang", request.lang))
        if request.doc_ids is not None:
            filters.append(wq.Or([wq.Term("doc_id", doc_id) for doc_id in request.doc_ids])
                           if request.doc_ids else wq.NullQuery)
        if request.schools is not None:
            filters.append(wq.Or([wq.Term("school", school) for school in request.schools])
                           if request.schools else wq.NullQuery)
        return wq.And(filters) if filters else None

    @staticmethod
    def _count(searcher: Searcher, query: wq.Query, facets: bool) -> tuple[int, bool, dict[str, dict[str, int]]]:
        """Distinct matching passages (exactly, or estimated past COUNT_EXACT_UP_TO), and, when asked,
        their counts by school and language; the flag says whether the figures are exact."""
        reader = searcher.reader()
        text_hash = reader.column_reader("text_hash")
        columns = {name: reader.column_reader(name) for name in ("school", "lang")} if facets else {}
        counts: dict[str, dict[str, int]] = {name: {} for name in columns}
        seen: set[str] = set()
        # Walking the matcher leapfrogs through intersections; docs_for_query() would read every
        # posting list in full.
        matcher = query.matcher(searcher)
        docnum = 0
        while matcher.is_active():
            docnum = matcher.id()
            matcher.next()
            key = text_hash[docnum]
            if key in seen:
                continue
            seen.add(key)
            for name, column in columns.items():
                value = column[docnum]
                if value:
                    counts[name][value] = counts[name].get(value, 0) + 1
            if len(seen) >= COUNT_EXACT_UP_TO and matcher.is_active():
                # Past this, walking every match costs more than the figure is worth: extrapolate
                # from the share of the index walked so far (matches spread evenly over doc numbers).
                scale = reader.doc_count_all() / (docnum + 1)
                counts = {name: {value: round(count * scale) for value, count in found.items()}
                          for name, found in counts.items()}
                return round(len(seen) * scale), False, _ordered(counts)
        return len(seen), True, _ordered(counts)

    def document_frequency(self, text: str) -> int:
        """How many passages hold `text` in one field (body or heading and title) of any language.

        A phrase counts as its rarest word; deleted passages may count until segments merge.
        """
        searcher = self.searcher()
        best = 0
        for lang in ANALYSED_LANGS:
            tokens = [token.text for token in analyzer_for(lang)(text)]
            for fieldname in (f"body_{lang}", f"context_{lang}"):
                if tokens:
                    best = max(best, min(searcher.doc_frequency(fieldname, token) for token in tokens))
        return best

    def suggest(self, word: str) -> str | None:
        """A likely intended spelling of `word` from the index's vocabulary, or None."""
        word = word.lower()
        # Only plain words of a sensible length: Whoosh's corrector walks the whole vocabulary, and
        # identifiers like "RTCRtpStreamStats.transportId" would take seconds for no useful answer.
        if not word.isalpha() or not MIN_SUGGEST_LETTERS <= len(word) <= MAX_SUGGEST_LETTERS:
            return None
        searcher = self.searcher()
        if searcher.doc_frequency("words", word) > 0:
            return None
        candidates = searcher.corrector("words").suggest(word, limit=3, maxdist=1 if len(word) < 6 else 2)
        # The vocabulary keeps the words of deleted pages: suggest only what some passage still holds.
        return next((candidate for candidate in candidates if self._in_live_passage(candidate)), None)

    def _in_live_passage(self, word: str) -> bool:
        """True when a passage not deleted holds `word` (doc_frequency() also counts deleted ones)."""
        clauses: list[wq.Query] = [wq.Term(f"{prefix}_{lang}", term)
                                   for lang in ANALYSED_LANGS for term in analyse(word, lang)
                                   for prefix in ("body", "context")]
        return bool(clauses) and next(iter(self.searcher().docs_for_query(wq.Or(clauses))), None) is not None

    def _compile(self, request: StoreQuery) -> tuple[wq.Query, dict[str, set[str]], wq.Query | None]:
        """Turn a StoreQuery into a Whoosh query over every analysed field, the terms it looks for,
        and the optional phrases as a separate bonus query (see search())."""
        terms: dict[str, set[str]] = {lang: set() for lang in ANALYSED_LANGS}
        clauses: list[wq.Query] = []
        required: list[wq.Query] = []
        bonus: list[wq.Query] = []
        for group in request.groups:
            options = [self._alternative(alt.text, alt.weight, terms) for alt in group.alternatives]
            options = [option for option in options if option is not None]
            if not options:
                if group.required:  # a concept that must match but occurs nowhere: nothing can match
                    return wq.NullQuery, terms, None
                continue
            group_query = wq.Or(options) if len(options) > 1 else options[0]
            (required if group.required else clauses).append(group_query)
        for phrase in request.phrases:
            phrase_query = self._alternative(phrase, 2.0, terms)
            if phrase_query is None and request.phrases_required:
                return wq.NullQuery, terms, None
            if phrase_query is not None:
                (required if request.phrases_required else bonus).append(phrase_query)
        bonus_query = (wq.Or(bonus) if len(bonus) > 1 else bonus[0]) if bonus else None
        if not clauses and not required:
            return (bonus_query or wq.NullQuery), terms, None
        optional = wq.Or(clauses, minmatch=request.min_should_match) if clauses else None
        if required:
            must = wq.And(required) if len(required) > 1 else required[0]
            # Optional concepts only add to the score of what the required ones match.
            return (wq.AndMaybe(must, optional) if optional is not None else must), terms, bonus_query
        return optional, terms, bonus_query

    def _alternative(self, text: str, weight: float, terms: dict[str, set[str]]) -> wq.Query | None:
        """A word or phrase matched in every language's body and context fields."""
        per_field: list[wq.Query] = []
        searcher = self.searcher()
        for lang in ANALYSED_LANGS:
            analyzer = analyzer_for(lang)
            tokens = [token.text for token in analyzer(text)]
            if not tokens:
                continue
            terms[lang].update(tokens)
            for fieldname in (f"body_{lang}", f"context_{lang}"):
                # A term absent from a field only widens the union every match is walked through.
                if any(searcher.doc_frequency(fieldname, token) == 0 for token in tokens):
                    continue
                if len(tokens) == 1:
                    per_field.append(wq.Term(fieldname, tokens[0], boost=weight))
                else:
                    per_field.append(wq.Phrase(fieldname, tokens, slop=1, boost=weight))
        if not per_field:
            return None
        return wq.Or(per_field)

    # -- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def write_lock(self, timeout: float = 30.0) -> Iterator[None]:
        """Hold the index's single-writer lock; the kernel frees it if this process dies."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / "write.lock", "a+") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as error:
                    if error.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise IndexLocked(
                            f"another process is writing the index in {self.index_dir} "
                            f"(waited {timeout:g} s); try again when it has finished"
                        ) from None
                    time.sleep(0.1)
            yield

    def open_writer(self, full: bool, limitmb: int = 256) -> StoreWriter:
        """A writer on the live generation, or on a fresh one when `full` (caller holds write_lock)."""
        self._remove_stale_generations()
        live = None if full else _open_live(self.index_dir)
        if live is None:
            name = f"gen-{time.time_ns():x}-{os.getpid()}"
            path = self.index_dir / name
            path.mkdir(parents=True)
            index = whoosh_index.create_in(str(path), SCHEMA)
            return StoreWriter(_segment_writer(index, limitmb), path,
                               on_commit=lambda: self._switch_to(name),
                               on_cancel=lambda: shutil.rmtree(path, ignore_errors=True))
        name, index = live
        return StoreWriter(_segment_writer(index, limitmb), self.index_dir / name,
                           on_commit=lambda: None, on_cancel=lambda: None)

    def _switch_to(self, name: str) -> None:
        previous = _current_name(self.index_dir)
        for pointer_name, value in (("PREVIOUS", previous or ""), ("CURRENT", name)):
            pointer = self.index_dir / f"{pointer_name}.tmp"
            with open(pointer, "w", encoding="utf-8") as handle:
                handle.write(value + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(pointer, self.index_dir / pointer_name)
        self._remove_stale_generations()

    def _remove_stale_generations(self) -> None:
        """Delete generations that are neither live nor just replaced (a reader may still hold that one)."""
        keep = {_current_name(self.index_dir)}
        with contextlib.suppress(FileNotFoundError):
            keep.add((self.index_dir / "PREVIOUS").read_text(encoding="utf-8").strip())
        for path in self.index_dir.glob("gen-*"):
            if path.name not in keep and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
