"""Chunk stage: passages follow headings, stay within size, keep sentences whole, keep stable ids."""

from indexer.chunk import MAX_WORDS, chunk_blocks
from kb.models import Block


def _para(n, word="word"):
    return Block("paragraph", " ".join(f"{word}{i}" for i in range(n)) + ".")


def test_a_heading_starts_a_new_passage_with_its_path():
    blocks = [Block("heading", "Study abroad", 1), Block("paragraph", "Intro text."),
              Block("heading", "Semester", 2), Block("paragraph", "All students go abroad."),
              Block("heading", "Internships", 2), Block("item", "Summer internship"),
              Block("item", "Research internship")]
    passages = chunk_blocks(blocks, "doc", "en")
    assert [p.heading for p in passages] == ["Study abroad", "Study abroad > Semester", "Study abroad > Internships"]
    assert passages[2].text == "• Summer internship\n• Research internship"
    assert [p.position for p in passages] == [0, 1, 2]


def test_paragraphs_group_up_to_the_size_limit():
    passages = chunk_blocks([_para(60), _para(60), _para(60), _para(60)], "doc", "en")
    assert len(passages) == 2
    assert all(len(p.text.split()) <= MAX_WORDS for p in passages)


def test_a_long_paragraph_is_cut_between_sentences_only():
    sentences = [f"Sentence number {i} says something about mobility abroad for students." for i in range(60)]
    passages = chunk_blocks([Block("paragraph", " ".join(sentences))], "doc", "en")
    assert len(passages) > 1
    rebuilt = " ".join(p.text for p in passages)
    assert rebuilt == " ".join(sentences)  # no text lost, nothing cut mid-sentence
    assert all(p.text.endswith("students.") for p in passages)


def test_passage_ids_are_stable_and_change_with_content():
    blocks = [Block("heading", "A", 2), Block("paragraph", "One."), Block("heading", "B", 2), Block("paragraph", "Two.")]
    first = chunk_blocks(blocks, "doc", "en")
    again = chunk_blocks(blocks, "doc", "en")
    assert [p.passage_id for p in first] == [p.passage_id for p in again]
    edited = chunk_blocks(blocks[:3] + [Block("paragraph", "Two, edited.")], "doc", "en")
    assert edited[0].passage_id == first[0].passage_id
    assert edited[1].passage_id != first[1].passage_id
    assert chunk_blocks(blocks, "other-doc", "en")[0].passage_id != first[0].passage_id


def test_a_passage_in_another_language_is_recognised():
    french = ("Tous les étudiants de l'école doivent effectuer un semestre d'études à l'étranger dans une "
              "université partenaire. La sélection se fait sur la base des notes et de la motivation des "
              "candidats, et le bureau des relations internationales accompagne chaque étudiant dans ses "
              "démarches avant le départ.")
    passages = chunk_blocks([Block("heading", "Abroad", 2), Block("paragraph", "English intro."),
                             Block("heading", "En français", 2), Block("paragraph", french)], "doc", "en")
    assert [p.lang for p in passages] == ["en", "fr"]


def test_code_is_kept_verbatim():
    code = "const a = 1;\nif (a < 2) {\n  console.log('<div>');\n}"
    passages = chunk_blocks([Block("code", code)], "doc", "en")
    assert passages[0].text == code
