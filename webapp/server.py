"""`kb serve`: the app under gunicorn, with the index built first when missing and an optional corpus watcher.

gunicorn's gthread worker is used: each worker process answers several requests at once in threads, so
a long POST /api/reindex never stops searches from being served, and the worker's heartbeat keeps
running while a request is in progress (the sync worker would be killed by its timeout instead).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

#: Threads per worker process: enough to keep answering searches while one thread reindexes.
THREADS_PER_WORKER = 4


class KbServer(BaseApplication):
    """A gunicorn application that builds the Flask app in each worker from a config mapping."""

    def __init__(self, app_config: dict[str, Any], options: dict[str, Any]) -> None:
        self.app_config = app_config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options to gunicorn's settings (gunicorn's own CLI and config files are not read)."""
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Callable[..., Any]:
        """The WSGI app, created in the worker after the fork (no index files are shared across forks)."""
        from webapp import create_app

        app = create_app(self.app_config)
        # The app's own log lines (unexpected errors with their traceback) go where gunicorn's go.
        gunicorn_log = logging.getLogger("gunicorn.error")
        app.logger.handlers = gunicorn_log.handlers
        app.logger.setLevel(gunicorn_log.level)
        app.extensions["kb.stores"].warm_up()
        return app


def gunicorn_options(host: str, port: int, workers: int, threads: int = THREADS_PER_WORKER) -> dict[str, Any]:
    """gunicorn settings for `kb serve`."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # With gthread the timeout guards the worker's heartbeat, not a request's duration.
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 5,
        # Long enough for the app to answer an over-long q with its own JSON 400 rather than gunicorn's page.
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "kb-serve",
        "preload_app": False,
        # gunicorn 27+ opens a control socket in ~/.gunicorn by default: kb has no use for it, and two
        # servers on one machine would fight over it.
        "control_socket_disable": True,
    }


def start_watcher(corpus_dir: str, index_dir: str) -> subprocess.Popen[bytes]:
    """Run the corpus watcher in its own process (one per server, whatever the number of workers)."""
    command = [sys.executable, "-m", "webapp.watch", "--corpus", corpus_dir, "--index", index_dir,
               "--parent", str(os.getpid())]
    return subprocess.Popen(command)


def serve(app_config: dict[str, Any], host: str, port: int, workers: int, watch: bool = False) -> None:
    """Serve until stopped; with `watch`, reindex when the corpus changes."""
    watcher = start_watcher(app_config["CORPUS_DIR"], app_config["INDEX_DIR"]) if watch else None
    try:
        KbServer(app_config, gunicorn_options(host, port, workers)).run()
    finally:
        if watcher is not None and watcher.poll() is None:
            watcher.terminate()
            try:
                watcher.wait(5)
            except subprocess.TimeoutExpired:
                watcher.kill()
