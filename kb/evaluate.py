"""Score answers against a question file, exactly as shared/eval/README.md says, and sum up the figures."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.text import normalise

KINDS = ("list", "fact", "none")
#: Only this much of a fact's answer is read for the expected string.
ANSWER_WINDOW = 400
#: Labels shorter than this never match an entity by being contained in one of its names.
MIN_CONTAINED_LABEL = 3


class QuestionFileError(ValueError):
    """A question file line that does not follow the format."""


@dataclass
class EvalQuestion:
    """One line of a question file."""

    id: str
    question: str
    kind: str
    lang: str = "en"
    expect_items: list[list[str]] = field(default_factory=list)
    expect_answer: list[str] = field(default_factory=list)
    expect_sources: list[str] = field(default_factory=list)
    allow_items: list[list[str]] = field(default_factory=list)


@dataclass
class QuestionResult:
    """How one question was answered and scored."""

    question: EvalQuestion
    body: dict[str, Any]
    score: float
    ms: float


@dataclass
class EvalReport:
    """Per-question results and the figures: mean score per kind, overall mean, median time."""

    results: list[QuestionResult]

    def figures(self) -> dict[str, Any]:
        """The `kb eval --json` body."""
        by_kind = {kind: [r.score for r in self.results if r.question.kind == kind] for kind in KINDS}
        scores = [r.score for r in self.results]
        answerable = [r for r in self.results if r.question.kind != "none"]
        abstained = sum(1 for r in answerable if r.body.get("kind") == "none")
        return {
            "overall": _mean(scores),
            **{kind: _mean(values) for kind, values in by_kind.items()},
            # The share of answerable questions answered "not found".
            "wrong_abstain": round(abstained / len(answerable), 4) if answerable else None,
            "n": len(self.results),
            "p50_ms": round(statistics.median(r.ms for r in self.results), 2) if self.results else None,
        }


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _strings(value: Any, what: str, line: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise QuestionFileError(f"line {line}: `{what}` must be a list of strings")
    return value


def _entities(value: Any, what: str, line: int) -> list[list[str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise QuestionFileError(f"line {line}: `{what}` must be a list of name lists")
    return [_strings(entity, what, line) for entity in value]


def load_questions(path: str | Path) -> list[EvalQuestion]:
    """The questions of a JSON-lines file; raises ValueError naming the line of any malformed one."""
    questions = []
    text = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: line {number} is not JSON: {error.msg}") from error
        if not isinstance(data, dict) or not isinstance(data.get("question"), str):
            raise QuestionFileError(f"{path}: line {number} needs a `question` string")
        kind = data.get("kind")
        if kind not in KINDS:
            raise ValueError(f"{path}: line {number}: `kind` must be one of {', '.join(KINDS)}")
        questions.append(EvalQuestion(
            id=str(data.get("id") or f"line-{number}"),
            question=data["question"],
            kind=kind,
            lang=str(data.get("lang") or "en"),
            expect_items=_entities(data.get("expect_items"), "expect_items", number),
            expect_answer=_strings(data.get("expect_answer"), "expect_answer", number),
            expect_sources=_strings(data.get("expect_sources"), "expect_sources", number),
            allow_items=_entities(data.get("allow_items"), "allow_items", number),
        ))
    return questions


def contains_words(text: str, phrase: str) -> bool:
    """True when `phrase` appears in `text` as whole words, after normalisation."""
    needle = normalise(phrase)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", normalise(text)) is not None


def label_matches(label: str, names: Sequence[str]) -> bool:
    """A label names an entity: one of its names is in the label, or the label is in one of the names."""
    return any(contains_words(label, name) for name in names) or (
        len(normalise(label)) >= MIN_CONTAINED_LABEL and any(contains_words(name, label) for name in names))


def score_list(question: EvalQuestion, labels: Sequence[str]) -> float:
    """F1 of the labels against the expected entities; allowed-only labels are left out first."""
    considered = []
    for label in labels:
        expected = [index for index, names in enumerate(question.expect_items) if label_matches(label, names)]
        allowed = any(label_matches(label, names) for names in question.allow_items)
        if allowed and not expected:
            continue
        considered.append(expected)
    right = [expected for expected in considered if len(expected) == 1]
    if not considered or not question.expect_items:
        return 0.0
    precision = len(right) / len(considered)
    recall = len({expected[0] for expected in right}) / len(question.expect_items)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def score_fact(question: EvalQuestion, body: dict[str, Any]) -> float:
    """1 when the answer holds an expected string and an expected source is cited in the first three."""
    answer = (body.get("answer") or "")[:ANSWER_WINDOW]
    citations = body.get("citations") or []
    places = [answer] + [item.get("label") or "" for item in body.get("items") or []]
    if citations:
        places.append(citations[0].get("school") or "")
    text_ok = any(contains_words(place, expected) for expected in question.expect_answer for place in places)
    cited = [str(citation.get("source") or "") for citation in citations[:3]]
    source_ok = any(source_matches(source, expected) for source in cited for expected in question.expect_sources)
    return (text_ok + source_ok) / 2


def source_matches(source: str, expected: str) -> bool:
    """A cited source is the expected page: the same file name when the expectation is a bare name,
    else the same path, whole or as the source's end after a "/" (MDN's pages are all `index.md`)."""
    if "/" not in expected:
        return source.rsplit("/", 1)[-1] == expected
    return source == expected or source.endswith("/" + expected)


def score_answer(question: EvalQuestion, body: dict[str, Any]) -> float:
    """The question's score for an /api/ask body."""
    if question.kind == "none":
        return 1.0 if body.get("kind") == "none" else 0.0
    if body.get("kind") == "none":
        return 0.0
    if question.kind == "list":
        return score_list(question, [item.get("label") or "" for item in body.get("items") or []])
    return score_fact(question, body)


def evaluate(questions: Sequence[EvalQuestion], answer: Callable[[str], dict[str, Any]]) -> EvalReport:
    """Ask every question through `answer` (question -> /api/ask body), timing and scoring each."""
    results = []
    for question in questions:
        started = time.perf_counter()
        body = answer(question.question)
        elapsed = (time.perf_counter() - started) * 1000
        results.append(QuestionResult(question, body, score_answer(question, body), elapsed))
    return EvalReport(results)
