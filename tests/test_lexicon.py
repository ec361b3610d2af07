"""The lexicon (kb/lexicon.py): WordNet synonyms and pertainyms, FreeDict translations, CLDR territory
names, and what they do for answers: a paraphrase reaches its passage, a French question an English page."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.pipeline import run_index
from kb.answer import ask
from kb.lexicon import FREEDICT_DIR, WORDNET_DIR, load_lexicon
from kb.question import analyse_question

pytestmark = pytest.mark.skipif(
    not (WORDNET_DIR / "index.noun").exists() or not (FREEDICT_DIR / "freedict-fra-eng.index").exists(),
    reason="WordNet and FreeDict are not installed: `make install` installs Debian's wordnet-base, "
           "dict-freedict-eng-fra and dict-freedict-fra-eng where apt-get may run")


def test_synonyms_come_from_the_word_s_commonest_sense():
    lexicon = load_lexicon()
    assert "car" in lexicon.synonyms("automobile")
    assert "doctor" in lexicon.synonyms("physician")
    assert "spring" not in lexicon.synonyms("give")  # "give" is a verb first, not the noun of springiness


def test_an_adjective_leads_to_the_noun_it_pertains_to_in_both_languages():
    assert "Germany" in load_lexicon().synonyms("German")
    assert {"Germany", "Allemagne"} <= set(load_lexicon().related("German", "en"))


def test_parts_of_speech_tell_a_verb_after_a_singular_noun_from_a_plural_noun():
    lexicon = load_lexicon()
    assert lexicon.parts_of_speech("attests") == ["v"] and lexicon.parts_of_speech("tells")[0] == "v"
    assert lexicon.parts_of_speech("universities") == ["n"]
    which_label = analyse_question("Which label attests to the quality of the welcome?", (), None, lexicon)
    assert which_label.kind == "fact"
    which_universities = analyse_question("Which partner universities offer summer schools?", (), None,
                                          lexicon)
    assert which_universities.kind == "list" and which_universities.list_noun == "universities"
    assert analyse_question("What happens if I call it twice?", (), None, lexicon).kind == "fact"  # a verb
    assert analyse_question("What states can a socket report?", (), None, lexicon).kind == "list"  # noun or verb


def test_adjectives_of_measure_come_from_wordnet_attributes_in_both_languages():
    lexicon = load_lexicon()
    assert lexicon.measure_scale("largest", "en") == "large"  # "large" has the attribute "size"
    assert lexicon.measure_scale("fewest", "en") == "few"
    assert lexicon.measure_scale("courte", "fr") == "short"  # through its English translations
    assert lexicon.measure_scale("best", "en") is None  # quality is not a measure
    assert lexicon.measure_scale("honest", "en") is None


@pytest.mark.parametrize(("question", "bound", "asking"), [
    ("What's the shortest password I can choose?", "lower", "shortest"),  # the low end of a scale
    ("What's the largest spreadsheet I can upload?", "upper", "largest"),
    ("What's the most results one page can hold?", "upper", "most"),
    ("Quelle est la plus petite taille de police ?", "lower", "petite"),
])
def test_a_superlative_of_measure_asks_for_a_bound(question, bound, asking):
    analysis = analyse_question(question, (), None, load_lexicon())
    assert (analysis.bound, analysis.answer_type) == (bound, "quantity")
    assert asking not in {concept.text.lower() for concept in analysis.concepts}  # the type asked, not a topic


def test_an_extreme_asked_in_the_plural_is_one_thing_not_a_list():
    analysis = analyse_question("What are the maximum dimensions of a cabin bag?", (), None, load_lexicon())
    assert (analysis.kind, analysis.bound) == ("fact", "upper")
    assert analyse_question("Which plans have the largest storage?", (), None, load_lexicon()).kind == "list"


def test_a_superlative_of_quality_asks_for_no_bound():
    assert analyse_question("Which library is the best choice?", (), None, load_lexicon()).bound is None
    assert analyse_question("Which framework is the most popular?", (), None, load_lexicon()).bound is None


def test_translations_both_ways_and_from_inflected_forms():
    lexicon = load_lexicon()
    assert "compulsory" in lexicon.translations("obligatoire", "fr")
    assert "compulsory" in lexicon.translations("obligatoires", "fr")  # by stem
    assert "bibliothèque" in lexicon.translations("library", "en")
    assert "Germany" in lexicon.translations("Allemagne", "fr")  # CLDR territory names


def _page(folder: Path, name: str, title: str, text: str) -> None:
    (folder / name).write_text(f"<html lang='en'><head><title>{title}</title></head><body><main><h1>{title}</h1>"
                               f"<p>{text}</p></main></body></html>", encoding="utf-8")


def test_a_paraphrase_reaches_its_passage(corpus, store):
    _page(corpus, "cars.html", "Visitors", "A car may stay in the visitors' lot for two hours.")
    _page(corpus, "bikes.html", "Visitors", "A bicycle may stay in the visitors' lot for three hours.")
    run_index(corpus, store)
    answer = ask(store, "How long may an automobile stay in the visitors' lot?")  # "car" is never typed
    assert answer.kind == "fact" and "two hours" in answer.answer
    assert answer.citations[0].source == "cars.html"


def test_a_french_question_finds_an_english_page(corpus, store):
    _page(corpus, "library.html", "Library", "The library is closed on Sunday afternoons during the summer.")
    _page(corpus, "gym.html", "Gym", "The gym opens every morning during the summer.")
    run_index(corpus, store)
    answer = ask(store, "La bibliothèque est-elle ouverte le dimanche ?")
    assert answer.kind == "fact" and answer.citations[0].source == "library.html"
    assert "Sunday" in answer.answer


def test_a_name_the_index_never_has_is_searched_through_what_the_lexicon_relates_it_to(corpus, store):
    _page(corpus, "fr.html", "Doubles diplômes", "En Allemagne, l'école propose un double diplôme avec la "
                                                  "Technische Universität Berlin.")
    run_index(corpus, store)
    answer = ask(store, "Which German university offers a double degree?")  # "German" is nowhere in the pages
    assert answer.kind != "none" and "Technische Universität Berlin" in answer.answer


@pytest.mark.parametrize(("question", "value"), [
    ("What's the shortest password I can choose?", "12 characters"),  # a lower bound ("at least")
    ("What's the longest password I can choose?", "128 characters"),  # an upper bound ("up to")
])
def test_a_superlative_finds_the_sentence_stating_that_bound(corpus, store, question, value):
    _page(corpus, "passwords.html", "Passwords",
          "Passwords can be up to 128 characters, and spaces are allowed. You can't reuse any of your last 5 "
          "passwords. Your password must be at least 12 characters long.")
    run_index(corpus, store)
    answer = ask(store, question)
    assert answer.kind == "fact" and value in answer.answer
