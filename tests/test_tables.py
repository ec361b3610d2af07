"""Tables in passages (kb/tables.py): rows read under their header, cells that grant or deny, and the
list of columns a row grants (kb.lists.compose_table_list)."""

from __future__ import annotations

import pytest
from test_answering_mechanisms import compose_for, hit

from kb.tables import grants, row_at

FARES = ("Every flight is sold in three fares.\n"
         "Light | Classic | Flex\n"  # the header's corner cell was empty: cleaning left it out
         "Checked bags (up to 23 kg each) | Paid option | 1 | 2\n"
         "Priority boarding | – | – | ✓\n"
         "Refund | No | No | Up to 2 hours before departure")


def test_a_row_is_read_under_its_header():
    row = row_at(FARES, FARES.index("Priority"))
    assert row is not None and row.label == "Priority boarding"
    assert [(cell.column, cell.text) for cell in row.cells] == [("Light", "–"), ("Classic", "–"), ("Flex", "✓")]
    assert FARES[row.cells[2].start:row.cells[2].end] == "✓"


def test_a_header_with_its_corner_cell_names_the_label_column():
    text = "Feature | Free | Team\nGuest access | — | ✓"
    row = row_at(text, text.index("Guest"))
    assert row is not None and [cell.column for cell in row.cells] == ["Free", "Team"]


@pytest.mark.parametrize("offset_of", ["Every flight", "Light | Classic"])
def test_prose_and_the_header_itself_are_no_rows(offset_of):
    assert row_at(FARES, FARES.index(offset_of)) is None


def test_a_row_whose_cells_do_not_line_up_is_not_read():
    text = "A | B | C\nRow | only one"
    assert row_at(text, text.index("Row")) is None


@pytest.mark.parametrize(("cell", "granted"), [
    ("✓", True), ("1", True), ("Up to 10", True), ("Paid option", True), ("Free", True), ("Oui", True),
    ("–", False), ("—", False), ("✗", False), ("No", False), ("Not allowed", False), ("Non", False),
    ("Aucun", False), ("0", False), ("N/A", False), ("", False),
])
def test_cells_grant_or_deny(cell, granted):
    assert grants(cell) is granted


def test_a_list_question_gets_the_columns_its_row_grants():
    passage = hit(FARES, heading="What each fare includes", title="Our fares", source="fares.md")
    _, composed = compose_for("Which fares include priority boarding?", [passage])
    assert composed.kind == "list" and [item.label for item in composed.items] == ["Flex"]
    _, composed = compose_for("Which fares come with checked bags?", [passage])
    assert [item.label for item in composed.items] == ["Light", "Classic", "Flex"]  # "Paid option" is a way in
    [(start, end)] = composed.evidence[passage.passage_id]
    assert passage.text[start:end].startswith("Checked bags")


LEAVE = ("Leave | Lyon | Montréal | Dublin\n"
         "Birth parent (maternity leave) | 16 weeks | 18 weeks | 26 weeks\n"
         "Non-birth parent (paternity leave) | 4 weeks | 5 weeks | 2 weeks")


def test_a_fact_from_a_table_is_the_cell_of_the_column_the_question_names():
    passage = hit(LEAVE, heading="Parental leave by office", title="Parental leave", source="leave.md")
    _, composed = compose_for("How many weeks of paternity leave do I get in Montréal?", [passage])
    assert composed.kind == "fact"
    assert composed.answer == "Non-birth parent (paternity leave) (Montréal): 5 weeks [1]"
    [(start, end)] = composed.evidence[passage.passage_id]
    assert passage.text[start:end].startswith("Non-birth parent")


def test_a_row_no_column_of_which_is_named_reads_every_cell_under_its_column():
    passage = hit(LEAVE, heading="Parental leave by office", title="Parental leave", source="leave.md")
    _, composed = compose_for("How long is paternity leave?", [passage])
    assert composed.answer.startswith("Non-birth parent (paternity leave): Lyon, 4 weeks; Montréal, 5 weeks")


AIRPORTS = ("Airport | Code | Self-service bag drop\n"
            "Lyon-Saint-Exupéry | LYS | Yes\n"
            "Nantes Atlantique | NTE | No\n"
            "Geneva | GVA | Yes")


def test_a_list_question_gets_the_rows_whose_cell_in_its_column_grants_it():
    passage = hit(AIRPORTS, heading="At the airport", title="Check-in", source="check-in.md")
    _, composed = compose_for("At which airports is there a self-service bag drop?", [passage])
    assert [item.label for item in composed.items] == ["Lyon-Saint-Exupéry", "Geneva"]
    _, composed = compose_for("Which airports have no self-service bag drop?", [passage])
    assert [item.label for item in composed.items] == ["Nantes Atlantique"]  # a negated question: the others


def test_a_table_that_does_not_hold_the_whole_question_lists_nothing_of_it():
    passage = hit(AIRPORTS, heading="At the airport", title="Check-in", source="check-in.md")
    _, composed = compose_for("At which airports is there a lounge for Gold members?", [passage])
    assert [item.label for item in composed.items] != ["Lyon-Saint-Exupéry", "Geneva"]


def test_a_row_of_descriptions_grants_nothing():
    text = ("Value | Description | Support\n"
            "lazy | Defers loading the image until it nears the viewport, saving bandwidth | All browsers")
    passage = hit(text, heading="Loading values", title="loading", source="img.md")
    _, composed = compose_for("Which values include lazy loading?", [passage])
    assert [item.label for item in composed.items] != ["Description", "Support"]
