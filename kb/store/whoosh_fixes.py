"""Fixes to Whoosh internals that the index store relies on, applied once on import (by kb.store).

whoosh-reloaded is no longer maintained: these patch, in place, what costs memory or time at our
scale. tests/test_whoosh_regressions.py checks that they still take effect.
"""

from __future__ import annotations

import copy
import mmap
import os
import threading
import weakref
from collections.abc import Iterator

from whoosh import index as whoosh_index
from whoosh.codec import base, whoosh3
from whoosh.filedb import structfile
from whoosh.filedb.compound import CompoundStorage


class _MemoryViewFile:
    """A read-only file over a memoryview of a segment's memory map: reads copy only what they return."""

    __slots__ = ("_pos", "_view")

    def __init__(self, buffer: memoryview) -> None:
        self._view = memoryview(buffer)
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes from the current position (all that is left when negative)."""
        start = self._pos
        stop = len(self._view) if size is None or size < 0 else min(start + size, len(self._view))
        self._pos = max(stop, start)
        return self._view[start:self._pos].tobytes()

    def readinto(self, target: bytearray | memoryview) -> int:
        """Read into `target`; the number of bytes read."""
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        """Bytes up to and including the next newline."""
        end = len(self._view) if size is None or size < 0 else min(self._pos + size, len(self._view))
        pos = self._pos
        while pos < end:
            chunk = self._view[pos:min(pos + 256, end)].tobytes()
            newline = chunk.find(b"\n")
            pos += newline + 1 if newline >= 0 else len(chunk)
            if newline >= 0:
                break
        return self.read(pos - self._pos)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the position like io.BytesIO.seek."""
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        """The current position."""
        return self._pos

    def close(self) -> None:
        """Nothing to release: the memory map belongs to the segment's storage."""

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


def _buffer_file_init(self: structfile.BufferFile, buf: memoryview, name: str | None = None,
                      onclose: object = None) -> None:
    self._buf = buf
    self._name = name
    self.file = _MemoryViewFile(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


# Whoosh maps a compound segment into memory, then wraps each part it opens in io.BytesIO(memoryview),
# which copies the part: every open searcher held a private copy of the postings, stored fields and
# term index (~200 MB for 17,000 pages, for each pooled store of each server thread). Reading the map
# in place shares its pages between searchers and processes.
structfile.BufferFile.__init__ = _buffer_file_init  # type: ignore[method-assign]



def _cached_column_reader(self: whoosh3.W3PerDocReader, fieldname: str, column: object) -> object:
    if fieldname not in self._readers:
        self._readers[fieldname] = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
    return self._readers[fieldname]


# Whoosh caches a field's length column reader but not its absence: writing a segment asked the file
# system whether the column exists once per posting of every unscored field (~200,000 stat calls
# per 2,000 pages).
whoosh3.W3PerDocReader._cached_reader = _cached_column_reader  # type: ignore[method-assign]


# Each open store maps its segments itself: with a store per server thread, every thread's map of the
# same segment counted again in the process's memory (930 MB per server worker on the benchmark corpus).
# One map per segment file and process, shared by every reader, costs it once. Segment files are
# never modified once written, so a file's identity is its inode (and, against reuse, size and mtime).
_shared_maps: weakref.WeakValueDictionary[tuple[int, int, int, int], mmap.mmap] = weakref.WeakValueDictionary()
_shared_maps_lock = threading.Lock()


def _open_shared_compound_file(self: base.Segment, storage: object) -> CompoundStorage:
    dbfile = storage.open_file(self.make_filename(self.COMPOUND_EXT))  # type: ignore[attr-defined]
    compound = CompoundStorage(dbfile, use_mmap=False)  # reads the segment's directory only
    try:
        fileno = dbfile.fileno()
        info = os.fstat(fileno)
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        with _shared_maps_lock:
            source = _shared_maps.get(key)
            if source is None:
                source = mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)
                _shared_maps[key] = source
    except (OSError, ValueError, AttributeError):
        return compound  # not a real file (or not mappable): Whoosh reads it through the file handle
    dbfile.close()
    compound._file = None
    compound._source = source
    compound._shared_source = True
    return compound


_close_compound = CompoundStorage.close


def _close_shared_compound(self: CompoundStorage) -> None:
    if not getattr(self, "_shared_source", False):
        _close_compound(self)
        return
    self.is_closed = True
    self._source = None  # the map closes when its last reader lets go of it


base.Segment.open_compound_file = _open_shared_compound_file  # type: ignore[method-assign]
CompoundStorage.close = _close_shared_compound  # type: ignore[method-assign]


_read_toc = whoosh_index.TOC.read.__func__


def _read_toc_closing(cls: type, storage: object, indexname: str, gen: int | None = None,
                      schema: object = None) -> object:
    opened: list[object] = []
    recording = copy.copy(storage)  # the same storage, noting the files Whoosh opens through it

    def open_file(*args: object, **kwargs: object) -> object:
        handle = storage.open_file(*args, **kwargs)  # type: ignore[attr-defined]
        opened.append(handle)
        return handle

    recording.open_file = open_file  # type: ignore[attr-defined]
    try:
        return _read_toc(cls, recording, indexname, gen, schema)
    except BaseException:
        for handle in opened:
            handle.close()  # type: ignore[attr-defined]
        raise


# Whoosh leaves the table of contents open when reading it fails (a schema naming a field type that
# no longer exists): the store reports that index as incompatible and rebuilds it, without the leak.
whoosh_index.TOC.read = classmethod(_read_toc_closing)  # type: ignore[method-assign, assignment]
