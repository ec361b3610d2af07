"""The index store: write, search and refresh passages. Whoosh is used here and nowhere else.

`IndexStore` (index.py) is the interface the rest of kb uses; a PostgreSQL backend would implement
the same. schema.py declares the index schema once; writer.py writes it (a run's transaction, and
the segments of its worker processes); whoosh_fixes.py patches Whoosh where it costs too much.
"""

from kb.store import whoosh_fixes  # noqa: F401 - patches Whoosh before any index is opened
from kb.store.index import (
    IndexIncompatible,
    IndexLocked,
    IndexMissing,
    IndexStore,
    StoreQuery,
    StoreResults,
    TermAlternative,
    TermGroup,
)
from kb.store.schema import SCHEMA
from kb.store.writer import (
    ShardTarget,
    ShardWriter,
    StoreWriter,
    WrittenShard,
    analyse_passage,
    passage_text_key,
)

__all__ = [
    "SCHEMA",
    "IndexIncompatible",
    "IndexLocked",
    "IndexMissing",
    "IndexStore",
    "ShardTarget",
    "ShardWriter",
    "StoreQuery",
    "StoreResults",
    "StoreWriter",
    "TermAlternative",
    "TermGroup",
    "WrittenShard",
    "analyse_passage",
    "passage_text_key",
]
