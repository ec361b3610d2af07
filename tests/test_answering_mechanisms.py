"""The mechanisms behind answers, on hand-made passages: list questions of any plural noun, values a
passage enumerates, evidence offsets, identifiers' case, stop words, the answerability model."""

from __future__ import annotations

import math

import pytest

from kb.compose import compose
from kb.composition import capitalised
from kb.confidence import (
    FEATURE_SIGNS,
    FEATURES,
    PASSAGE_FEATURES,
    SENTENCE_FEATURES,
    SENTENCE_SIGNS,
    fit,
    fit_choice,
    fit_signed,
    load_model,
    parse_model,
)
from kb.enumeration import enumerated_values, sentence_values
from kb.glossary import load_glossary
from kb.matching import WeightedConcept
from kb.models import Hit
from kb.question import analyse_question

GLOSSARY = load_glossary()


def hit(text, heading="", title="Page", source="page.md", passage_id=None, lang="en", position=1):
    return Hit(doc_id=f"doc-{source}", passage_id=passage_id or f"p-{abs(hash((text, heading)))}", source=source,
               title=title, school=None, lang=lang, text=text, heading=heading, position=position, score=1.0)


def compose_for(question, hits):
    analysis = analyse_question(question, [], GLOSSARY)
    concepts = [WeightedConcept(concept, 1.0, [], concept.role == "name", 1, idf=5.0)
                for concept in analysis.concepts]
    relevance = {h.passage_id: 1.0 - index / 10 for index, h in enumerate(hits)}
    return analysis, compose(analysis, concepts, hits, relevance)


# -- list questions -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "noun"), [
    ("Which plans include SAML SSO?", "plans"),
    ("What values can the CSS visibility property take?", "values"),
    ("Which directives does the X-Frame-Options header accept?", "directives"),
    ("Quelles valeurs peut prendre l'attribut SameSite ?", "valeurs"),
    ("List the file formats you can import", "formats"),
])
def test_a_list_question_is_which_or_what_and_any_plural_noun(question, noun):
    analysis = analyse_question(question)
    assert analysis.kind == "list"
    assert analysis.list_noun == noun


@pytest.mark.parametrize("question", [
    "What status code should a page return when it is gone?",  # "status" is not a plural
    "Quel attribut ajouter à un élément details ?",  # singular: one thing is asked for
    "What does splice() return?",
    "What numeric font-weight is the same as bold?",
])
def test_a_question_for_one_thing_is_a_fact(question):
    assert analyse_question(question).kind == "fact"


def test_values_one_passage_enumerates_are_the_items_each_cited():
    values = hit("• visible\n• The element box is visible.\n• hidden\n• The element box is invisible.\n"
                 "• collapse\n• Rows or columns are hidden.", heading="Syntax > Values", title="visibility",
                 source="css/visibility.md")
    other = hit("The visibility property shows or hides an element without changing the layout.",
                title="visibility", source="css/visibility.md")
    _, composed = compose_for("What values can the visibility property take?", [other, values])
    assert composed.kind == "list"
    assert [item.label for item in composed.items] == ["visible", "hidden", "collapse"]
    assert composed.citations[0].passage_id == values.passage_id
    spans = composed.evidence[values.passage_id]
    assert [values.text[start:end].split("\n")[0].lstrip("• ") for start, end in spans] == [
        "visible", "hidden", "collapse"]


def test_a_sentence_enumerating_after_a_colon_gives_the_values_without_their_articles():
    values = sentence_values("Loomwell peut vous prévenir par quatre canaux : la boîte de réception, l'e-mail, "
                             "les notifications push et Slack.")
    assert [value.label for value in values] == ["boîte de réception", "e-mail", "notifications push", "Slack"]
    names = sentence_values("It offers two double degrees: with Polytechnique Montréal and with the ÉTS.")
    assert [value.label for value in names] == ["Polytechnique Montréal", "ÉTS"]
    assert sentence_values("Note: this clause explains something at length, and then goes on without a list.") == []
    bars = sentence_values("The preload attribute has three available options: auto|metadata|none.")
    assert [value.label for value in bars] == ["auto", "metadata", "none"]


def test_pieces_of_a_grammar_s_notation_are_not_values():
    values = enumerated_values("• [ left | center ]\n• [ top\n• static\n• relative")
    assert [value.label for value in values] == ["static", "relative"]


def test_a_list_answer_takes_the_values_its_best_sentence_enumerates():
    channels = hit("Notifications keep you posted. Loomwell can notify you through four channels: the in-app inbox, "
                   "e-mail, push notifications and Slack.", title="Notifications", source="notifications.html")
    # Retrieval put the roles first; the channels' sentence answers the question better.
    roles = hit("Loomwell has four roles: Owner, Admin, Member and Guest.", title="Roles", source="roles.html")
    _, composed = compose_for("By what means can Loomwell notify me?", [roles, channels])
    assert composed.kind == "list"
    assert [item.label for item in composed.items] == ["in-app inbox", "e-mail", "push notifications", "Slack"]
    [(start, end), *_] = composed.evidence[channels.passage_id]
    assert channels.text[start:end] == "in-app inbox"


@pytest.mark.parametrize("question", ["Par quels moyens Loomwell peut-il me prévenir ?",
                                      "Through which channels can Loomwell notify me?"])
def test_a_list_question_may_open_with_a_preposition(question):
    assert analyse_question(question).kind == "list"


def test_enumerations_are_found_in_items_tables_and_runs_of_names():
    items = enumerated_values("Directives:\n• DENY\n• The page cannot be framed.\n• SAMEORIGIN: only the same origin.")
    assert [v.label for v in items] == ["DENY", "SAMEORIGIN"]
    table = enumerated_values("Value | State | Description\n0 | CONNECTING | Not yet open.\n1 | OPEN | Ready.\n"
                              "2 | CLOSED | Closed.")
    assert [v.label for v in table] == ["CONNECTING", "OPEN", "CLOSED"]
    run = enumerated_values("It takes part in large conferences (NAFSA, APAIE, EAIE) every year.")
    assert [v.label for v in run] == ["NAFSA", "APAIE", "EAIE"]
    assert enumerated_values("One plain sentence, with a comma.") == []
    pair = enumerated_values("A double degree exists with the Karlsruher Institut für Technologie and the "
                             "Technische Universität Berlin.")
    assert [v.label for v in pair] == ["Karlsruher Institut für Technologie", "Technische Universität Berlin"]
    # A run of names ends at its line and at its last name.
    run = enumerated_values("Free.\nMicrosoft Teams, GitHub, GitLab and Zapier need Team.")
    assert [v.label for v in run] == ["Microsoft Teams", "GitHub", "GitLab", "Zapier"]
    # A name may say where it stands: the place is not part of the value.
    placed = enumerated_values("A double degree with Universität Mannheim in Germany, HEC Montréal in Canada, "
                               "Waseda University in Japan or ESADE in Spain.")
    assert [v.label for v in placed] == ["Universität Mannheim", "HEC Montréal", "Waseda University", "ESADE"]


# -- facts: evidence, neighbours, case ----------------------------------------------------------------

def test_evidence_offsets_point_at_the_sentence_that_holds_the_answer():
    passage = hit("The rows attribute sets the height of the control. If it is left out, the textarea shows "
                  "2 lines of text. Browsers may differ.", title="<textarea>", source="textarea.md")
    _, composed = compose_for("How many lines of text does a textarea show when rows is left out?", [passage])
    assert composed.kind == "fact" and "2 lines" in composed.answer
    [(start, end)] = [span for span in composed.evidence[passage.passage_id] if "2 lines" in passage.text[span[0]:span[1]]]
    assert passage.text[start:end] == "If it is left out, the textarea shows 2 lines of text."


def test_a_sentence_leans_on_the_rest_of_its_line():
    # "Same as 700." holds the number, its line says what it is the same as.
    passage = hit("• normal\n• Normal font weight. Same as 400.\n• bold\n• Bold font weight. Same as 700.",
                  heading="Values", title="font-weight", source="font-weight.md")
    _, composed = compose_for("What number is the bold font weight?", [passage])
    assert "700" in composed.answer


@pytest.mark.parametrize(("text", "shown"), [
    ("console.log() prints a message", "console.log() prints a message"),
    ("box-sizing sets how the size is computed", "box-sizing sets how the size is computed"),
    ("a network of 87 partner universities", "A network of 87 partner universities"),
])
def test_identifiers_keep_their_case_and_plain_words_arecapitalised(text, shown):
    assert capitalised(text) == shown


def test_stop_words_of_the_question_s_language_are_not_concepts():
    analysis = analyse_question("What status code is returned because of a court order?")
    assert [concept.text for concept in analysis.concepts] == ["status", "code", "returned", "court", "order"]


# -- answerability ----------------------------------------------------------------------------------

def test_the_shipped_model_reads_every_signal_and_gives_probabilities():
    model = load_model()
    assert set(model.answers.weights) == set(FEATURES) == set(model.answerable.weights)
    assert set(model.passages.weights) == set(PASSAGE_FEATURES)
    assert set(model.sentences.weights) == set(SENTENCE_FEATURES)
    assert -1.0 <= model.threshold <= 1.0  # a difference of expected scores
    weak = {name: 0.0 for name in FEATURES}
    # Every signal at its best: all of the question held, a value of the type asked for, agreement.
    strong = {**weak, **{name: 1.0 for name, sign in FEATURE_SIGNS.items() if sign > 0}}
    assert 0.0 < model.answers.probability(weak) < model.answers.probability(strong) < 1.0
    assert model.answerable.probability(weak) < model.answerable.probability(strong)
    # Nothing of the question found: "not found", confidently; all of it: an answer.
    assert model.judge(weak) == (False, pytest.approx(1 - model.answerable.probability(weak)))
    answering, confidence = model.judge(strong)
    assert answering and 0.5 < confidence < 1.0


def test_the_shipped_signals_keep_their_declared_signs():
    model = load_model()
    for part in (model.answerable, model.answers):
        assert all(FEATURE_SIGNS[name] * weight >= 0 for name, weight in part.weights.items())
    assert all(SENTENCE_SIGNS.get(name, 0) * weight >= 0 for name, weight in model.sentences.weights.items())


def test_a_signed_fit_drops_a_signal_that_comes_out_the_wrong_way():
    # "unknown" goes with right answers in this sample: noise the declared sign refuses.
    rows = [({"coverage": x / 20, "unknown": 1.0 if x % 4 == 0 and x >= 10 else 0.0}, 1.0 if x >= 10 else 0.0)
            for x in range(21)] * 3
    model = fit_signed(rows, FEATURE_SIGNS, ("coverage", "unknown"), l2=1e-3)
    assert model.weights["unknown"] == 0.0 and model.weights["coverage"] > 0


def test_fitting_recovers_a_relation_between_a_signal_and_being_right():
    rows = [({"coverage": x / 20}, 1.0 if x >= 10 else 0.0) for x in range(21)] * 3
    model = fit(rows, l2=1e-4)
    assert model.probability({"coverage": 0.9}) > 0.9
    assert model.probability({"coverage": 0.1}) < 0.1
    assert math.isclose(model.probability({"coverage": 0.5}), 0.5, abs_tol=0.2)


def test_a_malformed_model_file_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="malformed"):
        parse_model('{"weights": {}}')
    with pytest.raises(ValueError, match="malformed"):
        parse_model('{"passages": {"weights": []}, "sentences": {}, "answers": {}, "threshold": 0.5}')


def test_a_leading_pronoun_brings_its_antecedent():
    passage = hit("The splice() method changes the contents of an array. It returns an array containing the "
                  "deleted elements.", heading="Return value", title="Array.prototype.splice()", source="splice.md")
    _, composed = compose_for("What does splice return once it removes elements?", [passage])
    assert composed.answer == ("The splice() method changes the contents of an array. It returns an array "
                               "containing the deleted elements. [1]")
    assert len(composed.evidence[passage.passage_id]) == 2


def test_a_leading_pronoun_with_nothing_before_it_brings_its_heading():
    passage = hit("It returns an array containing the deleted elements.", heading="Syntax > Return value",
                  title="Array.prototype.splice()", source="splice.md")
    _, composed = compose_for("What does splice return once it removes elements?", [passage])
    assert composed.answer.startswith("Return value: It returns an array")


def test_an_answer_marks_its_evidence_not_every_word_of_the_question(corpus, store):
    from indexer.pipeline import run_index
    from kb.answer import ask

    (corpus / "page.md").write_text("---\ntitle: Trash\n---\n# Trash\n\nDeleted items stay in the trash for "
                                    "30 days. The trash can be emptied by an admin.\n", encoding="utf-8")
    run_index(corpus, store)
    answer = ask(store, "How long do deleted items stay in the trash?")
    [cited] = [hit for hit in answer.citations if hit.evidence]
    assert cited.highlight == "<mark>Deleted items stay in the trash for 30 days.</mark> The trash can be " \
                              "emptied by an admin."


def test_a_line_of_code_answers_only_a_question_that_asks_for_code():
    passage = hit("font-weight: bold;\nThe bold keyword sets a heavy weight.", title="font-weight", source="fw.md")
    _, composed = compose_for("How do I set a heavy font-weight?", [passage])
    assert composed.answer.startswith("The bold keyword")
    only_code = hit("p {\n  font-weight: bold;\n}", title="font-weight", source="fw.md")
    _, composed = compose_for("How is the font-weight set to bold?", [only_code])
    assert composed.kind == "none"
    _, composed = compose_for("Show a code example setting the font-weight to bold", [only_code])
    assert "font-weight: bold;" in composed.answer


def test_an_answer_that_never_names_the_question_s_focus_says_so_in_its_signals():
    question = "What is the application deadline for the summer school?"
    _, composed = compose_for(question, [hit("The summer school runs for two weeks each July.", source="s.md")])
    assert composed.signals["focus"] == 0.0
    _, composed = compose_for(question, [hit("The application deadline for the summer school is 1 March.",
                                             source="s.md")])
    assert composed.signals["focus"] == 1.0


def test_a_list_in_a_passage_that_holds_nothing_of_the_question_is_not_the_answer():
    unrelated = hit("We attend large conferences (NAFSA, APAIE, EAIE) every year.", heading="Events",
                    source="esme.md", passage_id="p-events")
    answer_passage = hit("The 5 BRICS countries are priority destinations for the school.", heading="Partners",
                         source="esme.md", passage_id="p-partners")
    _, composed = compose_for("Which countries are priority destinations?", [unrelated, answer_passage])
    assert composed.kind == "fact" and "BRICS" in composed.answer


def test_a_choice_fit_learns_which_candidate_of_each_question_comes_first():
    # Within each question the right candidate has the higher "typed"; coverage is noise. Across
    # questions the levels differ, which a pointwise fit would mistake for a signal.
    groups = []
    for level in range(6):
        base = level / 6
        groups.append([({"coverage": base, "typed": 1.0}, 1.0), ({"coverage": base + 0.1, "typed": 0.0}, 0.0),
                       ({"coverage": base + 0.05, "typed": 0.0}, 0.0)])
    model = fit_choice(groups, ("coverage", "typed"), l2=1e-3)
    assert model.weights["typed"] > 0 and model.bias == 0.0
    for group in groups:
        assert max(group, key=lambda row: model.score(row[0]))[1] == 1.0


def test_a_list_over_page_subjects_names_each_page_that_has_the_property():
    pages = [
        hit("The pop() method of Array instances removes the last element from an array and changes its length.",
            title="Array.prototype.pop()", source="array/pop.md"),
        hit("The push() method of Array instances adds elements to the end of an array and changes its length.",
            title="Array.prototype.push()", source="array/push.md"),
        hit("The slice() method of Array instances returns a shallow copy; the original array is not modified.",
            title="Array.prototype.slice()", source="array/slice.md"),
        hit("Arrays change their length when elements are added.", title="Array", source="array.md"),
    ]
    _, composed = compose_for("Which array methods change the length of the array?", pages)
    assert composed.kind == "list"
    assert [item.label for item in composed.items] == ["Array.prototype.pop()", "Array.prototype.push()"]
    cited = {composed.citations[item.citations[0] - 1].source for item in composed.items}
    assert cited == {"array/pop.md", "array/push.md"}
    for hit_ in composed.citations:  # the evidence is the sentence stating the property
        [(start, end)] = composed.evidence[hit_.passage_id]
        assert "changes its length" in hit_.text[start:end]


def test_only_a_line_that_announces_values_makes_them_the_ones_asked_for():
    # The permissions table's first row mentions "means" (of payment): it does not announce the table.
    roles = hit("Change the means of payment | yes | no\nView invoices | yes | yes\nInvite members | yes | no\n"
                "Create projects | yes | yes", title="Roles", source="roles.html")
    channels = hit("Loomwell can notify you through four channels: the in-app inbox, e-mail, push and Slack.",
                   title="Notifications", source="notifications.html")
    _, composed = compose_for("By what means can Loomwell notify me?", [roles, channels])
    assert [item.label for item in composed.items] == ["in-app inbox", "e-mail", "push", "Slack"]


def test_a_line_that_announces_the_values_asked_for_scopes_the_list():
    parameters = hit("• callbackFn\n• A function to execute for each element.\n"
                     "• The function is called with the following arguments:\n• accumulator\n• The running total.\n"
                     "• currentValue\n• The current element.\n• array\n• The array itself.",
                     heading="Syntax > Parameters", title="Array.prototype.reduce()", source="reduce.md")
    _, composed = compose_for("Which arguments does reduce() pass to its callback?", [parameters])
    assert [item.label for item in composed.items] == ["accumulator", "currentValue", "array"]


def test_a_list_cut_by_a_passage_boundary_runs_on_into_the_next_passage():
    first = hit("The kind attribute: how the text track is meant to be used. The following keywords are allowed:\n"
                "• subtitles\n• Translations of the dialogue.\n• captions",
                heading="Attributes", title="<track>", source="track.md", position=1)
    second = hit("• A transcription of the dialogue and sound effects.\n• descriptions\n• Textual description.\n"
                 "• chapters\n• Chapter titles.\nThe label attribute names the track.",
                 heading="Attributes", title="<track>", source="track.md", position=2)
    _, composed = compose_for("Which keywords can the kind attribute of a track take?", [first, second])
    assert [item.label for item in composed.items] == ["subtitles", "captions", "descriptions", "chapters"]
    assert [item.citations for item in composed.items] == [[1], [1], [2], [2]]
    assert composed.answer.endswith("captions [1], descriptions and chapters [2]")


def test_a_definition_list_description_answers_with_the_term_it_defines():
    attributes = hit("This element also accepts the global attributes.\n• reversed\n"
                     "• This Boolean attribute specifies that the list's items are in reverse order. "
                     "Items will be numbered from high to low.\n• start\n• An integer to start counting from.",
                     heading="Attributes", title="<ol>", source="ol.md")
    _, composed = compose_for("How do I make an ordered list number its items from high to low?", [attributes])
    assert composed.kind == "fact" and composed.answer.startswith("reversed: ")
    spans = composed.evidence[attributes.passage_id]
    assert attributes.text[spans[0][0]:spans[0][1]] == "reversed"  # the term is evidence too


def test_a_lead_in_that_answers_brings_the_items_it_announces_as_a_list():
    passage = hit("Office hours are 8 to 6.\nThe following staff cannot work remotely:\n• lab technicians\n"
                  "• reception staff\n• drivers\nEveryone else may.", heading="Remote work", source="remote.md")
    _, composed = compose_for("Who cannot work remotely?", [passage])
    assert composed.kind == "list"
    assert [item.label for item in composed.items] == ["lab technicians", "reception staff", "drivers"]


def test_a_value_stated_by_a_section_heading_opens_the_answer():
    passage = hit("• New Year's Day: 1 January\n• Canada Day: 1 July\n• Christmas Day: 25 December",
                  heading="Public holidays > Montréal: 10 public holidays", title="Leave", source="leave.md")
    _, composed = compose_for("How many public holidays does the Montréal office observe?", [passage])
    assert composed.kind == "fact" and composed.answer.startswith("Montréal: 10 public holidays: ")
