#!/usr/bin/env python3
"""Check the handbook question set against its pages.

Run from anywhere: python3 bench/qa/handbook/check.py [-v]
Checks that every expect_answer string and every expected (or allowed) list name occurs as whole words
(after NFKC, case folding and white-space collapsing) in the article text of its pages, that every page in
expect_sources exists, that every GOLD.md passage is quoted from its page (and, for a fact, holds an
expected answer; for a list, that every expected item is named in a quoted passage), and that split.json
partitions the ids. Standard library only. Exit status 1 on any problem.

Article text: for HTML, the text of the <article> element, or of <main> when the page has no <article>
(block tags break lines, table cells are joined with ' | ', scripts and styles are dropped); for Markdown,
the file after its YAML front matter, as written; for plain text, the whole file.
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
BLOCK = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead",
         "tbody", "pre", "br", "section", "article", "header", "footer", "blockquote", "aside", "nav", "main",
         "figure", "figcaption", "details", "summary", "form"}
VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col"}


class ArticleText(HTMLParser):
    """Collects the text of <article> and of <main>; page text is the article's, else main's."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = {"article": 0, "main": 0}
        self.out = {"article": [], "main": []}
        self.skip = 0
        self.cells = 0

    def _emit(self, text):
        for name, depth in self.inside.items():
            if depth:
                self.out[name].append(text)

    def handle_starttag(self, tag, attrs):
        if tag in self.inside:
            self.inside[tag] += 1
        if tag in ("script", "style", "template"):
            self.skip += 1
        elif tag == "tr":
            self._emit("\n")
            self.cells = 0
        elif tag in ("td", "th"):
            if self.cells:
                self._emit(" | ")
            self.cells += 1
        elif tag in BLOCK:
            self._emit("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK:
            self._emit("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK or tag == "tr":
            self._emit("\n")
        if self.inside.get(tag):
            self.inside[tag] -= 1

    def handle_data(self, data):
        if not self.skip:
            self._emit(data)

    def text(self):
        article = "".join(self.out["article"])
        return article if article.strip() else "".join(self.out["main"])


def page_text(path):
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        parser = ArticleText()
        parser.feed(raw)
        parser.close()
        return parser.text()
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
            problems.append(f"{name}: only {len(text.split())} words of article text")
    rows = [json.loads(line) for line in (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids")
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
            alts = r.get("expect_answer") or []
            if not alts or "expect_items" in r:
                problems.append(f"{qid}: fact needs expect_answer and no expect_items")
            for a in alts:
                if not any(has_words(pages[s], a) for s in sources):
                    problems.append(f"{qid}: answer {a!r} in none of its pages")
            for s in sources:
                if not any(has_words(pages[s], a) for a in alts):
                    problems.append(f"{qid}: page {s} holds none of the answers")
        else:
            items = r.get("expect_items") or []
            if len(items) < 2 or not all(isinstance(i, list) and i for i in items) or "expect_answer" in r:
                problems.append(f"{qid}: expect_items must be a list of at least 2 name lists")
            for item in items + (r.get("allow_items") or []):
                for name in item:
                    if not any(has_words(pages[s], name) for s in sources):
                        problems.append(f"{qid}: item name {name!r} in none of its pages")
            # a name of one entity must not contain a name of another one (it would match both)
            entities = items + (r.get("allow_items") or [])
            for i, a in enumerate(entities):
                for j, b in enumerate(entities):
                    if i != j and any(has_words(norm(x), y) for x in a for y in b):
                        problems.append(f"{qid}: a name of item {a} contains a name of item {b}")

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
        if f"**Question:** {r['question']}\n" not in block:
            problems.append(f"GOLD.md {qid}: question text differs from questions.jsonl")
        quotes = re.findall(r"Supporting passage in `([^`]+)`:\n\n> (.+)", block)
        if r["kind"] != "none" and not quotes:
            problems.append(f"GOLD.md {qid}: no supporting passage")
        if r["kind"] == "none" and (quotes or len(block.split("**Answer:** none", 1)[-1].strip()) < 40):
            problems.append(f"GOLD.md {qid}: a none question needs a note on why no page answers, and no passage")
        for page, quote in quotes:
            if page not in pages or norm(quote) not in pages[page]:
                problems.append(f"GOLD.md {qid}: passage not found in {page}: {quote[:60]}…")
        for page in {p for p, _ in quotes}:
            here = [norm(q) for p, q in quotes if p == page]
            if r["kind"] == "fact" and not any(has_words(q, a) for q in here for a in r["expect_answer"]):
                problems.append(f"GOLD.md {qid}: no passage from {page} holds an expected answer")
        if r["kind"] == "list":
            quoted = [norm(q) for _, q in quotes]
            for item in r["expect_items"]:
                if not any(has_words(q, n) for q in quoted for n in item):
                    problems.append(f"GOLD.md {qid}: item {item[0]!r} is named in no quoted passage")
        for page in r.get("expect_sources", []):
            if page not in {p for p, _ in quotes}:
                problems.append(f"GOLD.md {qid}: no passage quoted from {page}")
    for qid in ids:
        if qid not in seen:
            problems.append(f"GOLD.md: no entry for {qid}")

    split = json.loads((HERE / "split.json").read_text(encoding="utf-8"))
    if sorted(split["dev"] + split["heldout"]) != sorted(ids) or set(split["dev"]) & set(split["heldout"]):
        problems.append("split.json does not partition the ids")

    count = Counter((r["kind"], r.get("lang", "en")) for r in rows)
    held = Counter((by_id[i]["kind"], by_id[i].get("lang", "en")) for i in split["heldout"] if i in by_id)
    print(f"{len(pages)} pages, {len(rows)} questions ({len(split['heldout'])} held out)")
    for kind in ("fact", "list", "none"):
        print(f"  {kind}: en {count[(kind, 'en')]}, fr {count[(kind, 'fr')]}"
              f"  (held out: en {held[(kind, 'en')]}, fr {held[(kind, 'fr')]})")
    if "-v" in sys.argv:
        used = Counter(s for r in rows for s in r.get("expect_sources", []))
        for name, text in pages.items():
            print(f"  {name}: {len(text.split())} words of article text, source of {used[name]} question(s)")
    for p in problems:
        print("PROBLEM:", p)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
