"""The index store: open, search and refresh the live index, and open a writer on it.

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
import os
import pickle
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.searching import Searcher

from kb.analysis import analyse, query_terms
from kb.models import Document, Hit
from kb.store.schema import ANALYSED_LANGS, SCHEMA, VOCABULARY_RECORD, schema_signature
from kb.store.writer import StoreWriter, segment_writer

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


class IndexLocked(RuntimeError):
    """Another process holds the index's write lock."""


class IndexMissing(RuntimeError):
    """No index has been built in the directory."""


class IndexIncompatible(IndexMissing):
    """The directory's index was written by a version of kb whose schema this one cannot read."""


@dataclass
class TermAlternative:
    """A word or phrase that satisfies a query concept, with its weight."""

    text: str
    weight: float = 1.0
    lang: str | None = None  # the language whose fields it is searched in; None: every language's


@dataclass
class TermGroup:
    """One concept of a query: any alternative (the word itself, a synonym, a translation) matches."""

    alternatives: list[TermAlternative]
    required: bool = False
    context_only: bool = False  # matched in passages' context (title, organisation, headings) only


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
        except (AttributeError, ImportError, pickle.UnpicklingError) as error:
            # The table of contents holds the pickled schema: a field type kb no longer has.
            raise IndexIncompatible(f"the index in {index_dir} was built by another version of kb "
                                    f"({error}): run `kb index --full`") from None
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
        """True when a built index this version can read is present (it is then open for the calls
        that follow); an unreadable one is rebuilt whole by the next indexing run."""
        try:
            self.searcher()
        except IndexMissing:
            return False
        return True

    def outdated(self) -> bool:
        """True when the live index was built with another schema: only a full rebuild can update it."""
        self.searcher()
        assert self._index is not None
        return schema_signature(self._index.schema) != schema_signature(SCHEMA)

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
        # Counting wants every match seen when there are few; a ranked page alone wants its top N only,
        # which lets Whoosh skip more blocks.
        fetch = max(wanted + 10, COLLECT_AT_LEAST) if request.count or request.facets else wanted + 10
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
        seen: set[str] = set()
        distinct: list[int] = []
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
            distinct.append(docnum)
            if len(seen) >= COUNT_EXACT_UP_TO and matcher.is_active():
                # Past this, walking every match costs more than the figure is worth: extrapolate
                # from the share of the index walked so far (matches spread evenly over doc numbers).
                scale = reader.doc_count_all() / (docnum + 1)
                counts = _facets(searcher, distinct) if facets else {}
                counts = _ordered({name: {value: round(count * scale) for value, count in found.items()}
                                   for name, found in counts.items()})
                return round(len(seen) * scale), False, counts
        return len(seen), True, _facets(searcher, distinct) if facets else {}

    def document_frequency(self, text: str) -> int:
        """How many passages hold `text` in one field (body or heading and title) of any language.

        A phrase counts as its rarest word; deleted passages may count until segments merge.
        """
        searcher = self.searcher()
        best = 0
        for lang in ANALYSED_LANGS:
            tokens = query_terms(text, lang)
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
            options = [self._alternative(alt.text, alt.weight, terms, group.context_only, alt.lang)
                       for alt in group.alternatives]
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

    def _alternative(self, text: str, weight: float, terms: dict[str, set[str]], context_only: bool = False,
                     only_lang: str | None = None) -> wq.Query | None:
        """A word or phrase matched in every language's body and context fields (context only: title,
        organisation and headings; `only_lang`: that language's fields only)."""
        per_field: list[wq.Query] = []
        searcher = self.searcher()
        for lang in ANALYSED_LANGS if only_lang not in ANALYSED_LANGS else (only_lang,):
            # The words as typed, in order; for an identifier the index does not hold as typed
            # ("array.flat" for Array.prototype.flat), its parts in any order.
            as_typed, parts = query_terms(text, lang), query_terms(text, lang, identifiers=False)
            readings = [(as_typed, True)] + ([(parts, False)] if parts and parts != as_typed else [])
            if not as_typed:
                continue
            terms[lang].update(analyse(text, lang))
            for fieldname in (f"context_{lang}",) if context_only else (f"body_{lang}", f"context_{lang}"):
                # A term absent from a field only widens the union every match is walked through.
                reading = next(((tokens, in_order) for tokens, in_order in readings
                                if all(searcher.doc_frequency(fieldname, token) for token in tokens)), None)
                if reading is None:
                    continue
                tokens, in_order = reading
                if len(tokens) == 1:
                    per_field.append(wq.Term(fieldname, tokens[0], boost=weight))
                elif in_order:
                    per_field.append(wq.Phrase(fieldname, tokens, slop=1, boost=weight))
                else:
                    per_field.append(wq.And([wq.Term(fieldname, token) for token in tokens], boost=weight))
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
            return StoreWriter(segment_writer(index, limitmb), path,
                               on_commit=lambda: self._switch_to(name),
                               on_cancel=lambda: shutil.rmtree(path, ignore_errors=True))
        name, index = live
        return StoreWriter(segment_writer(index, limitmb), self.index_dir / name,
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
