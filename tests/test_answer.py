"""ask() end to end over an index of fictional schools (tests/fixtures/schools), and `kb ask`."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.pipeline import run_index
from kb.answer import ask
from kb.cli import main
from kb.glossary import load_glossary, parse_glossary
from kb.store import IndexStore

SCHOOLS = Path(__file__).resolve().parent / "fixtures" / "schools"
NORTHBRIDGE = "Northbridge Institute of Technology"


@pytest.fixture(scope="module")
def schools_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fictional schools indexed once for this module."""
    root = tmp_path_factory.mktemp("schools")
    corpus = shutil.copytree(SCHOOLS, root / "corpus")
    store = IndexStore(root / "index")
    run_index(corpus, store)
    store.close()
    return root / "index"


@pytest.fixture
def schools(schools_index: Path):
    store = IndexStore(schools_index)
    yield store
    store.close()


def labels(answer):
    return [item.label for item in answer.items]


# -- lists ------------------------------------------------------------------------------------------

def test_which_schools_require_a_semester_abroad(schools):
    answer = ask(schools, "Which schools require a semester abroad?")
    assert answer.kind == "list"
    assert sorted(labels(answer)) == ["EILA", NORTHBRIDGE]  # Harbour, Castelnau and Kestrel say optional
    assert answer.answer == f"{labels(answer)[0]} [1] and {labels(answer)[1]} [2] require a semester abroad."
    for item in answer.items:
        cited = answer.citations[item.citations[0] - 1]
        assert cited.school == item.label


def test_french_list_question_finds_english_and_french_pages(schools):
    answer = ask(schools, "Quelles écoles exigent un semestre à l'étranger ?")
    assert answer.lang == "fr"
    assert sorted(labels(answer)) == ["EILA", NORTHBRIDGE]


def test_negated_question_lists_the_schools_that_say_no(schools):
    answer = ask(schools, "Which schools do not require a semester abroad?")
    assert sorted(labels(answer)) == ["Harbour School of Engineering", "Mines de Castelnau"]


def test_pages_without_a_school_are_never_list_items(schools):
    # faq.md, without a school, says "certaines écoles rendent le semestre à l'étranger obligatoire".
    answer = ask(schools, "Quelles écoles rendent le semestre à l'étranger obligatoire ?")
    assert sorted(labels(answer)) == ["EILA", NORTHBRIDGE]
    assert all(hit.school for hit in answer.citations)


def test_list_of_erasmus_charter_holders_across_languages(schools):
    assert sorted(labels(ask(schools, "Which schools hold the Erasmus charter?"))) == ["EILA", NORTHBRIDGE]


# -- facts and entity restriction -------------------------------------------------------------------

@pytest.mark.parametrize(("question", "expected", "school"), [
    ("How many partner universities does Harbour have?", "15 partner universities", "Harbour School of Engineering"),
    ("How many partner universities does Northbridge have?", "42 partner universities", NORTHBRIDGE),
    ("How many partner universities does the NIT have?", "42 partner universities", NORTHBRIDGE),
    ("Combien d'universités partenaires compte l'EILA ?", "35 universités partenaires", "EILA"),
    ("How many partner universities does the École d'Ingénieurs du Littoral Atlantique have?", "35", "EILA"),
    ("Who heads the international office at Northbridge?", "Dr Helen Marsh", NORTHBRIDGE),
    ("Since when has Northbridge offered a double degree?", "1998", NORTHBRIDGE),
    ("Depuis quand l'EILA est-elle titulaire de la charte Erasmus ?", "2005", "EILA"),
    ("What percentage of Northbridge students spend time abroad?", "65%", NORTHBRIDGE),
    ("How long is the internship at Kestrel?", "12-week", "Kestrel Polytechnic"),
    ("What is the tuition fee at Castelnau?", "2 500 euros", "Mines de Castelnau"),
    ("Combien d'étudiants internationaux accueille Castelnau chaque année ?", "120", "Mines de Castelnau"),
    ("Is a semester abroad mandatory at Harbour?", "not mandatory", "Harbour School of Engineering"),
])
def test_facts_come_from_the_named_school(schools, question, expected, school):
    answer = ask(schools, question)
    assert answer.kind == "fact"
    assert expected in answer.answer
    assert "[1]" in answer.answer
    assert answer.citations[0].school == school
    assert len(answer.answer) <= 320


def test_a_question_naming_two_schools_gets_a_sentence_for_each(schools):
    answer = ask(schools, "Do Harbour and Northbridge require a semester abroad?")
    assert answer.kind == "fact"
    assert [hit.school for hit in answer.citations] == ["Harbour School of Engineering", NORTHBRIDGE]
    assert "not mandatory" in answer.answer and "[2]" in answer.answer


def test_a_list_item_answer_reads_as_the_list(schools):
    answer = ask(schools, "What does Northbridge offer to incoming exchange students?")
    assert "buddy programme" in answer.answer and "housing" in answer.answer


# -- abstention -------------------------------------------------------------------------------------

@pytest.mark.parametrize("question", [
    "What is the tuition fee at Northbridge?",  # Castelnau has fees, Northbridge's pages do not
    "Which school has a campus in Singapore?",
    "How many partner universities does Stanford have?",  # a school the pages never mention
    "What is the library opening time?",
    "When was Kestrel founded?",
    "",
    "???",
])
def test_questions_the_pages_do_not_answer_abstain(schools, question):
    answer = ask(schools, question)
    assert (answer.kind, answer.answer, answer.items) == ("none", None, [])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=120))
def test_any_text_gets_a_well_formed_answer(schools, text):
    body = ask(schools, text).to_dict()
    assert body["kind"] in ("list", "fact", "none")
    assert (body["answer"] is None) == (body["kind"] == "none")
    assert body["kind"] == "list" or body["items"] == []


def test_odd_input_never_breaks(schools):
    for question in ['"unbalanced', "AND OR NOT (", "x" * 5000, "é" * 300, "\x00\n\t", "<script>"]:
        assert ask(schools, question).kind in ("list", "fact", "none")


# -- the glossary ----------------------------------------------------------------------------------

def test_a_glossary_of_ones_own_adds_synonyms(schools):
    question = "Which schools impose a residency abroad?"  # "impose" and "residency": not in the pages
    assert ask(schools, question).kind == "none"
    shipped = (Path(__file__).resolve().parent.parent / "kb" / "data" / "glossary.toml").read_text()
    extended = parse_glossary(shipped + '\n[[group]]\nterms = ["residency", "semester", "semestre"]\n')
    assert extended.groups[:len(load_glossary().groups)] == load_glossary().groups
    assert sorted(labels(ask(schools, question, glossary=extended))) == ["EILA", NORTHBRIDGE]


# -- the /api/ask body and the command line ---------------------------------------------------------

def test_body_follows_the_contract(schools):
    body = ask(schools, "Which schools require a semester abroad?").to_dict()
    assert {"question", "kind", "answer", "items", "citations", "took_ms"} <= body.keys()
    assert body["items"][0].keys() >= {"label", "citations"}
    for number, citation in enumerate(body["citations"], 1):
        assert citation["n"] == number
        assert {"doc_id", "passage_id", "source", "title", "school", "lang", "text", "highlight", "score",
                "url"} <= citation.keys()
        assert "<mark>" in citation["highlight"]
        assert citation["url"] == f"/documents/{citation['doc_id']}?hl={citation['passage_id']}#p-" \
                                  f"{citation['passage_id']}"
    none = ask(schools, "What is the library opening time?").to_dict()
    assert (none["kind"], none["answer"], none["items"]) == ("none", None, [])


def test_highlight_is_escaped(schools):
    answer = ask(schools, "Which schools require a semester abroad?")
    for hit in answer.citations:
        assert "<" not in hit.highlight.replace("<mark>", "").replace("</mark>", "")


def test_kb_ask_json_prints_the_api_body(schools_index):
    question = "How many partner universities does Harbour have?"
    result = CliRunner().invoke(main, ["ask", question, "--json", "--index", str(schools_index)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    store = IndexStore(schools_index)
    try:
        expected = ask(store, question).to_dict()
    finally:
        store.close()
    body.pop("took_ms"), expected.pop("took_ms")
    assert body == expected


def test_kb_ask_prints_answer_items_and_numbered_citations(schools_index):
    result = CliRunner().invoke(main, ["ask", "Which schools require a semester abroad?", "--index",
                                       str(schools_index)])
    assert result.exit_code == 0, result.output
    assert "require a semester abroad." in result.output
    assert "[1] " in result.output and "[2] " in result.output
    result = CliRunner().invoke(main, ["ask", "What is the library opening time?", "--index", str(schools_index)])
    assert result.output.startswith("Not found")


def test_kb_ask_without_an_index_fails_cleanly(tmp_path):
    result = CliRunner().invoke(main, ["ask", "anything", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "kb index" in result.output


def test_warm_up_loads_answering_resources_with_or_without_an_index(tmp_path, seed_store):
    from kb.answer import warm_up

    warm_up(IndexStore(tmp_path / "no-index"))  # nothing built yet: nothing to read, no error
    warm_up(seed_store)
    assert ask(seed_store, "How many partner universities does ESTP have?").kind == "fact"
