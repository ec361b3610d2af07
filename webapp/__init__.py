"""The kb web app: HTML pages and a JSON API over the core, built by `create_app`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from kb.config import load_settings

#: Requests larger than this (a POST /api/ask body, say) get 413.
MAX_CONTENT_LENGTH = 64 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """A configured app: defaults, then KB_INDEX_DIR / KB_CORPUS_DIR / KB_ADMIN_TOKEN, then `config`."""
    from webapp import api, pages
    from webapp.errors import register_error_handlers
    from webapp.security import register_security_headers
    from webapp.views import REINDEX_LOCK_TIMEOUT, StorePool, release_store

    app = Flask(__name__)
    settings = load_settings()
    app.config.update(
        INDEX_DIR=str(settings.index_dir),
        CORPUS_DIR=str(settings.corpus_dir),
        ADMIN_TOKEN=settings.admin_token,
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        MAX_FORM_MEMORY_SIZE=MAX_CONTENT_LENGTH,
        REINDEX_WORKERS=1,
        REINDEX_LOCK_TIMEOUT=REINDEX_LOCK_TIMEOUT,
        JSON_SORT_KEYS=False,
    )
    if config:
        app.config.update(config)
    for key in ("INDEX_DIR", "CORPUS_DIR"):
        app.config[key] = str(Path(app.config[key]))
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    app.extensions["kb.stores"] = StorePool(app.config["INDEX_DIR"])
    app.teardown_appcontext(release_store)
    register_error_handlers(app)
    register_security_headers(app)
    pages.register_template_helpers(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    return app


__all__ = ["create_app"]
