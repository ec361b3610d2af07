"""What every page kind shares: character clean-up, chrome lines, repeated blocks."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from kb.models import Block

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


_CHROME_PHRASES = frozenset(
    phrase.strip()
    for phrase in """
    skip to content|skip to main content|skip to navigation|skip to main navigation|skip navigation
    skip to search|skip to footer|skip links|skip to the content|skip to the main content
    jump to content|jump to navigation|go to content|go to main content
    aller au contenu|aller au contenu principal|aller à la navigation|aller au menu|aller à la recherche
    passer au contenu|passer au contenu principal|accéder au contenu|accéder au contenu principal
    menu principal|main menu|main navigation|toggle navigation|open menu|close menu|menu
    ouvrir le menu|fermer le menu|fermer|close
    retour en haut de page|retour en haut|haut de page|revenir en haut|back to top|top of page
    go to top|scroll to top
    cookie settings|cookies settings|cookie preferences|manage cookies|manage cookie preferences
    accept all cookies|accept cookies|accept all|reject all|allow all cookies
    tout accepter|tout refuser|accepter les cookies|refuser les cookies
    paramétrer les cookies|gérer les cookies|paramètres des cookies|gestion des cookies
    share this page|share this|share|share on facebook|share on twitter|share on linkedin
    partager|partager cette page|partager sur facebook|partager sur twitter|partager sur linkedin
    print this page|print|imprimer|imprimer cette page|vous êtes ici|you are here
    """.replace("\n", "|").split("|")
    if phrase.strip()
)
_EDGE_SYMBOLS = re.compile(r"^[\W_]+|[\W_]+$")
_IMAGE_FILE = re.compile(r"[\w.~%+-]+\.(?:jpe?g|png|gif|svg|webp)", re.IGNORECASE)
_LOGO_WORD = re.compile(r"[\w&+-]{1,15}")
# Function words show that a run of short words is a sentence, not a row of logo captions.
_STOPWORDS = frozenset(
    "a an the of and or to in on for with see is are at by from this that our your "
    "le la les l de des du d et ou à au aux en dans pour par sur avec voir est sont un une ce cette "
    "nos vos".split()
)


def block_key(text: str) -> str:
    """Comparison key for repeated-block detection."""
    return " ".join(text.casefold().split())


def _is_chrome(text: str) -> bool:
    """True for navigation/cookie/share boilerplate lines and rows of logo file names."""
    key = _EDGE_SYMBOLS.sub("", block_key(text))
    if key in _CHROME_PHRASES:
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


def _normalise_block(block: Block) -> Block | None:
    """The block with NFC text and collapsed whitespace (code kept verbatim), or None when empty."""
    if block.kind == "code":
        text = unicodedata.normalize("NFC", block.text).strip("\r\n")
        return Block("code", text, 0) if text.strip() else None
    text = collapse_spaces(unicodedata.normalize("NFC", block.text))
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
        if normal is not None and (normal.kind == "code" or not _is_chrome(normal.text)):
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

