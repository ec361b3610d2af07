"""Sentence scoring, negation, list and fact composition, abstention: pure functions over hand-made hits."""

import pytest

from kb.compose import compose
from kb.glossary import load_glossary
from kb.matching import EXPANSION_CREDIT, WeightedConcept
from kb.models import Hit
from kb.question import analyse_question, entity_catalogue
from kb.sentences import MAX_ANSWER_CHARS, answer_type_spans, is_negated, score_sentences

GLOSSARY = load_glossary()
ENTITIES = entity_catalogue(["Northbridge", "Harbour", "Kestrel", "EILA", "Castelnau"], [])


def hit(text, school=None, lang="en", score=1.0, heading="", title="Page", passage_id=None):
    return Hit(doc_id=f"doc-{school}", passage_id=passage_id or f"p-{abs(hash((text, school)))}",
               source=f"{(school or 'faq').lower()}.html", title=title, school=school, lang=lang, text=text,
               heading=heading, position=0, score=score)


def analyse(question):
    analysis = analyse_question(question, ENTITIES, GLOSSARY)
    weights = {"light": 0.2, "name": 1.0, "place": 1.0}
    concepts = [WeightedConcept(concept, weights.get(concept.role, 1.0),
                                [term for word in concept.terms for term in GLOSSARY.equivalents(word)],
                                key=concept.role == "name" or (concept.role == "place" and analysis.kind == "list"),
                                document_frequency=1)
                for concept in analysis.concepts]
    return analysis, concepts


def answer(question, hits):
    analysis, concepts = analyse(question)
    return compose(analysis, concepts, hits)


# -- negation ---------------------------------------------------------------------------------------

def spans_of(sentence, *words):
    return [(sentence.index(word), sentence.index(word) + len(word)) for word in words]


@pytest.mark.parametrize("sentence", [
    "A period abroad is not mandatory at Harbour.",
    "There is no obligation to spend a semester abroad.",
    "Le semestre à l'étranger n'est pas obligatoire.",
    "Students are never required to go abroad.",
    "A semester abroad isn't mandatory.",
    "Aucun séjour à l'étranger n'est exigé.",
])
def test_negated_statements(sentence):
    word = next(w for w in ("mandatory", "obligation", "obligatoire", "required", "séjour") if w in sentence)
    assert is_negated(sentence, spans_of(sentence, word))


@pytest.mark.parametrize(("sentence", "word"), [
    ("Students cannot graduate without a semester abroad.", "semester"),  # two negations cancel
    ("Not only is a semester abroad mandatory, students also learn two languages.", "mandatory"),
    ("A semester abroad is mandatory, but it is not possible to go in the first year.", "mandatory"),
    ("Le semestre à l'étranger est obligatoire, mais pas en première année.", "obligatoire"),
])
def test_statements_that_are_not_negated(sentence, word):
    assert not is_negated(sentence, spans_of(sentence, word))


# -- answer types ----------------------------------------------------------------------------------

def type_texts(sentence, question):
    analysis = analyse_question(question, ENTITIES, GLOSSARY)
    return [sentence[start:end] for start, end in answer_type_spans(sentence, analysis.answer_type, analysis)]


def test_numbers_for_how_many_are_not_years_nor_the_question_s_numbers():
    assert type_texts("In 2019, Harbour had 15 partner universities.", "How many partners did Harbour have in 2019?") \
        == ["15"]


def test_other_answer_types():
    assert type_texts("About 65% of students go abroad.", "What percentage of students go abroad?") == ["65%"]
    assert type_texts("Since 1998, it has offered a double degree.", "Since when has it offered it?") == ["1998"]
    assert type_texts("Interns stay 12 weeks; apprentices stay eight weeks.", "How long do interns stay?") \
        == ["12 weeks", "eight weeks"]
    assert type_texts("Fees are 2 500 euros a year.", "How much does a year at Castelnau cost?") == ["2 500 euros"]
    assert type_texts("The office is headed by Dr Helen Marsh.", "Who heads the office?") == ["Dr Helen Marsh"]


# -- sentence scoring ---------------------------------------------------------------------------------

def test_sentences_covering_more_of_the_question_score_higher():
    analysis, concepts = analyse("Which schools require a semester abroad?")
    passage = hit("Students may spend a semester abroad. Every student must spend a semester abroad.", "Kestrel")
    first, second = score_sentences(analysis, concepts, [passage])
    # "must" is an expansion of "require": it counts, for less than the word typed.
    assert second.coverage == pytest.approx((EXPANSION_CREDIT + 2) / 3)
    assert first.coverage < second.coverage and first.score < second.score


def test_expected_answer_type_raises_the_score():
    analysis, concepts = analyse("How many partner universities does Harbour have?")
    passage = hit("Harbour chooses partner universities with care. Harbour has 15 partner universities.", "Harbour")
    without_number, with_number = score_sentences(analysis, concepts, [passage])
    assert with_number.has_type and not without_number.has_type
    assert with_number.score > without_number.score


def test_french_sentences_match_english_questions_through_the_glossary():
    analysis, concepts = analyse("Which schools require a semester abroad?")
    [sentence] = score_sentences(analysis, concepts, [hit("Un semestre à l'étranger est obligatoire.", "EILA", "fr")])
    assert sentence.matched == {0, 1, 2}  # every concept, each through its translation
    assert sentence.coverage == pytest.approx(EXPANSION_CREDIT)


def test_heading_counts_for_part_of_a_concept():
    analysis, concepts = analyse("Which services do incoming students get?")
    [sentence] = score_sentences(analysis, concepts, [hit("A buddy programme helps students.", heading="Incoming")])
    assert sentence.in_context and 0 < sentence.coverage < 1


def test_one_letter_typos_and_cognates_still_match():
    analysis, concepts = analyse("Which schools hold the Erasmus charter?")
    [sentence] = score_sentences(analysis, concepts, [hit("It boasts the ERAMUS+ Charter.", "Kestrel")])
    assert sentence.coverage > 0.75
    analysis, concepts = analyse("Quelle est la part des étudiants internationaux à Kestrel ?")
    [sentence] = score_sentences(analysis, concepts, [hit("About 30% of students are international.", "Kestrel")])
    assert sentence.has_type and sentence.coverage > 0.5


# -- list answers ---------------------------------------------------------------------------------------

SEMESTER_PAGES = [
    hit("Every Northbridge student must spend one semester at a partner university overseas.", "Northbridge", score=5),
    hit("A semester abroad is not mandatory at Harbour: students may choose an exchange term.", "Harbour", score=6),
    hit("Un semestre à l'étranger est obligatoire pour tous les élèves.", "EILA", "fr", score=4),
    hit("Le semestre à l'étranger n'est pas obligatoire à Castelnau.", "Castelnau", "fr", score=3),
    hit("Kestrel offers an optional semester abroad. Kestrel requires a 12-week internship.", "Kestrel", score=2),
    hit("Some schools make a semester abroad mandatory.", None, score=7),
    hit("Northbridge requires a semester abroad for every engineer.", "Northbridge", score=1),
]


def test_list_names_each_school_whose_sentence_supports_the_property_once():
    composed = answer("Which schools require a semester abroad?", SEMESTER_PAGES)
    assert composed.kind == "list"
    assert [item.label for item in composed.items] == ["Northbridge", "EILA"]
    assert composed.answer == "Northbridge [1] and EILA [2] require a semester abroad."
    assert [hit.school for hit in composed.citations] == ["Northbridge", "EILA"]
    assert [item.citations for item in composed.items] == [[1], [2]]


def test_french_list_question():
    composed = answer("Quelles écoles exigent un semestre à l'étranger ?", SEMESTER_PAGES)
    assert {item.label for item in composed.items} == {"Northbridge", "EILA"}
    assert " et " in composed.answer


def test_negated_statements_are_evidence_against_and_for_negated_questions():
    composed = answer("Which schools do not require a semester abroad?", SEMESTER_PAGES)
    assert {item.label for item in composed.items} == {"Harbour", "Castelnau"}


def test_list_with_one_school_and_a_plural_question_names_it_plainly():
    composed = answer("Which schools require a semester abroad?", SEMESTER_PAGES[:2])
    assert composed.answer == "Northbridge [1]."


def test_list_abstains_when_no_school_has_the_property():
    composed = answer("Which school has a campus in Tokyo?", SEMESTER_PAGES)
    assert (composed.kind, composed.answer, composed.items) == ("none", None, [])
    assert composed.citations  # the closest passages are still shown


# -- fact answers ---------------------------------------------------------------------------------------

def test_fact_is_the_best_sentence_with_its_citation():
    pages = [hit("Harbour was founded long ago. Harbour has 15 partner universities, mostly in Europe.", "Harbour")]
    composed = answer("How many partner universities does Harbour have?", pages)
    assert composed.kind == "fact"
    assert composed.answer == "Harbour has 15 partner universities, mostly in Europe. [1]"
    assert composed.citations == pages


def test_yes_no_question_is_answered_by_the_supporting_sentence_even_when_negated():
    composed = answer("Is a semester abroad mandatory at Harbour?", SEMESTER_PAGES[1:2])
    assert composed.kind == "fact"
    assert composed.answer.startswith("A semester abroad is not mandatory at Harbour")


def test_long_sentences_are_cut_around_the_answer():
    filler = "The school has developed many activities over the years with several partners, " * 4
    pages = [hit(filler + "and today it works with 42 partner universities in 19 countries around the world.",
                 "Northbridge")]
    composed = answer("How many partner universities does Northbridge have?", pages)
    assert "42 partner universities" in composed.answer
    assert len(composed.answer) <= MAX_ANSWER_CHARS + 10
    assert composed.answer.startswith("…")


def test_a_list_item_answer_brings_its_lead_in_and_siblings():
    pages = [hit("Incoming students benefit from several services:\n• a buddy programme\n"
                 "• free language courses\n• help with housing", "Northbridge")]
    composed = answer("How does Northbridge help incoming students with housing?", pages)
    assert composed.answer == ("Incoming students benefit from several services: a buddy programme; "
                               "free language courses; help with housing [1]")


def test_a_lead_in_answer_lists_the_items_it_announces():
    pages = [hit("Incoming students benefit from several services:\n• a buddy programme\n"
                 "• free language courses\n• help with housing", "Northbridge")]
    composed = answer("What does Northbridge offer to incoming students?", pages)
    assert composed.kind == "list"
    assert [item.label for item in composed.items] == ["a buddy programme", "free language courses", "help with housing"]


def test_a_second_sentence_is_added_when_it_adds_something_and_fits():
    pages = [hit("Since 1998, Northbridge has offered a double degree with Lisbon. "
                 "Students in this programme stay three semesters in Portugal.", "Northbridge")]
    composed = answer("Where do Northbridge double degree students stay?", pages)
    assert composed.answer == ("Since 1998, Northbridge has offered a double degree with Lisbon. "
                               "Students in this programme stay three semesters in Portugal. [1]")


@pytest.mark.parametrize(("question", "pages"), [
    ("What is the tuition fee at Harbour?", SEMESTER_PAGES[1:2]),  # nothing covers the topic
    ("How many partner universities does Northbridge have?", SEMESTER_PAGES[:1]),  # no number anywhere
    ("Does Stanford require a semester abroad?", SEMESTER_PAGES),  # a name no sentence holds
    ("Which schools require a semester abroad?", []),  # nothing retrieved
])
def test_facts_abstain_when_the_evidence_is_too_weak(question, pages):
    composed = answer(question, pages)
    assert (composed.kind, composed.answer, composed.items) == ("none", None, [])


def test_a_table_row_is_read_under_its_header_row():
    analysis, concepts = analyse("How many requests per minute can the Business plan make?")
    table = hit("Limits depend on the plan.\nPlan | Requests per minute\nFree | 60\nBusiness | 1,000", "Harbour")
    scored = {sentence.text: sentence for sentence in score_sentences(analysis, concepts, [table])}
    row = scored["Business | 1,000"]
    assert row.has_type and row.coverage > scored["Free | 60"].coverage > 0
    assert "requests" not in row.text.lower()  # the header's words count without being in the row


def test_a_name_the_question_brings_may_stand_in_the_passage_s_organisation():
    analysis, concepts = analyse("Who leads international relations at Ardmore?")
    assert any(weighted.key and weighted.concept.text == "Ardmore" for weighted in concepts)
    passage = hit("Yannick Le Goff leads international relations.", "Ardmore Institute of Technology", title="Contact")
    [sentence] = score_sentences(analysis, concepts, [passage])
    assert sentence.keys_found
