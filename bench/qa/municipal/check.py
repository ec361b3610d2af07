#!/usr/bin/env python3
"""Check the municipal (Ville de Vellmont) question set against its pages.

Run from anywhere: python3 bench/qa/municipal/check.py [-v]
Checks that every expect_answer string and every expected or allowed list name occurs as whole words (after
NFKC, case folding and white-space collapsing) in the article text of its pages, that every page in
expect_sources exists, that every GOLD.md passage is quoted from its page, and that split.json partitions
the ids. Article text is: for HTML, the text inside <article> (the site chrome -- cookie banner, navigation,
breadcrumbs, share bar, sidebar, feedback widget, footer -- is left out; scripts and styles are skipped);
for Markdown, everything after the front matter; for plain text, the whole file. Standard library only;
does not import or run kb. Exit status 1 on any problem.
"""
import json
import re
import sys
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
PREFIX = "mu-"
BLOCK = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead",
         "tbody", "tfoot", "caption", "pre", "br", "hr", "section", "article", "header", "footer", "nav", "aside",
         "blockquote", "figure", "figcaption", "address"}


class ArticleText(HTMLParser):
    """Text of the <article> element: block tags break lines, table cells are joined with ' | '."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # <article> nesting; 0 = outside
        self.skip = 0
        self.cells = 0
        self.out = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        if not self.depth:
            return
        if tag in ("script", "style", "template"):
            self.skip += 1
        elif tag == "tr":
            self.out.append("\n")
            self.cells = 0
        elif tag in ("td", "th"):
            if self.cells:
                self.out.append(" | ")
            self.cells += 1
        elif tag in BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag in ("script", "style", "template"):
            self.skip -= 1
        elif tag in BLOCK:
            self.out.append("\n")
        if tag == "article":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.out.append(data)


def page_text(path):
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        parser = ArticleText()
        parser.feed(raw)
        parser.close()
        return "".join(parser.out)
    if path.suffix == ".md" and raw.startswith("---"):
        return raw.split("\n---", 1)[1]
    return raw


def norm(text):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def has_words(text, needle):
    needle = norm(needle)
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", text) is not None


def main():
    problems = []
    pages = {p.name: norm(page_text(p)) for p in sorted(CORPUS.iterdir()) if p.is_file()}
    for name, text in pages.items():
        if len(text.split()) < 150:
            problems.append(f"{name}: only {len(text.split())} words of article text (extraction broken?)")
    rows = [json.loads(line) for line in (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids")
    if ids != [f"{PREFIX}{i:02d}" for i in range(1, len(ids) + 1)]:
        problems.append(f"ids are not {PREFIX}01..{PREFIX}{len(ids):02d} in order")
    allowed = {"id", "question", "kind", "lang", "expect_items", "expect_answer", "expect_sources", "allow_items"}
    for r in rows:
        qid, kind = r["id"], r["kind"]
        if set(r) - allowed:
            problems.append(f"{qid}: unknown fields {set(r) - allowed}")
        if kind not in ("fact", "list", "none") or r.get("lang", "fr") != "fr":
            problems.append(f"{qid}: bad kind or lang")
        if not r.get("question", "").strip():
            problems.append(f"{qid}: empty question")
        if kind == "none":
            if set(r) & {"expect_items", "expect_answer", "expect_sources", "allow_items"}:
                problems.append(f"{qid}: none question with expectations")
            continue
        sources = r.get("expect_sources") or []
        missing = [s for s in sources if s not in pages]
        if not sources or missing:
            problems.append(f"{qid}: missing sources {missing or 'none given'}")
            continue
        if kind == "fact":
            alts = r.get("expect_answer") or []
            if not alts or set(r) & {"expect_items", "allow_items"}:
                problems.append(f"{qid}: fact question needs expect_answer and no items")
            for a in alts:
                if not any(has_words(pages[s], a) for s in sources):
                    problems.append(f"{qid}: answer {a!r} in none of its pages")
            for s in sources:
                if not any(has_words(pages[s], a) for a in alts):
                    problems.append(f"{qid}: page {s} holds none of the answers")
        else:
            items = r.get("expect_items") or []
            if not items or not all(isinstance(i, list) and i for i in items) or "expect_answer" in r:
                problems.append(f"{qid}: expect_items must be a non-empty list of name lists")
            for item in items + (r.get("allow_items") or []):
                for name in item:
                    if not any(has_words(pages[s], name) for s in sources):
                        problems.append(f"{qid}: item name {name!r} in none of its pages")

    # GOLD.md passages
    gold = (HERE / "GOLD.md").read_text(encoding="utf-8")
    by_id = {r["id"]: r for r in rows}
    seen = set()
    for block in re.split(r"^## ", gold, flags=re.MULTILINE)[1:]:
        qid = block.split(" ", 1)[0].strip()
        if qid not in by_id:
            problems.append(f"GOLD.md: unknown id {qid}")
            continue
        seen.add(qid)
        r = by_id[qid]
        quotes = re.findall(r"Supporting passage in `([^`]+)`:\n\n> (.+)", block)
        if r["kind"] != "none" and not quotes:
            problems.append(f"GOLD.md {qid}: no supporting passage")
        if r["kind"] == "none" and "Why no page answers" not in block:
            problems.append(f"GOLD.md {qid}: none question without an explanation")
        for page, quote in quotes:
            if page not in pages or norm(quote) not in pages[page]:
                problems.append(f"GOLD.md {qid}: passage not found in {page}: {quote[:60]}…")
        for page in {p for p, _ in quotes}:
            here = [norm(q) for p, q in quotes if p == page]
            if r["kind"] == "fact" and not any(has_words(q, a) for q in here for a in r["expect_answer"]):
                problems.append(f"GOLD.md {qid}: no passage from {page} holds an expected answer")
        for page in r.get("expect_sources", []):
            if page not in {p for p, _ in quotes}:
                problems.append(f"GOLD.md {qid}: no passage quoted from {page}")
    for qid in ids:
        if qid not in seen:
            problems.append(f"GOLD.md: no entry for {qid}")

    split = json.loads((HERE / "split.json").read_text())
    if sorted(split["dev"] + split["heldout"]) != sorted(ids) or set(split["dev"]) & set(split["heldout"]) \
            or len(set(split["heldout"])) != len(split["heldout"]):
        problems.append("split.json does not partition the ids")

    count = Counter((r["kind"], r.get("lang", "en")) for r in rows)
    held = Counter((by_id[i]["kind"], by_id[i].get("lang", "en")) for i in split["heldout"] if i in by_id)
    print(f"{len(pages)} pages, {len(rows)} questions ({len(split['dev'])} dev, {len(split['heldout'])} held out)")
    for kind in ("fact", "list", "none"):
        print(f"  {kind}: en {count[(kind, 'en')]}, fr {count[(kind, 'fr')]}"
              f"  (held out: en {held[(kind, 'en')]}, fr {held[(kind, 'fr')]})")
    if "-v" in sys.argv:
        for name, text in pages.items():
            print(f"  {name}: {len(text.split())} words of article text")
    for p in problems:
        print("PROBLEM:", p)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
