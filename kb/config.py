"""Where the corpus and the index live: defaults, overridden by environment, overridden by options."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CORPUS_DIR = "corpus"
DEFAULT_INDEX_DIR = "var/index"


@dataclass(frozen=True)
class Settings:
    """Paths and secrets the CLI and the web app run with."""

    corpus_dir: Path
    index_dir: Path
    admin_token: str | None = None


def load_settings(corpus_dir: str | None = None, index_dir: str | None = None) -> Settings:
    """Settings from explicit values, else KB_CORPUS_DIR / KB_INDEX_DIR / KB_ADMIN_TOKEN, else defaults."""
    return Settings(
        corpus_dir=Path(corpus_dir or os.environ.get("KB_CORPUS_DIR") or DEFAULT_CORPUS_DIR),
        index_dir=Path(index_dir or os.environ.get("KB_INDEX_DIR") or DEFAULT_INDEX_DIR),
        admin_token=os.environ.get("KB_ADMIN_TOKEN") or None,
    )
