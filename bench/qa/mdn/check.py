#!/usr/bin/env python3
"""Check the MDN question set next to this file against the corpus.

    python3 check.py [--corpus /work/data/mdn] [--public /work/shared/eval/mdn/questions.jsonl]

Checks, and exits non-zero on any failure:
- questions.jsonl: fields, ids, kinds, languages;
- every expect_sources path exists in the corpus;
- every expect_answer string, and the first name of every expected list item, occurs as whole
  words (NFKC, case folded, white space collapsed, like `kb eval`) in the first source page,
  either in its raw Markdown or in a crude rendering of it (KumaScript macros replaced by
  their display text, Markdown links by their text, emphasis and code marks dropped);
- split.json: every id exactly once, in dev or heldout;
- GOLD.md: one section per question, and every quoted passage occurs word for word in the
  named page (white space collapsed);
- no fact question repeats a fact of the public set (same first page and a shared answer string).
Prints counts per kind and language, and notes (alternative names or allowed items not found).
"""
from __future__ import annotations

import argparse
import collections
import html
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
KINDS = ("fact", "list", "none")
FIELDS = {"id", "question", "kind", "lang", "expect_answer", "expect_items", "allow_items", "expect_sources"}

MACRO = re.compile(r"\{\{\s*([A-Za-z_][\w-]*)\s*(?:\((.*?)\))?\s*\}\}", re.DOTALL)
MACRO_ARG = re.compile(r'"([^"]*)"|\'([^\']*)\'|(\d+)')
# Macros whose first argument is the shown text even when a second argument exists.
FIRST_ARG = {"htmlattrxref", "htmlattrdef", "rfc", "bug"}
# Macros that show nothing.
SILENT = {"embedlivesample", "embedinteractiveexample", "embedghlivesample", "compat", "specifications"}


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def contains_words(text: str, phrase: str) -> bool:
    needle = normalise(phrase)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", text) is not None


def render_macro(match: re.Match) -> str:
    name, args = match.group(1).lower(), match.group(2)
    if name in SILENT or not args:
        return ""
    values = [a or b or c for a, b, c in MACRO_ARG.findall(args)]
    if not values:
        return ""
    if name == "htmlelement":
        return values[1] if len(values) > 1 and values[1] else f"<{values[0]}>"
    if name == "rfc":
        return f"RFC {values[0]}"
    if name in FIRST_ARG or len(values) < 2 or not values[1]:
        return values[0]
    return values[1]


def strip_front_matter(text: str) -> str:
    return re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)


def rendered(markdown: str) -> str:
    text = MACRO.sub(render_macro, markdown)
    text = re.sub(r"!?\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)", r"\1", text)  # links and images
    text = re.sub(r"<[^>\n]+>", " ", text)                                   # HTML tags
    text = text.replace("`", "").replace("**", "")
    text = re.sub(r"(?<!\w)_(\S(?:.*?\S)?)_(?!\w)", r"\1", text)             # _emphasis_
    return html.unescape(text)


class Page:
    def __init__(self, path: Path):
        self.raw_md = path.read_text(encoding="utf-8")
        body = strip_front_matter(self.raw_md)
        self.raw = normalise(html.unescape(body))
        self.text = normalise(rendered(body))

    def has(self, phrase: str) -> bool:
        return contains_words(self.raw, phrase) or contains_words(self.text, phrase)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/work/data/mdn")
    ap.add_argument("--public", default="/work/shared/eval/mdn/questions.jsonl")
    opts = ap.parse_args()
    corpus = Path(opts.corpus)
    errors: list[str] = []
    notes: list[str] = []
    pages: dict[str, Page] = {}

    def page(rel: str) -> Page | None:
        if rel not in pages:
            path = corpus / rel
            if not (path.is_file() and re.fullmatch(r"(en|fr)/.+/index\.md", rel)):
                return None
            pages[rel] = Page(path)
        return pages[rel]

    questions = [json.loads(line) for line in (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = [q.get("id") for q in questions]
    if ids != [f"m-{i:02d}" for i in range(1, len(questions) + 1)]:
        errors.append("ids are not m-01, m-02, ... in order")
    counts = collections.Counter()
    for q in questions:
        qid, kind, lang = q.get("id"), q.get("kind"), q.get("lang", "en")
        counts[(kind, lang)] += 1
        if set(q) - FIELDS:
            errors.append(f"{qid}: unknown fields {sorted(set(q) - FIELDS)}")
        if kind not in KINDS:
            errors.append(f"{qid}: bad kind {kind!r}")
        if "lang" in q and q["lang"] != "fr":
            errors.append(f"{qid}: lang must be 'fr' or absent")
        if not isinstance(q.get("question"), str) or not q["question"].strip():
            errors.append(f"{qid}: empty question")
        sources = q.get("expect_sources", [])
        if kind == "none":
            if any(k in q for k in ("expect_answer", "expect_items", "expect_sources")):
                errors.append(f"{qid}: a none question carries expectations")
            continue
        if not sources:
            errors.append(f"{qid}: no expect_sources")
            continue
        if len(set(sources)) != len(sources):
            errors.append(f"{qid}: repeated source")
        for rel in sources:
            if "\\" in rel or rel.startswith("/") or page(rel) is None:
                errors.append(f"{qid}: source missing or malformed: {rel}")
        first = page(sources[0])
        if first is None:
            continue
        if kind == "fact":
            answers = q.get("expect_answer") or []
            if not answers or not all(isinstance(a, str) and a for a in answers):
                errors.append(f"{qid}: expect_answer must be a non-empty list of strings")
            for a in answers:
                if not first.has(a):
                    errors.append(f"{qid}: answer {a!r} not in {sources[0]}")
            if "expect_items" in q or "allow_items" in q:
                errors.append(f"{qid}: fact with items")
        else:
            items = q.get("expect_items") or []
            if len(items) < 2:
                errors.append(f"{qid}: a list needs at least two items")
            for names in items:
                if not first.has(names[0]):
                    errors.append(f"{qid}: item {names[0]!r} not in {sources[0]}")
                for alt in names[1:]:
                    if not first.has(alt):
                        notes.append(f"{qid}: alternative name {alt!r} not in the page (accepted spelling only)")
            everything = [n for names in items + q.get("allow_items", []) for n in names]
            for i, names in enumerate(items):
                for n in names:
                    clash = [m for j, other in enumerate(items) if j != i for m in other if contains_words(normalise(m), n)]
                    if clash:
                        errors.append(f"{qid}: item name {n!r} is contained in other item(s) {clash}")
            for names in q.get("allow_items", []):
                if not any(first.has(n) for n in names):
                    notes.append(f"{qid}: allowed item {names} not in the page")
            if "expect_answer" in q:
                errors.append(f"{qid}: list with expect_answer")
            del everything

    # split
    split = json.loads((HERE / "split.json").read_text())
    dev, held = split.get("dev", []), split.get("heldout", [])
    if sorted(dev + held) != sorted(ids) or set(dev) & set(held):
        errors.append("split.json does not partition the ids")
    by_id = {q["id"]: q for q in questions}
    held_counts = collections.Counter((by_id[i]["kind"], by_id[i].get("lang", "en")) for i in held if i in by_id)

    # GOLD.md
    gold = (HERE / "GOLD.md").read_text(encoding="utf-8")
    quoted: dict[str, dict[str, list[str]]] = {}
    sections = dict(re.findall(r"^## (m-\d+) · [^\n]*\n(.*?)(?=^## |\Z)", gold, flags=re.DOTALL | re.MULTILINE))
    for qid in ids:
        if qid not in sections:
            errors.append(f"GOLD.md: no section for {qid}")
            continue
        body = sections[qid]
        if by_id[qid]["kind"] != "none" and "Supporting passage in" not in body:
            errors.append(f"GOLD.md {qid}: no supporting passage")
        for rel, block in re.findall(r"Supporting passage in `([^`]+)`:\n\n((?:>.*\n?|\n)*)", body):
            if rel not in by_id[qid].get("expect_sources", []):
                errors.append(f"GOLD.md {qid}: quoted page {rel} is not among expect_sources")
            p = page(rel)
            if p is None:
                errors.append(f"GOLD.md {qid}: missing page {rel}")
                continue
            raw = " ".join(p.raw_md.split())
            for quote in re.findall(r"^> (.*)$", block, flags=re.MULTILINE):
                if " ".join(quote.split()) not in raw:
                    errors.append(f"GOLD.md {qid}: quote not found in {rel}: {quote[:80]}...")
                quoted.setdefault(qid, {}).setdefault(rel, []).append(quote)
    # the supporting passage itself holds the answer
    for q in questions:
        sources = q.get("expect_sources") or []
        if q["kind"] == "none" or not sources:
            continue
        passages = quoted.get(q["id"], {}).get(sources[0], [])
        if not passages:
            errors.append(f"GOLD.md {q['id']}: no passage quoted from the first source {sources[0]}")
            continue
        texts = [normalise(html.unescape(s)) for s in passages] + [normalise(rendered(s)) for s in passages]
        in_quote = lambda phrase, texts=texts: any(contains_words(t, phrase) for t in texts)
        if q["kind"] == "fact":
            missing = [a for a in q["expect_answer"] if not in_quote(a)]
            if len(missing) == len(q["expect_answer"]):
                errors.append(f"{q['id']}: no expect_answer string occurs in the quoted passage")
            for a in missing:
                notes.append(f"{q['id']}: answer {a!r} is on the page but not in the quoted passage")
        else:
            for names in q["expect_items"]:
                if not any(in_quote(n) for n in names):
                    errors.append(f"{q['id']}: item {names[0]!r} not in the quoted passage")

    # public set overlap
    public = Path(opts.public)
    if public.is_file():
        pub = [json.loads(l) for l in public.read_text(encoding="utf-8").splitlines() if l.strip()]
        pub_first = {}
        for p in pub:
            if p.get("expect_sources"):
                pub_first.setdefault(p["expect_sources"][0], []).append(p)
        for q in questions:
            if q["kind"] == "none" or not q.get("expect_sources"):
                continue
            for p in pub_first.get(q["expect_sources"][0], []):
                mine = {normalise(a) for a in q.get("expect_answer", [])} | {normalise(n) for names in q.get("expect_items", []) for n in names}
                theirs = {normalise(a) for a in p.get("expect_answer", [])} | {normalise(n) for names in p.get("expect_items", []) for n in names}
                if mine & theirs:
                    errors.append(f"{q['id']}: repeats public {p['id']} ({q['expect_sources'][0]}: {sorted(mine & theirs)})")
                else:
                    notes.append(f"{q['id']}: same first page as public {p['id']} ({q['expect_sources'][0]}), different fact")
        pub_q = {normalise(p["question"]) for p in pub}
        for q in questions:
            if normalise(q["question"]) in pub_q:
                errors.append(f"{q['id']}: question copied from the public set")

    print(f"{len(questions)} questions; held out {len(held)}")
    print("| kind | en | fr | total | held out (en/fr) |")
    for k in KINDS:
        en, fr = counts[(k, "en")], counts[(k, "fr")]
        print(f"| {k} | {en} | {fr} | {en + fr} | {held_counts[(k, 'en')]}/{held_counts[(k, 'fr')]} |")
    print(f"| all | {sum(v for (k, l), v in counts.items() if l == 'en')} | {sum(v for (k, l), v in counts.items() if l == 'fr')} | {len(questions)} | |")
    fr_on_en = [q["id"] for q in questions if q.get("lang") == "fr" and q.get("expect_sources", ["fr/"])[0].startswith("en/")]
    print(f"French questions answered by English pages: {', '.join(fr_on_en) or 'none'}")
    print(f"{len(pages)} pages read")
    for n in notes:
        print("note:", n)
    for e in errors:
        print("ERROR:", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
