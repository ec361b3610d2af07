"""Chunk stage: cut a cleaned page's blocks into passages that follow its structure."""

from __future__ import annotations

import hashlib

from kb.language import detect_language
from kb.models import Block, Passage
from kb.text import ITEM_MARK, split_sentences, word_count

#: Passages grow paragraph by paragraph up to this many words: long enough to hold a claim with its
#: context, short enough that a citation points at the sentence's neighbourhood, not a whole page.
MAX_WORDS = 160
#: A passage in another language than its page is recognised only with this much prose and certainty.
MIXED_LANGUAGE_MIN_WORDS = 40
MIXED_LANGUAGE_MIN_PROBABILITY = 0.99
#: Characters of a passage its language is judged on: every passage of every page is checked, and
#: 80 words tell English from French about as well as 160 (2 of 6,913 MDN passages judged
#: otherwise, both of them code).
PASSAGE_SAMPLE_CHARS = 500


def passage_id_for(doc_id: str, heading: str, text: str, occurrence: int = 0) -> str:
    """A passage id that stays the same as long as the passage's document, heading and text do."""
    key = f"{doc_id}\0{heading}\0{text}\0{occurrence}".encode()
    return hashlib.blake2b(key, digest_size=8).hexdigest()


def _pieces(block: Block, lang: str) -> list[str]:
    """The block's text in pieces of at most MAX_WORDS, cut between sentences (or lines for code)."""
    text = ITEM_MARK + block.text if block.kind == "item" else block.text
    if word_count(text) <= MAX_WORDS:
        return [text]
    units = text.splitlines() if block.kind == "code" else split_sentences(text, lang)
    joiner = "\n" if block.kind == "code" else " "
    pieces: list[str] = []
    current: list[str] = []
    current_words = 0
    for unit in units:
        words = word_count(unit)
        if current and current_words + words > MAX_WORDS:
            pieces.append(joiner.join(current))
            current, current_words = [], 0
        current.append(unit)
        current_words += words
    if current:
        pieces.append(joiner.join(current))
    return pieces


def _passage_lang(text: str, doc_lang: str) -> str:
    if word_count(text) < MIXED_LANGUAGE_MIN_WORDS:
        return doc_lang
    lang, probability = detect_language(text, default=doc_lang, sample_chars=PASSAGE_SAMPLE_CHARS)
    return lang if probability >= MIXED_LANGUAGE_MIN_PROBABILITY else doc_lang


def chunk_blocks(blocks: list[Block], doc_id: str, doc_lang: str) -> list[Passage]:
    """Passages of a page: a heading starts one, paragraphs and items group up to MAX_WORDS."""
    passages: list[Passage] = []
    heading_path: list[tuple[int, str]] = []
    current: list[str] = []
    current_words = 0
    prose_words = 0
    seen: dict[str, int] = {}

    def flush() -> None:
        nonlocal current, current_words, prose_words
        if not current:
            return
        text = "\n".join(current)
        heading = " > ".join(title for _, title in heading_path)
        occurrence = seen.get(heading + text, 0)
        seen[heading + text] = occurrence + 1
        lang = _passage_lang(text, doc_lang) if prose_words >= MIXED_LANGUAGE_MIN_WORDS else doc_lang
        passages.append(Passage(
            passage_id=passage_id_for(doc_id, heading, text, occurrence),
            doc_id=doc_id,
            position=len(passages),
            text=text,
            heading=heading,
            lang=lang,
        ))
        current, current_words, prose_words = [], 0, 0

    for block in blocks:
        if block.kind == "heading":
            flush()
            level = block.level or 2
            while heading_path and heading_path[-1][0] >= level:
                heading_path.pop()
            heading_path.append((level, block.text))
            continue
        for piece in _pieces(block, doc_lang):
            words = word_count(piece)
            if current and current_words + words > MAX_WORDS:
                flush()
            current.append(piece)
            current_words += words
            if block.kind != "code":
                prose_words += words
    flush()
    return passages
