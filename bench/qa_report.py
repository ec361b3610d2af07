"""Score kb's answers on every question set, development and held-out parts apart.

    .venv/bin/python bench/qa_report.py            # writes bench/results/qa.md and qa.json

The figures are those of `kb eval` (shared/eval/README.md): mean score per kind and overall, the
share of answerable questions answered "not found" (wrong_abstain), the share of questions with no
answer that got one (wrong_answer_none), and the median time per question, in-process.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS_DIR, command_line, machine_info, publish
from qa_sets import available_sets, index_for

from kb.answer import ask
from kb.evaluate import evaluate
from kb.store import IndexStore


def main() -> int:
    """Evaluate each set's parts and publish the table."""
    rows: list[dict[str, Any]] = []
    for question_set in available_sets():
        store = IndexStore(index_for(question_set.corpus))
        for part in ("dev", "heldout"):
            questions = question_set.load(part)
            if not questions:
                continue
            report = evaluate(questions, lambda text, store=store: ask(store, text).to_dict())
            figures = report.figures()
            nones = [r for r in report.results if r.question.kind == "none"]
            figures["wrong_answer_none"] = (round(sum(r.body.get("kind") != "none" for r in nones) / len(nones), 4)
                                            if nones else None)
            rows.append({"set": question_set.name, "part": part, **figures})
    header = "| set | part | n | overall | list | fact | none | wrong_abstain | none answered | p50 ms |"
    lines = [header, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        cells = [row["set"], row["part"], str(row["n"])] + [
            "-" if row[key] is None else f"{row[key]:.2f}"
            for key in ("overall", "list", "fact", "none", "wrong_abstain", "wrong_answer_none")]
        lines.append("| " + " | ".join(cells) + f" | {row['p50_ms']} |")
    publish({"command": command_line(), "machine": machine_info(), "sets": rows}, "Answer quality per question set", "\n".join(lines) + "\n", RESULTS_DIR, "qa")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
