"""The OpenAPI 3 description of the JSON routes, written by hand to match the contract."""

from __future__ import annotations

from typing import Any

from webapp.views import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS

_NULLABLE_STRING = {"type": "string", "nullable": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "bad parameters",
        401: "missing or invalid admin token",
        403: "no admin token configured",
        404: "unknown document",
        409: "another reindex is running",
        413: "request body over 64 KiB",
        503: "no index built yet",
    }
    return {str(status): _json(_ref("Error"), reasons[status]) for status in statuses}


def _url_too_long() -> dict[str, Any]:
    """The HTTP server's own answer to a request line over MAX_REQUEST_LINE bytes (an HTML page)."""
    return {"414": {"description": f"request line longer than {MAX_REQUEST_LINE} bytes, refused by the "
                                   "HTTP server (a 1,000-character q of 4-byte characters is 12,000 bytes "
                                   "percent-encoded: POST /api/ask takes it)",
                    "content": {"text/html": {"schema": {"type": "string"}}}}}


#: The characters the server treats as blank (whitespace and control characters, see views._clean_text).
_BLANK = "\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
#: Text with at least one character that is not blank: a blank query is refused.
_NOT_BLANK = f"[^{_BLANK}]"
#: A language code in any case, or nothing (no filter), with blanks around it.
_LANG = f"^[{_BLANK}]*(?:[A-Za-z]{{2,3}}(?:-[A-Za-z0-9]{{2,8}})?)?[{_BLANK}]*$"
#: gunicorn refuses a request line longer than this with its own 414 page, before the app sees it.
MAX_REQUEST_LINE = 8190

_Q = {
    "name": "q",
    "in": "query",
    "required": True,
    "description": "the search text or question: at most 1,000 characters, not only blanks "
                   "(longer questions: POST /api/ask)",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": _NOT_BLANK},
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message"],
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
            }
        },
    },
    "Result": {
        "type": "object",
        "required": [
            "doc_id",
            "passage_id",
            "source",
            "title",
            "school",
            "lang",
            "text",
            "highlight",
            "score",
            "url",
        ],
        "properties": {
            "doc_id": {"type": "string"},
            "passage_id": {"type": "string"},
            "source": {"type": "string", "description": "path relative to the corpus"},
            "title": {"type": "string"},
            "school": _NULLABLE_STRING,
            "lang": {"type": "string"},
            "text": {"type": "string"},
            "highlight": {"type": "string", "description": "HTML-escaped text with only <mark> tags added"},
            "score": {"type": "number"},
            "url": {"type": "string", "description": "link to the passage in the document view"},
            "heading": {"type": "string"},
            "also_in": {"type": "array", "items": {"type": "string"}},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": ["query", "total", "page", "per_page", "took_ms", "results"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer"},
            "total_exact": {"type": "boolean", "description": "false when total and facets are estimated"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "took_ms": {"type": "number"},
            "results": {"type": "array", "items": _ref("Result")},
            "filters": {
                "type": "object",
                "properties": {"school": _NULLABLE_STRING, "lang": _NULLABLE_STRING},
            },
            "facets": {
                "type": "object",
                "description": "counts by school and by lang",
                "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
            "suggestion": {"type": "string", "nullable": True, "description": "did you mean"},
        },
    },
    "Citation": {
        "allOf": [
            _ref("Result"),
            {"type": "object", "required": ["n", "evidence"], "properties": {
                "n": {"type": "integer", "minimum": 1},
                "evidence": {
                    "type": "array",
                    "description": "offsets in `text` (text[start:end]) of the sentences the answer quotes; "
                                   "empty for a passage cited as context",
                    "items": {"type": "object", "required": ["start", "end"], "properties": {
                        "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0}}},
                },
            }},
        ]
    },
    "Answer": {
        "type": "object",
        "required": ["question", "kind", "answer", "confidence", "items", "citations"],
        "properties": {
            "question": {"type": "string"},
            "kind": {"type": "string", "enum": ["list", "fact", "none"]},
            "confidence": {
                "type": "number", "minimum": 0, "maximum": 1,
                "description": "calibrated probability that the answer (or the 'not found') is right",
            },
            "lang": {"type": "string", "description": "the question's language"},
            "answer": {
                "type": "string",
                "nullable": True,
                "description": "with [n] citation markers; null for none",
            },
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["label", "citations"],
                    "properties": {
                        "label": {"type": "string"},
                        "citations": {"type": "array", "items": {"type": "integer"}},
                    },
                },
            },
            "citations": {"type": "array", "items": _ref("Citation")},
            "took_ms": {"type": "number"},
        },
    },
    "Document": {
        "type": "object",
        "required": ["doc_id", "source", "title", "school", "lang", "url", "passages"],
        "properties": {
            "doc_id": {"type": "string"},
            "source": {"type": "string"},
            "title": {"type": "string"},
            "school": _NULLABLE_STRING,
            "lang": {"type": "string"},
            "url": {
                "type": "string",
                "nullable": True,
                "description": "the page's original address, when known",
            },
            "passage_count": {"type": "integer"},
            "passages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "passage_id": {"type": "string"},
                        "position": {"type": "integer"},
                        "heading": {"type": "string"},
                        "lang": {"type": "string"},
                        "text": {"type": "string"},
                        "url": {"type": "string"},
                    },
                },
            },
        },
    },
    "IndexSummary": {
        "type": "object",
        "required": [
            "documents",
            "added",
            "updated",
            "removed",
            "unchanged",
            "skipped",
            "passages",
            "seconds",
        ],
        "properties": {
            name: {"type": "integer"}
            for name in ("documents", "added", "updated", "removed", "unchanged", "skipped", "passages")
        }
        | {"seconds": {"type": "number"}, "summary": {"type": "string"}, "status": {"type": "string"}},
    },
    "Health": {
        "type": "object",
        "required": ["status", "documents", "passages"],
        "properties": {
            "status": {"type": "string", "enum": ["ok"]},
            "documents": {"type": "integer"},
            "passages": {"type": "integer"},
        },
    },
}


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI 3.0 document served at /openapi.json."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "kb",
            "version": "0.1.0",
            "description": "Search and extractive question answering over a folder of web pages.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Ranked passages with highlights, facets and a spelling suggestion",
                    "parameters": [
                        _Q,
                        {
                            "name": "school",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "only passages of this school (an unknown school matches nothing)",
                        },
                        {
                            "name": "lang",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 200, "pattern": _LANG},
                            "description": "only passages in this language (a code such as en, fr or "
                                           "fr-ca, any case; blank means no filter); a malformed code is a 400",
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "allowEmptyValue": True,  # page= means the default
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "allowEmptyValue": True,
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_PER_PAGE,
                                "default": 10,
                            },
                        },
                    ],
                    "responses": {"200": _json(_ref("SearchResult"), "one page of results")}
                    | _errors(400, 503) | _url_too_long(),
                }
            },
            "/api/ask": {
                "get": {
                    "summary": "An extractive answer with numbered citations",
                    "parameters": [_Q],
                    "responses": {"200": _json(_ref("Answer"), "the answer")} | _errors(400, 503)
                    | _url_too_long(),
                },
                "post": {
                    "summary": "An extractive answer with numbered citations",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["question"],
                                    "properties": {
                                        "question": {
                                            "type": "string",
                                            "minLength": 1,
                                            "maxLength": MAX_QUERY_CHARS,
                                            "pattern": _NOT_BLANK,
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {"200": _json(_ref("Answer"), "the answer")} | _errors(400, 413, 503),
                },
            },
            "/api/documents/{doc_id}": {
                "get": {
                    "summary": "A document's metadata and its passages in order",
                    "parameters": [
                        {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": _json(_ref("Document"), "the document")} | _errors(404),
                }
            },
            "/api/reindex": {
                "post": {
                    "summary": "Bring the index in line with the corpus (like `kb index`)",
                    "security": [{"adminToken": []}],
                    "responses": {"200": _json(_ref("IndexSummary"), "what the run did")}
                    | _errors(401, 403, 409),
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness and index size",
                    "responses": {"200": _json(_ref("Health"), "the server is up")} | _errors(503),
                }
            },
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the value of KB_ADMIN_TOKEN",
                }
            },
        },
    }
