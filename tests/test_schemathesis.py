"""schemathesis, a client nobody here wrote, against /openapi.json of a real `kb serve`: no 5xx, every
response in the schema, every documented status, valid requests accepted and invalid ones refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kbserver import KbServe

pytestmark = pytest.mark.slow

WEB_CORPUS = Path(__file__).resolve().parent / "fixtures" / "web_corpus"
ST = Path(sys.executable).parent / "st"
TOKEN = "schema-token"
#: Examples per operation and phase: bounded so the run stays well under a minute on two cores.
MAX_EXAMPLES = int(os.environ.get("KB_SCHEMATHESIS_EXAMPLES", "80"))
CONFIG = """
# gunicorn answers a request line over 8,190 bytes with its own 414 before the app sees it; the schema
# documents it. A valid 1,000-character q of 4-byte characters is such a request (12,000 bytes encoded).
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 409, 413, 414]

[checks.positive_data_acceptance]
expected-statuses = ["2XX", 414]

[parameters]
"path.doc_id" = "{doc_id}"
"""


def test_schemathesis_finds_nothing(tmp_path):
    assert ST.exists(), "schemathesis is missing: `make test` installs the test extras (pip install -e '.[test]')"
    corpus = shutil.copytree(WEB_CORPUS, tmp_path / "corpus")
    with KbServe(corpus, tmp_path / "index", "--workers", "2", token=TOKEN) as server:
        status, found = server.json("/api/search?q=exchange")
        assert status == 200 and found["results"]
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG.format(doc_id=found["results"][0]["doc_id"]), encoding="utf-8")
        env = {key: value for key, value in os.environ.items() if not key.startswith(("KB_", "SCHEMATHESIS_"))}
        done = subprocess.run(
            [str(ST), "--config-file", str(config), "run", f"{server.base}/openapi.json", "--checks", "all",
             "--max-examples", str(MAX_EXAMPLES), "--header", f"Authorization: Bearer {TOKEN}",
             "--request-timeout", "30", "--no-color"],
            check=False, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
        log = server.output()
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert "No issues found" in done.stdout, report
    assert "Operations:       6 selected / 6 total" in done.stdout or "6 selected" in done.stdout, report
    assert "Traceback" not in log and "unhandled error" not in log, log[-3000:]
