"""Candidate passages for an analysed question: weighted concepts, bounded store queries, entity filters."""

from __future__ import annotations

import itertools
import math
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.analysis import analyse, field_lang
from kb.confidence import Logistic, load_model
from kb.enumeration import enumerated_values
from kb.glossary import Glossary
from kb.lexicon import Lexicon
from kb.matching import ConceptPattern, WeightedConcept, analysed, found_in, looks_like_code, patterns_for
from kb.models import Hit
from kb.question import Concept, KnownEntity, QuestionAnalysis, entity_catalogue
from kb.store import IndexStore, StoreQuery, TermAlternative, TermGroup

#: Passages the store is asked for on a fact question, re-ranked here; the first FACT_CANDIDATES are read.
FACT_POOL = 40
FACT_CANDIDATES = 12
#: The best pages whose every passage is read too (up to MAX_PAGE_PASSAGES each).
BEST_PAGES = 2
MAX_PAGE_PASSAGES = 60
#: Passages read for a list question, then at most PER_ORGANISATION kept for each organisation.
LIST_CANDIDATES = 150
PER_ORGANISATION = 3
#: A synonym or translation counts for less than the word the user typed.
EXPANSION_WEIGHT = 0.6
MAX_EXPANSIONS = 12
# An unrestricted query searches at most this many expansions per concept, none held by more than
# this share of the passages (or COMMON_EXPANSION_FLOOR passages, in a small index).
THRIFTY_EXPANSIONS = 1
COMMON_EXPANSION_SHARE = 0.005
COMMON_EXPANSION_FLOOR = 50
# In a large index, question words found in more than this share of the passages are not retrieved on.
COMMON_CONCEPT_SHARE = 0.02
COMMON_CONCEPT_MIN_PASSAGES = 10_000
#: Concepts a store query looks for at most (names and the rarest others): a union of hundreds of
#: words takes seconds to score (a 200-number question took 3.7 s on 17,000 pages). Measured with
#: bench/calibrate.py on the development questions: 10 -> 0.582, 8 -> 0.588, 6 -> 0.568 (and the MDN
#: search 129 -> 118 ms per question at 8).
MAX_SEARCHED_CONCEPTS = 8
#: When every word of a question is common in a large index, any of them matches most of it (0.5 s
#: to rank "css property element" on 17,000 pages, 2.7 s for 80 such words): the passages holding
#: all of this many of the rarest are searched first, and any of them only if none holds them all.
MAX_COMMON_CONCEPTS = 3
# Weight bounds: a word found everywhere still counts a little; light verbs count little.
MIN_WEIGHT = 0.35
#: Weight is idf relative to that of a word held by one passage, scaled so that any word held by
#: fewer than a few passages in a hundred already counts fully.
RARITY_SCALE = 1.6
LIGHT_WEIGHT = 0.2

_catalogues: weakref.WeakKeyDictionary[object, list[KnownEntity]] = weakref.WeakKeyDictionary()


def known_entities(store: IndexStore) -> list[KnownEntity]:
    """The index's organisations and their name variants, computed once per open index generation."""
    searcher = store.searcher()
    catalogue = _catalogues.get(searcher)
    if catalogue is None:
        catalogue = entity_catalogue(store.schools(), store.titles())
        _catalogues[searcher] = catalogue
    return catalogue


def passage_count(store: IndexStore) -> int:
    """Number of passages in the index (at least 1)."""
    return max(store.stats()[1], 1)


@dataclass
class Candidates:
    """Retrieved passages and the analysed terms each language's field matched (for highlighting)."""

    hits: list[Hit]
    matched_terms: dict[str, set[str]]
    relevance: dict[str, float] | None = None  # passage id -> judged relevance, when judged
    judged: list[Hit] = field(default_factory=list)  # every passage judged, the best first


def weigh_concepts(store: IndexStore, question: QuestionAnalysis, glossary: Glossary | None,
                   lexicon: Lexicon | None = None) -> list[WeightedConcept]:
    """Each concept weighted by rarity in the index (BM25 idf, bounded) and by its role in the question,
    with its expansions: the glossary's equivalents, then the lexicon's synonyms and translations."""
    passages = passage_count(store)
    top_idf = math.log(1 + passages / 0.5)
    concepts = list(question.concepts)
    if not concepts and question.entities:
        concepts = [Concept([name], "name") for name in question.entities]
    weighted = []
    for concept in concepts:
        expansions: list[str] = []
        # A name is searched as typed, unless the index never has it: then what the lexicon relates it
        # to ("German" -> Germany, Allemagne) stands for it.
        unseen_name = concept.role == "name" and not any(store.document_frequency(term) for term in concept.terms)
        if concept.role in ("content", "light", "place") or unseen_name:
            for term in concept.terms:
                expansions.extend(glossary.equivalents(term) if glossary is not None else [])
                expansions.extend(lexicon.related(term, question.lang) if lexicon is not None else [])
        expansions = [term for term in dict.fromkeys(expansions) if term not in concept.terms][:MAX_EXPANSIONS]
        if not any(analyse(term, lang) for term in concept.terms + expansions for lang in ("en", "fr")):
            continue  # only stop words ("have to" outside the glossary): nothing to look for
        # How rare the concept is, as typed; as its commonest expansion only when the index never has
        # the words typed (a French word asked of English pages): synonyms' frequencies are not the word's.
        frequency = (max(store.document_frequency(term) for term in concept.terms)
                     or max((store.document_frequency(term) for term in expansions), default=0))
        idf = math.log(1 + (passages - frequency + 0.5) / (frequency + 0.5))
        weight = min(1.0, max(MIN_WEIGHT, idf / top_idf * RARITY_SCALE))
        # A name pins the subject ("at Northbridge", "with HSTS"): a sentence must have it at hand. Not
        # one that a large index holds in every other passage ("API", "JavaScript" on MDN).
        common = passages >= COMMON_CONCEPT_MIN_PASSAGES and frequency > COMMON_CONCEPT_SHARE * passages
        key = (concept.role == "name" and not common) or (concept.role == "place" and question.kind == "list")
        if concept.role == "light":
            weight = LIGHT_WEIGHT
        weighted.append(WeightedConcept(concept, weight, expansions, key, frequency, idf))
    return weighted


def unknown_names(concepts: Sequence[WeightedConcept]) -> list[str]:
    """Names and places in the question that the index never mentions: it cannot know about them."""
    return [weighted.concept.text for weighted in concepts
            if weighted.concept.role in ("name", "place") and weighted.document_frequency == 0]


def build_store_query(concepts: Sequence[WeightedConcept], store: IndexStore | None = None,
                      lang: str | None = None) -> StoreQuery:
    """One group per concept (its words and expansions), plus phrases for words typed side by side.

    With a store, an unrestricted query keeps only the few rarest expansions of each concept: every
    alternative is searched in every language's fields, and common ones cost much and rank little.
    """
    groups = []
    all_common = False
    context_only: set[int] = set()  # ids of the concepts searched in titles and headings only
    searched = [w for w in concepts if w.weight > 0 and w.concept.role != "light"]
    if store is not None:
        # A word in a large share of the passages ranks little and costs much: every passage holding
        # it is scored. Leave it to sentence scoring, as long as a more telling word remains.
        ceiling = COMMON_CONCEPT_SHARE * passage_count(store)
        telling = [w for w in searched if w.document_frequency <= ceiling]
        if passage_count(store) >= COMMON_CONCEPT_MIN_PASSAGES:
            if telling and len(telling) < len(searched):
                # The rarest common words stay too, up to a few concepts, but matched in titles and
                # headings only: a lone telling word ("inside" of "a <button> inside a form") would
                # otherwise decide alone which pages are read, and a common word's every passage is
                # costly to walk (0.4 s for "values", "CSS", "property" on 17,000 pages).
                room = max(0, MAX_COMMON_CONCEPTS - len(telling))
                common = {id(w) for w in _rarest([w for w in searched if w.document_frequency > ceiling], room)}
                searched = [w for w in searched if id(w) in common or w.document_frequency <= ceiling]
                context_only = common
            elif not telling:
                searched, all_common = _rarest(searched, MAX_COMMON_CONCEPTS), True
    searched = _rarest(searched, MAX_SEARCHED_CONCEPTS)
    for weighted in searched:
        # A plain word is searched in the fields of the question's language; the other language is
        # reached through its translations. Names and numbers read the same in both, and so may a
        # word the lexicon relates to nothing ("ski", "wifi"): it is searched in both.
        own = lang if weighted.concept.role in ("content", "light") and weighted.expansions else None
        alternatives = [TermAlternative(term, weighted.weight, own) for term in weighted.concept.terms]
        expansions = weighted.expansions if store is None else _thrifty(weighted.expansions, store)
        alternatives += [TermAlternative(term, weighted.weight * EXPANSION_WEIGHT) for term in expansions]
        groups.append(TermGroup(alternatives, required=all_common, context_only=id(weighted) in context_only))
    phrases = []
    ordered = [weighted.concept for weighted in searched]
    for first, second in itertools.pairwise(ordered):
        if second.start - first.end == 1 and len(first.terms) == len(second.terms) == 1:
            phrases.append(f"{first.text} {second.text}")
    return StoreQuery(groups=groups, phrases=phrases[:4], count=False)


def _rarest(concepts: list[WeightedConcept], count: int) -> list[WeightedConcept]:
    """At most `count` concepts, names first, then the rarest, in the question's order."""
    if len(concepts) <= count:
        return concepts
    if count <= 0:
        return []
    kept = {id(w) for w in sorted(concepts, key=lambda w: (not w.key, w.document_frequency))[:count]}
    return [w for w in concepts if id(w) in kept]


def _thrifty(expansions: list[str], store: IndexStore) -> list[str]:
    """The rarest few expansions that are not too common to be worth searching for; in a large index
    one-word ones only (a phrase is matched position by position in every field, which costs; sentence
    scoring still finds "take away")."""
    ceiling = max(COMMON_EXPANSION_FLOOR, COMMON_EXPANSION_SHARE * passage_count(store))
    large = passage_count(store) >= COMMON_CONCEPT_MIN_PASSAGES
    single = [term for term in expansions if not large or (len(term.split()) == 1 and "-" not in term)]
    frequencies = {term: store.document_frequency(term) for term in single}
    kept = sorted((term for term in single if 0 < frequencies[term] <= ceiling), key=frequencies.__getitem__)
    return kept[:THRIFTY_EXPANSIONS]


def retrieve(store: IndexStore, question: QuestionAnalysis, concepts: Sequence[WeightedConcept],
             ranker: Logistic | None = None) -> Candidates:
    """The passages to read: restricted to the organisations the question names; bounded in number;
    judged by the passage ranker (kb.confidence), the best first."""
    ranker = ranker or load_model().passages
    organisations = question.kind == "list" and question.list_of_organisations
    restricted = organisations or bool(question.entities)
    request = build_store_query(concepts, None if restricted else store, question.lang)
    if request.is_empty():
        return Candidates([], {})
    if organisations:
        # Only pages of an organisation can make a list item.
        request.schools = [entity.name for entity in known_entities(store)]
        request.limit = LIST_CANDIDATES
        found = store.search(request)
        return Candidates(_best_per_organisation(found.hits), found.matched_terms)
    if question.entities:
        request.schools = question.entities
    request.limit = FACT_POOL
    found = store.search(request)
    if not found.hits and any(group.required for group in request.groups):
        for group in request.groups:
            group.required = False
        found = store.search(request)
    hits = found.hits
    relevance = judge_relevance(hits, concepts, ranker, lang=question.lang)
    if question.kind == "list":
        # A list of values may stand in any passage of the best pages (a header's "Directives").
        extra = _other_passages_of_best_pages(store, hits, relevance)
        top = max((hit.score for hit in hits), default=0.0)
        relevance.update(judge_relevance(extra, concepts, ranker, top, question.lang))
        hits = hits + extra
    ranked = sorted(hits, key=lambda hit: -relevance[hit.passage_id])
    read = ranked[:FACT_CANDIDATES]
    if question.kind == "list":
        # A list of values may stand in any passage of the best pages: those that enumerate some are read too.
        read += [hit for hit in ranked[FACT_CANDIDATES:] if enumerated_values(hit.text)]
    return Candidates(read, found.matched_terms, relevance, ranked)


def _other_passages_of_best_pages(store: IndexStore, hits: list[Hit], relevance: dict[str, float]) -> list[Hit]:
    """The passages of the best pages that the store did not return: once the page is found, its
    answer may sit in a passage whose own words the question does not share."""
    pages = list(dict.fromkeys(hit.doc_id for hit in sorted(hits, key=lambda hit: -relevance[hit.passage_id])))
    seen = {hit.passage_id for hit in hits}
    extra = []
    for doc_id in pages[:BEST_PAGES]:
        found = store.document(doc_id)
        if found is not None:
            extra += [passage for passage in found[1][:MAX_PAGE_PASSAGES] if passage.passage_id not in seen]
    return extra


def judge_relevance(hits: Sequence[Hit], concepts: Sequence[WeightedConcept], ranker: Logistic,
                    top: float | None = None, lang: str | None = None) -> dict[str, float]:
    """Each passage's probability of holding the answer, by the passage ranker (`lang`: the question's)."""
    return {passage_id: ranker.probability(features)
            for passage_id, features in passage_features(hits, concepts, top, lang).items()}


def passage_features(hits: Sequence[Hit], concepts: Sequence[WeightedConcept], top: float | None = None,
                     lang: str | None = None) -> dict[str, dict[str, float]]:
    """What the passage ranker reads of each passage (kb.confidence.PASSAGE_FEATURES); BM25 counts
    relative to `top` (by default the best of `hits`), a passage in a language other than the
    question's (`lang`) is foreign."""
    patterns = patterns_for(concepts)
    total_idf = sum(pattern.idf for pattern in patterns) or 1.0
    top = (top if top is not None else max((hit.score for hit in hits), default=0.0)) or 1.0
    features = {}
    for hit in hits:
        in_title = found_in(patterns, hit.title, hit.lang)
        anywhere = found_in(patterns, hit.text, hit.lang) | in_title | found_in(patterns, hit.heading, hit.lang)
        lines = [line for line in hit.text.splitlines() if line.strip()]
        features[hit.passage_id] = {
            "bm25": hit.score / top,
            "coverage": sum(patterns[index].idf for index in anywhere) / total_idf,
            "title": title_match(hit, patterns, in_title, total_idf),
            "code": sum(looks_like_code(line) for line in lines) / max(1, len(lines)),
            "foreign": 1.0 if lang is not None and hit.lang != lang else 0.0,
        }
    return features


def title_match(hit: Hit, patterns: Sequence[ConceptPattern], in_title: set[int], total_idf: float) -> float:
    """How squarely the page's title names what the question asks: the share of the question's rarity
    its title holds, times the share of the title's words the question holds ("back()" matched by the
    "back" of "give back" holds little of a question about splice())."""
    if not in_title:
        return 0.0
    title_terms = {term for term, _, _ in analysed(hit.title, hit.lang)}
    if not title_terms:
        return 0.0
    asked = {term for index in in_title for sequence in patterns[index].all_sequences(field_lang(hit.lang))
             for term in sequence}
    share_of_title = len(title_terms & asked) / len(title_terms)
    return share_of_title * sum(patterns[index].idf for index in in_title) / total_idf


def _best_per_organisation(hits: list[Hit]) -> list[Hit]:
    """At most PER_ORGANISATION passages of each organisation (pages without one cannot be list items)."""
    kept: list[Hit] = []
    counts: dict[str, int] = defaultdict(int)
    for hit in hits:
        if hit.school is None or counts[hit.school] >= PER_ORGANISATION:
            continue
        counts[hit.school] += 1
        kept.append(hit)
    return kept
