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

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it.tree import SyntaxTreeNode

MAX_TEXT_UNITS = 2000
"""Notion's limit for one rich-text run's content, in UTF-16 code units."""
MAX_RICH_TEXT_ITEMS = 100
"""Notion's limit for the number of runs in one rich-text array."""

SOFT_BREAK = " \n"
HARD_BREAK = "\n"

# Marks that wrap other content, outermost first when two marks span the same runs.
_WRAP_ORDER = ("link", "bold", "italic", "strikethrough")
_DELIMS = {"bold": "**", "italic": "*", "strikethrough": "~~"}
_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_TASK_CHECKBOX = re.compile(r'^<input class="task-list-item-checkbox"')


@dataclass(frozen=True)
class Run:
    """One rich-text run in a form independent of the API's JSON spelling."""

    text: str
    bold: bool = False
    italic: bool = False
    strikethrough: bool = False
    code: bool = False
    link: str | None = None

    def same_format(self, other: Run) -> bool:
        """True when both runs carry exactly the same marks and link."""
        return (
            self.bold == other.bold
            and self.italic == other.italic
            and self.strikethrough == other.strikethrough
            and self.code == other.code
            and self.link == other.link
        )

    def mark_on(self, mark: str) -> bool:
        """Whether ``mark`` (one of :data:`_WRAP_ORDER`) applies to this run."""
        if mark == "link":
            return self.link is not None
        return bool(getattr(self, mark))


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
# Markdown inline tree -> runs

HrefMapper = Callable[[str], str]


def inline_to_runs(inline: SyntaxTreeNode, map_href: HrefMapper | None = None) -> list[Run]:
    """Flatten a markdown-it ``inline`` node into runs (merged, not yet length-split)."""
    runs: list[Run] = []
    _walk(inline.children, {}, runs, map_href or (lambda h: h))
    return merge_runs(runs)


def _walk(
    nodes: Sequence[SyntaxTreeNode], marks: dict[str, Any], out: list[Run], map_href: HrefMapper
) -> None:
    for node in nodes:
        kind = node.type
        if kind in ("text", "text_special"):
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
            _walk(node.children, {**marks, "link": map_href(href)}, out, map_href)
        elif kind == "image":
            # Notion has no inline images: keep the alt text as a link to the image.
            alt = "".join(c.content for c in node.children) or str(node.attrs.get("src", ""))
            out.append(Run(alt, **{**marks, "link": str(node.attrs.get("src", ""))}))
        elif kind == "html_inline":
            if _TASK_CHECKBOX.match(node.content):
                continue  # the task-list checkbox; the block records it as `checked`
            out.append(Run(node.content, **marks))
        else:  # unknown inline extension: keep its text rather than drop it
            if node.children:
                _walk(node.children, marks, out, map_href)
            elif node.content:
                out.append(Run(node.content, **marks))


def merge_runs(runs: Iterable[Run]) -> list[Run]:
    """Join neighbouring runs with the same marks; drop empty runs."""
    merged: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if merged and merged[-1].same_format(run):
            last = merged[-1]
            merged[-1] = Run(
                last.text + run.text, last.bold, last.italic, last.strikethrough, last.code,
                last.link,
            )
        else:
            merged.append(run)
    return merged


# ---------------------------------------------------------------------------------------------
# runs <-> Notion JSON


def runs_to_rich_text(runs: Iterable[Run]) -> list[dict[str, Any]]:
    """Notion request-shaped rich-text items, each at most 2,000 UTF-16 units long."""
    items: list[dict[str, Any]] = []
    for run in runs:
        for piece in split_utf16(run.text):
            text: dict[str, Any] = {"content": piece}
            if run.link is not None:
                text["link"] = {"url": run.link}
            item: dict[str, Any] = {"type": "text", "text": text}
            annotations = {
                name: True
                for name in ("bold", "italic", "strikethrough", "code")
                if getattr(run, name)
            }
            if annotations:
                item["annotations"] = annotations
            items.append(item)
    return items


def rich_text_to_runs(
    items: Sequence[dict[str, Any]], mention_href: Callable[[dict[str, Any]], str | None]
) -> list[Run]:
    """Read API-shaped (or request-shaped) rich-text items into runs.

    Mentions and inline equations have no Markdown form: a page/database mention becomes a
    link to the page (``mention_href`` gives its href), anything else its ``plain_text``.
    """
    runs: list[Run] = []
    for item in items:
        ann = item.get("annotations") or {}
        marks: dict[str, Any] = {
            "bold": bool(ann.get("bold")),
            "italic": bool(ann.get("italic")),
            "strikethrough": bool(ann.get("strikethrough")),
            "code": bool(ann.get("code")),
        }
        kind = item.get("type", "text")
        if kind == "text":
            text = item.get("text") or {}
            link = (text.get("link") or {}).get("url")
            runs.append(Run(str(text.get("content", "")), link=link, **marks))
        elif kind == "mention":
            href = mention_href(item.get("mention") or {})
            runs.append(Run(_plain(item), link=href, **marks))
        elif kind == "equation":
            expression = (item.get("equation") or {}).get("expression", "")
            runs.append(Run(f"${expression}$", **marks))
        else:
            runs.append(Run(_plain(item), **marks))
    return merge_runs(runs)


def _plain(item: dict[str, Any]) -> str:
    if "plain_text" in item:
        return str(item["plain_text"])
    kind = item.get("type", "")
    payload = item.get(kind) or {}
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


def rich_text_to_markdown(runs: Sequence[Run], *, in_table: bool = False) -> str:
    """Markdown for ``runs`` (line breaks included), before canonical formatting."""
    return _render(list(merge_runs(runs)), frozenset(), in_table)


def _span(runs: Sequence[Run], start: int, mark: str) -> int:
    first = runs[start]
    end = start
    while end < len(runs) and runs[end].mark_on(mark) and (
        mark != "link" or runs[end].link == first.link
    ):
        end += 1
    return end


def _render(runs: list[Run], open_marks: frozenset[str], in_table: bool) -> str:
    out: list[str] = []
    i = 0
    while i < len(runs):
        run = runs[i]
        pending = [m for m in _WRAP_ORDER if m not in open_marks and run.mark_on(m)]
        if not pending:
            out.append(_leaf(run, in_table))
            i += 1
            continue
        # Open first the mark that spans the most runs, so that `**a *b***` comes back.
        best = max(pending, key=lambda m: (_span(runs, i, m) - i, -_WRAP_ORDER.index(m)))
        end = _span(runs, i, best)
        inner = _render(runs[i:end], open_marks | {best}, in_table)
        if best == "link":
            bare = _bare_autolink(runs[i:end])
            out.append(bare or f"[{inner}]({_link_destination(runs[i].link or '')})")
        else:
            out.append(f"{_DELIMS[best]}{inner}{_DELIMS[best]}")
        i = end
    return "".join(out)


def _leaf(run: Run, in_table: bool) -> str:
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


def _bare_autolink(runs: Sequence[Run]) -> str | None:
    """The bare text of a GFM autolink (``https://x``, ``www.x``) when ``runs`` are exactly
    one, so that autolinks written bare in Markdown come back bare."""
    if len(runs) != 1:
        return None
    run = runs[0]
    if run.bold or run.italic or run.strikethrough or run.code or not run.link:
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
