"""One error type and one handler: JSON `{"error": {...}}` under /api, an HTML error page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

#: Paths answered in JSON, errors included.
JSON_PREFIXES = ("/api/", "/healthz", "/openapi.json")


class ApiError(Exception):
    """An error the client should see, with its HTTP status and a reason in plain words."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def wants_json() -> bool:
    """True when the current request is for a JSON route."""
    path = request.path
    return path == "/api" or path.startswith(JSON_PREFIXES)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The error as JSON or as the HTML error page, depending on the route."""
    if wants_json():
        response = jsonify({"error": {"status": status, "message": message}})
    else:
        page = render_template("error.html", status=status, message=message)
        response = Response(page, mimetype="text/html")
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """Route ApiError, werkzeug's HTTP errors (404, 405, 413, 414...) and anything else through one path."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error.status, error.message, error.headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        headers = {}
        allowed = getattr(error, "valid_methods", None)
        if status == 405 and allowed:
            headers["Allow"] = ", ".join(allowed)
        return error_response(status, _MESSAGES.get(status, error.name), headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        # A bug, not bad input: logged with its traceback, answered in the same shape.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal error; the server log has the details")


_MESSAGES = {
    400: "bad request",
    404: "not found: no such page or document",
    405: "method not allowed on this route",
    413: "request body too large",
    414: "request URL too long",
    431: "request headers too large",
}
