"""What every route shares: parameter checks, the per-request store, and the functions that build results.

Each builder returns a core object (SearchResult, Answer, ...); the API renders it as JSON and the pages
render the very same object through a template.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request
from werkzeug.exceptions import HTTPException

from kb.models import Answer, Document, Hit, IndexSummary, SearchResult
from kb.store import IndexLocked, IndexMissing, IndexStore
from webapp.errors import ApiError

MAX_QUERY_CHARS = 1000
MAX_PAGE = 1000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
MAX_FILTER_CHARS = 200
#: Language filters are codes such as "en" or "fr"; anything else is refused with a reason.
LANG_CODE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?", re.ASCII | re.IGNORECASE)
MAX_DOC_ID_CHARS = 128

QUESTION_WORDS = frozenset({
    "which", "what", "how", "who", "whom", "whose", "when", "where", "why", "is", "are", "can", "could",
    "does", "do", "did", "should", "will", "would",
    "quel", "quelle", "quels", "quelles", "comment", "combien", "qui", "où", "pourquoi", "quand", "est-ce",
    "lequel", "laquelle", "lesquels", "lesquelles", "peut-on", "faut-il",
})
_FIRST_WORD = re.compile(r"[\w'’-]+")


def looks_like_question(text: str) -> bool:
    """True when `text` reads as a question (ends with '?' or opens with a question word, EN or FR)."""
    text = text.strip()
    if not text:
        return False
    if text.endswith(("?", "？", "¿")):
        return True
    first = _FIRST_WORD.match(text.casefold())
    if first is None:
        return False
    word = first.group(0).replace("’", "'")
    # "qu'est-ce", "est-ce que", "what's": the question word is the part before the apostrophe.
    head = word.split("'")[0]
    return (word in QUESTION_WORDS or head in {"qu", "what", "who", "where", "how"}
            or word.startswith("est-ce"))


# -- parameters ------------------------------------------------------------------------------------


def _clean_text(value: str, name: str) -> str:
    """Text a client sent, checked to be encodable and stripped of control characters."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, f"{name} is not valid text (it holds lone surrogate characters)") from None
    return "".join(ch if unicodedata.category(ch) != "Cc" or ch in "\t\n" else " " for ch in value).strip()


def query_text(value: Any, name: str = "q") -> str:
    """The user's query or question, or ApiError(400) when missing, blank or longer than 1,000 characters."""
    if value is None:
        raise ApiError(400, f"missing parameter {name}: give the text to search for")
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string")
    if len(value) > MAX_QUERY_CHARS:
        raise ApiError(400, f"{name} is too long: {len(value)} characters, at most {MAX_QUERY_CHARS}")
    text = _clean_text(value, name)
    if not text:
        raise ApiError(400, f"{name} is empty: give the text to search for")
    return text


def int_param(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high], its default when absent, else ApiError(400)."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    if not re.fullmatch(r"[+-]?\d{1,9}", raw):
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}, not {raw[:40]!r}")
    value = int(raw)
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be from {low} to {high}, not {value}")
    return value


def filter_param(args: Mapping[str, str], name: str) -> str | None:
    """An optional school or lang filter: an unknown school matches nothing, a malformed lang is a 400."""
    raw = args.get(name)
    if raw is None:
        return None
    if len(raw) > MAX_FILTER_CHARS:
        raise ApiError(400, f"{name} is too long: at most {MAX_FILTER_CHARS} characters")
    value = _clean_text(raw, name)
    if not value:
        return None
    if name == "lang":
        # Checked before lowercasing: str.lower() maps a few non-ASCII letters (the Kelvin sign) to ASCII.
        if not LANG_CODE.fullmatch(value):
            raise ApiError(400, f"lang must be a language code such as en or fr, not {value[:40]!r}")
        value = value.lower()
    return value


def json_body() -> Any:
    """The request's JSON body (None when it is not JSON); ApiError(400) when the body cannot be read.

    A malformed chunked body or a client that hangs up mid-body fails inside the WSGI server's reader
    (gunicorn raises its own exception types): that is the client's error, not the server's.
    """
    try:
        data = request.get_data(cache=True)
    except HTTPException:
        raise  # 413 for a body over MAX_CONTENT_LENGTH, 400 for a client that disconnected
    except Exception as error:  # noqa: BLE001 - whatever the server's reader raises means "unreadable body"
        raise ApiError(400, f"the request body could not be read ({type(error).__name__})") from None
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is None and limit is not None and len(data) >= limit:
        # A chunked body is cut at the limit by werkzeug, not refused: refuse it here, as for Content-Length.
        raise ApiError(413, "request body too large")
    try:
        return request.get_json(force=True, silent=True)
    except RecursionError:  # silent= covers ValueError only; [[[[...]]]] exhausts the JSON decoder's stack
        raise ApiError(400, "the body is not a usable JSON object: it is nested too deeply") from None


@dataclass(frozen=True)
class SearchParams:
    """A checked search request."""

    q: str
    school: str | None = None
    lang: str | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


def search_params(args: Mapping[str, str]) -> SearchParams:
    """Parse q, school, lang, page and per_page from query-string arguments."""
    return SearchParams(
        q=query_text(args.get("q")),
        school=filter_param(args, "school"),
        lang=filter_param(args, "lang"),
        page=int_param(args, "page", 1, 1, MAX_PAGE),
        per_page=int_param(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
    )


# -- the index, one store per request --------------------------------------------------------------


class StorePool:
    """Open IndexStores on one folder, reused across requests; one store serves one request at a time."""

    def __init__(self, index_dir: str) -> None:
        self.index_dir = index_dir
        self._idle: list[IndexStore] = []
        self._lock = threading.Lock()

    def acquire(self) -> IndexStore:
        """A store whose searcher sees the latest committed index."""
        with self._lock:
            store = self._idle.pop() if self._idle else IndexStore(self.index_dir)
        # A reindex by the CLI, the API or the watcher shows up here, without a restart.
        store.refresh()
        return store

    def release(self, store: IndexStore) -> None:
        """Give a store back for later requests."""
        with self._lock:
            self._idle.append(store)

    def warm_up(self) -> None:
        """Open one store and load what answering needs, so the first request does not wait for it."""
        from kb.answer import warm_up

        store = self.acquire()
        try:
            warm_up(store)
        finally:
            self.release(store)

    def close(self) -> None:
        """Close every idle store."""
        with self._lock:
            stores, self._idle = self._idle, []
        for store in stores:
            store.close()


def get_store() -> IndexStore:
    """This request's store (opened once per request and cached on g)."""
    if "store" not in g:
        g.store = current_app.extensions["kb.stores"].acquire()
    return g.store


def release_store(_exc: BaseException | None = None) -> None:
    """Return the request's store to the pool (teardown)."""
    store = g.pop("store", None)
    if store is not None:
        current_app.extensions["kb.stores"].release(store)


def _with_index(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except IndexMissing:
        raise ApiError(503, "the index has not been built yet: run `kb index` or POST /api/reindex") from None


# -- builders --------------------------------------------------------------------------------------


def build_search(params: SearchParams) -> SearchResult:
    """Ranked, highlighted passages for a checked search request."""
    from kb.search import search

    return _with_index(search, get_store(), params.q, school=params.school, lang=params.lang,
                       page=params.page, per_page=params.per_page)


def build_answer(question: str) -> Answer:
    """The cited answer to a checked question."""
    from kb.answer import ask

    return _with_index(ask, get_store(), question)


def build_document(doc_id: str) -> tuple[Document, list[Hit]]:
    """A document and its passages in order, or ApiError(404)."""
    found = None
    if 0 < len(doc_id) <= MAX_DOC_ID_CHARS:
        found = _with_index(get_store().document, doc_id)
    if found is None:
        raise ApiError(404, f"no document with id {doc_id[:MAX_DOC_ID_CHARS]!r} in the index")
    return found


def document_dict(document: Document, passages: list[Hit]) -> dict[str, Any]:
    """The /api/documents/<doc_id> body."""
    return {
        "doc_id": document.doc_id,
        "source": document.source,
        "title": document.title,
        "school": document.school,
        "lang": document.lang,
        "url": document.url,
        "indexed_at": document.indexed_at,
        "passage_count": len(passages),
        "passages": [
            {"passage_id": p.passage_id, "position": p.position, "heading": p.heading, "lang": p.lang,
             "text": p.text, "url": p.url}
            for p in passages
        ],
    }


def build_health() -> dict[str, Any]:
    """The /healthz body."""
    documents, passages = _with_index(get_store().stats)
    return {"status": "ok", "documents": documents, "passages": passages}


#: Seconds a web reindex waits for the index's write lock before answering 409.
REINDEX_LOCK_TIMEOUT = 0.5


def run_reindex() -> IndexSummary:
    """Run `kb index` in-process on the configured corpus; ApiError(409) while another run holds the lock."""
    from indexer.pipeline import run_index

    config = current_app.config
    store = IndexStore(config["INDEX_DIR"])
    try:
        return run_index(config["CORPUS_DIR"], store, workers=config.get("REINDEX_WORKERS", 1),
                         lock_timeout=config.get("REINDEX_LOCK_TIMEOUT", REINDEX_LOCK_TIMEOUT))
    except IndexLocked:
        raise ApiError(409, "a reindex is already running (from the CLI, the API or the watcher); "
                            "try again when it has finished") from None
    except FileNotFoundError as error:
        raise ApiError(500, f"cannot reindex: {error}") from None
    except ValueError as error:
        raise ApiError(500, f"cannot reindex: {error}") from None
    finally:
        store.close()
