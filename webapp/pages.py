"""The HTML pages: the search box, results, cited answers and the document view."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from kb.models import Answer
from kb.store import IndexMissing
from webapp import views

bp = Blueprint("pages", __name__)

LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian"}
EXAMPLES = (
    "Which schools require a semester abroad?",
    "How many partner universities does ESTP have?",
    "double diplôme",
    "Erasmus internship",
)
#: Passages shown under an answer; the full ranked list is one click away.
ANSWER_PASSAGES = 5
_SAFE_HIGHLIGHT = re.compile(r"<(?!/?mark>)")
_MARKERS = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@bp.get("/")
def home() -> str | Response:
    """The search page; a submitted text goes to the answer view when it reads as a question."""
    raw = request.args.get("q")
    if raw is None or not raw.strip():
        return render_template("home.html", examples=EXAMPLES, schools=_schools())
    q = views.query_text(raw)
    endpoint = "pages.ask" if views.looks_like_question(q) else "pages.search"
    return redirect(url_for(endpoint, q=q), code=303)


@bp.get("/search")
def search() -> str:
    """Ranked passages with highlights, facets, pagination and a spelling suggestion."""
    params = views.search_params(request.args)
    result = views.build_search(params)
    return render_template("search.html", params=params, result=result, q=params.q)


@bp.get("/ask")
def ask() -> str:
    """The answer with numbered citations on top, the ranked passages below."""
    q = views.query_text(request.args.get("q"))
    answer = views.build_answer(q)
    passages = views.build_search(views.SearchParams(q=q, per_page=ANSWER_PASSAGES))
    return render_template("ask.html", answer=answer, passages=passages, q=q)


@bp.get("/documents/<doc_id>")
def document(doc_id: str) -> str:
    """The cleaned document, passages anchored #p-<passage_id>, the ?hl= passage marked."""
    document, passages = views.build_document(doc_id)
    hl = request.args.get("hl", "")[:views.MAX_DOC_ID_CHARS]
    sections = _sections(passages)
    return render_template("document.html", document=document, sections=sections, hl=hl,
                           passage_count=len(passages))


def _sections(passages: list) -> list[dict[str, Any]]:
    """Passages grouped under the heading they share, in document order."""
    sections: list[dict[str, Any]] = []
    for passage in passages:
        if not sections or sections[-1]["heading"] != passage.heading:
            parts = [part.strip() for part in passage.heading.split(" > ") if part.strip()]
            sections.append({"heading": passage.heading, "title": parts[-1] if parts else "",
                             "level": min(2 + max(len(parts) - 1, 0), 6), "passages": []})
        sections[-1]["passages"].append(passage)
    return sections


def _schools() -> list[str]:
    try:
        return views.get_store().schools()
    except (IndexMissing, OSError):  # the home page still renders with no index
        return []


# -- template helpers ------------------------------------------------------------------------------


def highlight_html(highlight: str, text: str) -> Markup:
    """A result's highlight as markup, trusting only <mark>; anything else falls back to escaped text."""
    if not highlight or _SAFE_HIGHLIGHT.search(highlight):
        return escape(text)
    return Markup(highlight)


def answer_html(answer: Answer) -> Markup:
    """The answer sentence escaped, each [n] marker turned into a link to cited passage n."""
    text = str(escape(answer.answer or ""))

    def link(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        return "".join(citation_link(answer, n) for n in numbers)

    return Markup(_MARKERS.sub(link, text))


def citation_link(answer: Answer, n: int) -> Markup:
    """A numbered link to citation n of the answer (plain [n] when there is no such citation)."""
    if not 1 <= n <= len(answer.citations):
        return Markup("[{}]").format(n)
    hit = answer.citations[n - 1]
    return Markup('<a class="cite" href="{}" aria-label="source {}: {}">[{}]</a>').format(
        hit.url, n, hit.title, n)


def page_url(endpoint: str, **args: Any) -> str:
    """url_for without the empty arguments."""
    return url_for(endpoint, **{key: value for key, value in args.items() if value not in (None, "")})


def search_url(params: views.SearchParams, **changes: Any) -> str:
    """The /search URL of `params` with some arguments changed (page resets unless given)."""
    args: dict[str, Any] = {"q": params.q, "school": params.school, "lang": params.lang, "page": None}
    if params.per_page != views.DEFAULT_PER_PAGE:
        args["per_page"] = params.per_page
    args.update(changes)
    if args.get("page") == 1:
        args["page"] = None
    return page_url("pages.search", **args)


def page_window(page: int, pages: int, width: int = 2) -> list[int]:
    """Page numbers to offer: the first, the last and a few around the current one."""
    pages = min(pages, views.MAX_PAGE)
    shown = {1, pages, *range(max(1, page - width), min(pages, page + width) + 1)}
    return sorted(shown)


def language_name(code: str | None) -> str:
    """'English' for 'en'; the code itself when unknown."""
    return LANGUAGE_NAMES.get(code or "", code or "unknown")


def register_template_helpers(app: Flask) -> None:
    """Make the helpers above available in every template."""
    app.jinja_env.globals.update(
        answer_html=answer_html, citation_link=citation_link, search_url=search_url, page_url=page_url,
        page_window=page_window, language_name=language_name, max_query_chars=views.MAX_QUERY_CHARS,
        looks_like_question=views.looks_like_question,
    )
    app.jinja_env.filters["highlight_html"] = highlight_html
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


__all__ = ["bp", "register_template_helpers"]
