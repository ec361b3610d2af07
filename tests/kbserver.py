"""Start a real `kb serve` for a test: a free port, wait for /healthz, kill the process group at the end."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
KB = ROOT / ".venv" / "bin" / "kb"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


class KbServe:
    """A `kb serve` subprocess in its own process group."""

    def __init__(self, corpus: Path, index: Path, *args: str, token: str | None = "test-token") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed by stop())
        env = {key: value for key, value in os.environ.items() if not key.startswith("KB_")}
        if token:
            env["KB_ADMIN_TOKEN"] = token
        command = [str(KB) if KB.exists() else sys.executable, *([] if KB.exists() else ["-m", "kb"]),
                   "serve", "--host", "127.0.0.1", "--port", str(self.port), "--index", str(index),
                   "--corpus", str(corpus), *args]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until /healthz answers 200; raise with the server's log if it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if request(self.base + "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"kb serve did not come up:\n{self.output()[-3000:]}")

    def get(self, path: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
        """GET (or another method) on a path of this server."""
        return request(self.base + path, **kwargs)

    def json(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        """Status and decoded JSON body."""
        status, _, body = self.get(path, **kwargs)
        return status, json.loads(body)

    def output(self) -> str:
        """Everything the server printed so far."""
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        """Stop the whole process group: gunicorn's master, its workers and the watcher."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(10)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):  # workers or the watcher that outlived the master
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()

    def __enter__(self) -> Self:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
