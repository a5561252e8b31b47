"""Confluence storage XHTML -> canonical Markdown (``from_storage``).

Reads what :func:`to_storage` writes and what the Confluence editor writes. Elements with a
faithful Markdown form become Markdown; everything else becomes a placeholder (see
:mod:`placeholders`) carrying its original text, so nothing a wiki user added is dropped and
the next ``to_storage`` writes it back byte for byte. The Markdown is generated with generous
backslash escaping and then passed through :func:`prodops_sync.markdown.canonical`, which
re-renders it with exactly the escapes canonical form uses.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

from prodops_sync.assets import href_for_asset
from prodops_sync.formats.confluence import placeholders
from prodops_sync.formats.confluence.conventions import (
    CLASS_AUTOLINK,
    CLASS_HTML,
    CLASS_LINK,
    CLASS_LOOSE,
    CLASS_UNDERSCORE,
    FRONT_MATTER_TITLE,
    HTML_BLOCK_TITLE,
    MACRO_TO_ALERT,
    MD_INFO_PARAM,
    bare_autolink,
)
from prodops_sync.formats.confluence.xml import Element, Source, parse_storage
from prodops_sync.links import LinkResolver, href_for, suffix_for
from prodops_sync.markdown import canonical

_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
_TRAILING_WS = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_ALIGN = re.compile(r"^\s*text-align:\s*(left|center|right)\s*;?\s*$")

HEADINGS = {f"h{n}": n for n in range(1, 7)}
INLINE_CONTAINERS = frozenset(
    [
        "span",
        "u",
        "sup",
        "sub",
        "small",
        "big",
        "font",
        "ins",
        "cite",
        "q",
        "abbr",
        "var",
        "kbd",
        "samp",
        "mark",
        "dfn",
        "ac:inline-comment-marker",
    ]
)
BLOCK_CONTAINERS = frozenset(["ac:layout", "ac:layout-section", "ac:layout-cell", "div", "section"])
BLOCK_TAGS = (
    frozenset(
        [
            "p",
            "ul",
            "ol",
            "blockquote",
            "table",
            "hr",
            "pre",
            "ac:task-list",
            "ac:structured-macro",
            "ac:macro",
            "ac:adf-extension",
            "ac:adf-node",
            "dl",
            "center",
            "address",
            "aside",
            "details",
            "figure",
            *list(HEADINGS),
        ]
    )
    | BLOCK_CONTAINERS
)
_EMPHASIS = {"strong": "**", "b": "**", "em": "*", "i": "*", "s": "~~", "del": "~~", "strike": "~~"}
ALERT_MACROS = frozenset({"info", "tip", "note", "warning"})
_IGNORED_MACRO_ATTRS = frozenset({"ac:name", "ac:schema-version", "ac:macro-id", "ac:local-id"})
BOOKKEEPING_ATTRS = frozenset({"local-id", "ac:local-id", "data-local-id"})
"""Editor bookkeeping with no visible meaning (the Cloud editor puts ``local-id`` on every
block): it rides on its block, kept byte for byte by the block splice while the block is
not edited, and carried over to the block's new storage when it is."""
_SIMPLE_CELL_ATTRS = frozenset(
    {"class", "colspan", "rowspan", "scope", "style", "data-colwidth", *BOOKKEEPING_ATTRS}
)


def from_storage(
    xhtml: str,
    *,
    current_key: str = "",
    resolver: LinkResolver | None = None,
    page: str = "",
) -> str:
    """Convert a storage-format fragment to canonical Markdown.

    ``current_key`` is the key of the document the page belongs to (links to other playbook
    pages become relative file links from it); ``resolver`` maps page titles back to keys;
    ``page`` names the page in errors. Raises :class:`StorageFormatError` for malformed,
    oversized or hostile XHTML.
    """
    return canonical(_join(read_spans(xhtml, current_key=current_key, resolver=resolver,
                                      page=page)))


def read_spans(
    xhtml: str,
    *,
    current_key: str = "",
    resolver: LinkResolver | None = None,
    page: str = "",
) -> list[tuple[str, int, int]]:
    """The page's top-level Markdown blocks (not yet canonical), each with the span of
    storage it came from: ``(markdown, start, end)``, ``markdown`` ``""`` for trivia. The
    spans cover the whole body, in order."""
    source = parse_storage(xhtml, page=page or current_key)
    reader = _Reader(source, current_key, resolver)
    blocks = reader.blocks(source.root.children, top=True, track=True, lo=0, hi=len(xhtml))
    return [(b.text if b.kind != TRIVIA else "", b.start, b.end) for b in blocks]


def _join(spans: list[tuple[str, int, int]]) -> str:
    return "\n\n".join(text for text, _, _ in spans if text) + "\n"


TRIVIA = "trivia"
"""Kind of a block with no Markdown form (empty paragraph, whitespace between elements)."""


@dataclass
class _Block:
    kind: str  # "p", "list:ul", "list:ol", "other", TRIVIA
    text: str
    alt: bool = False
    """A list written with the alternate marker (``*`` / ``1)``) to keep it apart from the
    list just before it."""
    start: int = 0
    """Offset of the storage the block came from (tracked blocks only)."""
    end: int = 0


@dataclass
class _Ctx:
    table: bool = False
    heading: bool = False


class _Reader:
    def __init__(self, source: Source, current_key: str, resolver: LinkResolver | None):
        self.src = source
        self.current_key = current_key
        self.resolver = resolver

    # -- placeholders ----------------------------------------------------------------------

    def atomic(self, el: Element, *, inline: bool = False) -> str:
        make = placeholders.make_inline if inline else placeholders.make
        return make(placeholders.ATOMIC, self.src.outer(el))

    def opener(self, el: Element, inner: Element | None = None, *, inline: bool = False) -> str:
        stop = (inner or el).start_end
        make = placeholders.make_inline if inline else placeholders.make
        return make(placeholders.OPEN, self.src.slice(el.start, stop))

    def closer(self, el: Element, inner: Element | None = None, *, inline: bool = False) -> str:
        make = placeholders.make_inline if inline else placeholders.make
        return make(placeholders.CLOSE, self.src.slice((inner or el).end_start, el.end))

    # -- blocks ----------------------------------------------------------------------------

    def blocks(
        self,
        nodes: list[Element | str],
        *,
        top: bool = False,
        track: bool = False,
        lo: int = 0,
        hi: int = 0,
    ) -> list[_Block]:
        """The Markdown blocks of ``nodes``.

        With ``track`` (the page's top level, and the content of containers standing there)
        every block gets the span of storage it came from, and what makes no Markdown (an
        empty paragraph, whitespace between elements) becomes a *trivia* block, so that the
        spans cover ``[lo, hi)`` exactly: the block splice keeps each span byte for byte.
        """
        out: list[_Block] = []
        run: list[Element | str] = []
        pos = lo

        def last() -> _Block | None:
            return next((b for b in reversed(out) if b.kind != TRIVIA), None)

        def flush(upto: int) -> None:
            nonlocal pos
            text = self.paragraph(run)
            if text:
                out.append(_Block("p", text, start=pos, end=upto))
            elif track and upto > pos:
                out.append(_Block(TRIVIA, "", start=pos, end=upto))
            run.clear()
            pos = upto

        for node in nodes:
            if isinstance(node, Element) and node.tag in BLOCK_TAGS:
                flush(node.start)
                kind = "list:ol" if node.tag == "ol" else "list:ul"
                previous = last()
                if (
                    node.tag in ("ul", "ol", "ac:task-list")
                    and previous is not None
                    and previous.kind == kind
                ):
                    alt = not previous.alt  # adjacent lists need different markers
                    if node.tag == "ac:task-list":
                        made = [_Block(kind, self.task_list(node, alt=alt), alt)]
                    else:
                        made = [self.list_block(node, alt=alt)]
                else:
                    made = self.block(node, first=top and previous is None, track=track)
                if track and len(made) <= 1:
                    made = made or [_Block(TRIVIA, "")]
                    made[0].start, made[0].end = node.start, node.end
                out.extend(made)
                pos = node.end
            else:
                run.append(node)
        flush(hi)
        return out

    def paragraph(self, nodes: list[Element | str], ctx: _Ctx | None = None) -> str:
        nodes = list(nodes)
        # A hard break at either end of a paragraph has no Markdown form (and no effect).
        while nodes and (
            _is_br(nodes[-1]) or (isinstance(nodes[-1], str) and not nodes[-1].strip())
        ):
            nodes.pop()
        while nodes and (_is_br(nodes[0]) or (isinstance(nodes[0], str) and not nodes[0].strip())):
            nodes.pop(0)
        text = self.inlines(nodes, ctx or _Ctx())
        # Line breaks in storage text are only whitespace: a blank line (say, after a
        # ``<br />`` and its newline) must not split the Markdown paragraph.
        text = _BLANK_LINES.sub("\n", _TRAILING_WS.sub("\n", text))
        return text.strip(" \t\n")

    def block(self, el: Element, *, first: bool = False, track: bool = False) -> list[_Block]:
        tag = el.tag
        if tag == "p":
            if set(el.attrs) - {"style", "class"} - BOOKKEEPING_ATTRS or (
                el.attrs.get("style") and el.attrs.get("class") != "auto-cursor-target"
            ):
                return [_Block("other", self.atomic(el))]
            text = self.paragraph(el.children)
            return [_Block("p", text)] if text else []
        if tag in HEADINGS:
            text = self.inlines(el.children, _Ctx(heading=True)).strip()
            return [_Block("other", "#" * HEADINGS[tag] + (" " + text if text else ""))]
        if tag in ("ul", "ol"):
            return [self.list_block(el)]
        if tag == "ac:task-list":
            return [_Block("list:ul", self.task_list(el))]
        if tag == "blockquote":
            inner = self.blocks(el.children)
            return [_Block("other", _prefix("\n\n".join(b.text for b in inner), "> ") or ">")]
        if tag == "hr":
            return [_Block("other", "***")]
        if tag == "pre":
            return [_Block("other", _fence(el.text() + "\n", ""))]
        if tag == "table":
            return [_Block("other", self.table(el))]
        if tag == "ac:structured-macro":
            return self.macro(el, first=first, track=track)
        if tag in BLOCK_CONTAINERS and (el.children or el.start_end != el.end):
            return self.container_blocks(el, el, track=track)
        return [_Block("other", self.atomic(el))]

    def container_blocks(self, el: Element, inner: Element, *, track: bool) -> list[_Block]:
        """A block container as open/close placeholders around its content's blocks."""
        content = self.blocks(
            inner.children, track=track, lo=inner.start_end, hi=inner.end_start
        )
        return [
            _Block("other", self.opener(el, inner), start=el.start, end=inner.start_end),
            *content,
            _Block("other", self.closer(el, inner), start=inner.end_start, end=el.end),
        ]

    def macro(self, el: Element, *, first: bool, track: bool = False) -> list[_Block]:
        name = el.attrs.get("ac:name", "")
        params = {p.attrs.get("ac:name", ""): p.text() for p in el.elements("ac:parameter")}
        others = [c for c in el.elements() if c.tag != "ac:parameter"]
        plain_attrs = set(el.attrs) <= _IGNORED_MACRO_ATTRS
        plain_body = not others or (len(others) == 1 and others[0].tag == "ac:plain-text-body")
        if name == "code" and plain_attrs and plain_body:
            body_text = others[0].text() + "\n" if others else ""
            code = self.code(params, body_text, first=first)
            if code is not None:
                return [_Block("other", code)]
        if name in ALERT_MACROS and plain_attrs and set(params) <= {"title"}:
            alert = MACRO_TO_ALERT.get((name, params.get("title", "")))
            body = el.first("ac:rich-text-body")
            if alert is not None and body is not None and len(others) == 1:
                inner = "\n\n".join(b.text for b in self.blocks(body.children))
                return [
                    _Block("other", _prefix(f"[!{alert}]" + ("\n" + inner if inner else ""), "> "))
                ]
        body = el.first("ac:rich-text-body")
        if body is not None and body.start_end != body.end:
            return self.container_blocks(el, body, track=track)
        return [_Block("other", self.atomic(el))]

    def code(self, params: dict[str, str], body: str, *, first: bool) -> str | None:
        language = params.get("language", "")
        title = params.get("title")
        if title == FRONT_MATTER_TITLE and set(params) == {"title", "language"}:
            if first and language == "yaml":
                return f"---\n{body}---"
            return None
        if title == HTML_BLOCK_TITLE and set(params) == {"title", "language"}:
            return (
                body.rstrip("\n") if language == "html" and body.lstrip().startswith("<") else None
            )
        if not set(params) <= {"language", MD_INFO_PARAM}:
            return None  # title, line numbers, themes...: kept whole as a placeholder
        info = params.get(MD_INFO_PARAM) or language
        return _fence(body, info)

    def list_block(self, el: Element, *, alt: bool = False) -> _Block:
        ordered = el.tag == "ol"
        items = [c for c in el.children if not (isinstance(c, str) and not c.strip())]
        rendered: list[list[_Block]] = []
        for item in items:
            if isinstance(item, Element) and item.tag == "li":
                rendered.append(self.blocks(item.children))
            else:
                rendered.append(self.blocks([item]))
        loose = CLASS_LOOSE in el.attrs.get("class", "").split() or any(
            a.kind == "p" and b.kind == "p"
            for blocks in rendered
            for a, b in itertools.pairwise(blocks)
        )
        start = 1
        if ordered:
            try:
                start = int(el.attrs.get("start", "1"))
            except ValueError:
                start = 1
        lines = []
        for n, blocks in enumerate(rendered):
            marker = f"{start + n}{')' if alt else '.'}" if ordered else ("*" if alt else "-")
            body = ("\n\n" if loose else "\n").join(b.text for b in blocks)
            body = re.sub(r"^\\\[([ xX])\\\] ", r"[\1] ", body)  # literal task box in a mixed list
            lines.append(_item(marker, body))
        return _Block("list:" + el.tag, ("\n\n" if loose else "\n").join(lines), alt)

    def task_list(self, el: Element, *, alt: bool = False) -> str:
        entries: list[tuple[bool, list[_Block]]] = []
        for child in el.elements():
            if child.tag == "ac:task":
                status = child.first("ac:task-status")
                done = status is not None and status.text().strip() == "complete"
                body = child.first("ac:task-body")
                entries.append((done, self.blocks(body.children) if body is not None else []))
            elif child.tag == "ac:task-list" and entries:
                entries[-1][1].append(_Block("list:ul", self.task_list(child)))
            else:
                entries.append((False, [_Block("other", self.atomic(child))]))
        lines = []
        for done, blocks in entries:
            text = "\n".join(b.text for b in blocks)
            bullet = "*" if alt else "-"
            lines.append(_item(f"{bullet} [x]" if done else f"{bullet} [ ]", text, indent=2))
        return "\n".join(lines)

    def table(self, el: Element) -> str:
        rows: list[Element] = []
        for child in el.elements():
            if child.tag == "tr":
                rows.append(child)
            elif child.tag in ("tbody", "thead", "tfoot"):
                rows.extend(child.elements("tr"))
            elif child.tag != "colgroup":  # column widths are layout only
                return self.atomic(el)
        grid: list[list[tuple[str, str]]] = []  # (text, align) per cell
        header_row = bool(rows) and all(c.tag == "th" for c in rows[0].elements())
        for i, row in enumerate(rows):
            cells: list[tuple[str, str]] = []
            for cell in row.elements():
                if cell.tag not in ("td", "th") or (
                    cell.tag == "th" and not (header_row and i == 0)
                ):
                    return self.atomic(el)
                parsed = self.cell(cell)
                if parsed is None:
                    return self.atomic(el)
                cells.append(parsed)
            if not cells:
                return self.atomic(el)
            grid.append(cells)
        if not grid:
            return self.atomic(el)
        width = max(len(r) for r in grid)
        for r in grid:
            r.extend([("", "")] * (width - len(r)))
        header = grid[0] if header_row else [("", a) for _, a in grid[0]]
        body = grid[1:] if header_row else grid
        rule = {"": "---", "left": ":--", "center": ":-:", "right": "--:"}
        lines = ["| " + " | ".join(t for t, _ in header) + " |"]
        lines.append("| " + " | ".join(rule[a] for _, a in header) + " |")
        lines.extend("| " + " | ".join(t for t, _ in r) + " |" for r in body)
        return "\n".join(lines)

    def cell(self, cell: Element) -> tuple[str, str] | None:
        """(Markdown, alignment) of a simple cell; None when it needs the whole table kept."""
        if not set(cell.attrs) <= _SIMPLE_CELL_ATTRS:
            return None
        if cell.attrs.get("colspan", "1") != "1" or cell.attrs.get("rowspan", "1") != "1":
            return None
        align = ""
        style = cell.attrs.get("style", "")
        if style:
            m = _ALIGN.match(style)
            if m is None:
                return None
            align = m.group(1)
        content = [c for c in cell.children if not (isinstance(c, str) and not c.strip())]
        if len(content) == 1 and isinstance(content[0], Element) and content[0].tag == "p":
            para = content[0]
            if set(para.attrs) - {"style"} - BOOKKEEPING_ATTRS:
                return None
            pstyle = para.attrs.get("style", "")
            if pstyle:
                m = _ALIGN.match(pstyle)
                if m is None:
                    return None
                align = m.group(1)
            content = para.children
        if any(isinstance(c, Element) and c.tag in BLOCK_TAGS for c in content):
            return None
        return self.paragraph(content, _Ctx(table=True)), align

    # -- inline ----------------------------------------------------------------------------

    def inlines(self, nodes: list[Element | str], ctx: _Ctx) -> str:
        return _concat(self.inline(n, ctx) for n in nodes)

    def inline(self, node: Element | str, ctx: _Ctx) -> str:
        if isinstance(node, str):
            text = _escape(node)
            return text.replace("\n", " ") if ctx.table or ctx.heading else text
        tag = node.tag
        if tag in _EMPHASIS:
            delim = _EMPHASIS[tag]
            if node.attrs == {"class": CLASS_UNDERSCORE} and tag in ("em", "strong"):
                delim = delim.replace("*", "_")
            elif node.attrs:
                return self.container(node, ctx)
            return _wrap(self.inlines(node.children, ctx), delim)
        if tag in ("code", "tt") and not node.attrs:
            return _code_span(node.text(), ctx.table)
        if tag == "br":
            if ctx.table:
                return "<br>"
            return " " if ctx.heading else "\\\n"
        if tag == "a":
            return self.anchor(node, ctx)
        if tag == "ac:link":
            return self.page_link(node, ctx)
        if tag == "ac:image":
            return self.image(node)
        if tag == "span" and not node.attrs:
            return self.inlines(node.children, ctx)
        if tag == "span" and node.attrs == {"class": "placeholder-inline-tasks"}:
            return self.inlines(node.children, ctx)
        if tag == "span" and node.attrs == {"class": CLASS_HTML}:
            return node.text()
        if tag in INLINE_CONTAINERS:
            return self.container(node, ctx)
        return self.atomic(node, inline=True)

    def container(self, el: Element, ctx: _Ctx) -> str:
        inner = self.inlines(el.children, ctx)
        if not inner.strip() or el.start_end == el.end:
            return self.atomic(el, inline=True)
        return _concat([self.opener(el, inline=True), inner, self.closer(el, inline=True)])

    def anchor(self, el: Element, ctx: _Ctx) -> str:
        classes = el.attrs.get("class", "")
        if not set(el.attrs) <= {"href", "title", "class"} or classes not in (
            "",
            CLASS_AUTOLINK,
            CLASS_LINK,
        ):
            return self.container(el, ctx)
        href = el.attrs.get("href", "")
        title = el.attrs.get("title", "")
        only_text = len(el.children) == 1 and isinstance(el.children[0], str)
        text = el.children[0] if only_text and isinstance(el.children[0], str) else ""
        if classes == CLASS_AUTOLINK and only_text and not title:
            return f"<{text}>"
        if classes == "" and only_text and not title and bare_autolink(text) == href:
            return text
        return _link(self.inlines(el.children, ctx), href, title)

    def asset_href(self, attachment: Element) -> str | None:
        """The relative link to the playbook asset an attachment of this page is."""
        if set(attachment.attrs) - {"ri:filename", "ri:version-at-save"} or attachment.elements():
            return None  # an attachment of another page, or one we do not understand
        lookup = getattr(self.resolver, "asset_for_remote", None)
        name = attachment.attrs.get("ri:filename", "")
        key = lookup(name, name) if lookup is not None and name else None
        return href_for_asset(self.current_key, key) if key else None

    def page_link(self, el: Element, ctx: _Ctx) -> str:
        page = el.first("ri:page")
        body = el.first("ac:link-body")
        plain = el.first("ac:plain-text-link-body")
        attachment = el.first("ri:attachment")
        if attachment is not None and not el.attrs and len(el.elements()) == 1 + (
            plain is not None
        ):
            href = self.asset_href(attachment)
            if href is not None:
                return _link(_escape(plain.text()) if plain is not None else "", href, "")
        known = set(el.attrs) <= {"ac:anchor"} and len(el.elements()) == 1 + (body is not None) + (
            plain is not None
        )
        if page is not None and known and self.resolver is not None:
            key = None
            if set(page.attrs) <= {"ri:content-title", "ri:version-at-save"}:
                key = self.resolver.key_for_title(page.attrs.get("ri:content-title", ""))
            if key is not None:
                suffix = suffix_for(key, self.resolver)
                href = href_for(self.current_key, key, suffix, el.attrs.get("ac:anchor", ""))
                if body is not None:
                    text = self.inlines(body.children, ctx)
                else:
                    text = _escape(plain.text()) if plain is not None else ""
                return _link(text, href, "")
        if body is not None and body.start_end != body.end:
            inner = self.inlines(body.children, ctx)
            if inner.strip():
                return _concat(
                    [self.opener(el, body, inline=True), inner, self.closer(el, body, inline=True)]
                )
        return self.atomic(el, inline=True)

    def image(self, el: Element) -> str:
        urls = el.elements()
        if not set(el.attrs) <= {"ac:alt", "ac:title"} or len(urls) != 1:
            return self.atomic(el, inline=True)
        url = urls[0]
        if url.tag == "ri:attachment":
            href = self.asset_href(url)
            if href is None:
                return self.atomic(el)
            alt = _escape(el.attrs.get("ac:alt", "")).replace("\n", " ")
            return "!" + _link(alt, href, el.attrs.get("ac:title", ""))
        if url.tag != "ri:url" or set(url.attrs) != {"ri:value"}:
            return self.atomic(el, inline=True)
        alt = _escape(el.attrs.get("ac:alt", "")).replace("\n", " ")
        return "!" + _link(alt, url.attrs["ri:value"], el.attrs.get("ac:title", ""))


# -- Markdown text helpers -------------------------------------------------------------------


def _concat(parts: Iterable[str]) -> str:
    """Join inline Markdown, separating a code span from a code span right after it with
    an empty comment: touching backtick runs would merge into one (``a``b`` is no longer
    two code spans), and inline placeholders are code spans."""
    out = ""
    for part in parts:
        if out.endswith("`") and part.startswith("`"):
            out += placeholders.SEPARATOR
        out += part
    return out


def _is_br(node: Element | str) -> bool:
    return isinstance(node, Element) and node.tag == "br"


def _escape(text: str) -> str:
    """Backslash-escape every ASCII punctuation character; canonical() keeps only the
    escapes that matter."""
    return _PUNCT.sub(r"\\\1", text)


def _wrap(inner: str, delim: str) -> str:
    """Wrap in emphasis delimiters, moving edge whitespace outside (``** b **`` is no
    emphasis in Markdown)."""
    core = inner.strip(" \t\n")
    if not core:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip(" \t\n"))]
    trail = inner[len(inner.rstrip(" \t\n")) :]
    return f"{lead}{delim}{core}{delim}{trail}"


def _code_span(text: str, in_table: bool) -> str:
    text = text.replace("\n", " ")
    if in_table:
        text = text.replace("|", "\\|")
    runs = [len(r) for r in re.findall("`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    if (
        text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip())
    ):
        text = f" {text} "
    return f"{fence}{text}{fence}" if text else ""


def _link(text: str, href: str, title: str) -> str:
    dest = "<" + re.sub(r"([<>\\])", r"\\\1", href.replace("\n", "%0A")) + ">"
    if title:
        dest += ' "' + re.sub(r'(["\\])', r"\\\1", title) + '"'
    return f"[{text}]({dest})"


def _fence(content: str, info: str) -> str:
    runs = [len(r) for r in re.findall("`+", content)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    if "`" in info:
        tildes = [len(r) for r in re.findall("~+", content)]
        fence = "~" * max(3, max(tildes, default=0) + 1)
    return f"{fence}{info}\n{content}{fence}"


def _prefix(text: str, prefix: str) -> str:
    return "\n".join(
        (prefix + line).rstrip() if line else prefix.rstrip() for line in text.split("\n")
    )


def _item(marker: str, body: str, indent: int | None = None) -> str:
    pad = " " * (indent if indent is not None else len(marker) + 1)
    if not body:
        return marker
    lines = body.split("\n")
    rest = [pad + line if line else "" for line in lines[1:]]
    return "\n".join([f"{marker} {lines[0]}", *rest])
