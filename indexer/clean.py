"""Clean stage: turn HTML, Markdown and plain-text pages into ordered prose blocks plus page metadata."""

from __future__ import annotations

import html as htmllib
import json
import re
import unicodedata
import warnings
from urllib.parse import urlsplit

import frontmatter
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString
from frontmatter.default_handlers import YAMLHandler
from markdown_it import MarkdownIt
from markdown_it.token import Token

from kb.models import Block, CleanPage, PageMeta

__all__ = ["clean_html", "clean_markdown", "clean_text", "clean_document"]


# C0 controls other than tab/newline/CR, DEL and lone surrogates: lxml rejects some of them and
# lone surrogates cannot be encoded as UTF-8 by the later stages.
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\u00ad]")
_NBSP = re.compile(r"[\u00a0\u2007\u202f]")
_WS = re.compile(r"\s+")


def _sanitize(text: str) -> str:
    """Input with characters no parser or encoder can handle removed."""
    return _BAD_CHARS.sub("", text)


def _collapse(text: str) -> str:
    """Prose text with invisible characters removed and whitespace collapsed."""
    return _WS.sub(" ", _NBSP.sub(" ", _INVISIBLE.sub("", text))).strip()


def _primary_lang(value: object) -> str | None:
    """'fr-FR' -> 'fr'; None when the value is not a language tag."""
    if not isinstance(value, str):
        return None
    primary = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _absolute_url(value: object) -> str | None:
    """The value when it is an absolute http(s) URL."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.netloc and " " not in value else None


def _meta_text(value: object) -> str | None:
    """A scalar metadata value as clean text, or None."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = _collapse(unicodedata.normalize("NFC", str(value)))
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


def _key(text: str) -> str:
    """Comparison key for repeated-block detection."""
    return " ".join(text.casefold().split())


def _is_chrome(text: str) -> bool:
    """True for navigation/cookie/share boilerplate lines and rows of logo file names."""
    key = _EDGE_SYMBOLS.sub("", _key(text))
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
    text = _collapse(unicodedata.normalize("NFC", block.text))
    if not text:
        return None
    if block.kind == "heading":
        return Block("heading", text, min(max(block.level, 1), 6))
    return Block(block.kind, text, 0)


def _finish(blocks: list[Block]) -> list[Block]:
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
            key = _key(block.text)
            if len(key.split()) >= 5 and key in seen:
                repeat[i] = True
            seen.add(key)
    out: list[Block] = []
    seen_all: set[str] = set()
    for i, block in enumerate(kept):
        key = _key(block.text)
        if repeat[i]:
            continue
        # News-teaser pattern: a heading + teaser shown twice; drop the second heading with its teaser.
        if block.kind == "heading" and key in seen_all and i + 1 < len(kept) and repeat[i + 1]:
            continue
        seen_all.add(key)
        out.append(block)
    return out


_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_BLOCK_TAGS = frozenset(
    """address article aside blockquote body caption center dd details dialog dir div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav ol p
    pre section summary table tbody td tfoot th thead tr ul""".split()
)
_DROP_TAGS = frozenset(
    """script style noscript iframe frame frameset svg template input button select option optgroup
    textarea label datalist output object embed canvas audio video map link meta head title
    nav aside footer""".split()
)
_DROP_ROLES = frozenset(("navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"))
_CHROME_TOKENS = frozenset(
    """menu menus menubar megamenu submenu nav navbar navigation navlinks breadcrumb breadcrumbs crumbs
    cookie cookies consent gdpr share shares sharing sharebar sharethis addthis social socials sidebar
    skip skiplink skiplinks pagination pager newsletter related masthead footer topbar offcanvas search
    backtotop totop gototop scrolltop scrolltotop""".split()
)
_CHROME_COMPOUNDS = frozenset(
    """backtotop gototop scrolltotop skiptocontent skiplink relatedposts relatedlinks relatedarticles
    siteheader globalheader globalnav sitenav mainnav topnav langswitcher languageswitcher
    languageselector langselector cookiebanner cookienotice""".split()
)
# Tokens that turn a chrome word into a layout flag ("has-sidebar", "no-sidebar") or mark the real
# content inside a chrome-named wrapper ("menu-of-courses-content").
_CHROME_MODIFIERS = frozenset("has with no without layout content".split())
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _chrome_marked(values: object) -> bool:
    """True when a class/id value names site chrome (whole tokens, not substrings)."""
    if isinstance(values, str):
        values = values.split()
    if not isinstance(values, list):
        return False
    for value in values:
        if not isinstance(value, str):
            continue
        tokens = [t for t in re.split(r"[-_\s.:]+", _CAMEL.sub(r"\1-\2", value).lower()) if t]
        if not tokens or any(t in _CHROME_MODIFIERS for t in tokens):
            continue
        if "".join(tokens) in _CHROME_COMPOUNDS or any(t in _CHROME_TOKENS for t in tokens):
            return True
    return False


def _dropped(tag: Tag, in_section: bool) -> bool:
    """True when the element is script, form furniture or site chrome rather than page prose."""
    name = tag.name
    if name in _DROP_TAGS:
        return True
    if name == "header" and not in_section:
        return True
    # Some CMSs wrap the whole page in one <form>; only drop forms that hold no page content.
    if name == "form" and tag.find(("main", "article", "h1", "h2")) is None:
        return True
    attrs = tag.attrs
    if not attrs:
        return False
    if "hidden" in attrs:
        return True
    aria = attrs.get("aria-hidden")
    if isinstance(aria, str) and aria.strip().lower() == "true":
        return True
    role = attrs.get("role")
    if isinstance(role, str) and _DROP_ROLES.intersection(role.lower().split()):
        return True
    style = attrs.get("style")
    if isinstance(style, str) and _HIDDEN_STYLE.search(style):
        return True
    if _chrome_marked(attrs.get("class")) or _chrome_marked(attrs.get("id")):
        # A chrome-looking class on a wrapper of the whole page ("page with-menu") must not lose the page.
        return tag.find(("h1", "main", "article")) is None
    return False


def _is_text(node: object) -> bool:
    """True for a text node that is rendered (not a comment, doctype or CDATA)."""
    return isinstance(node, NavigableString) and not isinstance(node, PreformattedString)


def _inline_text(element: Tag) -> str:
    """All rendered text under an element, block boundaries turned into spaces (no recursion)."""
    parts: list[str] = []
    stack: list[object] = [element]
    while stack:
        node = stack.pop()
        if type(node) is str:
            parts.append(node)
        elif isinstance(node, Tag):
            if node is not element and _dropped(node, True):
                continue
            if node.name == "br":
                parts.append(" ")
                continue
            if node.name in _BLOCK_TAGS:
                stack.append(" ")
                stack.extend(reversed(node.contents))
                stack.append(" ")
            else:
                stack.extend(reversed(node.contents))
        elif _is_text(node):
            parts.append(str(node))
    return "".join(parts)


def _pre_text(element: Tag) -> str:
    """A <pre> element's text, whitespace kept."""
    parts: list[str] = []
    for node in element.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
        elif _is_text(node):
            parts.append(str(node))
    text = "".join(parts)
    # HTML drops the newline right after <pre>; some parsers keep it.
    return text[1:] if text.startswith("\n") else text


_LAYOUT_SIGNS = ("table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre", "blockquote")


def _is_layout_table(table: Tag) -> bool:
    """True when a table lays out a page (nested tables, headings, lists) rather than holding data."""
    role = table.get("role")
    if isinstance(role, str) and role.lower() in ("presentation", "none"):
        return True
    return table.find(_LAYOUT_SIGNS) is not None


def _table_blocks(table: Tag) -> list[Block]:
    """A data table as one paragraph per row, cells joined with ' | '."""
    blocks: list[Block] = []
    for element in table.find_all(("caption", "tr")):
        if _dropped(element, True):
            continue
        if element.name == "caption":
            blocks.append(Block("paragraph", _inline_text(element)))
            continue
        cells = []
        for cell in element.find_all(("td", "th"), recursive=False):
            if not _dropped(cell, True):
                text = _collapse(_inline_text(cell))
                if text:
                    cells.append(text)
        if cells:
            blocks.append(Block("paragraph", " | ".join(cells)))
    return blocks


_DOUBLE_BREAK = re.compile(r"\n[^\S\n]*\n")


def _html_blocks(root: Tag, in_section: bool) -> list[Block]:
    """Ordered blocks of an element's prose, walking the tree with an explicit stack."""
    blocks: list[Block] = []
    buffer: list[str] = []
    kinds = ["paragraph"]

    def flush() -> None:
        """Emit the pending inline text as blocks of the current kind."""
        if not buffer:
            return
        text = "".join(buffer)
        buffer.clear()
        # <br><br> separates paragraphs on hand-written pages; a single <br> is a line break.
        for part in _DOUBLE_BREAK.split(text.replace("\r", "")):
            part = _collapse(part)
            if part:
                blocks.append(Block(kinds[-1], part))  # type: ignore[arg-type]

    sections = 1 if in_section else 0
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            assert isinstance(node, Tag)
            if node.name in _BLOCK_TAGS:
                flush()
            if node.name == "li":
                kinds.pop()
            elif node.name in ("main", "article"):
                sections -= 1
            continue
        if not isinstance(node, Tag):
            if _is_text(node):
                buffer.append(str(node))
            continue
        name = node.name
        if node is not root and _dropped(node, sections > 0):
            continue
        if name == "br":
            buffer.append("\n")
        elif name in _HEADINGS:
            flush()
            blocks.append(Block("heading", _inline_text(node), int(name[1])))
        elif name == "pre":
            flush()
            blocks.append(Block("code", _pre_text(node)))
        elif name == "table" and not _is_layout_table(node):
            flush()
            blocks.extend(_table_blocks(node))
        else:
            if name in _BLOCK_TAGS:
                flush()
            if name == "li":
                kinds.append("item")
            elif name in ("main", "article"):
                sections += 1
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    flush()
    return blocks


def _parse_html(html: str) -> BeautifulSoup:
    """Parse with lxml (html.parser as a fallback), without bs4's beginner warnings."""
    html = _sanitize(html)
    if len(html) <= 256 and "<" not in html and "\n" not in html:
        html += "\n"  # keeps bs4 from warning that a short string "looks like a URL/filename"
    for parser in ("lxml", "html.parser"):
        try:
            if "<?" in html:  # XML declarations/processing instructions trigger XMLParsedAsHTMLWarning
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return BeautifulSoup(html, parser)
            return BeautifulSoup(html, parser)
        except Exception:  # noqa: BLE001 - any parser failure falls through to the next parser
            continue
    return BeautifulSoup("", "html.parser")


_TITLE_SEP = re.compile(r"\s+[|\-–—]\s+")
_ORG_TYPES = frozenset(("Organization", "CollegeOrUniversity", "EducationalOrganization", "School"))


def _ld_school(scripts: list[str]) -> str | None:
    """The organisation name declared in JSON-LD, if any."""
    publisher = None
    for raw in scripts:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        items = data if isinstance(data, list) else [data]
        expanded: list[object] = []
        for item in items:
            expanded.append(item)
            if isinstance(item, dict) and isinstance(item.get("@graph"), list):
                expanded.extend(item["@graph"])
        for item in expanded:
            if not isinstance(item, dict):
                continue
            types = item.get("@type")
            types = types if isinstance(types, list) else [types]
            name = _meta_text(item.get("name")) if isinstance(item.get("name"), str) else None
            if name and any(isinstance(t, str) and t in _ORG_TYPES for t in types):
                return name
            pub = item.get("publisher")
            if publisher is None and isinstance(pub, dict) and isinstance(pub.get("name"), str):
                publisher = _meta_text(pub["name"])
    return publisher


def _split_title(title: str, site: str | None) -> tuple[str, str | None]:
    """(page part, organisation part) of a <title>; the organisation only for a single separator."""
    parts = _TITLE_SEP.split(title)
    if len(parts) < 2:
        return title, None
    if site and _key(parts[0]) == _key(site) and _key(parts[-1]) != _key(site):
        match = _TITLE_SEP.search(title)
        assert match is not None
        return title[match.end() :].strip(), parts[0].strip() if len(parts) == 2 else None
    last = list(_TITLE_SEP.finditer(title))[-1]
    return title[: last.start()].strip(), parts[1].strip() if len(parts) == 2 else None


def _scan(soup: BeautifulSoup) -> tuple[PageMeta, Tag | None]:
    """Page metadata and the element holding the main content (main/[role=main]/single article)."""
    title: str | None = None
    metas: dict[str, str] = {}
    canonical: str | None = None
    scripts: list[str] = []
    main: Tag | None = None
    articles: list[Tag] = []
    for el in soup.descendants:
        if not isinstance(el, Tag):
            continue
        name = el.name
        role = el.get("role")
        if (name == "main" or (isinstance(role, str) and role.lower() == "main")) and main is None:
            if "hidden" not in el.attrs:
                main = el
        elif name == "article":
            articles.append(el)
        elif name == "title" and title is None:
            if el.parent is not None and el.parent.name not in ("svg", "symbol"):
                title = _collapse(_inline_text(el))
        elif name == "meta":
            key = el.get("property") or el.get("name") or el.get("http-equiv")
            content = el.get("content")
            if isinstance(key, str) and isinstance(content, str) and key.lower() not in metas:
                metas[key.lower()] = content
        elif name == "link" and canonical is None:
            rel = el.get("rel")
            rels = rel if isinstance(rel, list) else str(rel or "").split()
            if "canonical" in [r.lower() for r in rels]:
                canonical = _absolute_url(el.get("href"))
        elif name == "script":
            kind = el.get("type")
            if isinstance(kind, str) and kind.strip().lower() == "application/ld+json":
                scripts.append("".join(str(s) for s in el.strings))

    school = (
        _meta_text(metas.get("og:site_name"))
        or _meta_text(metas.get("application-name"))
        or _ld_school(scripts)
    )
    page_title = None
    if title:
        page_title, org = _split_title(title, school)
        school = school or _meta_text(org)
    html_el = soup.find("html")
    lang = None
    if isinstance(html_el, Tag):
        lang = _primary_lang(html_el.get("lang")) or _primary_lang(html_el.get("xml:lang"))
    lang = lang or _primary_lang(metas.get("content-language"))
    url = canonical or _absolute_url(metas.get("og:url"))
    meta = PageMeta(title=_meta_text(page_title), school=school, lang=lang, url=url)

    root = main
    if root is None and len(articles) == 1:
        root = articles[0]
    # A main/article that sits inside chrome (a teaser card in a sidebar) is not the page.
    if root is not None and any(isinstance(p, Tag) and _dropped(p, False) for p in root.parents):
        root = None
    return meta, root


def _soup_blocks(soup: BeautifulSoup) -> list[Block]:
    """Blocks of a parsed fragment or page body, no main-content selection."""
    body = soup.find("body")
    return _html_blocks(body if isinstance(body, Tag) else soup, False)


def clean_html(html: str) -> CleanPage:
    """Clean an HTML page: main prose as blocks, chrome removed, metadata from head tags and JSON-LD."""
    if not isinstance(html, str):
        raise ValueError("clean_html expects a str")
    soup = _parse_html(html)
    meta, root = _scan(soup)
    blocks: list[Block] = []
    if root is not None:
        blocks = _finish(_html_blocks(root, True))
    if not blocks:
        blocks = _finish(_soup_blocks(soup))
    if meta.title is None:
        meta.title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
        if meta.title is None:
            h1 = soup.find("h1")
            meta.title = _meta_text(_inline_text(h1)) if isinstance(h1, Tag) else None
    return CleanPage(blocks=blocks, meta=meta)


# markdown-it skips everything below its nesting limit; _markdown_blocks detects that and falls back.
_MD_NESTING = 50
# text_join off: escaped characters stay separate tokens, so "\{{macro}}" can be told from a macro call.
_MD = MarkdownIt("commonmark", {"maxNesting": _MD_NESTING}).enable("table").disable("text_join")
# Same delimiters as python-frontmatter's YAML handler, so both agree on what the block is.
_FRONT_MATTER = re.compile(r"\A-{3,}[ \t]*\r?\n.*?^-{3,}[ \t]*$", re.MULTILINE | re.DOTALL)
_YAML = YAMLHandler()

# Bounded argument length keeps unclosed "{{x(" runs from making the search quadratic. A macro
# escaped as "\{{" (a backslash in code spans, the _ESCAPED marker in prose) is shown literally.
_MACRO = re.compile(r"(?<![\\\x00])\{\{\s*([A-Za-z][\w-]{0,60})\s*(?:\(([^\n]{0,500}?)\)\s*)?\}\}")
_ESCAPED = "\x00"  # never in input: _sanitize removes NUL
_MACRO_ARG = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'|([^,\s][^,]*)")
_REF_MACROS = frozenset(
    """htmlelement svgelement mathmlelement svgattr glossary httpheader httpmethod httpstatus event
    webextapiref csp htmlattrdef rfc bug anch interface""".split()
)
_ELEMENT_MACROS = frozenset(("htmlelement", "svgelement", "mathmlelement"))


def _macro_args(raw: str | None) -> list[str]:
    """String/number arguments of a KumaScript macro call."""
    if not raw:
        return []
    args = []
    for dq, sq, bare in _MACRO_ARG.findall(raw):
        value = dq or sq or bare.strip()
        args.append(htmllib.unescape(value.replace('\\"', '"').replace("\\'", "'")))
    return args


def _expand_macro(match: re.Match[str]) -> str:
    """Reference macros become their display text; every other macro disappears."""
    name = match.group(1).lower()
    if not (name.endswith("xref") or name in _REF_MACROS):
        return ""
    args = _macro_args(match.group(2))
    if not args or not args[0]:
        return ""
    if name == "rfc":
        return f"RFC {args[0]}"
    if name == "bug":
        return f"bug {args[0]}"
    # htmlattrxref's second argument is the element, not a display text.
    display = args[1] if len(args) > 1 and args[1] and name != "htmlattrxref" else None
    if display:
        return display
    return f"<{args[0]}>" if name in _ELEMENT_MACROS else args[0]


def _strip_macros(text: str, code: bool = False) -> str:
    """Text with KumaScript macros expanded or removed, escaped ones unescaped."""
    if "{{" in text:
        text = _MACRO.sub(_expand_macro, text)
        if code:
            text = text.replace("\\{{", "{{")
    return text if code else text.replace(_ESCAPED, "")


def _inline_md(token: Token) -> str:
    """Plain text of a markdown-it inline token: markup dropped, link/alt/code text kept, macros handled."""
    children = token.children or []
    runs: list[str] = []
    prose: list[str] = []
    for child in children:
        kind = child.type
        if kind == "text":
            prose.append(child.content)
        elif kind == "text_special":
            if child.info == "escape" and child.content == "{":
                prose.append(_ESCAPED)
            prose.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            prose.append(" ")
        elif kind == "image":
            prose.append(child.content)
        elif kind == "html_inline":
            if re.match(r"<br\b", child.content, re.IGNORECASE):
                prose.append(" ")
        elif kind == "code_inline":
            # KumaScript runs before Markdown, so MDN expands macros in code spans too (not in fences).
            runs.append(_strip_macros("".join(prose)))
            prose.clear()
            runs.append(_strip_macros(child.content, code=True))
    runs.append(_strip_macros("".join(prose)))
    return "".join(runs)


def _split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """(metadata, body); broken YAML front matter is removed and yields no metadata."""
    if not _FRONT_MATTER.match(text):
        return {}, text
    try:
        post = frontmatter.loads(text, handler=_YAML)
        metadata = post.metadata if isinstance(post.metadata, dict) else {}
        return metadata, post.content
    except Exception:  # noqa: BLE001 - YAML raises many error types (even RecursionError); all mean "broken"
        match = _FRONT_MATTER.match(text)
        assert match is not None
        return {}, text[match.end() :]


def _markdown_blocks(body: str) -> list[Block]:
    """Blocks of a Markdown body from markdown-it tokens."""
    try:
        tokens = _MD.parse(body)
        too_deep = any(t.level >= _MD_NESTING - 1 for t in tokens)
    except RecursionError:
        tokens, too_deep = [], True
    if too_deep:
        # Pathological nesting: keep every word as plain-text paragraphs rather than lose the tail.
        plain = _text_blocks(body.replace("\r\n", "\n").replace("\r", "\n"))
        return [Block(b.kind, _strip_macros(b.text), b.level) for b in plain]
    blocks: list[Block] = []
    item_depth = 0
    cells: list[str] | None = None
    previous: Token | None = None
    for token in tokens:
        kind = token.type
        if kind == "list_item_open":
            item_depth += 1
        elif kind == "list_item_close":
            item_depth -= 1
        elif kind == "tr_open":
            cells = []
        elif kind == "tr_close":
            row = " | ".join(c for c in (_collapse(c) for c in cells or []) if c)
            if row:
                blocks.append(Block("paragraph", row))
            cells = None
        elif kind in ("fence", "code_block"):
            blocks.append(Block("code", token.content))
        elif kind == "html_block":
            for block in _soup_blocks(_parse_html(token.content)):
                if block.kind != "code":
                    block = Block(block.kind, _strip_macros(block.text), block.level)
                blocks.append(block)
        elif kind == "inline" and previous is not None:
            text = _inline_md(token)
            if previous.type == "heading_open":
                blocks.append(Block("heading", text, int(previous.tag[1:] or 1)))
            elif previous.type in ("th_open", "td_open") and cells is not None:
                cells.append(text)
            elif item_depth > 0:
                # MDN writes definition lists as "- term" / "  - : definition".
                blocks.append(Block("item", re.sub(r"^\s*:\s+", "", text)))
            else:
                blocks.append(Block("paragraph", text))
        previous = token
    return blocks


def clean_markdown(text: str) -> CleanPage:
    """Clean a Markdown page: front matter to metadata, tokens to blocks, MDN macros resolved."""
    if not isinstance(text, str):
        raise ValueError("clean_markdown expects a str")
    metadata, body = _split_front_matter(_sanitize(text).lstrip("\ufeff"))
    blocks = _finish(_markdown_blocks(body))
    meta = PageMeta(
        title=_meta_text(metadata.get("title")),
        school=_meta_text(metadata.get("school")),
        lang=_primary_lang(metadata.get("lang")),
        url=_absolute_url(metadata.get("url")),
    )
    if meta.title is None:
        meta.title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return CleanPage(blocks=blocks, meta=meta)


_BULLET = re.compile(r"^\s*(?:[•·\-*–]|\d{1,3}[.)])\s+(.*)$")
_RULE = re.compile(r"^\s*[-*_=]{3,}\s*$")
_BLANK_LINES = re.compile(r"\n[^\S\n]*\n")


def _heading_like(line: str, allow_question: bool = True) -> bool:
    """A short line without sentence punctuation at its end: a title, not prose."""
    line = line.strip()
    if not line or len(line) > 90 or len(line.split()) > 12 or not any(c.isalpha() for c in line):
        return False
    end = line[-1]
    if end in ".!;,:…":
        return False
    # Short questions ("Pour qui ?", "What if we put wind turbines in the sky?") title FAQ and news items.
    return allow_question or end != "?"


def _paragraph_blocks(lines: list[str], more_follows: bool) -> list[Block]:
    """Blocks of one blank-line separated paragraph of plain text."""
    blocks: list[Block] = []
    prose: list[str] = []
    item: list[str] | None = None
    for line in lines:
        bullet = _BULLET.match(line)
        if bullet:
            if item is not None:
                blocks.append(Block("item", " ".join(item)))
            elif prose:
                blocks.append(Block("paragraph", " ".join(prose)))
                prose = []
            item = [bullet.group(1)]
        elif item is not None:
            item.append(line.strip())
        else:
            prose.append(line.strip())
    if item is not None:
        blocks.append(Block("item", " ".join(item)))
        return blocks
    if not prose:
        return blocks
    if more_follows and len(prose) == 1 and _heading_like(prose[0]):
        return [Block("heading", prose[0], 2)]
    # A stack of short label lines (a news kicker "Company | Innovation" over a title) ends in a heading.
    if more_follows and 2 <= len(prose) <= 3 and all(_heading_like(p, False) for p in prose[:-1]):
        if _heading_like(prose[-1]):
            return [Block("paragraph", " ".join(prose[:-1])), Block("heading", prose[-1], 2)]
    return [Block("paragraph", " ".join(prose))]


def _text_blocks(text: str) -> list[Block]:
    """Raw blocks of plain text (newlines already normalised)."""
    paragraphs = []
    for chunk in _BLANK_LINES.split(text):
        lines = [line for line in chunk.split("\n") if line.strip() and not _RULE.match(line)]
        if lines:
            paragraphs.append(lines)
    blocks: list[Block] = []
    for i, lines in enumerate(paragraphs):
        blocks.extend(_paragraph_blocks(lines, i + 1 < len(paragraphs)))
    return blocks


def clean_text(text: str) -> CleanPage:
    """Clean a plain-text page: blank-line paragraphs, bullet items, short title lines as headings."""
    if not isinstance(text, str):
        raise ValueError("clean_text expects a str")
    text = _sanitize(text).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if _FRONT_MATTER.match(text):
        return clean_markdown(text)
    return CleanPage(blocks=_finish(_text_blocks(text)), meta=PageMeta())


_KINDS = {
    "html": clean_html,
    "htm": clean_html,
    "markdown": clean_markdown,
    "md": clean_markdown,
    "text": clean_text,
    "txt": clean_text,
    "plain": clean_text,
}


def clean_document(text: str, kind: str) -> CleanPage:
    """Clean a document of the given kind ("html", "markdown" or "text")."""
    cleaner = _KINDS.get(kind.strip().lower()) if isinstance(kind, str) else None
    if cleaner is None:
        raise ValueError(f"unknown document kind: {kind!r}")
    return cleaner(text)
