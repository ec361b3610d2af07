"""Start a real `kb serve` for a test: the benchmarks' server harness, with the test's token and HTTP helpers."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import KbServer, clean_env  # bench/ is not a package


def request(url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None,
            timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one HTTP request (errors included, never raised)."""
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


class KbServe(KbServer):
    """A `kb serve` subprocess in its own process group: `--workers N` and other options as arguments."""

    def __init__(self, corpus: Path, index: Path, *args: str, token: str | None = "test-token") -> None:
        options = list(args)
        workers = 2
        if "--workers" in options:
            at = options.index("--workers")
            workers = int(options[at + 1])
            del options[at:at + 2]
        env = clean_env()
        if token:
            env["KB_ADMIN_TOKEN"] = token
        super().__init__(corpus, index, workers=workers, extra_args=options, env=env)
        self.base = f"http://127.0.0.1:{self.port}"

    def get(self, path: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
        """GET (or another method) on a path of this server."""
        return request(self.base + path, **kwargs)

    def json(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        """Status and decoded JSON body."""
        status, _, body = self.get(path, **kwargs)
        return status, json.loads(body)

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log_text()
