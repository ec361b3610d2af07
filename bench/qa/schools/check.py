#!/usr/bin/env python3
"""Check the schools QA set: questions.jsonl, split.json and GOLD.md against corpus/.

For every answerable question it verifies that
  * each expect_sources file exists in corpus/;
  * GOLD.md quotes at least one supporting sentence per expected source, and each quote occurs
    in the page text (HTML tags stripped, entities decoded, NFKC, case-folded, spaces collapsed);
  * fact: every expect_answer string occurs as whole words in a quoted sentence;
  * list: every expected item has a name occurring as whole words in a quoted sentence.
It also checks the record format, the split and prints counts. Exit status 1 on any error.

    python3 bench/qa/schools/check.py
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
KINDS = {"fact", "list", "none"}
FIELDS = {"id", "question", "lang", "kind", "expect_items", "expect_answer", "expect_sources", "allow_items"}


def norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", s).casefold().split())


class _Text(HTMLParser):
    SKIP = frozenset({"script", "style", "head", "noscript"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.depth = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def page_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    if path.suffix in (".html", ".htm"):
        p = _Text()
        p.feed(raw)
        raw = "".join(p.parts)
    return norm(raw)


def has_words(needle: str, hay: str) -> bool:
    n = norm(needle)
    return bool(n) and re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", hay) is not None


def count_words(needle: str, hay: str) -> int:
    return len(re.findall(r"(?<!\w)" + re.escape(norm(needle)) + r"(?!\w)", hay))


def parse_gold(path: Path) -> dict:
    gold, cur = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"### (s-\d+) ", line)
        if m:
            cur = m.group(1)
            gold[cur] = []
            continue
        m = re.match(r'- `([^`]+)`: "(.*)"$', line)
        if m and cur:
            gold[cur].append((m.group(1), m.group(2)))
    return gold


def main() -> int:
    errors, warnings = [], []
    files = [p for p in sorted(CORPUS.iterdir()) if p.suffix in (".html", ".txt")]
    pages = {p.name: page_text(p) for p in files}
    titles, page_lang = {}, {}
    for p in files:
        raw = p.read_text(encoding="utf-8")
        m = re.search(r"<title>(.*?)</title>", raw, re.DOTALL)
        titles[p.name] = norm(m.group(1) if m else raw.splitlines()[0])
        m = re.search(r'<html[^>]*\blang="([a-z]{2})', raw)
        if m:
            page_lang[p.name] = m.group(1)
        else:  # plain text: French if French function words outnumber English ones
            words = re.findall(r"\w+", pages[p.name])
            fr = sum(w in {"le", "la", "les", "des", "une", "est", "pour", "et"} for w in words)
            en = sum(w in {"the", "of", "and", "is", "for", "to", "a"} for w in words)
            page_lang[p.name] = "fr" if fr > en else "en"
    if (CORPUS / "sources.toml").exists():
        errors.append("corpus/sources.toml must not exist")
    qs = [json.loads(l) for l in (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    gold = parse_gold(HERE / "GOLD.md")
    split = json.loads((HERE / "split.json").read_text(encoding="utf-8"))

    ids = [q["id"] for q in qs]
    if ids != [f"s-{i:02d}" for i in range(1, len(qs) + 1)]:
        errors.append("ids are not s-01..s-NN in order")
    for q in qs:
        qid, kind = q["id"], q.get("kind")
        extra = set(q) - FIELDS
        if extra:
            errors.append(f"{qid}: unknown fields {sorted(extra)}")
        if kind not in KINDS:
            errors.append(f"{qid}: bad kind {kind!r}")
        if "lang" in q and q["lang"] != "fr":
            errors.append(f"{qid}: lang must be 'fr' or absent")
        quotes = gold.get(qid)
        if quotes is None:
            errors.append(f"{qid}: missing from GOLD.md")
            continue
        if kind == "none":
            if any(k in q for k in ("expect_items", "expect_answer", "expect_sources")):
                errors.append(f"{qid}: none question with expectations")
            if quotes:
                errors.append(f"{qid}: none question with gold quotes")
            continue
        srcs = q.get("expect_sources") or []
        if not srcs:
            errors.append(f"{qid}: no expect_sources")
        for s in srcs:
            if s not in pages:
                errors.append(f"{qid}: source {s} not in corpus/")
            elif not any(f == s for f, _ in quotes):
                errors.append(f"{qid}: no gold quote from {s}")
        for f, sent in quotes:
            if f not in srcs:
                errors.append(f"{qid}: gold quote from {f}, not an expect_source")
            if f in pages and norm(sent) not in pages[f]:
                errors.append(f"{qid}: quote not found in {f}: {sent[:70]}...")
        joined = " | ".join(norm(s) for _, s in quotes)
        if kind == "fact":
            for a in q.get("expect_answer") or errors.append(f"{qid}: no expect_answer") or []:
                if not has_words(a, joined):
                    errors.append(f"{qid}: answer {a!r} not in its supporting sentence")
                else:
                    n = sum(count_words(a, pages[s]) for s in srcs if s in pages)
                    if n > 1 and re.search(r"\d", a):
                        warnings.append(f"{qid}: answer {a!r} occurs {n} times in its page(s)")
        else:
            # One source: the items are entities one passage enumerates; each must be named in it.
            # Several sources: the items are the schools those pages belong to; each must be named
            # by one of its pages (title, first line or text) that has a quote.
            for item in q.get("expect_items") or errors.append(f"{qid}: no expect_items") or []:
                if len(srcs) == 1:
                    ok = any(has_words(name, joined) for name in item)
                else:
                    ok = any(has_words(name, pages[f] + " " + titles[f]) for name in item for f, _ in quotes if f in pages)
                if not ok:
                    errors.append(f"{qid}: no name of item {item} in its supporting sentences/pages")
            if len(srcs) > 1 and len(srcs) != len(q["expect_items"]):
                warnings.append(f"{qid}: {len(q['expect_items'])} items from {len(srcs)} pages")

    dev, held = split.get("dev", []), split.get("heldout", [])
    if sorted(dev + held) != sorted(ids) or set(dev) & set(held):
        errors.append("split.json does not partition the ids")

    by_kind = Counter(q["kind"] for q in qs)
    by_lang = Counter(q.get("lang", "en") for q in qs)
    by_cell = Counter((q["kind"], q.get("lang", "en")) for q in qs)
    held_cell = Counter((q["kind"], q.get("lang", "en")) for q in qs if q["id"] in held)
    cross = sum(any(page_lang.get(s) != q.get("lang", "en") for s in q.get("expect_sources", [])) for q in qs)
    print("page languages:", ", ".join(f"{n} {l}" for n, l in page_lang.items()))
    print(f"pages: {len(pages)} ({sum(p.endswith('.html') for p in pages)} html, {sum(p.endswith('.txt') for p in pages)} txt)")
    print(f"questions: {len(qs)}  kinds: {dict(by_kind)}  langs: {dict(by_lang)}  cross-language: {cross}")
    print(f"split: dev {len(dev)}, heldout {len(held)}")
    for cell in sorted(by_cell):
        print(f"  {cell[0]:5} {cell[1]}: {by_cell[cell]:2} total, {held_cell[cell]} held out")
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("ERROR:", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
