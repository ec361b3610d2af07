"""Answerability: how likely a composed answer is right, from its measured signals (a logistic model).

The model's weights, bias and decision threshold are fitted on question sets with known answers by
`bench/calibrate.py`, which writes them to `kb/data/answerability.json` together with what they were
fitted on; docs/answers.md shows the calibration. Nothing here is tuned by hand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

#: The signals a composed answer is judged on (see kb.compose.fact_signals), plus `unknown`: the share
#: of the question's rarity that the index never mentions.
FEATURES = ("coverage", "rarity", "own", "typed", "untyped", "relevance", "code", "agreement", "rarest", "unknown")


#: What the sentence ranker reads of each sentence (see kb.compose._score): coverage of the question's
#: concepts (in the sentence, its line, its neighbours and headings), the part in the sentence itself,
#: their rarity, close pairs of concepts, a value of the type asked for (and right next to a concept),
#: an enumeration of names, the passage's relevance, an organisation named, code, the page's lead
#: sentence, and length.
SENTENCE_FEATURES = ("coverage", "own", "rarity", "proximity", "typed", "adjacent", "enumerates", "relevance",
                     "entity", "code", "lead", "long", "short")


@dataclass(frozen=True)
class SentenceRanker:
    """Linear weights over SENTENCE_FEATURES: the log-odds that a sentence holds the answer."""

    weights: dict[str, float]

    def score(self, features: Mapping[str, float]) -> float:
        """The sentence's score (higher is likelier to hold the answer)."""
        return sum(weight * features.get(name, 0.0) for name, weight in self.weights.items())


@dataclass(frozen=True)
class AnswerabilityModel:
    """Logistic weights over FEATURES, the threshold below which kb answers "not found", and the
    confidence that nothing answers when no passage offered any candidate."""

    weights: dict[str, float]
    bias: float
    threshold: float
    none_without_candidate: float = 0.9
    ranker: SentenceRanker = field(default_factory=lambda: SentenceRanker({}))
    fitted_on: dict[str, object] = field(default_factory=dict)

    def probability(self, signals: Mapping[str, float]) -> float:
        """The probability that an answer with these signals is right."""
        z = self.bias + sum(weight * signals.get(name, 0.0) for name, weight in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> str:
        """The model as the JSON file load_model() reads."""
        return json.dumps({"weights": self.weights, "bias": self.bias, "threshold": self.threshold,
                           "none_without_candidate": self.none_without_candidate,
                           "sentence_weights": self.ranker.weights,
                           "fitted_on": self.fitted_on}, indent=2, ensure_ascii=False) + "\n"


def parse_model(text: str) -> AnswerabilityModel:
    """A model from its JSON text; raises ValueError when a field is missing or of the wrong type."""
    try:
        data = json.loads(text)
        weights = {name: float(data["weights"].get(name, 0.0)) for name in FEATURES}
        ranker = SentenceRanker({name: float(data["sentence_weights"].get(name, 0.0)) for name in SENTENCE_FEATURES})
        return AnswerabilityModel(weights, float(data["bias"]), float(data["threshold"]),
                                  float(data.get("none_without_candidate", 0.9)), ranker,
                                  dict(data.get("fitted_on", {})))
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
        raise ValueError(f"answerability model is malformed: {error}") from error


@cache
def load_model(path: str | None = None) -> AnswerabilityModel:
    """The model at `path`, else the one shipped with kb (read once)."""
    if path:
        return parse_model(Path(path).read_text(encoding="utf-8"))
    return parse_model(resources.files("kb").joinpath("data/answerability.json").read_text(encoding="utf-8"))


def fit(rows: Sequence[tuple[Mapping[str, float], float]], names: Sequence[str] = FEATURES, l2: float = 0.01,
        steps: int = 50) -> tuple[dict[str, float], float]:
    """Logistic regression by Newton's method: weights and bias predicting each row's target (0..1,
    the score the answer earned), with a small L2 penalty so that rare signals do not run away."""
    size = len(names) + 1
    beta = [0.0] * size
    xs = [[1.0] + [signals.get(name, 0.0) for name in names] for signals, _ in rows]
    ys = [target for _, target in rows]
    for _ in range(steps):
        gradient = [0.0] * size
        hessian = [[0.0] * size for _ in range(size)]
        for x, y in zip(xs, ys, strict=True):
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, sum(b * v for b, v in zip(beta, x, strict=True))))))
            for i in range(size):
                gradient[i] += (p - y) * x[i]
                for j in range(size):
                    hessian[i][j] += p * (1 - p) * x[i] * x[j]
        for i in range(1, size):
            gradient[i] += l2 * len(rows) * beta[i]
            hessian[i][i] += l2 * len(rows)
        step = _solve(hessian, gradient)
        beta = [b - s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return dict(zip(names, beta[1:], strict=True)), beta[0]


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """x with matrix @ x = vector (Gaussian elimination with partial pivoting; tiny systems only)."""
    size = len(vector)
    rows = [row[:] + [value] for row, value in zip(matrix, vector, strict=True)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda r: abs(rows[r][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        if abs(rows[column][column]) < 1e-12:
            rows[column][column] = 1e-12
        for r in range(column + 1, size):
            factor = rows[r][column] / rows[column][column]
            for c in range(column, size + 1):
                rows[r][c] -= factor * rows[column][c]
    solution = [0.0] * size
    for r in range(size - 1, -1, -1):
        solution[r] = (rows[r][size] - sum(rows[r][c] * solution[c] for c in range(r + 1, size))) / rows[r][r]
    return solution
