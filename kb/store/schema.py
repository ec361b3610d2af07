"""The index schema, declared once, with the field types and codec it is written with."""

from __future__ import annotations

from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.codec import whoosh3
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.system import pack_uint

from kb.analysis import STEMMED_LANGUAGES

#: Postings blocks compressed with zlib's fastest level instead of Whoosh's 3: as small within a few
#: percent, for a fraction of the time (uncompressed, the index was 60% bigger, and so was the
#: memory its maps take, for ~5% faster queries).
CODEC = whoosh3.W3Codec(compression=1)
ANALYSED_LANGS = (*STEMMED_LANGUAGES, "other")
#: Heading path and title count more than body text: they say what a passage is about.
CONTEXT_BOOST = 1.6
NO_SCHOOL = ""
VOCABULARY_RECORD = "vocabulary"


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


def build_schema() -> Schema:
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


SCHEMA = build_schema()


def schema_signature(schema: Schema) -> list[tuple[str, ...]]:
    """What decides how a schema's fields are written, comparable across processes (Whoosh's own
    equality compares column objects by identity)."""
    return [(name, type(field).__name__, type(field.format).__name__, repr(getattr(field, "analyzer", None)),
             str(field.stored), str(field.unique), str(field.scorable), type(field.column_type).__name__,
             repr(getattr(field.format, "field_boost", 1.0)))
            for name, field in schema.items()]
