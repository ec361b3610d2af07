#!/usr/bin/env python3
"""Check the travel (Aeroval) question set against its pages.

Run from anywhere: python3 bench/qa/travel/check.py [-v]
Checks that every expect_answer string and every expected or allowed list name occurs as whole words
(after NFKC, case folding and white-space collapsing) in the article text of its pages, that every
page in expect_sources exists, that every GOLD.md passage is quoted from its page, that the Markdown
pages carry title, lang and description in their front matter, that every HTML page has an <article>,
and that split.json partitions the ids. Standard library only. Exit status 1 on any problem.

Article text: for HTML, the text inside <article> (site chrome outside it is ignored; block tags break
lines, table cells are joined with ' | '); for Markdown, the text after the front matter with '**'
removed; for plain text, the whole file.
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
BLOCK = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table",
         "thead", "tbody", "caption", "pre", "br", "section", "article", "header", "footer", "aside",
         "nav", "blockquote", "figure", "figcaption"}


class ArticleText(HTMLParser):
    """Text of the <article> element: block tags break lines, table cells are joined with ' | '."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # <article> nesting; 0 = outside
        self.skip = 0
        self.cells = 0
        self.seen = False
        self.out = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
            self.seen = True
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


def front_matter(raw):
    """The key: value pairs of a Markdown page's YAML front matter (flat keys only)."""
    if not raw.startswith("---"):
        return {}
    head = raw.split("\n---", 1)[0]
    pairs = (line.split(":", 1) for line in head.splitlines()[1:] if ":" in line)
    return {k.strip(): v.strip().strip('"') for k, v in pairs}


def page_text(path, problems):
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        parser = ArticleText()
        parser.feed(raw)
        if not parser.seen:
            problems.append(f"{path.name}: no <article> element")
        return "".join(parser.out)
    if path.suffix == ".md":
        meta = front_matter(raw)
        for key in ("title", "lang", "description"):
            if not meta.get(key):
                problems.append(f"{path.name}: front matter lacks {key}")
        if raw.startswith("---"):
            raw = raw.split("\n---", 1)[1]
        return raw.replace("**", "")
    return raw


def norm(text):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def has_words(text, needle):
    needle = norm(needle)
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", text) is not None


def main():
    problems = []
    pages = {p.name: norm(page_text(p, problems)) for p in sorted(CORPUS.iterdir()) if p.is_file()}
    for name, text in pages.items():
        if len(text.split()) < 150:
            problems.append(f"{name}: only {len(text.split())} words of article text")
    rows = [json.loads(line) for line in (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids")
    if ids != [f"tr-{i:02d}" for i in range(1, len(ids) + 1)]:
        problems.append("ids are not tr-01 … tr-NN in order")
    allowed = {"id", "question", "kind", "lang", "expect_items", "expect_answer", "expect_sources", "allow_items"}
    for r in rows:
        qid, kind = r["id"], r["kind"]
        if set(r) - allowed:
            problems.append(f"{qid}: unknown fields {set(r) - allowed}")
        if kind not in ("fact", "list", "none") or r.get("lang", "fr") != "fr":
            problems.append(f"{qid}: bad kind or lang")
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
            if "expect_items" in r or "allow_items" in r:
                problems.append(f"{qid}: fact question with list fields")
            alts = r.get("expect_answer") or []
            if not alts:
                problems.append(f"{qid}: no expect_answer")
            for a in alts:
                if not any(has_words(pages[s], a) for s in sources):
                    problems.append(f"{qid}: answer {a!r} in none of its pages")
            for s in sources:
                if not any(has_words(pages[s], a) for a in alts):
                    problems.append(f"{qid}: page {s} holds none of the answers")
        else:
            if "expect_answer" in r:
                problems.append(f"{qid}: list question with expect_answer")
            items = r.get("expect_items") or []
            if len(items) < 2 or not all(isinstance(i, list) and i for i in items):
                problems.append(f"{qid}: expect_items must be at least two lists of names")
            for item in items + (r.get("allow_items") or []):
                for name in item:
                    if not any(has_words(pages[s], name) for s in sources):
                        problems.append(f"{qid}: item name {name!r} in none of its pages")
            # a name must not pick out two different expected entities
            for i, item in enumerate(items):
                for name in item:
                    for j, other in enumerate(items):
                        if i != j and any(has_words(norm(name), o) for o in other):
                            problems.append(f"{qid}: name {name!r} also matches item {other[0]!r}")

    # GOLD.md passages
    gold = (HERE / "GOLD.md").read_text(encoding="utf-8")
    by_id = {r["id"]: r for r in rows}
    seen = set()
    for block in re.split(r"^## ", gold, flags=re.MULTILINE)[1:]:
        qid = block.split(" ", 1)[0]
        if qid not in by_id:
            problems.append(f"GOLD.md: unknown id {qid}")
            continue
        seen.add(qid)
        r = by_id[qid]
        quotes = re.findall(r"Supporting passage in `([^`]+)`:\n\n> (.+)", block)
        if r["kind"] != "none" and not quotes:
            problems.append(f"GOLD.md {qid}: no supporting passage")
        if r["kind"] == "none" and quotes:
            problems.append(f"GOLD.md {qid}: none question with a supporting passage")
        for page, quote in quotes:
            if page not in pages or norm(quote) not in pages[page]:
                problems.append(f"GOLD.md {qid}: passage not found in {page}: {quote[:60]}…")
        for page in {p for p, _ in quotes}:
            here = [norm(q) for p, q in quotes if p == page]
            if r["kind"] == "fact" and not any(has_words(q, a) for q in here for a in r["expect_answer"]):
                problems.append(f"GOLD.md {qid}: no passage from {page} holds an expected answer")
            if page not in r.get("expect_sources", []):
                problems.append(f"GOLD.md {qid}: passage quoted from {page}, which is not an expected source")
        if r["kind"] == "list":
            quoted = " ".join(norm(q) for _, q in quotes)
            for item in r["expect_items"]:
                if not any(has_words(quoted, name) for name in item):
                    problems.append(f"GOLD.md {qid}: no passage names {item[0]!r}")
        for page in r.get("expect_sources", []):
            if page not in {p for p, _ in quotes}:
                problems.append(f"GOLD.md {qid}: no passage quoted from {page}")
    for qid in ids:
        if qid not in seen:
            problems.append(f"GOLD.md: no entry for {qid}")

    split = json.loads((HERE / "split.json").read_text())
    if sorted(split["dev"] + split["heldout"]) != sorted(ids) or set(split["dev"]) & set(split["heldout"]):
        problems.append("split.json does not partition the ids")

    count = Counter((r["kind"], r.get("lang", "en")) for r in rows)
    held = Counter((by_id[i]["kind"], by_id[i].get("lang", "en")) for i in split["heldout"] if i in by_id)
    print(f"{len(pages)} pages, {len(rows)} questions ({len(split['heldout'])} held out)")
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
