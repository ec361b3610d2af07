"""Fit kb's answer models on the development questions and draw their calibration on the held-out ones.

    .venv/bin/python bench/calibrate.py          # fit, write kb/data/answer_model.json and docs/calibration.png

Three models, all logistic, all over general measurements (kb.confidence), fitted in turn:

1. the passage ranker: the order of the retrieved passages. Its weights are the point of a small grid
   that serves facts best as `kb eval` counts them (an expected page among the first three passages,
   a passage holding an expected answer among those read); one logistic fit then scales its score
   into the probability that a passage holds the answer;
2. the sentence ranker: which sentence of the passages read holds the answer (a positive example is
   a sentence whose line holds an expected answer string, from an expected page);
3. answerability, two logistic fits over the signals of the answer composed with that ranker: the
   probability that the question has an answer at all, and the score `kb eval` gives the answer when
   it has. kb answers when the expected score of answering beats that of "not found" (1 when there is
   no answer) by a threshold chosen to maximise the score the development questions earn; the L2
   penalty is chosen by cross-validation, and no signal may take the sign FEATURE_SIGNS forbids.

Only development questions are read (the public sets, and the dev part of kb's own sets); the plot and
the figures it prints for the held-out part are what docs/answers.md reports.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, log
from qa_sets import QuestionSet, available_sets, index_for

from kb.answer import candidate_answer, decide
from kb.confidence import (
    FEATURE_SIGNS,
    FEATURES,
    SENTENCE_FEATURES,
    SENTENCE_SIGNS,
    AnswerModel,
    Logistic,
    fit,
    fit_choice,
    fit_signed,
    keep_signs,
    load_model,
)
from kb.evaluate import EvalQuestion, contains_words, score_answer, source_matches
from kb.retrieve import passage_features
from kb.sentences import score_sentences
from kb.store import IndexStore

MODEL_PATH = ROOT / "kb" / "data" / "answer_model.json"
PLOT_PATH = ROOT / "docs" / "calibration.png"


def _from_expected_page(source: str, question: EvalQuestion) -> bool:
    return any(source_matches(source, expected) for expected in question.expect_sources)


def _holds_answer(text: str, source: str, question: EvalQuestion) -> bool:
    return _from_expected_page(source, question) and any(contains_words(text, answer) for answer in question.expect_answer)


#: The passage ranker's weights are searched on this grid (bm25, coverage, title, code, foreign): what counts is
#: the order it puts passages in, which a pointwise fit does not optimise.
PASSAGE_GRID = {"bm25": (0.0, 0.5, 1.0, 2.0), "coverage": (1.0, 2.0, 3.0, 4.0), "title": (0.0, 0.5, 1.0, 2.0, 3.0),
                "code": (0.0, -0.5, -1.0, -2.0), "foreign": (0.0, -0.25, -0.5, -1.0, -2.0)}
#: Passages a fact reads (kb.retrieve.FACT_CANDIDATES) and citations `kb eval` looks at.
READ, CITED = 12, 3

PassageQuestion = list[tuple[dict[str, float], bool, bool]]  # per judged passage: features, right page, answer


def passage_rows(store: IndexStore, questions: Sequence[EvalQuestion], model: AnswerModel) -> list[PassageQuestion]:
    """For every fact question, each judged passage's features, whether it is of an expected page and
    whether it holds an expected answer."""
    rows = []
    for question in questions:
        if question.kind != "fact":
            continue
        found = candidate_answer(store, question.question, model=model)
        features = passage_features(found.candidates.judged, found.concepts, lang=found.analysis.lang)
        rows.append([(features[hit.passage_id], _from_expected_page(hit.source, question),
                      _holds_answer(hit.text, hit.source, question)) for hit in found.candidates.judged])
    return rows


def ranking_quality(questions: Sequence[PassageQuestion], weights: dict[str, float]) -> float:
    """How well passages ranked by `weights` serve the answers, as `kb eval` counts a fact: half for an
    expected page among the first CITED passages, half for a passage holding the answer among those read."""
    total = 0.0
    for passages in questions:
        ranked = sorted(passages, key=lambda row: -sum(w * row[0][name] for name, w in weights.items()))
        total += 0.5 * any(page for _, page, _ in ranked[:CITED]) + 0.5 * any(answer for _, _, answer in ranked[:READ])
    return total / max(1, len(questions))


#: Where the passage ranker's fit starts (the middle of PASSAGE_GRID), and how often it may be redone.
START_PASSAGES = Logistic({"bm25": 1.0, "coverage": 2.0, "title": 1.0, "code": -1.0, "foreign": -0.5}, bias=-4.0)
MAX_PASSAGE_ROUNDS = 4


def _direction(ranker: Logistic) -> tuple[float, ...]:
    """The ranker's weights up to their common scale: what decides the order of passages."""
    scale = max(abs(weight) for weight in ranker.weights.values()) or 1.0
    return tuple(round(ranker.weights.get(name, 0.0) / scale, 3) for name in PASSAGE_GRID)


def fit_passage_ranker(questions: Sequence[PassageQuestion]) -> tuple[Logistic, float]:
    """The grid point that ranks best, scaled into a probability of holding the answer."""
    names = list(PASSAGE_GRID)
    best = max((dict(zip(names, point, strict=True)) for point in itertools.product(*PASSAGE_GRID.values())),
               key=lambda weights: ranking_quality(questions, weights))
    # One logistic over the ranking score gives it a scale and a bias: relevance becomes a probability.
    rows = [({"score": sum(w * features[name] for name, w in best.items())}, 1.0 if answer else 0.0)
            for passages in questions for features, _, answer in passages]
    scale = fit(rows, ["score"], l2=0.001)
    return (Logistic({name: w * scale.weights["score"] for name, w in best.items()}, scale.bias),
            ranking_quality(questions, best))


#: One question's candidate sentences: (features, 1 if it holds an expected answer else 0).
SentenceGroup = list[tuple[dict[str, float], float]]


def sentence_rows(store: IndexStore, questions: Sequence[EvalQuestion], model: AnswerModel,
                  ) -> list[SentenceGroup]:
    """Per fact question that has a right candidate sentence: (features, 1 or 0) for every candidate."""
    rows = []
    for question in questions:
        if question.kind != "fact":
            continue
        found = candidate_answer(store, question.question, model=model)
        sentences = score_sentences(found.analysis, found.concepts, found.candidates.hits,
                                    found.candidates.relevance, model.sentences)
        labels = []
        for sentence in sentences:
            line_start = sentence.hit.text.rfind("\n", 0, sentence.start) + 1
            line_end = sentence.hit.text.find("\n", sentence.end)
            line = sentence.hit.text[line_start:line_end if line_end >= 0 else None]
            labels.append(1.0 if _holds_answer(line, sentence.hit.source, question) else 0.0)
        if any(labels):
            rows.append([(sentence.features, label) for sentence, label in zip(sentences, labels, strict=True)])
    return rows


def answer_rows(store: IndexStore, questions: Sequence[EvalQuestion], model: AnswerModel,
                ) -> list[tuple[dict[str, float], float, EvalQuestion, bool]]:
    """(signals, score if answered, question, had a candidate) for every question."""
    rows = []
    for question in questions:
        found = candidate_answer(store, question.question, model=model)
        body = decide(found, replace(model, threshold=-1.0)).to_dict()
        score = score_answer(question, body) if body["kind"] != "none" else 0.0
        rows.append((found.signals, score, question, found.composition.kind != "none"))
    return rows


#: The sentence ranker's L2 penalty (small: 14 features, thousands of candidate sentences).
SENTENCE_L2 = 0.001
#: L2 penalties tried for answerability, and the folds that choose among them.
ANSWER_PENALTIES = (0.01, 0.03, 0.1, 0.3)
FOLDS = 5


def fit_sentence_ranker(groups: Sequence[SentenceGroup]) -> Logistic:
    """The sentence ranker: a per-question (conditional logit) fit, each weight kept to its sign."""
    return keep_signs(lambda kept: fit_choice(groups, kept, l2=SENTENCE_L2), SENTENCE_SIGNS, SENTENCE_FEATURES)


def right_first(ranker: Logistic, groups: Sequence[SentenceGroup]) -> int:
    """How many questions get a right sentence first from `ranker`."""
    return sum(max(group, key=lambda row: ranker.score(row[0]))[1] > 0 for group in groups)


def cross_validated_right_first(groups: Sequence[SentenceGroup]) -> tuple[int, int]:
    """Right sentences first, summed over FOLDS held-out folds of questions, for the per-question fit
    kb ships and for a pointwise logistic fit of the same features (why the former)."""
    order = list(range(len(groups)))
    random.Random(0).shuffle(order)
    per_question = pointwise = 0
    for fold in range(FOLDS):
        test = [groups[i] for i in order[fold::FOLDS]]
        train = [groups[i] for position, i in enumerate(order) if position % FOLDS != fold]
        per_question += right_first(fit_sentence_ranker(train), test)
        pointwise += right_first(fit([row for group in train for row in group], SENTENCE_FEATURES, l2=SENTENCE_L2), test)
    return per_question, pointwise


AnswerRow = tuple[dict[str, float], float, EvalQuestion, bool]


def fit_answers(rows: Sequence[AnswerRow], penalty: float) -> tuple[Logistic, Logistic]:
    """Answerability, from the questions that got a candidate answer: whether the question has an
    answer at all, and the score a candidate earns on one that has; each signal kept to its sign."""
    had = [row for row in rows if row[3]]
    answerable = fit_signed([(signals, 0.0 if question.kind == "none" else 1.0) for signals, _, question, _ in had],
                            FEATURE_SIGNS, FEATURES, l2=penalty)
    answers = fit_signed([(signals, score) for signals, score, question, _ in had if question.kind != "none"],
                         FEATURE_SIGNS, FEATURES, l2=penalty)
    return answerable, answers


def margins(model: AnswerModel, rows: Sequence[AnswerRow]) -> list[tuple[float, float, bool]]:
    """(expected score of answering minus that of "not found", score if answered, answerable) per
    question with a candidate: what the threshold is chosen on."""
    found = []
    for signals, score, question, had in rows:
        if had:
            answerable = model.answerable.probability(signals)
            found.append((answerable * model.answers.probability(signals) - (1.0 - answerable), score,
                          question.kind != "none"))
    return found


def questions_score(model: AnswerModel, rows: Sequence[AnswerRow]) -> float:
    """Total `kb eval` score of the model's decisions (no candidate: "not found")."""
    total = 0.0
    for signals, score, question, had in rows:
        answered = had and model.judge(signals)[0]
        total += score if answered else (1.0 if question.kind == "none" else 0.0)
    return total


def choose_penalty(model: AnswerModel, rows: Sequence[AnswerRow]) -> tuple[float, float]:
    """The L2 penalty whose models and threshold, fitted on four fifths of the questions, score best
    on the fifth left out (mean over the folds and three shuffles), with that mean score."""
    best: tuple[float, float] | None = None
    for penalty in ANSWER_PENALTIES:
        total = 0.0
        for shuffle in range(3):
            order = list(range(len(rows)))
            random.Random(shuffle).shuffle(order)
            for fold in range(FOLDS):
                test = [rows[i] for i in order[fold::FOLDS]]
                train = [rows[i] for position, i in enumerate(order) if position % FOLDS != fold]
                answerable, answers = fit_answers(train, penalty)
                fitted = replace(model, answerable=answerable, answers=answers)
                threshold, _ = choose_threshold(margins(fitted, train))
                total += questions_score(replace(fitted, threshold=threshold), test)
        mean = total / (3 * len(rows))
        if best is None or mean > best[1] + 1e-9:
            best = (penalty, mean)
    assert best is not None
    return best


def choose_threshold(rows: Sequence[tuple[float, float, bool]]) -> tuple[float, dict[str, Any]]:
    """The threshold that maximises the questions' total score as `kb eval` gives it (an answer earns
    its score, a "not found" earns 1 on a question with no answer and 0 on any other), from
    (value the threshold applies to, score if answered, answerable) triples; ties go to the lower threshold."""
    best: tuple[float, float] | None = None
    curve = []
    for candidate in sorted({0.0} | {round(p, 3) for p, _, _ in rows}):
        total = sum(score if p >= candidate else (0.0 if answerable else 1.0) for p, score, answerable in rows)
        curve.append((candidate, total))
        if best is None or total > best[0] + 1e-9:
            best = (total, candidate)
    assert best is not None
    threshold = best[1]
    answerable = [(p, s) for p, s, a in rows if a]
    unanswerable = [p for p, _, a in rows if not a]
    return threshold, {
        "mean_score": round(best[0] / len(rows), 4), "n": len(rows),
        "wrong_abstain": round(sum(p < threshold for p, _ in answerable) / max(1, len(answerable)), 4),
        "none_recall": round(sum(p < threshold for p in unanswerable) / max(1, len(unanswerable)), 4),
    }


def expected_scores(model: AnswerModel, rows: Sequence[AnswerRow]) -> list[tuple[float, float]]:
    """(expected score of the candidate answer, score it earned) per question with a candidate."""
    found = []
    for signals, score, _, had in rows:
        if had:
            found.append((model.answerable.probability(signals) * model.answers.probability(signals), score))
    return found


def reliability(rows: Sequence[tuple[float, float]], bins: int = 5) -> list[dict[str, float]]:
    """Mean predicted probability against mean score earned, per probability bin."""
    table = []
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        inside = [(p, s) for p, s in rows if low <= p < high or (index == bins - 1 and p == 1.0)]
        if inside:
            table.append({"low": low, "high": high, "n": len(inside),
                          "predicted": sum(p for p, _ in inside) / len(inside),
                          "observed": sum(s for _, s in inside) / len(inside)})
    return table


def plot(dev: list[dict[str, float]], heldout: list[dict[str, float]], path: Path) -> None:
    """The reliability diagram of both parts, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 5))
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    for table, label, marker in ((dev, "development", "o"), (heldout, "held-out", "s")):
        if table:
            axes.plot([row["predicted"] for row in table], [row["observed"] for row in table], marker=marker,
                      label=f"{label} (n={sum(int(row['n']) for row in table)})")
    axes.set_xlabel("confidence kb gives its answer")
    axes.set_ylabel("mean score those answers earned")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.legend(loc="upper left")
    axes.set_title("Answer confidence: reliability")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv: Sequence[str] | None = None) -> int:
    """Fit both models on the development questions, write them, and report on the held-out ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-plot", action="store_true", help="do not draw docs/calibration.png")
    args = parser.parse_args(argv)
    sets: list[QuestionSet] = list(available_sets())
    stores = {question_set.name: IndexStore(index_for(question_set.corpus)) for question_set in sets}
    # Which passages a question reads depends on the passage ranker itself (the best pages' other
    # passages join the candidates): the fit starts from a fixed ranker and is repeated until it
    # chooses the same weights twice, so the result does not depend on the model file it replaces.
    model = replace(load_model(), passages=START_PASSAGES)
    for round_number in range(1, MAX_PASSAGE_ROUNDS + 1):
        log(f"fitting the passage ranker (round {round_number})")
        passages: list[PassageQuestion] = []
        for question_set in sets:
            passages += passage_rows(stores[question_set.name], question_set.load("dev"), model)
        ranker, quality = fit_passage_ranker(passages)
        settled = _direction(ranker) == _direction(model.passages)
        model = replace(model, passages=ranker)
        log(f"passage ranking quality {quality:.3f} on {len(passages)} questions: {_direction(ranker)}")
        if settled:
            break

    log("fitting the sentence ranker")
    sentences: list[SentenceGroup] = []
    for question_set in sets:
        sentences += sentence_rows(stores[question_set.name], question_set.load("dev"), model)
    model = replace(model, sentences=fit_sentence_ranker(sentences))
    first_right = right_first(model.sentences, sentences)
    per_question, pointwise = cross_validated_right_first(sentences)
    log(f"sentence ranker: a right sentence first for {first_right} of {len(sentences)} questions; "
        f"cross-validated, {per_question} fitted per question, {pointwise} fitted pointwise")

    log("fitting answerability")
    dev_rows, heldout_rows = [], []
    for question_set in sets:
        dev_rows += answer_rows(stores[question_set.name], question_set.load("dev"), model)
        heldout_rows += answer_rows(stores[question_set.name], question_set.load("heldout"), model)
    with_candidate = [row for row in dev_rows if row[3]]
    penalty, cross_validated = choose_penalty(model, dev_rows)
    log(f"answerability: L2 {penalty} (cross-validated mean score {cross_validated:.3f})")
    answerable, answers = fit_answers(dev_rows, penalty)
    model = replace(model, answerable=answerable, answers=answers)
    threshold, decided = choose_threshold(margins(model, dev_rows))
    # What answering every question with a candidate would score: the baseline the decision must beat.
    always = questions_score(replace(model, threshold=-1.0), dev_rows) / len(dev_rows)
    decided_score = questions_score(replace(model, threshold=threshold), dev_rows) / len(dev_rows)
    log(f"answerability: dev score {decided_score:.3f} deciding, {always:.3f} always answering")
    without = [question for _, _, question, had in dev_rows if not had]
    none_share = (sum(q.kind == "none" for q in without) + 1) / (len(without) + 2)  # Laplace: few such questions
    model = replace(model, threshold=threshold, none_without_candidate=round(none_share, 3), fitted_on={
        "sets": {s.name: len(s.load("dev")) for s in sets},
        "passages": {"questions": len(passages), "ranking_quality": round(quality, 4)}, "sentences": {"questions": len(sentences), "candidates": sum(map(len, sentences)), "right_first": first_right,
                      "right_first_cross_validated": {"per_question": per_question, "pointwise": pointwise}}, "answers": len(with_candidate), "answers_l2": penalty, "answers_cross_validated": round(cross_validated, 4), "threshold_errors": decided,
        "dev_score": {"deciding": round(decided_score, 4), "always_answering": round(always, 4)},
        "command": "bench/calibrate.py",
    })
    MODEL_PATH.write_text(model.to_json(), encoding="utf-8")
    log(f"wrote {MODEL_PATH.relative_to(ROOT)}: threshold {threshold}")

    dev_table = reliability(expected_scores(model, dev_rows))
    held = expected_scores(model, heldout_rows)
    held_table = reliability(held)
    print(json.dumps({"development": dev_table, "heldout": held_table}, indent=2))
    if not args.no_plot:
        plot(dev_table, held_table, PLOT_PATH)
        log(f"wrote {PLOT_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
