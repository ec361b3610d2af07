"""Load stage: walk the corpus, read sources.toml, and decode each file's bytes into text."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bs4.dammit import UnicodeDammit

DOCUMENT_KINDS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}
METADATA_FILE = "sources.toml"
METADATA_KEYS = ("title", "school", "lang", "url")
# Bytes looked at to tell a binary file from text.
SNIFF_BYTES = 8192


class UnreadableFile(Exception):
    """A corpus file that cannot be used as a document; the message says why."""


@dataclass(frozen=True)
class SourceFile:
    """A document file found in the corpus, before it is read."""

    path: Path
    source: str  # path relative to the corpus, "/"-separated
    kind: str  # "html", "markdown" or "text"
    mtime_ns: int
    size: int


@dataclass(frozen=True)
class Skipped:
    """A corpus file left out of the index, with the reason."""

    source: str
    reason: str


def walk_corpus(corpus: Path) -> Iterator[SourceFile | Skipped]:
    """Every document file below `corpus`, sorted; links that lead outside it are reported as skipped."""
    root = corpus.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath, name)
            source = path.relative_to(root).as_posix()
            kind = DOCUMENT_KINDS.get(path.suffix.lower())
            if kind is None:
                continue
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(root):
                    yield Skipped(source, "symbolic link leads outside the corpus")
                    continue
            try:
                stat = path.stat()
            except OSError as error:
                yield Skipped(source, f"cannot be read ({error.strerror or error})")
                continue
            if not path.is_file():
                continue
            yield SourceFile(path, source, kind, stat.st_mtime_ns, stat.st_size)


def read_metadata(corpus: Path) -> dict[str, dict[str, str]]:
    """Per-file metadata from the corpus's sources.toml (empty when absent); raises ValueError if malformed."""
    path = corpus / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not valid TOML ({error})") from error
    metadata: dict[str, dict[str, str]] = {}
    for source, table in data.items():
        if not isinstance(table, dict):
            raise ValueError(f"{path}: entry {source!r} must be a table of title/school/lang/url")
        metadata[source.replace("\\", "/")] = {
            key: str(value).strip() for key, value in table.items()
            if key in METADATA_KEYS and str(value).strip()
        }
    return metadata


def read_bytes(file: SourceFile) -> bytes:
    """The raw content of a corpus file."""
    try:
        return file.path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"cannot be read ({error.strerror or error})") from error


def decode(data: bytes, kind: str) -> str:
    """Text of a file's bytes: UTF-8, else the detected encoding; raises UnreadableFile when unusable."""
    if not data.strip():
        raise UnreadableFile("empty file")
    if b"\x00" in data[:SNIFF_BYTES]:
        raise UnreadableFile("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        dammit = UnicodeDammit(data, is_html=kind == "html")
        if dammit.unicode_markup is None:
            raise UnreadableFile("undecodable text (unknown encoding)") from None
        text = dammit.unicode_markup
    if _looks_binary(text):
        raise UnreadableFile("binary file (mostly control characters)")
    return text


def _looks_binary(text: str) -> bool:
    sample = text[:SNIFF_BYTES]
    controls = sum(1 for char in sample if ord(char) < 32 and char not in "\t\n\r\f")
    return controls > max(8, len(sample) // 20)
