"""A composed answer before it is judged: its kind, text, items, citations and evidence, the signals
the answerability model reads, and the helpers every way of composing shares (numbering citations,
joining pieces in the question's language, capitals)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from kb.matching import WeightedConcept
from kb.models import AnswerItem, Hit
from kb.question import QuestionAnalysis
from kb.sentences import ScoredSentence
from kb.wordlists import LIST_LANGUAGES, words


@dataclass
class Composition:
    """The composed answer before it becomes an Answer: kind, text, items, cited passages, and the
    measurements the answerability model reads."""

    kind: Literal["list", "fact", "none"]
    answer: str | None
    items: list[AnswerItem]
    citations: list[Hit]
    evidence: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # passage id -> sentence spans
    signals: dict[str, float] = field(default_factory=dict)


def no_answer(hits: Sequence[Hit]) -> Composition:
    """"Not found", citing the best passages looked at."""
    return Composition("none", None, [], list(hits[:3]))


def cite(citations: list[Hit], hit: Hit) -> int:
    """The citation number of `hit`, added to `citations` when it is not there yet."""
    for number, cited in enumerate(citations, 1):
        if cited.passage_id == hit.passage_id:
            return number
    citations.append(hit)
    return len(citations)


def joined(pieces: Sequence[str], lang: str) -> str:
    """"A, B and C" in the question's language."""
    if len(pieces) == 1:
        return pieces[0]
    conjunction = next(iter(words("conjunction", lang if lang in LIST_LANGUAGES else "en")))
    return f"{', '.join(pieces[:-1])} {conjunction} {pieces[-1]}"


def fact_signals(question: QuestionAnalysis, concepts: Sequence[WeightedConcept], best: ScoredSentence,
                 supporting: Sequence[ScoredSentence]) -> dict[str, float]:
    """What the answerability model reads of a fact answer: how much of the question its sentence
    holds, whether it shows the kind of value asked for, how its passage ranked, and agreement."""
    same_page = sum(1 for s in supporting[1:6] if s.hit.doc_id == best.hit.doc_id)
    found = best.matched | best.in_context
    telling = [index for index, weighted in enumerate(concepts) if weighted.concept.role != "light"]
    rarest = sorted(telling, key=lambda index: -concepts[index].idf)
    # The question's focus: its first telling word, what it asks about ("what *date*", "how many
    # *engineers*", "quel est le taux d'*insertion*"); an answer that never names it is often not one.
    focus = min(telling, key=lambda index: concepts[index].concept.start, default=None)
    return {
        # The question's two rarest words: an answer that lacks them is usually about something else.
        "rarest": sum(1.0 for index in rarest[:2] if index in found) / max(1, min(2, len(rarest))),
        "focus": 1.0 if focus is None or focus in found else 0.0,
        "coverage": best.coverage,
        "rarity": best.features["rarity"],
        "own": len(best.matched) / max(1, len(best.matched | best.in_context)),
        "typed": 1.0 if question.answer_type is not None and best.has_type else 0.0,
        "untyped": 1.0 if question.answer_type is not None and not best.has_type else 0.0,
        "relevance": best.features["relevance"],
        "code": best.features["code"],
        "agreement": same_page / 5,
    }


def evidence_of(sentences: Sequence[ScoredSentence]) -> dict[str, list[tuple[int, int]]]:
    """The spans of the sentences an answer uses, by passage, in text order."""
    evidence: dict[str, list[tuple[int, int]]] = {}
    for sentence in sentences:
        evidence.setdefault(sentence.hit.passage_id, []).append((sentence.start, sentence.end))
    return {passage: sorted(set(spans)) for passage, spans in evidence.items()}


_LOWER_WORD = re.compile(r"[^\W\d_A-Z]+(?=[\s,;:]|$)")


def capitalised(text: str) -> str:
    """A list item read as a sentence starts with a capital ("a network of ..." -> "A network of ..."),
    unless it starts with an identifier, whose case is its name ("console.log()", "box-sizing")."""
    return text[:1].upper() + text[1:] if _LOWER_WORD.match(text) and text[:1].islower() else text
