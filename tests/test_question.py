"""Question analysis: language, kind, entities and their variants, concepts, answer types; no index needed."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.glossary import load_glossary
from kb.question import KnownEntity, analyse_question, entity_catalogue, question_language

SCHOOLS = ["Northbridge Institute of Technology", "EILA", "Harbour School of Engineering",
           "Institut de Castelnau", "Kestrel Polytechnic", "ISA Lille", "ENSTA"]
TITLES = [("École d'Ingénieurs du Littoral Atlantique (EILA)", "EILA"), ("ENSTA Paris - News", "ENSTA"),
          ("Study abroad", "Northbridge Institute of Technology"), ("FAQ (MBA)", None)]
ENTITIES = entity_catalogue(SCHOOLS, TITLES)
GLOSSARY = load_glossary()


def analyse(text, entities=ENTITIES):
    return analyse_question(text, entities, GLOSSARY)


def variants(name):
    return next(entity.variants for entity in ENTITIES if entity.name == name)


def terms(analysis):
    return [concept.terms for concept in analysis.concepts]


def test_variants_come_from_school_names_and_titles():
    assert "Northbridge" in variants("Northbridge Institute of Technology")
    assert "NIT" in variants("Northbridge Institute of Technology")
    assert "ISA" in variants("ISA Lille")
    assert "Castelnau" in variants("Institut de Castelnau")
    assert "Institut" not in variants("Institut de Castelnau")  # a kind of organisation, not a name
    assert "École d'Ingénieurs du Littoral Atlantique" in variants("EILA")
    assert "ENSTA Paris" in variants("ENSTA")
    assert all("MBA" not in entity.variants for entity in ENTITIES)  # titles of pages without a school


def test_a_variant_two_schools_share_names_neither():
    entities = entity_catalogue(["ISA Lille", "ISA Toulouse"], [])
    assert all("ISA" not in entity.variants for entity in entities)
    assert [entity.name for entity in entities] == ["ISA Lille", "ISA Toulouse"]


@pytest.mark.parametrize(("question", "lang"), [
    ("Which schools require a semester abroad?", "en"),
    ("How many partner universities does ESTP have?", "en"),
    ("Quelles écoles exigent un semestre à l'étranger ?", "fr"),
    ("Combien d'universités partenaires compte l'EILA ?", "fr"),
    ("Comment se fait la sélection ?", "fr"),
])
def test_language_of_the_question(question, lang):
    assert question_language(question) == lang
    assert analyse(question).lang == lang


@pytest.mark.parametrize("question", [
    "Which schools require a semester abroad?",
    "Which engineering schools hold the Erasmus charter?",
    "In which schools is a semester abroad mandatory?",
    "List the schools that offer a double degree.",
    "Quelles écoles exigent un semestre à l'étranger ?",
    "Quelles sont les écoles qui proposent un double diplôme ?",
    "Which school has a campus in Tokyo?",
])
def test_questions_about_which_schools_are_lists(question):
    assert analyse(question).kind == "list"


@pytest.mark.parametrize("question", [
    "Which universities does Northbridge have research contacts with?",  # names a school: about it
    "Which partner universities are in Canada?",  # partners are not the corpus's organisations
    "Quelles universités canadiennes accueillent des étudiants ?",
    "Which schools does Kestrel work with?",  # names a school
])
def test_lists_of_other_things_than_the_organisations_are_lists_of_values(question):
    analysis = analyse(question)
    assert analysis.kind == "list" and not analysis.list_of_organisations


@pytest.mark.parametrize("question", [
    "How many partner universities does Harbour have?",
    "Is a semester abroad mandatory at Harbour?",
])
def test_other_questions_are_facts(question):
    assert analyse(question).kind == "fact"


def test_university_questions_are_lists_when_the_corpus_organisations_are_universities():
    entities = entity_catalogue(["Lakeside University", "Hillcrest University"], [])
    assert analyse("Which universities require a semester abroad?", entities).list_of_organisations
    assert not analyse("Which universities require a semester abroad?").list_of_organisations


def test_list_predicate_and_number():
    analysis = analyse("Which schools require a semester abroad?")
    assert analysis.predicate == "require a semester abroad"
    assert analysis.plural
    assert not analyse("Which school has a campus in Tokyo?").plural
    assert terms(analysis) == [["require"], ["semester"], ["abroad"]]  # "schools" is the answer's type


@pytest.mark.parametrize(("question", "entity"), [
    ("How many partner universities does Harbour have?", "Harbour School of Engineering"),
    ("What is Northbridge's target?", "Northbridge Institute of Technology"),
    ("Combien d'universités partenaires compte l'EILA ?", "EILA"),
    ("What does the ecole d'ingenieurs du littoral atlantique offer?", "EILA"),
    ("Is a semester abroad mandatory at isa lille?", "ISA Lille"),
    ("Who heads the international office at the NIT?", "Northbridge Institute of Technology"),
    ("What does ENSTA Paris offer?", "ENSTA"),
])
def test_named_entities_are_found_with_their_variants(question, entity):
    analysis = analyse(question)
    assert analysis.entities == [entity]
    assert all(entity.split()[0].lower() not in term.lower() for concept in terms(analysis) for term in concept)


def test_entity_names_match_whole_words_only():
    assert analyse("What do ENSTAR students study?").entities == []
    assert analyse("Is Harbourside a partner?").entities == []


def test_two_entities_are_both_kept():
    assert analyse("Do Harbour and Kestrel require a semester abroad?").entities == [
        "Harbour School of Engineering", "Kestrel Polytechnic"]


def test_concepts_drop_question_words_and_keep_glossary_phrases_whole():
    analysis = analyse("How long do ESTP engineering apprentices have to spend abroad?")
    assert ["have to"] in terms(analysis)
    assert not any(term in {"how", "long", "do"} for concept in terms(analysis) for term in concept)
    assert ["dual degree"] in terms(analyse("How many students follow a dual degree at Kestrel?"))


def test_synonyms_typed_together_are_one_concept():
    assert terms(analyse("What is the tuition fee at Kestrel?")) == [["tuition", "fee"]]


def test_roles_place_name_light_number():
    roles = {concept.text: concept.role for concept in analyse(
        "Which partner universities of Kestrel in the United States hold the CDIO label since 2011?").concepts}
    assert roles["United States"] == "place"
    assert roles["CDIO"] == "name"
    assert roles["hold"] == "light"
    assert roles["2011"] == "number"
    assert roles["partner"] == "content"


def test_two_acronyms_side_by_side_are_two_names():
    texts = [concept.text for concept in analyse("Quels fournisseurs sont compatibles avec le SSO SAML ?").concepts]
    assert "SSO" in texts and "SAML" in texts  # pages may say "SAML SSO"


def test_title_case_questions_do_not_turn_every_word_into_a_name():
    analysis = analyse("Which Schools Require A Semester Abroad?")
    assert {concept.role for concept in analysis.concepts} == {"content"}


@pytest.mark.parametrize(("question", "answer_type"), [
    ("How many partner universities does Harbour have?", "number"),
    ("Combien d'universités partenaires compte l'EILA ?", "number"),
    ("What percentage of Northbridge students go abroad?", "percent"),
    ("What proportion of students are enrolled in dual degrees?", "percent"),
    ("Quelle est la part des étudiants internationaux ?", "percent"),
    ("Since when has Northbridge offered a double degree?", "date"),
    ("Depuis quand l'EILA a-t-elle la charte Erasmus ?", "date"),
    ("Who heads the international office at Northbridge?", "person"),
    ("How long is the internship at Kestrel?", "duration"),
    ("Combien de temps dure le stage ?", "duration"),
    ("Where do Northbridge students go?", "place"),
    ("How much does a semester at Kestrel cost?", "money"),
    ("Which countries are priority destinations for Kestrel?", "name"),
    ("What does Kestrel offer to incoming students?", None),
])
def test_expected_answer_type(question, answer_type):
    assert analyse(question).answer_type == answer_type


def test_words_that_only_name_the_answer_type_are_not_concepts():
    analysis = analyse("What proportion of Kestrel students are enrolled in dual degree programs?")
    assert ["proportion"] not in terms(analysis)


def test_yes_no_and_negated_questions():
    assert analyse("Is a semester abroad mandatory at Harbour?").yes_no
    assert analyse("Est-ce que le semestre à l'étranger est obligatoire ?").yes_no
    assert not analyse("Which schools require a semester abroad?").yes_no
    assert analyse("Which schools do not require a semester abroad?").negated
    assert analyse("Which schools don't require a semester abroad?").negated
    assert not analyse("Which schools require a semester abroad?").negated


def test_numbers_are_kept():
    assert analyse("What is the target for 2028?").numbers == ["2028"]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_user_text_is_analysed_without_error(text):
    analysis = analyse(text)
    assert analysis.kind in ("list", "fact")
    assert analysis.lang in ("en", "fr")


@pytest.mark.parametrize("text", ['"unbalanced', "AND OR NOT (", "*?", "ESTP's's", "l'", "'", "   ", "?" * 50,
                                  "Which schools (require) a [semester] abroad?"])
def test_operator_like_text_is_plain_text(text):
    analyse(text)


def test_plain_data_in_plain_data_out():
    analysis = analyse_question("Which schools require a semester abroad at X?", [KnownEntity("X", ("X",))])
    assert analysis.entities == ["X"]
    assert not analysis.list_of_organisations  # it names an organisation: it asks about that one
    assert analyse_question("Which schools require a semester abroad?").kind == "list"


def test_the_pronoun_of_an_inverted_french_question_is_not_a_concept():
    concepts = [concept.text for concept in analyse("Par quels moyens Loomwell peut-il me prévenir ?").concepts]
    assert "peut-il" not in concepts and "peut" not in concepts and "prévenir" in concepts
    concepts = [concept.text for concept in analyse("Combien d'étudiants Harwick accueille-t-elle ?").concepts]
    assert "accueille" in concepts and "accueille-t-elle" not in concepts
    assert "add-ons" in [concept.text for concept in analyse("How many add-ons does it support?").concepts]
