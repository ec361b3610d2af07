"""kb's fitted answer models: passage and sentence rankers, and answerability (logistic models).

Their weights, biases and the decision threshold are fitted on question sets with known answers by
`bench/calibrate.py`, which writes them to `kb/data/answer_model.json` with what they were fitted
on; docs/answers.md shows the calibration. Nothing here is tuned by hand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

#: What the passage ranker reads of each retrieved passage (kb.retrieve.passage_features): the store's
#: BM25 relative to the best, the share of the question's rarity the passage, its headings and title
#: hold, how squarely its page's title names what is asked, the share of its lines that are code, and
#: a language other than the question's.
PASSAGE_FEATURES = ("bm25", "coverage", "title", "code", "foreign")
#: What the sentence ranker reads of each sentence (kb.sentences._score): coverage of the question's
#: concepts (in the sentence, its line, its neighbours and headings), the part in the sentence itself,
#: their rarity, close pairs of concepts, a value of the type asked for (and right next to a concept),
#: a bound of the direction asked for (or only of the other), an enumeration of names, the passage's relevance, an organisation named, code, the page's lead
#: sentence, a language other than the question's, length, and a table cell in a column the question names.
SENTENCE_FEATURES = ("coverage", "own", "rarity", "proximity", "typed", "adjacent", "bound", "counter_bound",
                     "enumerates", "relevance",
                     "entity", "code", "lead", "foreign", "long", "short", "column")
#: Which way each sentence feature may push, as for the answer signals below: more of the question
#: held, or a value of the type asked for, can only make a sentence likelier to answer; code, a
#: foreign language, length or the other bound only less. Where a sentence stands (`lead`, `short`)
#: may go either way.
SENTENCE_SIGNS = {"coverage": 1, "own": 1, "rarity": 1, "proximity": 1, "typed": 1, "adjacent": 1, "bound": 1,
                  "counter_bound": -1, "enumerates": 1, "relevance": 1, "entity": 1, "code": -1, "foreign": -1,
                  "long": -1, "column": 1}
#: The signals a composed answer is judged on (kb.composition.fact_signals), plus `unknown`: the share
#: of the question's rarity that the index never mentions.
FEATURES = ("coverage", "rarity", "own", "typed", "untyped", "relevance", "code", "agreement", "rarest", "focus",
            "unknown")
#: Which way each answer signal may push: more of the question covered can only make an answer more
#: likely right, code offered in words or a concept the index never mentions only less. A fit that
#: finds the other sign on a few hundred questions is reading noise, and leaves that signal out.
FEATURE_SIGNS = {"coverage": 1, "rarity": 1, "own": 1, "typed": 1, "untyped": -1, "relevance": 1, "code": -1,
                 "agreement": 1, "rarest": 1, "focus": 1, "unknown": -1}


@dataclass(frozen=True)
class Logistic:
    """Weights and a bias over named features: a score (log-odds) and its probability."""

    weights: dict[str, float]
    bias: float = 0.0

    def score(self, features: Mapping[str, float]) -> float:
        """The log-odds for these features (higher is likelier)."""
        return self.bias + sum(weight * features.get(name, 0.0) for name, weight in self.weights.items())

    def probability(self, features: Mapping[str, float]) -> float:
        """The probability for these features."""
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.score(features)))))

    @classmethod
    def parse(cls, data: Mapping[str, object], names: Sequence[str]) -> Logistic:
        """From its JSON form ({"weights": {...}, "bias": b}); every name of `names` gets a weight."""
        weights = data["weights"]
        if not isinstance(weights, Mapping):
            raise TypeError("weights must be a mapping")
        return cls({name: float(weights.get(name, 0.0)) for name in names}, float(data.get("bias", 0.0)))


@dataclass(frozen=True)
class AnswerModel:
    """kb's fitted models: which passages (`passages`) and which sentences (`sentences`) likely hold
    the answer; whether the knowledge base answers the question at all (`answerable`) and what score a
    composed answer earns when it does (`answers`). kb answers when the expected score of answering
    beats that of saying "not found" by `threshold`; `none_without_candidate` is the confidence that
    nothing answers when no passage offered anything."""

    passages: Logistic
    sentences: Logistic
    answerable: Logistic
    answers: Logistic
    threshold: float
    none_without_candidate: float = 0.9
    fitted_on: dict[str, object] = field(default_factory=dict)

    def judge(self, signals: Mapping[str, float]) -> tuple[bool, float]:
        """Whether to give the composed answer, and the confidence of what is given: the expected
        score of the answer, or the probability that nothing answers the question."""
        answerable = self.answerable.probability(signals)
        answering = answerable * self.answers.probability(signals)  # right only if there is an answer
        abstaining = 1.0 - answerable  # "not found" is right only if there is none
        if answering - abstaining >= self.threshold:
            return True, answering
        return False, abstaining

    def to_json(self) -> str:
        """The model as the JSON file load_model() reads."""
        def part(model: Logistic) -> dict[str, object]:
            return {"weights": model.weights, "bias": model.bias}
        return json.dumps({"passages": part(self.passages), "sentences": part(self.sentences),
                           "answerable": part(self.answerable), "answers": part(self.answers),
                           "threshold": self.threshold, "none_without_candidate": self.none_without_candidate,
                           "fitted_on": self.fitted_on}, indent=2, ensure_ascii=False) + "\n"


def parse_model(text: str) -> AnswerModel:
    """A model from its JSON text; raises ValueError when a field is missing or of the wrong type."""
    try:
        data = json.loads(text)
        return AnswerModel(Logistic.parse(data["passages"], PASSAGE_FEATURES),
                           Logistic.parse(data["sentences"], SENTENCE_FEATURES),
                           Logistic.parse(data["answerable"], FEATURES),
                           Logistic.parse(data["answers"], FEATURES),
                           float(data["threshold"]), float(data.get("none_without_candidate", 0.9)),
                           dict(data.get("fitted_on", {})))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"answer model is malformed: {error}") from error


@cache
def load_model(path: str | None = None) -> AnswerModel:
    """The model at `path`, else the one shipped with kb (read once)."""
    if path:
        return parse_model(Path(path).read_text(encoding="utf-8"))
    return parse_model(resources.files("kb").joinpath("data/answer_model.json").read_text(encoding="utf-8"))


def fit_signed(rows: Sequence[tuple[Mapping[str, float], float]], signs: Mapping[str, int],
               names: Sequence[str] = FEATURES, l2: float = 0.01) -> Logistic:
    """A logistic fit whose weights keep the signs `signs` gives (see keep_signs)."""
    return keep_signs(lambda kept: fit(rows, kept, l2=l2), signs, names)


def keep_signs(fitter: Callable[[list[str]], Logistic], signs: Mapping[str, int], names: Sequence[str]) -> Logistic:
    """`fitter`'s model over `names`, with every weight of the sign `signs` gives it (0: either): a
    signal fitted the other way is dropped (weight 0) and the rest refitted, until every weight agrees."""
    kept = list(names)
    while True:
        model = fitter(kept)
        wrong = [name for name in kept if signs.get(name, 0) * model.weights[name] < 0]
        if not wrong:
            return Logistic({name: model.weights.get(name, 0.0) for name in names}, model.bias)
        kept = [name for name in kept if name not in wrong]


def fit(rows: Sequence[tuple[Mapping[str, float], float]], names: Sequence[str] = FEATURES, l2: float = 0.01,
        steps: int = 50) -> Logistic:
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
    return Logistic(dict(zip(names, beta[1:], strict=True)), beta[0])


def fit_choice(groups: Sequence[Sequence[tuple[Mapping[str, float], float]]], names: Sequence[str],
               l2: float = 0.05, steps: int = 50) -> Logistic:
    """A ranker fitted so that, within each group (one question's candidates), the right candidates
    (target 1) come first: a conditional logit, maximising the mean log softmax weight of each group's
    right candidates. Easy wrong candidates elsewhere cost nothing, unlike a pointwise fit; the bias
    cancels within a group and stays 0. The objective is concave: Newton's method converges."""
    size = len(names)
    data = [([signals.get(name, 0.0) for name in names], target > 0) for group in groups for signals, target in group]
    bounds = []
    at = 0
    for group in groups:
        if any(target > 0 for _, target in group):
            bounds.append((at, at + len(group)))
        at += len(group)
    penalty = l2 * len(bounds)
    beta = [0.0] * size
    for _ in range(steps):
        gradient = [-penalty * b for b in beta]
        hessian = [[-penalty if i == j else 0.0 for j in range(size)] for i in range(size)]
        for start, end in bounds:
            group = data[start:end]
            scores = [sum(b * v for b, v in zip(beta, x, strict=True)) for x, _ in group]
            top = max(scores)
            weights = [math.exp(score - top) for score in scores]
            mass = sum(weights)
            mean = [sum(w * x[i] for w, (x, _) in zip(weights, group, strict=True)) / mass for i in range(size)]
            right = [x for x, is_right in group if is_right]
            for i in range(size):
                gradient[i] += sum(x[i] for x in right) / len(right) - mean[i]
                for j in range(i, size):
                    covariance = (sum(w * x[i] * x[j] for w, (x, _) in zip(weights, group, strict=True)) / mass
                                  - mean[i] * mean[j])
                    hessian[i][j] -= covariance
                    if j != i:
                        hessian[j][i] -= covariance
        step = _solve([[-value for value in row] for row in hessian], gradient)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return Logistic(dict(zip(names, beta, strict=True)), 0.0)


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
