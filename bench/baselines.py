"""Plain baselines for the benchmarks: a one-field Whoosh index and an SQLite FTS5 table over the raw pages.

Run as a child process so its wall time, CPU time and peak RSS are measured like `kb index`'s:

    .venv/bin/python bench/baselines.py whoosh --corpus DIR --index DIR
    .venv/bin/python bench/baselines.py fts5 --corpus DIR --db FILE
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import QueryParser

WHOOSH_SCHEMA = Schema(path=ID(stored=True), content=TEXT)


def corpus_files(corpus_dir: Path) -> Iterator[tuple[str, str]]:
    """(relative path, raw text) of every Markdown page below the corpus folder, in path order."""
    for path in sorted(corpus_dir.rglob("*.md")):
        yield path.relative_to(corpus_dir).as_posix(), path.read_text(encoding="utf-8", errors="replace")


def build_whoosh(corpus_dir: Path, index_dir: Path) -> int:
    """Index every page's raw text as one Whoosh document (procs=2, limitmb=256, multisegment); the count."""
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(index_dir), WHOOSH_SCHEMA)
    writer = ix.writer(procs=2, limitmb=256, multisegment=True)
    count = 0
    for relative, text in corpus_files(corpus_dir):
        writer.add_document(path=relative, content=text)
        count += 1
    writer.commit()
    ix.close()
    return count


def build_fts5(corpus_dir: Path, db_path: Path) -> int:
    """Index every page's raw text in an SQLite FTS5 table (porter tokenizer), one transaction; the count."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db_path.unlink(missing_ok=True)
    connection = sqlite3.connect(db_path)
    try:
        connection.execute("CREATE VIRTUAL TABLE pages USING fts5(path UNINDEXED, content, "
                           "tokenize='porter unicode61')")
        with connection:
            cursor = connection.executemany("INSERT INTO pages(path, content) VALUES (?, ?)",
                                            corpus_files(corpus_dir))
        count = cursor.rowcount
    finally:
        connection.close()
    return count


class WhooshFloor:
    """In-process queries on the plain-Whoosh index: QueryParser on its one field, default AND grouping."""

    def __init__(self, index_dir: Path) -> None:
        self.ix = whoosh_index.open_dir(str(index_dir))
        self.parser = QueryParser("content", self.ix.schema)
        self.searcher = self.ix.searcher()

    def search(self, text: str, limit: int = 10) -> list[str]:
        """Paths of the top `limit` pages for `text` (stored fields read, as a real caller would)."""
        results = self.searcher.search(self.parser.parse(text), limit=limit)
        return [hit["path"] for hit in results]

    def close(self) -> None:
        """Close the searcher and the index."""
        self.searcher.close()
        self.ix.close()


def main(argv: Sequence[str] | None = None) -> None:
    """Build one baseline index and print what was indexed and how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    whoosh_parser = commands.add_parser("whoosh", help="plain Whoosh index")
    whoosh_parser.add_argument("--corpus", type=Path, required=True)
    whoosh_parser.add_argument("--index", type=Path, required=True)
    fts5_parser = commands.add_parser("fts5", help="SQLite FTS5 table")
    fts5_parser.add_argument("--corpus", type=Path, required=True)
    fts5_parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.command == "whoosh":
        count = build_whoosh(args.corpus, args.index)
    else:
        count = build_fts5(args.corpus, args.db)
    print(f"{args.command}: indexed {count} pages in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
