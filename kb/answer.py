"""Answer a question with cited passages: the one function behind `kb ask`, /ask and /api/ask."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from kb.analysis import field_lang
from kb.compose import compose
from kb.composition import Composition
from kb.confidence import AnswerModel, load_model
from kb.glossary import Glossary, load_glossary
from kb.highlight import highlight, mark_spans
from kb.language import detect_language
from kb.lexicon import load_lexicon
from kb.matching import WeightedConcept, highlight_terms
from kb.models import Answer, Hit
from kb.question import QuestionAnalysis, analyse_question
from kb.retrieve import Candidates, known_entities, retrieve, unknown_names, weigh_concepts
from kb.store import IndexStore

#: Longer questions are cut: nobody types more, and the work per question stays bounded.
MAX_QUESTION_CHARS = 1000


@dataclass
class Candidate:
    """The best answer the passages allow, before kb decides whether to give it."""

    question: str
    analysis: QuestionAnalysis
    concepts: list[WeightedConcept]
    candidates: Candidates
    composition: Composition
    signals: dict[str, float]


def candidate_answer(store: IndexStore, question: str, glossary: Glossary | None = None,
                     model: AnswerModel | None = None) -> Candidate:
    """Analyse, retrieve and compose: the best-supported answer with the signals of its support."""
    glossary = glossary if glossary is not None else load_glossary()
    model = model or load_model()
    lexicon = load_lexicon()
    analysis = analyse_question(question[:MAX_QUESTION_CHARS], known_entities(store), glossary, lexicon)
    concepts = weigh_concepts(store, analysis, glossary, lexicon)
    candidates = retrieve(store, analysis, concepts, model.passages)
    if unknown_names(concepts):
        # The question names something the knowledge base never mentions: it cannot hold the answer.
        composition = Composition("none", None, [], candidates.hits[:3])
    else:
        composition = compose(analysis, concepts, candidates.hits, candidates.relevance, model.sentences)
    total_idf = sum(weighted.idf for weighted in concepts) or 1.0
    unknown = sum(weighted.idf for weighted in concepts if weighted.document_frequency == 0) / total_idf
    return Candidate(question, analysis, concepts, candidates, composition,
                     {**composition.signals, "unknown": unknown})


def decide(found: Candidate, model: AnswerModel) -> Answer:
    """The answer to give: the candidate when answering is expected to score better than 'not found',
    else 'none' (with the closest passages), each with its calibrated confidence."""
    composition = found.composition
    if composition.kind == "none":
        confidence = model.none_without_candidate
    else:
        answering, confidence = model.judge(found.signals)
        if not answering:
            composition = Composition("none", None, [], found.candidates.hits[:3])
    citations = [replace(hit, evidence=composition.evidence.get(hit.passage_id, [])) for hit in composition.citations]
    _highlight(citations, highlight_terms(found.concepts), found.candidates.matched_terms)
    return Answer(
        question=found.question,
        kind=composition.kind,
        answer=composition.answer,
        items=composition.items,
        citations=citations,
        lang=found.analysis.lang,
        confidence=confidence,
    )


def ask(store: IndexStore, question: str, glossary: Glossary | None = None,
        model: AnswerModel | None = None) -> Answer:
    """An extractive answer to `question` from the index: a list, a fact, or an honest 'none'."""
    started = time.perf_counter()
    model = model or load_model()
    answer = decide(candidate_answer(store, question, glossary, model), model)
    answer.took_ms = (time.perf_counter() - started) * 1000
    return answer


def warm_up(store: IndexStore) -> None:
    """Load what the first question would otherwise pay for: the language model, the glossary, the lexicon and the
    index's entity names (read from every title, which takes a moment on a large index)."""
    detect_language("warm up")
    load_glossary()
    load_lexicon()
    if store.exists():
        store.stats()
        known_entities(store)


def _highlight(hits: list[Hit], concept_terms: dict[str, set[str]], matched_terms: dict[str, set[str]]) -> None:
    """Mark, in each cited passage, the sentences the answer quotes; in a passage cited only as
    context, the question's words and their expansions."""
    for hit in hits:
        if hit.evidence:
            hit.highlight = mark_spans(hit.text, hit.evidence)
            continue
        lang = field_lang(hit.lang)
        hit.highlight = highlight(hit.text, concept_terms.get(lang, set()) | matched_terms.get(lang, set()), hit.lang)
