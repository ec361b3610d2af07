"""Load stage: walk the corpus, read sources.toml, and decode each file's bytes into text."""

from __future__ import annotations

import codecs
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bs4.dammit import EncodingDetector

DOCUMENT_KINDS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}
METADATA_FILE = "sources.toml"
METADATA_KEYS = ("title", "school", "lang", "url")
# Bytes looked at to tell a binary file from text.
SNIFF_BYTES = 8192
#: Control characters that do not occur in text (tab, newlines and form feed do).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


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
            if not _encodable(source):
                # os.walk hands undecodable bytes over as surrogates: no id, URL or JSON can hold them.
                printable = os.fsencode(source).decode("utf-8", "backslashreplace")
                yield Skipped(printable, "file name is not valid UTF-8")
                continue
            if path.is_symlink():
                try:
                    target = path.resolve()
                except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
                    yield Skipped(source, "symbolic link loop")
                    continue
                if not target.is_relative_to(root):
                    yield Skipped(source, "symbolic link leads outside the corpus")
                    continue
            try:
                stat = path.stat()
            except OSError as error:
                yield Skipped(source, f"cannot be read ({error.strerror or error})")
                continue
            if not path.is_file():
                # A FIFO or a device named like a page: reading it could block or never end.
                yield Skipped(source, "not a regular file")
                continue
            yield SourceFile(path, source, kind, stat.st_mtime_ns, stat.st_size)


def _encodable(name: str) -> bool:
    """True when a file name is valid text (os.walk gives undecodable bytes as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_metadata(corpus: Path) -> dict[str, dict[str, str]]:
    """Per-file metadata from the corpus's sources.toml (empty when absent); raises ValueError if malformed."""
    path = corpus / METADATA_FILE
    if path.is_symlink() and not path.resolve().is_relative_to(corpus.resolve()):
        raise ValueError(f"{path}: symbolic link leads outside the corpus; not read")
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not valid TOML ({error})") from error
    metadata: dict[str, dict[str, str]] = {}
    for source, table in data.items():
        if not isinstance(table, dict):
            raise ValueError(  # noqa: TRY004 - a malformed file, reported like any other
                f"{path}: entry {source!r} must be a table of title/school/lang/url")
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
        text = _decode_legacy(data, kind)
    if _looks_binary(text):
        raise UnreadableFile("binary file (mostly control characters)")
    return text


def _decode_legacy(data: bytes, kind: str) -> str:
    """Text of bytes that are not UTF-8: in the encoding an HTML page declares, else Windows-1252.

    No statistical guessing: bs4's detectors (chardet, charset-normalizer, whichever happens to be
    installed) take short French Latin-1 text for Windows-1250 ("à" read as "ŕ"). Pages of this
    corpus that are not UTF-8 are Latin-1 or its Windows superset, as browsers also assume.
    """
    encodings = ["cp1252", "latin-1"]  # Latin-1 decodes any byte: the last resort never fails
    declared = EncodingDetector.find_declared_encoding(data, is_html=kind == "html")
    if declared:
        try:
            name = codecs.lookup(declared).name
        except LookupError:
            name = None
        # Browsers read pages declared as ISO-8859-1 or ASCII as Windows-1252, and so does kb.
        if name and name not in ("latin-1", "iso8859-1", "ascii"):
            encodings.insert(0, name)
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("unreachable: Latin-1 decodes every byte")


def _looks_binary(text: str) -> bool:
    sample = text[:SNIFF_BYTES]
    controls = len(CONTROL_CHARACTERS.findall(sample))
    return controls > max(8, len(sample) // 20)
