"""Clean HTML pages with BeautifulSoup: prose blocks and the metadata the page declares."""

from __future__ import annotations

import json
import re
import warnings

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from indexer.clean.common import (
    absolute_url,
    collapse_spaces,
    finish_blocks,
    meta_text,
    organisation_name,
    primary_lang,
    sanitize,
    split_title,
)
from kb.models import Block, CleanPage, PageMeta
from kb.text import TABLE_CELL_SEPARATOR

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
    return text.removeprefix("\n")


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
                text = collapse_spaces(_inline_text(cell))
                if text:
                    cells.append(text)
        if cells:
            blocks.append(Block("paragraph", TABLE_CELL_SEPARATOR.join(cells)))
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
            part = collapse_spaces(part)
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


def parse_html(html: str) -> BeautifulSoup:
    """Parse with lxml (html.parser as a fallback), without bs4's beginner warnings."""
    html = sanitize(html)
    if len(html) <= 256 and "<" not in html and "\n" not in html:
        html += "\n"  # keeps bs4 from warning that a short string "looks like a URL/filename"
    for parser in ("lxml", "html.parser"):
        try:
            if "<?" in html:  # XML declarations/processing instructions trigger XMLParsedAsHTMLWarning
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return BeautifulSoup(html, parser)
            return BeautifulSoup(html, parser)
        except Exception:  # noqa: BLE001, S112 - any parser failure falls through to the next parser
            continue
    return BeautifulSoup("", "html.parser")


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
            name = meta_text(item.get("name")) if isinstance(item.get("name"), str) else None
            if name and any(isinstance(t, str) and t in _ORG_TYPES for t in types):
                return name
            pub = item.get("publisher")
            if publisher is None and isinstance(pub, dict) and isinstance(pub.get("name"), str):
                publisher = meta_text(pub["name"])
    return publisher


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
                title = collapse_spaces(_inline_text(el))
        elif name == "meta":
            key = el.get("property") or el.get("name") or el.get("http-equiv")
            content = el.get("content")
            if isinstance(key, str) and isinstance(content, str) and key.lower() not in metas:
                metas[key.lower()] = content
        elif name == "link" and canonical is None:
            rel = el.get("rel")
            rels = rel if isinstance(rel, list) else str(rel or "").split()
            if "canonical" in [r.lower() for r in rels]:
                canonical = absolute_url(el.get("href"))
        elif name == "script":
            kind = el.get("type")
            if isinstance(kind, str) and kind.strip().lower() == "application/ld+json":
                scripts.append("".join(str(s) for s in el.strings))

    site = (
        meta_text(metas.get("og:site_name"))
        or meta_text(metas.get("application-name"))
        or _ld_school(scripts)
    )
    page_title, org = split_title(title, site) if title else (None, None)
    school = organisation_name(site, org)
    html_el = soup.find("html")
    lang = None
    if isinstance(html_el, Tag):
        lang = primary_lang(html_el.get("lang")) or primary_lang(html_el.get("xml:lang"))
    lang = lang or primary_lang(metas.get("content-language"))
    url = canonical or absolute_url(metas.get("og:url"))
    meta = PageMeta(title=meta_text(page_title), school=school, lang=lang, url=url)

    root = main
    if root is None and len(articles) == 1:
        root = articles[0]
    # A main/article that sits inside chrome (a teaser card in a sidebar) is not the page.
    if root is not None and any(isinstance(p, Tag) and _dropped(p, False) for p in root.parents):
        root = None
    return meta, root


def soup_blocks(soup: BeautifulSoup) -> list[Block]:
    """Blocks of a parsed fragment or page body, no main-content selection."""
    body = soup.find("body")
    return _html_blocks(body if isinstance(body, Tag) else soup, False)


def clean_html(html: str) -> CleanPage:
    """Clean an HTML page: main prose as blocks, chrome removed, metadata from head tags and JSON-LD."""
    if not isinstance(html, str):
        raise TypeError("clean_html expects a str")
    soup = parse_html(html)
    meta, root = _scan(soup)
    blocks: list[Block] = []
    if root is not None:
        blocks = finish_blocks(_html_blocks(root, True))
    if not blocks:
        blocks = finish_blocks(soup_blocks(soup))
    if meta.title is None:
        meta.title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
        if meta.title is None:
            h1 = soup.find("h1")
            meta.title = meta_text(_inline_text(h1)) if isinstance(h1, Tag) else None
    return CleanPage(blocks=blocks, meta=meta)

