"""Time /api/ask over HTTP on a question set's index: what a user of `kb serve` waits per question.

    .venv/bin/python bench/qa_latency.py                 # the MDN sets (own + public) on the MDN index
    .venv/bin/python bench/qa_latency.py helpcentre      # any set of bench/qa_sets.py by name

Starts a real `kb serve` (2 workers) on the set's index under var/qa, asks every question once after
five warm-up questions, and prints the median and the 90th percentile.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HttpClient, KbServer, percentile
from qa_sets import WORK, available_sets, index_for

WARM_UP = 5


def main(argv: list[str]) -> int:
    """Serve the chosen sets' corpus and time their questions."""
    names = argv or ["mdn-own", "mdn-public"]
    sets = [s for s in available_sets() if s.name in names]
    corpora = {s.corpus for s in sets}
    if len(corpora) != 1:
        raise SystemExit(f"choose sets over one corpus: {', '.join(names)}")
    corpus = corpora.pop()
    questions = [q.question for s in sets for q in s.load("all")]
    server = KbServer(WORK / "corpus" / corpus, index_for(corpus), workers=2)
    try:
        server.wait_ready(300)
        client = HttpClient(server.port, timeout=60)
        for question in questions[:WARM_UP]:
            client.get("/api/ask?q=" + quote(question))
        timings = []
        for question in questions:
            started = time.perf_counter()
            status = client.get("/api/ask?q=" + quote(question))[0]
            timings.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"/api/ask answered {status} for {question!r}")
        client.close()
    finally:
        server.stop()
    print(f"{', '.join(names)}: {len(timings)} questions over HTTP, p50 {statistics.median(timings):.1f} ms, "
          f"p90 {percentile(timings, 0.9):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
