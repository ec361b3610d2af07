"""What every page kind shares: character clean-up, chrome lines, repeated blocks."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from kb.models import Block
from kb.wordlists import words

# C0 controls other than tab/newline/CR, DEL and lone surrogates: lxml rejects some of them and
# lone surrogates cannot be encoded as UTF-8 by the later stages.
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\u00ad]")
_NBSP = re.compile(r"[\u00a0\u2007\u202f]")
_WS = re.compile(r"\s+")


def sanitize(text: str) -> str:
    """Input with characters no parser or encoder can handle removed."""
    return _BAD_CHARS.sub("", text)


def collapse_spaces(text: str) -> str:
    """Prose text with invisible characters removed and whitespace collapsed."""
    return _WS.sub(" ", _NBSP.sub(" ", _INVISIBLE.sub("", text))).strip()


def primary_lang(value: object) -> str | None:
    """'fr-FR' -> 'fr'; None when the value is not a language tag."""
    if not isinstance(value, str):
        return None
    primary = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def absolute_url(value: object) -> str | None:
    """The value when it is an absolute http(s) URL."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.netloc and " " not in value else None


def meta_text(value: object) -> str | None:
    """A scalar metadata value as clean text, or None."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = collapse_spaces(unicodedata.normalize("NFC", str(value)))
    return text or None


_CHROME_PHRASES = words("chrome_phrases")
_PLATFORMS = words("platform_names")
# The chrome phrases and platform names a line may be made of, longest first ("share on" before "share").
_CHROME_RUN = re.compile(
    r"(?:" + "|".join(re.escape(p) for p in sorted(_CHROME_PHRASES | _PLATFORMS, key=len, reverse=True))
    + r")(?![\w'’-])|[\W_]+")
_EDGE_SYMBOLS = re.compile(r"^[\W_]+|[\W_]+$")
_IMAGE_FILE = re.compile(r"[\w.~%+-]+\.(?:jpe?g|png|gif|svg|webp)", re.IGNORECASE)
_LOGO_WORD = re.compile(r"[\w&+-]{1,15}")
# Function words show that a run of short words is a sentence, not a row of logo captions.
_STOPWORDS = frozenset(
    "a an the of and or to in on for with see is are at by from this that our your "
    "le la les l de des du d et ou à au aux en dans pour par sur avec voir est sont un une ce cette "
    "nos vos".split()
)


#: What separates a page's name from its site's in a title ("Study abroad – Harwick Business School").
TITLE_SEPARATOR = re.compile(r"\s+[|\-–—]\s+")


def split_title(title: str, site: str | None = None) -> tuple[str, str | None]:
    """(page part, organisation part) of a page title; the organisation only for a single separator.
    The site's own name may come first ("Acme | Pricing") or last ("Pricing | Acme")."""
    parts = TITLE_SEPARATOR.split(title)
    if len(parts) < 2:
        return title, None
    if site and block_key(parts[0]) == block_key(site) and block_key(parts[-1]) != block_key(site):
        match = TITLE_SEPARATOR.search(title)
        assert match is not None
        return title[match.end():].strip(), parts[0].strip() if len(parts) == 2 else None
    last = list(TITLE_SEPARATOR.finditer(title))[-1]
    return title[: last.start()].strip(), parts[1].strip() if len(parts) == 2 else None


_SITE_SECTIONS = sorted(words("site_sections"), key=len, reverse=True)
_ACRONYM = re.compile(r"[A-Z][A-Z0-9&]{1,9}")


def organisation_name(site: str | None, title_part: str | None) -> str | None:
    """The organisation a page belongs to, from its site name and the organisation part of its title:
    without the site's section words ("Acme Help Center", "Centre d'aide Acme" -> "Acme"), and in its
    long form with its acronym when one of them abbreviates the other ("ESIB – École Supérieure
    d'Ingénieurs de Brévannes", or "ESIB" beside that title -> "École Supérieure ... (ESIB)")."""
    names = [name for name in (_without_site_section(meta_text(site)), _without_site_section(meta_text(title_part)))
             if name]
    if not names:
        return None
    forms = [part.strip() for name in names for part in TITLE_SEPARATOR.split(name)]
    acronyms = [form for form in forms if _ACRONYM.fullmatch(form)]
    for acronym in acronyms:
        long_forms = [form for form in forms if form not in acronyms and _abbreviates(acronym, form)]
        if long_forms:
            long_form = re.sub(rf"\s*\({re.escape(acronym)}\)\s*$", "", max(long_forms, key=len))
            return f"{long_form} ({acronym})"
    return names[0]


def _without_site_section(name: str | None) -> str | None:
    """The name without a site-section phrase at its start or end ("Acme Docs" -> "Acme")."""
    if not name:
        return name
    for section in _SITE_SECTIONS:
        pattern = rf"^(?:{re.escape(section)})\s+(?=\S)|(?<=\S)\s+(?:{re.escape(section)})$"
        stripped = re.sub(pattern, "", name, flags=re.IGNORECASE).strip(" -–—|:")
        if stripped != name and stripped:
            return stripped
    return name


def _abbreviates(acronym: str, name: str) -> bool:
    """True when the acronym's letters are, in order, initials of the name's words ("ESIB": École
    Supérieure d'Ingénieurs de Brévannes), its first letter the first word's."""
    initials = [unicodedata.normalize("NFD", word)[0].upper() for word in re.findall(r"[^\W\d_]+", name)]
    letters = [char for char in acronym if char.isalpha()]
    if not initials or not letters or initials[0] != letters[0]:
        return False
    position = 0
    for letter in letters:
        while position < len(initials) and initials[position] != letter:
            position += 1
        if position == len(initials):
            return False
        position += 1
    return True


def block_key(text: str) -> str:
    """Comparison key for repeated-block detection."""
    return " ".join(text.casefold().split())


def is_chrome(text: str) -> bool:
    """True for navigation/cookie/share boilerplate lines, page furniture and rows of logo file names."""
    key = _EDGE_SYMBOLS.sub("", block_key(text))
    if key in _CHROME_PHRASES or is_page_furniture(text):
        return True
    # A share bar: "Share on LinkedIn Share on Facebook Share on X Copy link", "Partager : Facebook X Imprimer".
    if _made_of_chrome(key) and any(phrase in key for phrase in _CHROME_PHRASES if len(phrase) > 3):
        return True
    tokens = text.split()
    if not tokens or len(tokens) > 30:
        return False
    has_image = False
    for token in tokens:
        if _IMAGE_FILE.fullmatch(token):
            has_image = True
        elif not _LOGO_WORD.fullmatch(token) or token.casefold() in _STOPWORDS:
            return False
    return has_image


_BYLINE_CUES = sorted(words("byline_cues"), key=len, reverse=True)
_AUTHOR_CUES = sorted(words("author_cues"), key=len, reverse=True)
_WIDGET_PHRASES = words("widget_phrases")
_CONSENT_PHRASES = words("consent_phrases")
_BREADCRUMB_ROOTS = words("breadcrumb_roots")
_FOOTER_LINKS = words("footer_links")
_RELATED_CUES = words("related_cues")
_NUMBER_PREFIX = re.compile(r"^\d+\s*")
#: Blocks longer than this are prose, whatever phrases they hold.
_FURNITURE_WORDS = 30
_NOTICE_WORDS = 70
_PART_SEPARATOR = re.compile(r"\s[·•|—–]\s")
_CRUMB_SEPARATOR = re.compile(r"\s[>›»/]\s")
_COPYRIGHT = re.compile(r"(?:©|\(c\)|\bcopyright\b)\s*(?:©\s*)?(?:[^\W\d][\w&.,-]*\s+){0,4}(?:19|20)\d\d\b",
                        re.IGNORECASE)
_CONSENT_END = re.compile(
    r"(?:\b(?:" + "|".join(re.escape(p) for p in sorted(_CONSENT_PHRASES, key=len, reverse=True)) + r")\b[\W_]*){1,4}$")


def is_page_furniture(text: str) -> bool:
    """True for the furniture around an article: a byline ("Written by X · Updated 2 months ago"),
    a feedback or comment widget, a copyright footer, a cookie notice, a breadcrumb trail."""
    key = block_key(text)
    size = len(key.split())
    if size > _NOTICE_WORDS:
        return False
    if _COPYRIGHT.search(key):
        return True  # a footer's legal line, with the menus and address pasted around it
    if "cookie" in key and key[-1:] not in ".!?" and _CONSENT_END.search(key):
        return True  # "We use cookies to ... Accept all Reject all": it ends with its buttons
    if size > _FURNITURE_WORDS:
        return False
    if any(phrase in key for phrase in _WIDGET_PHRASES):
        return True
    # Each part credits or dates the page, and it names someone or a time ("Mise à jour des
    # raccourcis" is a heading about updating, not a byline).
    parts = [part.strip() for part in _PART_SEPARATOR.split(key) if part.strip()]
    if (key[-1:] not in ".!?;:" and (any(char.isdigit() for char in key) or key.startswith(tuple(_AUTHOR_CUES)))
            and all(_NUMBER_PREFIX.sub("", part).startswith(tuple(_BYLINE_CUES)) for part in parts)):
        return True  # "5 min read" is a byline's part too
    if key[-1:] not in ".!?" and any(key.startswith(cue + " ") for cue in _RELATED_CUES):
        return True  # "À lire aussi Témoignages : mon stage à Singapour FAQ mobilité": links to other pages
    links = sum(part in _FOOTER_LINKS for part in parts)
    if links >= 2 and links >= len(parts) - 1:
        # "Mentions légales | Plan du site | Données personnelles", maybe after the address it ends.
        return True
    crumbs = _CRUMB_SEPARATOR.split(key)
    return len(crumbs) >= 3 and crumbs[0].strip() in _BREADCRUMB_ROOTS and all(len(c.split()) <= 5 for c in crumbs)


def _made_of_chrome(key: str) -> bool:
    """True when the folded line is nothing but chrome phrases, platform names and punctuation."""
    position = 0
    while position < len(key):
        if key[position] == " ":
            position += 1
            continue
        match = _CHROME_RUN.match(key, position)
        if match is None or match.end() == position:
            return False
        position = match.end()
    return True


# A static-site generator's shortcode left in the page ("{{< button href=... >}}", "{{% notice %}}"):
# the tags go, the text they wrap stays.
_SHORTCODE = re.compile(r"\{\{[<%]\s*/?\s*[\w./-]+(?:\s[^{}]{0,300}?)?\s*[>%]\}\}")


def _normalise_block(block: Block) -> Block | None:
    """The block with NFC text and collapsed whitespace (code kept verbatim), or None when empty."""
    if block.kind == "code":
        text = unicodedata.normalize("NFC", block.text).strip("\r\n")
        return Block("code", text, 0) if text.strip() else None
    text = collapse_spaces(_SHORTCODE.sub(" ", unicodedata.normalize("NFC", block.text)))
    if not text:
        return None
    if block.kind == "heading":
        return Block("heading", text, min(max(block.level, 1), 6))
    return Block(block.kind, text, 0)


def finish_blocks(blocks: list[Block]) -> list[Block]:
    """Normalise, drop empty and chrome blocks, and keep repeated prose blocks once."""
    kept: list[Block] = []
    for block in blocks:
        normal = _normalise_block(block)
        if normal is not None and (normal.kind == "code" or not is_chrome(normal.text)):
            kept.append(normal)
    # A paragraph/item is a repeat when its text already appeared; short ones ("Read more") are
    # left alone since they are not worth a passage anyway and may be legitimately repeated.
    seen: set[str] = set()
    repeat = [False] * len(kept)
    for i, block in enumerate(kept):
        if block.kind in ("paragraph", "item"):
            key = block_key(block.text)
            if len(key.split()) >= 5 and key in seen:
                repeat[i] = True
            seen.add(key)
    out: list[Block] = []
    seen_all: set[str] = set()
    for i, block in enumerate(kept):
        key = block_key(block.text)
        if repeat[i]:
            continue
        # News-teaser pattern: a heading + teaser shown twice; drop the second heading with its teaser.
        if block.kind == "heading" and key in seen_all and i + 1 < len(kept) and repeat[i + 1]:
            continue
        seen_all.add(key)
        out.append(block)
    return out

