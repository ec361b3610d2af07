"""Clean Markdown pages (front matter, markdown-it tokens, raw HTML, MDN macros), and text pages that open with front matter."""

from __future__ import annotations

import html as htmllib
import re

import frontmatter
from frontmatter.default_handlers import YAMLHandler
from markdown_it import MarkdownIt
from markdown_it.token import Token

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
from indexer.clean.html import parse_html, soup_blocks
from indexer.clean.text import text_blocks
from kb.models import Block, CleanPage, PageMeta
from kb.text import TABLE_CELL_SEPARATOR

# markdown-it skips everything below its nesting limit; _markdown_blocks detects that and falls back.
_MD_NESTING = 50
# text_join off: escaped characters stay separate tokens, so "\{{macro}}" can be told from a macro call.
_MD = MarkdownIt("commonmark", {"maxNesting": _MD_NESTING}).enable("table").disable("text_join")
# Link destinations are never kept, so percent-encoding each one (a tenth of the parse) is skipped.
_MD.normalizeLink = lambda url: url  # type: ignore[method-assign]
# Same delimiters as python-frontmatter's YAML handler, so both agree on what the block is.
FRONT_MATTER = re.compile(r"\A-{3,}[ \t]*\r?\n.*?^-{3,}[ \t]*$", re.MULTILINE | re.DOTALL)
_YAML = YAMLHandler()

# Bounded argument length keeps unclosed "{{x(" runs from making the search quadratic. A macro
# escaped as "\{{" (a backslash in code spans, the _ESCAPED marker in prose) is shown literally.
_MACRO = re.compile(r"(?<![\\\x00])\{\{\s*([A-Za-z][\w-]{0,60})\s*(?:\(([^\n]{0,500}?)\)\s*)?\}\}")
_ESCAPED = "\x00"  # never in input: sanitize removes NUL
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
    if not FRONT_MATTER.match(text):
        return {}, text
    try:
        post = frontmatter.loads(text, handler=_YAML)
        metadata = post.metadata if isinstance(post.metadata, dict) else {}
        return metadata, post.content
    except Exception:  # noqa: BLE001 - YAML raises many error types (even RecursionError); all mean "broken"
        match = FRONT_MATTER.match(text)
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
        plain = text_blocks(body.replace("\r\n", "\n").replace("\r", "\n"))
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
            row = TABLE_CELL_SEPARATOR.join(c for c in (collapse_spaces(c) for c in cells or []) if c)
            if row:
                blocks.append(Block("paragraph", row))
            cells = None
        elif kind in ("fence", "code_block"):
            blocks.append(Block("code", token.content))
        elif kind == "html_block":
            for block in soup_blocks(parse_html(token.content)):
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


# MDX statements at the top level of a page ("import Tabs from '@theme/Tabs';", "export const x = 1;").
_MDX_STATEMENT = re.compile(r"^(?:import\s+(?:[\w*{}\s,]+\s+from\s+)?['\"][^'\"]+['\"]|export\s+(?:const|let|default|function)\b)")
# Admonition fences of Docusaurus, VitePress and markdown-it-container (":::tip Title" ... ":::").
_ADMONITION = re.compile(r"^\s*:{3,}\s*(?:[\w-]+)?\s*(.*?)\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def _without_mdx(body: str) -> str:
    """The Markdown of an MDX page: import/export statements dropped, admonition fences turned into
    paragraph breaks (their title, if any, kept as a paragraph of its own); code fences untouched."""
    lines = []
    fence: str | None = None
    for line in body.split("\n"):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            lines.append(line)
        elif opening:
            fence = opening.group(1)
            lines.append(line)
        elif _MDX_STATEMENT.match(line):
            continue
        elif line.lstrip().startswith(":::") and (admonition := _ADMONITION.match(line)):
            lines += ["", admonition.group(1), ""] if admonition.group(1) else [""]
        else:
            lines.append(line)
    return "\n".join(lines)


def clean_markdown(text: str) -> CleanPage:
    """Clean a Markdown page: front matter to metadata, tokens to blocks, MDN macros resolved."""
    if not isinstance(text, str):
        raise TypeError("clean_markdown expects a str")
    metadata, body = _split_front_matter(sanitize(text).lstrip("\ufeff"))
    blocks = finish_blocks(_markdown_blocks(_without_mdx(body)))
    meta = PageMeta(
        title=meta_text(metadata.get("title")),
        school=meta_text(metadata.get("school")),
        lang=primary_lang(metadata.get("lang")),
        url=absolute_url(metadata.get("url")),
    )
    if meta.title is None:
        meta.title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return CleanPage(blocks=blocks, meta=meta)


def clean_text(text: str) -> CleanPage:
    """Clean a plain-text page: blank-line paragraphs, bullet items, short title lines as headings."""
    if not isinstance(text, str):
        raise TypeError("clean_text expects a str")
    text = sanitize(text).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if FRONT_MATTER.match(text):
        return clean_markdown(text)
    meta = PageMeta()
    # Text copied from a browser opens with the window's title: "Study abroad – Harwick Business School".
    first, _, rest = text.lstrip().partition("\n")
    page, organisation = split_title(first.strip())
    if organisation and len(first.split()) <= 14 and first.strip()[-1:] not in ".!?:;,":
        meta = PageMeta(title=meta_text(page), school=organisation_name(None, organisation))
        text = rest
    return CleanPage(blocks=finish_blocks(text_blocks(text)), meta=meta)

