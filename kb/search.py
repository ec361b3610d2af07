"""Full-text search over passages: the one function behind `kb search`, /search and /api/search."""

from __future__ import annotations

import time

from kb.analysis import field_lang, is_stop_word
from kb.glossary import Glossary, load_glossary
from kb.highlight import highlight
from kb.models import SearchResult
from kb.query import build_query, parse_user_text
from kb.store import IndexStore

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
#: Below this many results (or when some words match nothing) a spelling suggestion is offered.
SUGGEST_BELOW = 3
#: The any-word fallback looks for at most this many concepts, the rarest: a union of dozens of common
#: words matches most of a large index and takes seconds to score and count (a cheap way to stall a worker).
FALLBACK_CONCEPTS = 6


def search(
    store: IndexStore,
    text: str,
    *,
    school: str | None = None,
    lang: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    glossary: Glossary | None = None,
) -> SearchResult:
    """Ranked, highlighted passages for `text` (all its words, else any), one page, with facets and a suggestion."""
    started = time.perf_counter()
    glossary = glossary if glossary is not None else load_glossary()
    user = parse_user_text(text)
    request = build_query(user.words, glossary, user.phrases)
    request.school, request.lang = school or None, lang or None
    request.limit, request.offset, request.facets = per_page, (page - 1) * per_page, True
    # Every concept first (precise, and cheap on a large index); any concept when that finds nothing.
    for group in request.groups:
        # A word that is a stop word in one of the stemmed languages ("de", "on") is absent from that
        # language's fields: requiring it would exclude every page in that language.
        group.required = not is_stop_word(group.alternatives[0].text)
    request.phrases_required = True  # a quoted phrase is what the user insists on
    found = store.search(request)
    some_words_unmatched = found.total == 0 and len(request.groups) > 1
    if some_words_unmatched:
        for group in request.groups:
            group.required = False
        if len(request.groups) > FALLBACK_CONCEPTS:
            rarity = {id(group): store.document_frequency(group.alternatives[0].text) for group in request.groups}
            rarest = sorted(request.groups, key=lambda group: rarity[id(group)])[:FALLBACK_CONCEPTS]
            request.groups = [group for group in request.groups if group in rarest]  # in the user's order
        found = store.search(request)
    for hit in found.hits:
        hit.highlight = highlight(hit.text, found.matched_terms.get(field_lang(hit.lang), set()), hit.lang)
    wants_suggestion = found.total < SUGGEST_BELOW or some_words_unmatched
    suggestion = _suggestion(store, user.words) if wants_suggestion else None
    return SearchResult(
        query=text,
        total=found.total,
        page=page,
        per_page=per_page,
        results=found.hits,
        took_ms=(time.perf_counter() - started) * 1000,
        school=school or None,
        lang=lang or None,
        facets=found.facets,
        suggestion=suggestion,
        total_exact=found.total_exact,
    )


def _suggestion(store: IndexStore, words: list[str]) -> str | None:
    """The query with each unknown word replaced by its likeliest spelling, if any word changed."""
    # Stop words are not in the spelling vocabulary: they would be "corrected" into other words.
    corrected = [word if is_stop_word(word) else store.suggest(word) or word for word in words]
    return " ".join(corrected) if corrected != words else None
