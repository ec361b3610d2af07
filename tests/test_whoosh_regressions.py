"""What kb relies on in Whoosh (unmaintained upstream): stemming, accent folding, locking, commits."""

import multiprocessing
import os
import signal
import time

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import ID, Schema

from kb.analysis import analyse
from kb.store import IndexLocked, IndexStore


def test_english_uses_porter2_not_the_broken_porter():
    assert analyse("running", "en") == ["run"]
    assert analyse("universities", "en") == analyse("university", "en")
    assert analyse("required", "en") == analyse("requires", "en") == analyse("require", "en")


def test_french_stemming_folds_accents():
    assert analyse("étudiants", "fr") == analyse("etudiants", "fr") == analyse("étudiant", "fr")
    assert analyse("sélection", "fr") == analyse("selection", "fr")
    assert analyse("obligatoire", "fr") == analyse("obligatoires", "fr")


def test_french_elision_and_stop_words():
    assert analyse("l'étranger", "fr") == analyse("étranger", "fr")
    assert analyse("de la", "fr") == []


def test_numbers_survive_analysis():
    assert analyse("87 partners, 8.5 weeks, S1", "en") == ["87", "partner", "8.5", "week", "s1"]


def test_unknown_language_is_folded_not_stemmed():
    assert analyse("Universität Studenten", "de") == ["universitat", "studenten"]


def _hold_lock(index_dir, ready):
    store = IndexStore(index_dir)
    with store.write_lock(timeout=1):
        ready.set()
        time.sleep(60)


def test_write_lock_is_exclusive_and_freed_when_the_holder_is_killed(tmp_path):
    ready = multiprocessing.get_context("fork").Event()
    holder = multiprocessing.get_context("fork").Process(target=_hold_lock, args=(tmp_path, ready))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(IndexLocked, match="another process is writing"), \
                IndexStore(tmp_path).write_lock(timeout=0.3):
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join()
    with IndexStore(tmp_path).write_lock(timeout=1):
        pass  # a lock left by a killed process never blocks the next writer


def test_whoosh_commit_is_invisible_until_done(tmp_path):
    ix = whoosh_index.create_in(str(tmp_path), Schema(id=ID(stored=True)))
    writer = ix.writer()
    writer.add_document(id="a")
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 0
    writer.commit()
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 1
    writer = ix.writer()
    writer.add_document(id="b")
    writer.cancel()
    with whoosh_index.open_dir(str(tmp_path)).searcher() as searcher:
        assert searcher.doc_count() == 1


def _segment_maps(store: IndexStore) -> list[object]:
    return [reader._storage.a._source for reader, _ in store.searcher().reader().leaf_readers()]


def test_stores_in_one_process_share_each_segments_memory_map(seed_index):
    first, second = IndexStore(seed_index), IndexStore(seed_index)
    try:
        maps = _segment_maps(first)
        assert maps and all(a is b for a, b in zip(maps, _segment_maps(second), strict=True))
        first.close()  # closing one store leaves the map to the others
        assert second.document_frequency("semester") > 0
        assert second.stats()[0] == 5
    finally:
        first.close()
        second.close()


def test_segment_parts_are_read_in_place_not_copied(seed_index):
    store = IndexStore(seed_index)
    try:
        reader, _ = store.searcher().reader().leaf_readers()[0]
        compound = reader._storage.a
        part = compound.open_file(next(iter(compound._dir)))
        assert isinstance(part.file._view, memoryview)  # a window on the map, not a BytesIO copy
    finally:
        store.close()


@pytest.mark.parametrize("boost", [1.0, 1.6])
def test_pre_analysed_field_indexes_exactly_like_whoosh_text(boost):
    from whoosh.analysis import SpaceSeparatedTokenizer
    from whoosh.fields import TEXT

    from kb.store.schema import PreAnalysedText

    ours = PreAnalysedText(analyzer=SpaceSeparatedTokenizer(), phrase=True, field_boost=boost)
    whoosh = TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=True, field_boost=boost)
    for value in ("semest abroad semest partner abroad semest", "", "étudi", "a  b\tc\na"):
        assert ours.index(value) == list(whoosh.index(value))
