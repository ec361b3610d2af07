"""Turn one corpus file into a document and its passages: load, clean, resolve metadata, chunk."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import PurePosixPath

from indexer.chunk import chunk_blocks
from indexer.clean import clean_document
from indexer.load import SourceFile, UnreadableFile, decode, read_bytes
from kb.language import CANDIDATE_LANGUAGES, detect_language, normalise_lang
from kb.models import Block, Document, PageMeta, Passage
from kb.store import analyse_passage

#: Bump when cleaning, chunking or analysis changes what a page yields, so `kb index` redoes every page.
PIPELINE_VERSION = "7"


@dataclass
class Prepared:
    """A document ready to write, with its passages."""

    document: Document
    passages: list[Passage]
    settings_hash: str
    analysed: dict[str, dict[str, str]]  # passage id -> analysed index fields


def doc_id_for(source: str) -> str:
    """A stable document id derived from the source path."""
    return hashlib.blake2b(source.encode("utf-8"), digest_size=8).hexdigest()


def content_hash(data: bytes) -> str:
    """Hash of a file's bytes, to tell changed files from touched ones."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def settings_hash(overrides: dict[str, str]) -> str:
    """Hash of what besides the bytes shapes a document: sources.toml entries and the pipeline version."""
    key = PIPELINE_VERSION + "\0" + "\0".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def _title_from_file_name(source: str) -> str:
    stem = PurePosixPath(source).stem
    if stem.lower() == "index" and len(PurePosixPath(source).parts) > 1:
        stem = PurePosixPath(source).parent.name
    return stem.replace("_", " ").replace("-", " ").strip() or source


def resolve_title(overrides: dict[str, str], meta: PageMeta, blocks: list[Block], source: str) -> str:
    """sources.toml > the page's own title (front matter, <title>, first h1) > first heading > file name."""
    if overrides.get("title"):
        return overrides["title"]
    if meta.title:
        return meta.title
    for block in blocks:
        if block.kind == "heading":
            return block.text
    return _title_from_file_name(source)


def lang_from_path(source: str) -> str | None:
    """A language named by a folder of the source path, as sites lay out translations (`fr/...`)."""
    for folder in PurePosixPath(source).parts[:-1]:
        lang = normalise_lang(folder)
        if lang in CANDIDATE_LANGUAGES and len(folder) in (2, 5):  # "fr", "fr-fr", "en_us"
            return lang
    return None


def resolve_lang(overrides: dict[str, str], meta: PageMeta, blocks: list[Block], source: str = "") -> str:
    """sources.toml > front matter / <html lang> > a language folder in the path > detection on the prose."""
    for declared in (overrides.get("lang"), meta.lang):
        lang = normalise_lang(declared)
        if lang:
            return lang
    from_path = lang_from_path(source)
    if from_path:
        return from_path
    prose = " ".join(block.text for block in blocks if block.kind != "code")
    return detect_language(prose, default="en")[0]


def prepare(file: SourceFile, overrides: dict[str, str]) -> Prepared:
    """Load, clean and chunk one file; raises UnreadableFile when it cannot be used."""
    data = read_bytes(file)
    text = decode(data, file.kind)
    page = clean_document(text, file.kind)
    if not page.blocks:
        raise UnreadableFile("no text left after cleaning")
    doc_id = doc_id_for(file.source)
    lang = resolve_lang(overrides, page.meta, page.blocks, file.source)
    document = Document(
        doc_id=doc_id,
        source=file.source,
        title=resolve_title(overrides, page.meta, page.blocks, file.source),
        school=overrides.get("school") or page.meta.school or None,
        lang=lang,
        url=overrides.get("url") or page.meta.url or None,
        content_hash=content_hash(data),
        mtime_ns=file.mtime_ns,
        size=file.size,
        indexed_at=time.time(),
    )
    passages = chunk_blocks(page.blocks, doc_id, lang)
    document.passage_count = len(passages)
    # Analysis (stemming) happens here, in the worker processes, not in the single writing process.
    analysed = {passage.passage_id: analyse_passage(passage, document.title, document.school)
                for passage in passages}
    return Prepared(document, passages, settings_hash(overrides), analysed)
