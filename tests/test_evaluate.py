"""`kb eval` scoring (shared/eval/README.md), the figures, the question file, and the seed corpus run."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.evaluate import (
    EvalQuestion,
    EvalReport,
    QuestionResult,
    contains_words,
    label_matches,
    load_questions,
    score_answer,
)

DEV_QUESTIONS = Path(__file__).resolve().parent / "fixtures" / "eval" / "dev.jsonl"


def list_question(**extra):
    return EvalQuestion(id="l", question="Which schools?", kind="list",
                        expect_items=[["ESME"], ["ESTP"], ["ISA Lille", "ISA"]], **extra)


def fact_question():
    return EvalQuestion(id="f", question="How many?", kind="fact", expect_answer=["87", "eighty-seven"],
                        expect_sources=["001_x.txt"])


def body(kind="list", labels=(), answer="x", citations=()):
    return {"kind": kind, "answer": answer, "items": [{"label": label, "citations": [1]} for label in labels],
            "citations": [{"source": source, "school": school} for source, school in citations]}


# -- text comparison ----------------------------------------------------------------------------------

def test_whole_words_after_normalisation():
    assert contains_words("ISA  Lille\nholds it", "isa lille")
    assert contains_words("Ｅｓｍｅ requires it", "ESME")  # NFKC
    assert contains_words("about 85 % of them", "85 %")
    assert not contains_words("ISAE requires it", "ISA")
    assert not contains_words("1870 students", "87")


def test_label_matching_both_ways():
    assert label_matches("ISA Lille", ["ISA"])  # a name in the label
    assert label_matches("ISA", ["ISA Lille"])  # the label in a name
    assert not label_matches("IS", ["IS Lille"])  # too short to stand for a name
    assert not label_matches("ENSTA", ["ESME"])


# -- list scoring --------------------------------------------------------------------------------------

def test_list_f1():
    assert score_answer(list_question(), body(labels=["ESME", "ESTP", "ISA Lille"])) == 1.0
    assert score_answer(list_question(), body(labels=["ESME", "ESTP"])) == pytest.approx(0.8)
    assert score_answer(list_question(), body(labels=["ESME", "ESTP", "ISA", "ENSTA"])) == pytest.approx(6 / 7)
    assert score_answer(list_question(), body(labels=[])) == 0.0


def test_a_label_naming_two_entities_is_wrong():
    assert score_answer(list_question(), body(labels=["ESME, ESTP", "ISA"])) == pytest.approx(0.4)  # P 1/2, R 1/3


def test_allowed_items_count_neither_way():
    question = list_question(allow_items=[["ENSTA"]])
    assert score_answer(question, body(labels=["ESME", "ESTP", "ISA", "ENSTA"])) == 1.0


def test_answering_none_scores_zero_unless_none_was_expected():
    assert score_answer(list_question(), body(kind="none", labels=["ESME"])) == 0.0
    assert score_answer(fact_question(), body(kind="none", answer="87", citations=[("001_x.txt", None)])) == 0.0
    none = EvalQuestion(id="n", question="?", kind="none")
    assert score_answer(none, body(kind="none", answer=None)) == 1.0
    assert score_answer(none, body(kind="fact")) == 0.0


# -- fact scoring --------------------------------------------------------------------------------------

def test_fact_needs_the_string_and_the_source():
    cited = [("a.txt", None), ("b.txt", None), ("sub/001_x.txt", "ESTP")]
    assert score_answer(fact_question(), body("fact", answer="It has 87 partners [1]", citations=cited)) == 1.0
    assert score_answer(fact_question(), body("fact", answer="It has 88 partners", citations=cited)) == 0.5
    assert score_answer(fact_question(), body("fact", answer="It has 87", citations=[("a.txt", None)])) == 0.5
    assert score_answer(fact_question(), body("fact", answer="none", citations=[("a.txt", None)])) == 0.0


def test_fact_source_must_be_in_the_first_three_citations():
    cited = [("a.txt", None), ("b.txt", None), ("c.txt", None), ("001_x.txt", None)]
    assert score_answer(fact_question(), body("fact", answer="87", citations=cited)) == 0.5


def test_fact_string_only_counts_in_the_first_400_characters():
    late = "x " * 200 + "87"
    assert score_answer(fact_question(), body("fact", answer=late, citations=[("001_x.txt", None)])) == 0.5


def test_fact_string_may_be_an_item_label_or_the_first_citation_s_school():
    question = EvalQuestion(id="f", question="?", kind="fact", expect_answer=["ESTP"], expect_sources=["s.txt"])
    assert score_answer(question, body("fact", answer="…", citations=[("s.txt", "ESTP")])) == 1.0
    assert score_answer(question, body("fact", labels=["ESTP"], answer="…", citations=[("t.txt", None)])) == 0.5


# -- figures and the question file --------------------------------------------------------------------

def test_figures_are_means_per_kind_overall_and_the_median_time():
    questions = [list_question(), fact_question(), fact_question()]
    report = EvalReport([QuestionResult(q, {}, score, ms) for q, score, ms in
                         zip(questions, [1.0, 0.5, 0.0], [10.0, 30.0, 20.0], strict=True)])
    assert report.figures() == {"overall": 0.5, "list": 1.0, "fact": 0.25, "none": None, "wrong_abstain": 0.0,
                                "n": 3, "p50_ms": 20.0}


def test_wrong_abstain_is_the_share_of_answerable_questions_answered_none():
    questions = [list_question(), fact_question(), fact_question(), EvalQuestion(id="n", question="?", kind="none")]
    bodies = [{"kind": "none"}, {"kind": "fact"}, {"kind": "none"}, {"kind": "none"}]
    report = EvalReport([QuestionResult(q, b, 0.0, 1.0) for q, b in zip(questions, bodies, strict=True)])
    assert report.figures()["wrong_abstain"] == round(2 / 3, 4)


def test_sources_are_compared_by_path_where_file_names_repeat():
    question = EvalQuestion(id="f", question="?", kind="fact", expect_answer=["201"],
                            expect_sources=["en/web/http/status/201/index.md"])
    assert score_answer(question, body("fact", answer="201 Created", citations=[
        ("en/web/http/status/201/index.md", None)])) == 1.0
    assert score_answer(question, body("fact", answer="201 Created", citations=[
        ("en/web/http/status/204/index.md", None)])) == 0.5
    assert score_answer(question, body("fact", answer="201 Created", citations=[
        ("mirror/en/web/http/status/201/index.md", None)])) == 1.0


def test_question_file_is_read_and_bad_lines_are_named(tmp_path):
    assert [q.kind for q in load_questions(DEV_QUESTIONS)].count("none") >= 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "a?", "kind": "fact"}\n\n{"question": "b?", "kind": "maybe"}\n')
    with pytest.raises(ValueError, match="line 3"):
        load_questions(bad)
    bad.write_text("{not json\n")
    with pytest.raises(ValueError, match="line 1 is not JSON"):
        load_questions(bad)
    bad.write_text('{"question": "a?", "kind": "list", "expect_items": "ESME"}\n')
    with pytest.raises(ValueError, match="expect_items"):
        load_questions(bad)


def test_kb_eval_reports_a_bad_file_cleanly(tmp_path, seed_index):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    result = CliRunner().invoke(main, ["eval", str(bad), "--index", str(seed_index)])
    assert result.exit_code == 1
    assert "line 1" in result.output


# -- the seed corpus ----------------------------------------------------------------------------------

def test_kb_eval_over_the_seed_corpus(seed_index):
    result = CliRunner().invoke(main, ["eval", str(DEV_QUESTIONS), "--json", "--index", str(seed_index)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    # The figures' shape only: how well kb answers is judged on held-out sets (test_answer_quality.py).
    assert set(figures) == {"overall", "list", "fact", "none", "wrong_abstain", "n", "p50_ms"}
    assert figures["n"] == len(load_questions(DEV_QUESTIONS))
    assert all(0 <= figures[kind] <= 1 for kind in ("overall", "list", "fact", "none", "wrong_abstain"))


def test_kb_eval_prints_one_line_per_question_and_the_figures(seed_index):
    result = CliRunner().invoke(main, ["eval", str(DEV_QUESTIONS), "--index", str(seed_index)])
    assert result.exit_code == 0, result.output
    for question in load_questions(DEV_QUESTIONS):
        assert question.id in result.output
    assert "overall" in result.output.splitlines()[-1]
