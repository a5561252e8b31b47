"""Inline Markdown ⇄ Notion rich text.

A Notion rich-text array is a flat list of runs, each with a set of annotations (bold, italic,
strikethrough, code) and an optional link. Markdown inline content is a tree (``**a *b***``).
:func:`inline_to_rich_text` flattens a markdown-it inline tree into runs;
:func:`rich_text_to_markdown` rebuilds a tree from runs (the mark spanning the most runs opens
first) and writes it with every ASCII punctuation character backslash-escaped, so the text
always parses back to exactly the same runs; :func:`prodops_sync.markdown.canonical` then
drops the escapes it does not need.

Line breaks: a hard break (``\\`` at the end of a line) is ``"\\n"`` in Notion, which is what
Shift+Enter produces in the editor. A soft break (a newline inside a paragraph, kept because
canonical Markdown never reflows) is ``" \\n"``: Markdown never keeps a space before a line
break, so the pair is unambiguous, and Notion shows it as a line break.

Notion limits: a text run's ``content`` is at most 2,000 characters counted in UTF-16 code
units (an emoji outside the BMP counts two); runs are split on code-point boundaries so a
surrogate pair is never cut. A rich-text array holds at most 100 runs; blocks deal with that
(see :mod:`prodops_sync.formats.notion.blocks`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from markdown_it.tree import SyntaxTreeNode

MAX_TEXT_UNITS = 2000
"""Notion's limit for one rich-text run's content, in UTF-16 code units."""
MAX_RICH_TEXT_ITEMS = 100
"""Notion's limit for the number of runs in one rich-text array."""

SOFT_BREAK = " \n"
HARD_BREAK = "\n"

_DELIMS = {"bold": "**", "italic": "*", "strikethrough": "~~"}
_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_TASK_CHECKBOX = re.compile(r'^<input class="task-list-item-checkbox"')


@dataclass(frozen=True)
class Run:
    """One rich-text run in a form independent of the API's JSON spelling.

    ``special`` is None for a text run; ``"equation"`` for an inline equation (``text`` is the
    expression); for a mention, the mention object as a request sends it, as canonical JSON
    (``text`` is the text Notion displays for it).
    """

    text: str
    bold: bool = False
    italic: bool = False
    strikethrough: bool = False
    code: bool = False
    link: str | None = None
    underline: bool = False
    color: str = "default"
    special: str | None = None

    def same_format(self, other: Run) -> bool:
        """True when both are text runs carrying exactly the same marks and link."""
        return (
            self.special is None
            and other.special is None
            and self.bold == other.bold
            and self.italic == other.italic
            and self.strikethrough == other.strikethrough
            and self.code == other.code
            and self.link == other.link
            and self.underline == other.underline
            and self.color == other.color
        )

    def mark_on(self, mark: str) -> bool:
        """Whether ``mark`` (one of :data:`_WRAP_ORDER`) applies to this run."""
        if mark == "link":
            return self.link is not None
        if mark == "color":
            return self.color != "default"
        return bool(getattr(self, mark))

    def same_mark(self, other: Run, mark: str) -> bool:
        """Whether ``other`` continues this run's ``mark`` (same link, same colour)."""
        if not other.mark_on(mark):
            return False
        if mark == "link":
            return other.link == self.link
        if mark == "color":
            return other.color == self.color
        return True


# ---------------------------------------------------------------------------------------------
# UTF-16 aware splitting


def utf16_len(text: str) -> int:
    """Length of ``text`` as Notion counts it (UTF-16 code units)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def split_utf16(text: str, limit: int = MAX_TEXT_UNITS) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` UTF-16 units, never inside a code
    point (so never between the two halves of a surrogate pair)."""
    if utf16_len(text) <= limit:
        return [text]
    pieces: list[str] = []
    start = 0
    units = 0
    for i, ch in enumerate(text):
        width = 2 if ord(ch) > 0xFFFF else 1
        if units + width > limit:
            pieces.append(text[start:i])
            start, units = i, 0
        units += width
    pieces.append(text[start:])
    return pieces


# ---------------------------------------------------------------------------------------------
# Inline HTML elements: the lossless form of what Markdown has no syntax for

COLORS = frozenset(
    {c for base in ("blue", "brown", "gray", "green", "orange", "pink", "purple", "red",
                    "yellow") for c in (base, f"{base}_background")}
)
"""Notion's text and background colours (``default`` is no colour)."""
_COLOR_RE = re.compile(r"[a-z]+(?:_background)?")
"""Any colour name of that form is kept, so that a colour Notion adds later is not lost."""

# Element names read as annotations (several spellings, one meaning each).
_MARK_TAGS = {
    "strong": "bold", "b": "bold", "em": "italic", "i": "italic", "s": "strikethrough",
    "del": "strikethrough", "strike": "strikethrough", "u": "underline", "code": "code",
}
# Element names written for each annotation when Markdown delimiters cannot say it.
_TAG_FOR_MARK = {"bold": "strong", "italic": "em", "strikethrough": "s", "underline": "u"}
_OPEN_TAG = re.compile(
    r'^<(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:\s+[A-Za-z_][A-Za-z0-9_-]*="[^"]*")*)\s*>$'
)
_CLOSE_TAG = re.compile(r"^</(?P<name>[A-Za-z][A-Za-z0-9-]*)\s*>$")
_ATTR = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)="([^"]*)"')
MENTION_PREFIX = "mention-"
EQUATION_TAG = "equation"


def _attr_escape(value: str) -> str:
    """An attribute value that parses back to ``value`` (also inside a table cell)."""
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        .replace(">", "&gt;").replace("|", "&#124;").replace("\n", "&#10;")
    )


def _element(tag: str) -> tuple[str, dict[str, str]] | None:
    """``(name, attributes)`` of an opening tag this module understands, else None."""
    match = _OPEN_TAG.match(tag.strip())
    if match is None:
        return None
    name = match["name"].lower()
    attrs = {k: html.unescape(v) for k, v in _ATTR.findall(match["attrs"])}
    if name in _MARK_TAGS or name == EQUATION_TAG:
        return (name, {}) if not attrs else None
    if name == "span":
        if set(attrs) == {"color"} and _COLOR_RE.fullmatch(attrs["color"]):
            return name, attrs
        return None
    if name.startswith(MENTION_PREFIX) and len(name) > len(MENTION_PREFIX):
        return name, attrs
    return None


def _closes(tag: str, name: str) -> bool:
    match = _CLOSE_TAG.match(tag.strip())
    return match is not None and match["name"].lower() == name


def mention_payload(mention: dict[str, Any]) -> dict[str, Any]:
    """The part of an API mention object that identifies it, shaped like a request.

    The API answers with more than a request sends (a user mention carries the user's name
    and avatar, a link mention its title and thumbnail); only the identity decides whether
    two mentions are the same, and only the identity is written back."""
    kind = str(mention.get("type") or next(iter(k for k in mention if k != "type"), ""))
    value = mention.get(kind)
    if kind in ("user", "page", "database") and isinstance(value, dict):
        return {"type": kind, kind: {"id": str(value.get("id", ""))}}
    if kind == "date" and isinstance(value, dict):
        date = {k: value[k] for k in ("start", "end", "time_zone") if value.get(k) is not None}
        return {"type": "date", "date": date}
    if kind == "link_preview" and isinstance(value, dict):
        return {"type": kind, kind: {"url": str(value.get("url", ""))}}
    if kind == "link_mention" and isinstance(value, dict):
        return {"type": kind, kind: {"href": str(value.get("href", ""))}}
    if isinstance(value, dict):
        return {"type": kind, kind: {k: v for k, v in value.items() if v is not None}}
    return {"type": kind, kind: value}


def _mention_tag(payload: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Element name and attributes of a mention: ``mention-<type>`` with the identity's
    fields as attributes (nested values as JSON)."""
    kind = str(payload.get("type", ""))
    value = payload.get(kind)
    name = MENTION_PREFIX + kind.replace("_", "-")
    if not isinstance(value, dict):
        return name, {"value": json.dumps(value, ensure_ascii=False)}
    attrs = {
        k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)
        for k, v in value.items()
    }
    return name, attrs


def _mention_from_tag(name: str, attrs: dict[str, str]) -> dict[str, Any]:
    kind = name[len(MENTION_PREFIX):].replace("-", "_")
    if set(attrs) == {"value"}:
        return {"type": kind, kind: _json_or_text(attrs["value"])}
    value: dict[str, Any] = {}
    for key, raw in attrs.items():
        value[key] = raw if kind in ("user", "page", "database", "date", "link_preview",
                                     "link_mention") else _json_or_text(raw)
    return {"type": kind, kind: value}


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------
# Markdown inline tree -> runs

HrefMapper = Callable[[str], str]


def inline_to_runs(inline: SyntaxTreeNode, map_href: HrefMapper | None = None) -> list[Run]:
    """Flatten a markdown-it ``inline`` node into runs (merged, not yet length-split)."""
    return nodes_to_runs(inline.children, map_href)


def nodes_to_runs(
    nodes: Sequence[SyntaxTreeNode], map_href: HrefMapper | None = None
) -> list[Run]:
    """Flatten sibling inline nodes into runs (merged, not yet length-split)."""
    runs: list[Run] = []
    _walk(nodes, {}, runs, map_href or (lambda h: h))
    return merge_runs(runs)


def _matching_close(nodes: Sequence[SyntaxTreeNode], start: int, name: str) -> int | None:
    """Index of the sibling closing ``nodes[start]``'s element (same level), or None."""
    depth = 0
    for j in range(start + 1, len(nodes)):
        node = nodes[j]
        if node.type != "html_inline":
            continue
        opened = _element(node.content)
        if opened is not None and opened[0] == name:
            depth += 1
        elif _closes(node.content, name):
            if depth == 0:
                return j
            depth -= 1
    return None


def _walk(
    nodes: Sequence[SyntaxTreeNode], marks: dict[str, Any], out: list[Run], map_href: HrefMapper
) -> None:
    i = 0
    while i < len(nodes):
        node = nodes[i]
        kind = node.type
        if kind == "html_inline":
            element = _element(node.content)
            end = _matching_close(nodes, i, element[0]) if element else None
            if element is not None and end is not None:
                _element_runs(element, nodes[i + 1 : end], marks, out, map_href)
                i = end + 1
                continue
            if not _TASK_CHECKBOX.match(node.content):  # the task checkbox is `checked`
                out.append(Run(node.content, **marks))
        elif kind in ("text", "text_special"):
            out.append(Run(node.content, **marks))
        elif kind == "softbreak":
            out.append(Run(SOFT_BREAK, **marks))
        elif kind == "hardbreak":
            out.append(Run(HARD_BREAK, **marks))
        elif kind == "code_inline":
            out.append(Run(node.content, **{**marks, "code": True}))
        elif kind in ("em", "strong", "s"):
            name = {"em": "italic", "strong": "bold", "s": "strikethrough"}[kind]
            _walk(node.children, {**marks, name: True}, out, map_href)
        elif kind in ("link", "gfm_autolink"):
            href = str(node.attrs.get("href", ""))
            # Notion rejects a link with an empty URL: the text goes without it (the block
            # splice keeps the Git Markdown as it was written).
            link = {"link": map_href(href)} if href else {}
            _walk(node.children, {**marks, **link}, out, map_href)
        elif kind == "image":
            # Notion has no inline images: keep the alt text as a link to the image.
            alt = "".join(c.content for c in node.children) or str(node.attrs.get("src", ""))
            out.append(Run(alt, **{**marks, "link": str(node.attrs.get("src", ""))}))
        else:  # unknown inline extension: keep its text rather than drop it
            if node.children:
                _walk(node.children, marks, out, map_href)
            elif node.content:
                out.append(Run(node.content, **marks))
        i += 1


def _element_runs(
    element: tuple[str, dict[str, str]], inner: Sequence[SyntaxTreeNode],
    marks: dict[str, Any], out: list[Run], map_href: HrefMapper,
) -> None:
    name, attrs = element
    if name in _MARK_TAGS:
        _walk(inner, {**marks, _MARK_TAGS[name]: True}, out, map_href)
    elif name == "span":
        _walk(inner, {**marks, "color": attrs["color"]}, out, map_href)
    else:  # an equation or a mention: one run whose text is the element's plain text
        parts: list[Run] = []
        _walk(inner, {}, parts, map_href)
        text = "".join(p.text.replace(SOFT_BREAK, "\n") for p in parts)
        special = "equation" if name == EQUATION_TAG else _canonical_json(
            _mention_from_tag(name, attrs))
        out.append(Run(text, **{**marks, "special": special}))


def merge_runs(runs: Iterable[Run]) -> list[Run]:
    """Join neighbouring text runs with the same marks; drop empty text runs."""
    merged: list[Run] = []
    for run in runs:
        if not run.text and run.special is None:
            continue
        if merged and merged[-1].same_format(run):
            merged[-1] = replace(merged[-1], text=merged[-1].text + run.text)
        else:
            merged.append(run)
    return merged


_EDGE_MARKS = ("bold", "italic", "strikethrough")


def normal_runs(runs: Iterable[Run]) -> list[Run]:
    """Runs with bold, italic and strikethrough taken off the whitespace at the edges of
    each marked stretch.

    Notion users often make ``" word "`` bold, spaces included; Markdown emphasis cannot
    start or end with a space, so the spaces are written outside the delimiters. Whitespace
    looks the same either way, so fingerprints compare runs in this form."""
    units: list[Run] = []  # one unit per character of text runs; specials stay whole
    for run in merge_runs(runs):
        if run.special is not None or run.code:
            units.append(run)
        else:
            units.extend(replace(run, text=ch) for ch in run.text)
    for mark in _EDGE_MARKS:
        i = 0
        while i < len(units):
            if not getattr(units[i], mark):
                i += 1
                continue
            j = i
            while j < len(units) and getattr(units[j], mark):
                j += 1
            lo, hi = i, j - 1
            while lo <= hi and _blank(units[lo]):
                units[lo] = _unmark(units[lo], mark)
                lo += 1
            while hi >= lo and _blank(units[hi]):
                units[hi] = _unmark(units[hi], mark)
                hi -= 1
            i = j
    return merge_runs(units)


def _unmark(unit: Run, mark: str) -> Run:
    if mark == "bold":
        return replace(unit, bold=False)
    if mark == "italic":
        return replace(unit, italic=False)
    return replace(unit, strikethrough=False)


def _blank(unit: Run) -> bool:
    return unit.special is None and not unit.code and unit.text.isspace()


# ---------------------------------------------------------------------------------------------
# runs <-> Notion JSON


def runs_to_rich_text(runs: Iterable[Run]) -> list[dict[str, Any]]:
    """Notion request-shaped rich-text items, each at most 2,000 UTF-16 units long.

    A mention item also carries ``plain_text`` (the text shown for it), so that the item
    reads back as written; :func:`request_rich_text` strips it before sending."""
    items: list[dict[str, Any]] = []
    for run in runs:
        annotations: dict[str, Any] = {
            name: True
            for name in ("bold", "italic", "strikethrough", "underline", "code")
            if getattr(run, name)
        }
        if run.color != "default":
            annotations["color"] = run.color
        if run.special is not None:
            item: dict[str, Any]
            if run.special == "equation":
                item = {"type": "equation", "equation": {"expression": run.text}}
            else:
                item = {"type": "mention", "mention": json.loads(run.special),
                        "plain_text": run.text}
            if annotations:
                item["annotations"] = annotations
            items.append(item)
            continue
        for piece in split_utf16(run.text):
            text: dict[str, Any] = {"content": piece}
            if run.link is not None:
                text["link"] = {"url": run.link}
            item = {"type": "text", "text": text}
            if annotations:
                item["annotations"] = annotations
            items.append(item)
    return items


def request_rich_text(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rich-text items without the read-only fields (``plain_text``, ``href``)."""
    return [{k: v for k, v in item.items() if k not in ("plain_text", "href")}
            for item in items]


def rich_text_to_runs(
    items: Sequence[dict[str, Any]],
    mention_href: Callable[[dict[str, Any]], str | None] | None = None,
) -> list[Run]:
    """Read API-shaped (or request-shaped) rich-text items into runs, losslessly: every
    annotation (colours and underline included), every mention (as its identity, with the
    text Notion shows), inline equations, and unknown item types (kept whole)."""
    del mention_href  # mentions stay mentions; kept for callers of the old signature
    runs: list[Run] = []
    for item in items:
        ann = item.get("annotations") or {}
        color = str(ann.get("color") or "default")
        marks: dict[str, Any] = {
            "bold": bool(ann.get("bold")),
            "italic": bool(ann.get("italic")),
            "strikethrough": bool(ann.get("strikethrough")),
            "underline": bool(ann.get("underline")),
            "code": bool(ann.get("code")),
            "color": color if _COLOR_RE.fullmatch(color) else "default",
        }
        kind = item.get("type", "text")
        if kind == "text":
            text = item.get("text") or {}
            link = (text.get("link") or {}).get("url")
            runs.append(Run(str(text.get("content", "")), link=link, **marks))
        elif kind == "mention":
            payload = mention_payload(item.get("mention") or {})
            runs.append(Run(_plain(item), special=_canonical_json(payload), **marks))
        elif kind == "equation":
            expression = (item.get("equation") or {}).get("expression", "")
            runs.append(Run(str(expression), special="equation", **marks))
        else:  # a rich-text type this version does not know: a mention-shaped element
            payload = {"type": kind, kind: item.get(kind)}
            runs.append(Run(_plain(item), special=_canonical_json(payload), **marks))
    return merge_runs(runs)


def _plain(item: dict[str, Any]) -> str:
    if "plain_text" in item:
        return str(item["plain_text"])
    kind = item.get("type", "")
    payload = item.get(kind) or {}
    if kind == "equation" and isinstance(payload, dict):
        return str(payload.get("expression", ""))
    return str(payload.get("content", "")) if isinstance(payload, dict) else ""


def plain_text(items: Sequence[dict[str, Any]]) -> str:
    """The concatenated text of rich-text items (``plain_text`` or ``text.content``)."""
    return "".join(_plain(item) if item.get("type") != "text" else
                   str((item.get("text") or {}).get("content", "")) for item in items)


# ---------------------------------------------------------------------------------------------
# runs -> Markdown


def escape_text(text: str) -> str:
    """Backslash-escape every ASCII punctuation character (always valid CommonMark)."""
    return "".join("\\" + ch if ch in _ASCII_PUNCT else ch for ch in text)


def code_span(text: str, *, in_table: bool = False) -> str:
    """A Markdown code span holding ``text`` exactly."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = text.startswith(("`", " ")) or text.endswith(("`", " "))
    if text.strip(" ") == "":
        pad = False
    body = f" {text} " if pad else text
    if in_table:
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


# Marks that wrap other content, outermost first when two marks span the same runs.
_WRAP_ORDER = ("link", "color", "underline", "bold", "italic", "strikethrough")


MentionHref = Callable[[dict[str, Any]], str | None]


def rich_text_to_markdown(
    runs: Sequence[Run], *, in_table: bool = False, mention_href: MentionHref | None = None
) -> str:
    """Markdown for ``runs`` (line breaks included), before canonical formatting.

    Emphasis is written with ``*``/``**``/``~~``; where a delimiter would not parse (it
    would touch punctuation next to a letter, say) the whole text is written with HTML
    elements instead (``<strong>``, ``<em>``, ``<s>``), which always parse back.
    ``mention_href(mention)`` may give a link for a mention's text (a page mention of a
    playbook document links to its file); the link is for readers and ignored on the way in.
    """
    normal = normal_runs(runs)
    href = mention_href or (lambda _m: None)
    text = _render(normal, frozenset(), in_table, html_marks=False, mention_href=href)
    if not in_table and _reads_back(text) != normal:
        # HTML elements keep edge spaces inside (moved out they could meet another space,
        # which canonical Markdown collapses).
        alternative = _render(merge_runs(runs), frozenset(), in_table, html_marks=True,
                              mention_href=href)
        if _reads_back(alternative) == normal:
            return alternative
    return text


def _reads_back(text: str) -> list[Run]:
    """The runs ``text`` reads back as once canonical formatting has written it (which
    collapses runs of spaces; checked only when there are any, it costs a format)."""
    from prodops_sync.markdown import canonical, parser  # local: no import cycle

    if "  " in text:
        text = canonical(text + "\n").removesuffix("\n")
    tokens = parser().parseInline(text)
    root = SyntaxTreeNode(tokens)
    if not root.children:
        return []
    return normal_runs(inline_to_runs(root.children[0]))


def _span(runs: Sequence[Run], start: int, mark: str) -> int:
    first = runs[start]
    end = start
    while end < len(runs) and first.same_mark(runs[end], mark):
        end += 1
    return end


def _render(
    runs: list[Run], open_marks: frozenset[str], in_table: bool, *, html_marks: bool,
    mention_href: MentionHref,
) -> str:
    out: list[str] = []
    i = 0
    while i < len(runs):
        run = runs[i]
        pending = [m for m in _WRAP_ORDER if m not in open_marks and run.mark_on(m)]
        if not pending:
            out.append(_leaf(run, in_table, mention_href))
            i += 1
            continue
        # Open first the mark that spans the most runs, so that `**a *b***` comes back.
        best = max(pending, key=lambda m: (_span(runs, i, m) - i, -_WRAP_ORDER.index(m)))
        end = _span(runs, i, best)
        inner = _render(runs[i:end], open_marks | {best}, in_table, html_marks=html_marks,
                        mention_href=mention_href)
        if best == "link":
            bare = _bare_autolink(runs[i:end])
            out.append(bare or f"[{inner}]({_link_destination(runs[i].link or '')})")
        elif best == "color":
            out.append(f'<span color="{run.color}">{inner}</span>')
        elif best == "underline" or html_marks:
            tag = _TAG_FOR_MARK[best]
            out.append(f"<{tag}>{inner}</{tag}>")
        else:
            out.append(f"{_DELIMS[best]}{inner}{_DELIMS[best]}")
        i = end
    return "".join(out)


def _leaf(run: Run, in_table: bool, mention_href: MentionHref) -> str:
    if run.special is not None:
        return _special(run, mention_href)
    if run.code:
        return code_span(run.text.replace("\n", " "), in_table=in_table)
    parts = re.split(r"( \n|\n)", run.text)
    rendered: list[str] = []
    for part in parts:
        if part == SOFT_BREAK:
            rendered.append(" " if in_table else "\n")
        elif part == HARD_BREAK:
            rendered.append(" " if in_table else "\\\n")
        else:
            rendered.append(escape_text(part))
    return "".join(rendered)


def _special(run: Run, mention_href: MentionHref) -> str:
    """An equation or mention element; its text escaped so it parses back exactly."""
    # A line break inside the element is a hard break (spaces right after it are lost:
    # Markdown drops leading spaces of a line).
    body = escape_text(run.text).replace("\n", "\\\n")
    if run.special == "equation":
        element = f"<{EQUATION_TAG}>{body}</{EQUATION_TAG}>"
    else:
        mention = json.loads(run.special or "{}")
        href = mention_href(mention) if not run.link else None
        if href and body:
            body = f"[{body}]({_link_destination(href)})"
        name, attrs = _mention_tag(mention)
        rendered = "".join(f' {k}="{_attr_escape(v)}"' for k, v in attrs.items())
        element = f"<{name}{rendered}>{body}</{name}>"
    return f"<code>{element}</code>" if run.code else element


def _bare_autolink(runs: Sequence[Run]) -> str | None:
    """The bare text of a GFM autolink (``https://x``, ``www.x``) when ``runs`` are exactly
    one, so that autolinks written bare in Markdown come back bare."""
    if len(runs) != 1:
        return None
    run = runs[0]
    if (run.bold or run.italic or run.strikethrough or run.code or run.underline
            or run.color != "default" or run.special is not None or not run.link):
        return None
    if re.search(r"[\s<>*_~`\[\]\\]", run.text):
        return None
    from prodops_sync.markdown import parser  # local: only needed for this check

    tokens = parser().parseInline(run.text)[0].children or []
    kinds = [t.type for t in tokens]
    if kinds != ["gfm_autolink_open", "text", "gfm_autolink_close"]:
        return None
    if tokens[0].attrs.get("href") != run.link or tokens[1].content != run.text:
        return None
    return run.text


def _link_destination(url: str) -> str:
    if url == "" or re.search(r"[\s<>()]", url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url
