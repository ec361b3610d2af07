"""Answer a question with cited passages: the one function behind `kb ask`, /ask and /api/ask."""

from __future__ import annotations

import time

from kb.analysis import field_lang
from kb.compose import Composition, compose, highlight_terms
from kb.glossary import Glossary, load_glossary
from kb.highlight import highlight
from kb.language import detect_language
from kb.models import Answer, Hit
from kb.question import analyse_question
from kb.retrieve import known_entities, retrieve, unknown_names, weigh_concepts
from kb.store import IndexStore

#: Longer questions are cut: nobody types more, and the work per question stays bounded.
MAX_QUESTION_CHARS = 1000


def ask(store: IndexStore, question: str, glossary: Glossary | None = None) -> Answer:
    """An extractive answer to `question` from the index: a list, a fact, or an honest 'none'."""
    started = time.perf_counter()
    glossary = glossary if glossary is not None else load_glossary()
    analysis = analyse_question(question[:MAX_QUESTION_CHARS], known_entities(store), glossary)
    concepts = weigh_concepts(store, analysis, glossary)
    candidates = retrieve(store, analysis, concepts)
    if unknown_names(concepts):
        # The question names something the knowledge base never mentions: it cannot hold the answer.
        composition = Composition("none", None, [], candidates.hits[:3])
    else:
        composition = compose(analysis, concepts, candidates.hits)
    _highlight(composition.citations, highlight_terms(concepts), candidates.matched_terms)
    return Answer(
        question=question,
        kind=composition.kind,
        answer=composition.answer,
        items=composition.items,
        citations=composition.citations,
        took_ms=(time.perf_counter() - started) * 1000,
        lang=analysis.lang,
    )


def warm_up(store: IndexStore) -> None:
    """Load what the first question would otherwise pay for: the language model, the glossary, and the
    index's entity names (read from every title, which takes a moment on a large index)."""
    detect_language("warm up")
    load_glossary()
    if store.exists():
        store.stats()
        known_entities(store)


def _highlight(hits: list[Hit], concept_terms: dict[str, set[str]], matched_terms: dict[str, set[str]]) -> None:
    """Mark the question's words and their expansions in each cited passage."""
    for hit in hits:
        lang = field_lang(hit.lang)
        hit.highlight = highlight(hit.text, concept_terms.get(lang, set()) | matched_terms.get(lang, set()), hit.lang)
