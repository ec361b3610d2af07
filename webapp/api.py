"""The JSON API: /api/search, /api/ask, /api/documents/<doc_id>, /api/reindex, /healthz, /openapi.json."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from webapp import views
from webapp.errors import ApiError
from webapp.openapi import openapi_spec
from webapp.security import require_admin

bp = Blueprint("api", __name__)


@bp.get("/api/search")
def api_search() -> Response:
    """Ranked passages as the contract's /api/search body."""
    params = views.search_params(request.args)
    return jsonify(views.build_search(params).to_dict())


@bp.route("/api/ask", methods=["GET", "POST"])
def api_ask() -> Response:
    """A cited answer as the contract's /api/ask body (GET ?q= or POST {"question": ...})."""
    if request.method == "POST":
        body = views.json_body()
        if not isinstance(body, dict):
            raise ApiError(400, 'the body must be a JSON object such as {"question": "..."}')
        question = views.query_text(body.get("question"), "question")
    else:
        question = views.query_text(request.args.get("q"))
    return jsonify(views.build_answer(question).to_dict())


@bp.get("/api/documents/<doc_id>")
def api_document(doc_id: str) -> Response:
    """A document's metadata and passages."""
    document, passages = views.build_document(doc_id)
    return jsonify(views.document_dict(document, passages))


@bp.post("/api/reindex")
def api_reindex() -> Response:
    """Bring the index in line with the corpus (admin token required); the summary as JSON."""
    require_admin()
    summary = views.run_reindex()
    return jsonify(dict(summary.to_dict(), status="ok", summary=summary.line()))


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness plus the size of the index."""
    return jsonify(views.build_health())


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of the JSON routes."""
    return jsonify(openapi_spec())
