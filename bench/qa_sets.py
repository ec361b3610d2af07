"""The question sets kb's answers are developed, calibrated and judged on, and the indexes they need.

Each set names its questions, the corpus they are asked over and, for kb's own sets, a split into a
development part and a held-out part (`split.json`): calibration reads only development questions,
and the held-out ones are run rarely, to report. Public sets (shared/eval) are development sets.
Indexes are built once under var/qa/<corpus> and reused while the corpus and kb's pipeline version stay.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from common import DEFAULT_TARBALL, ROOT, clean_env, extract_corpus, kb_command, log

from indexer.prepare import PIPELINE_VERSION
from kb.evaluate import EvalQuestion, load_questions

SHARED = ROOT.parent / "shared"
QA_DIR = ROOT / "bench" / "qa"
WORK = ROOT / "var" / "qa"


@dataclass(frozen=True)
class QuestionSet:
    """A question file over a corpus, with an optional dev/held-out split."""

    name: str
    questions: Path
    corpus: str  # a key of CORPORA
    split: Path | None = None  # split.json; without it every question is a development question
    public: bool = False

    def load(self, part: str = "dev") -> list[EvalQuestion]:
        """The questions of one part: "dev", "heldout" or "all"."""
        questions = load_questions(self.questions)
        if part == "all" or self.split is None:
            return questions if part != "heldout" else []
        ids = set(json.loads(self.split.read_text(encoding="utf-8"))[part])
        return [question for question in questions if question.id in ids]


#: Corpus key -> the folders whose files make it up (copied side by side), or "mdn" for the benchmark tarball.
CORPORA: dict[str, list[Path] | str] = {
    "seeds": [ROOT / "corpus"],
    "schools-2": [ROOT / "corpus", SHARED / "eval" / "schools-2" / "corpus"],
    "schools-new": [QA_DIR / "schools" / "corpus"],
    "helpcentre": [QA_DIR / "helpcentre" / "corpus"],
    "municipal": [QA_DIR / "municipal" / "corpus"],
    "travel": [QA_DIR / "travel" / "corpus"],
    "handbook": [QA_DIR / "handbook" / "corpus"],
    "mdn": "mdn",
}

SETS = [
    QuestionSet("seeds", SHARED / "eval" / "dev.jsonl", "seeds", public=True),
    QuestionSet("schools-2", SHARED / "eval" / "schools-2" / "questions.jsonl", "schools-2", public=True),
    QuestionSet("mdn-public", SHARED / "eval" / "mdn" / "questions.jsonl", "mdn", public=True),
    QuestionSet("schools-new", QA_DIR / "schools" / "questions.jsonl", "schools-new",
                QA_DIR / "schools" / "split.json"),
    QuestionSet("helpcentre", QA_DIR / "helpcentre" / "questions.jsonl", "helpcentre",
                QA_DIR / "helpcentre" / "split.json"),
    QuestionSet("mdn-own", QA_DIR / "mdn" / "questions.jsonl", "mdn", QA_DIR / "mdn" / "split.json"),
    # Written by someone who never ran kb nor read its code: an airline's help pages.
    QuestionSet("travel", QA_DIR / "travel" / "questions.jsonl", "travel", QA_DIR / "travel" / "split.json"),
    # The same, over a company's employee handbook.
    QuestionSet("handbook", QA_DIR / "handbook" / "questions.jsonl", "handbook", QA_DIR / "handbook" / "split.json"),
    # Written by someone who never ran kb on it, entirely held out: run it rarely.
    QuestionSet("municipal", QA_DIR / "municipal" / "questions.jsonl", "municipal", QA_DIR / "municipal" / "split.json"),
]


def available_sets() -> Iterator[QuestionSet]:
    """The sets whose question files are present (the public ones need ../shared beside the project)."""
    for question_set in SETS:
        if question_set.questions.exists():
            yield question_set


def index_for(corpus: str) -> Path:
    """The index of a corpus, built (or brought up to date) under var/qa when needed."""
    corpus_dir = WORK / "corpus" / corpus
    index_dir = WORK / "index" / corpus
    stamp = WORK / "index" / f"{corpus}.built"
    if stamp.exists() and stamp.read_text() == PIPELINE_VERSION and index_dir.exists():
        return index_dir
    source = CORPORA[corpus]
    if corpus_dir.exists():
        shutil.rmtree(corpus_dir)
    if source == "mdn":
        log(f"extracting {DEFAULT_TARBALL}")
        extract_corpus(corpus_dir)
    else:
        corpus_dir.mkdir(parents=True)
        for folder in source:
            for path in folder.iterdir():
                if path.is_file():
                    shutil.copy2(path, corpus_dir / path.name)
    log(f"indexing {corpus}")
    subprocess.run(kb_command("index", "--full", "--corpus", str(corpus_dir), "--index", str(index_dir)),
                   check=True, env=clean_env(), stdout=subprocess.DEVNULL)
    stamp.write_text(PIPELINE_VERSION)
    return index_dir
