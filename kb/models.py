"""Plain data shared by every stage: cleaned blocks, documents, passages, results and answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "item", "code"]


@dataclass(frozen=True)
class Block:
    """One structural unit of a cleaned page: a heading, a paragraph, a list item or code."""

    kind: BlockKind
    text: str
    level: int = 0  # heading level (1-6); 0 for other blocks


@dataclass
class PageMeta:
    """Metadata found inside a page (front matter, <title>, meta tags); any field may be missing."""

    title: str | None = None
    school: str | None = None
    lang: str | None = None
    url: str | None = None


@dataclass
class CleanPage:
    """A page after cleaning: its prose as ordered blocks plus what the page says about itself."""

    blocks: list[Block]
    meta: PageMeta = field(default_factory=PageMeta)


@dataclass
class Passage:
    """A citable unit of text, cut from a document along its structure."""

    passage_id: str
    doc_id: str
    position: int
    text: str
    heading: str  # heading path, " > " joined; empty before the first heading
    lang: str


@dataclass
class Document:
    """A source document with its metadata, as stored in the index."""

    doc_id: str
    source: str
    title: str
    school: str | None
    lang: str
    url: str | None
    content_hash: str
    mtime_ns: int = 0
    size: int = 0
    indexed_at: float = 0.0
    passage_count: int = 0


@dataclass
class IndexSummary:
    """What one indexing run did; rendered as the contract's summary line."""

    documents: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    passages: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        """The contract's one-line summary."""
        return (
            f"indexed {self.documents} documents: {self.added} added, {self.updated} updated, "
            f"{self.removed} removed, {self.unchanged} unchanged, {self.skipped} skipped; "
            f"{self.passages} passages in {self.seconds:.2f} s"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class Hit:
    """One ranked passage returned by the store, with its document's metadata."""

    doc_id: str
    passage_id: str
    source: str
    title: str
    school: str | None
    lang: str
    text: str
    heading: str
    position: int
    score: float
    highlight: str = ""
    also_in: list[str] = field(default_factory=list)  # other sources holding the same text
    evidence: list[tuple[int, int]] = field(default_factory=list)  # spans of `text` an answer quotes

    @property
    def url(self) -> str:
        """Link into the document view at this passage."""
        return f"/documents/{self.doc_id}?hl={self.passage_id}#p-{self.passage_id}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with the contract's result fields."""
        return {
            "doc_id": self.doc_id,
            "passage_id": self.passage_id,
            "source": self.source,
            "title": self.title,
            "school": self.school,
            "lang": self.lang,
            "text": self.text,
            "highlight": self.highlight,
            "score": round(self.score, 4),
            "url": self.url,
            "heading": self.heading,
            "also_in": self.also_in,
        }


@dataclass
class SearchResult:
    """A page of ranked passages plus facets and a spelling suggestion."""

    query: str
    total: int
    page: int
    per_page: int
    results: list[Hit]
    took_ms: float = 0.0
    school: str | None = None
    lang: str | None = None
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    total_exact: bool = True  # False: total and facet counts are estimates (very common queries)

    @property
    def pages(self) -> int:
        """Number of result pages."""
        return max(1, -(-self.total // self.per_page))

    def to_dict(self) -> dict[str, Any]:
        """The /api/search body."""
        return {
            "query": self.query,
            "total": self.total,
            "total_exact": self.total_exact,
            "page": self.page,
            "per_page": self.per_page,
            "took_ms": round(self.took_ms, 2),
            "results": [hit.to_dict() for hit in self.results],
            "filters": {"school": self.school, "lang": self.lang},
            "facets": self.facets,
            "suggestion": self.suggestion,
        }


@dataclass
class AnswerItem:
    """One entity of a list answer with the numbers of the citations that support it."""

    label: str
    citations: list[int]


@dataclass
class Answer:
    """An extractive answer with numbered citations; kind 'none' means the index holds no answer."""

    question: str
    kind: Literal["list", "fact", "none"]
    answer: str | None
    items: list[AnswerItem]
    citations: list[Hit]
    took_ms: float = 0.0
    lang: str = "en"
    confidence: float = 0.0  # calibrated: the probability that the answer (or the "not found") is right

    def to_dict(self) -> dict[str, Any]:
        """The /api/ask body."""
        return {
            "question": self.question,
            "kind": self.kind,
            "answer": self.answer,
            "confidence": round(self.confidence, 3),
            "items": [asdict(item) for item in self.items],
            "citations": [dict(hit.to_dict(), n=n,
                               evidence=[{"start": start, "end": end} for start, end in hit.evidence])
                          for n, hit in enumerate(self.citations, 1)],
            "took_ms": round(self.took_ms, 2),
            "lang": self.lang,
        }
