"""Shared fixtures: small corpora written per test, and the seed corpus indexed once per session."""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

import pytest

from indexer.pipeline import run_index
from kb.store import IndexStore

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """An empty corpus folder for a test to fill."""
    path = tmp_path / "corpus"
    path.mkdir()
    return path


@pytest.fixture
def store(tmp_path: Path):
    """An index store in a fresh folder."""
    index = IndexStore(tmp_path / "index")
    yield index
    index.close()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed corpus indexed once for the whole session (read-only for tests)."""
    root = tmp_path_factory.mktemp("seed")
    corpus = shutil.copytree(SEED_CORPUS, root / "corpus")
    index_dir = root / "index"
    store = IndexStore(index_dir)
    run_index(corpus, store)
    store.close()
    return index_dir


@pytest.fixture
def seed_store(seed_index: Path):
    """A store opened on the session's seed index."""
    store = IndexStore(seed_index)
    yield store
    store.close()


def lock_is_held(index: Path) -> bool:
    """True while some process holds the index's write lock."""
    if not (index / "write.lock").exists():
        return False
    with open(index / "write.lock", "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False
