"""Plan stage: compare the corpus with the index — which pages are new, changed, unchanged or gone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from indexer.load import Skipped, SourceFile, UnreadableFile, read_bytes
from indexer.prepare import content_hash, settings_hash
from kb.models import Document


@dataclass
class Plan:
    """What an incremental run has to do."""

    to_prepare: list[SourceFile] = field(default_factory=list)
    updated_sources: set[str] = field(default_factory=set)
    unchanged: int = 0
    to_remove: list[str] = field(default_factory=list)  # doc ids
    skipped: list[Skipped] = field(default_factory=list)


def plan_changes(
    files: Iterable[SourceFile | Skipped],
    indexed: dict[str, tuple[Document, str]],
    metadata: dict[str, dict[str, str]],
) -> Plan:
    """Compare the corpus with the index: new, changed, unchanged and deleted documents."""
    plan = Plan()
    seen: set[str] = set()
    for file in files:
        if isinstance(file, Skipped):
            plan.skipped.append(file)
            continue
        seen.add(file.source)
        known = indexed.get(file.source)
        if known is None:
            plan.to_prepare.append(file)
            continue
        document, known_settings = known
        if known_settings != settings_hash(metadata.get(file.source, {})):
            plan.to_prepare.append(file)
            plan.updated_sources.add(file.source)
            continue
        if (document.mtime_ns, document.size) == (file.mtime_ns, file.size):
            plan.unchanged += 1
            continue
        # Touched but maybe not changed: hashing is far cheaper than cleaning.
        try:
            same = content_hash(read_bytes(file)) == document.content_hash
        except UnreadableFile:
            same = False
        if same:
            plan.unchanged += 1
        else:
            plan.to_prepare.append(file)
            plan.updated_sources.add(file.source)
    plan.to_remove = [document.doc_id for source, (document, _) in indexed.items() if source not in seen]
    return plan
