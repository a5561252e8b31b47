"""Canonical Markdown ⇄ Notion blocks (pure functions, no I/O).

``to_blocks(markdown)`` returns block objects shaped for ``PATCH /v1/blocks/{id}/children``
(API version 2025-09-03): ``{"object": "block", "type": T, T: {...}}`` with nested blocks
under ``block[T]["children"]``. ``from_blocks(blocks)`` accepts that shape and the shape the
API returns (``id``, ``has_children``, timestamps...). **Children fetched from the API must
be attached by the caller as** ``block[T]["children"]`` (a top-level ``block["children"]``
list is accepted too). A block with ``has_children: true`` and no attached children raises
``ValueError`` rather than silently losing them.

Mapping (docs/formats/notion.md has the full table):

* paragraph → ``paragraph``; ``#``/``##``/``###`` → ``heading_1..3``; ``####``–``######``
  → ``heading_3`` (Notion has three levels; does not round-trip, ``validate`` warns);
* ``-`` / ``1.`` / ``- [ ]`` items → ``bulleted_list_item`` / ``numbered_list_item`` /
  ``to_do``; the item's first paragraph is the block's rich text, everything else its
  children, to any depth; block quotes → ``quote`` the same way;
* GitHub alerts → ``callout`` with a fixed emoji per kind (:data:`ALERT_EMOJI`);
* fenced code → ``code`` (see :mod:`.languages`); a ``math`` fence → ``equation``;
* GFM tables → ``table`` / ``table_row`` with a column header; ``---`` → ``divider``;
* a paragraph holding only an image → ``image`` (external URL, alt text as caption);
* an HTML block → ``code`` with language ``html`` and caption :data:`HTML_CAPTION`.

**Placeholders.** A Notion block with no faithful Markdown form (toggle, bookmark, embed,
child page/database, synced block, columns, uploaded files, callouts with other icons...)
is written as one HTML comment line::

    <!-- notion:block id=<block uuid> type=<notion type> [informational text] -->

The informational text (title, URL) is for people reading the file and is ignored on the
way in. ``to_blocks`` turns such a line back into a *placeholder marker*::

    {"object": "block", "type": "prodops_placeholder",
     "prodops_placeholder": {"id": "<block uuid>", "type": "<notion type>", "note": "..."}}

which means "keep the existing remote block with this id here, untouched". The sync engine
must not send markers to Notion (``plan_append_requests`` refuses them); use
:func:`is_placeholder` / :func:`placeholder_id`.

**More than 100 rich-text runs** in one block are split across consecutive blocks of the
same type; every block but the last ends with U+2060 WORD JOINER (invisible), and
``from_blocks`` joins such blocks back into one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from markdown_it.tree import SyntaxTreeNode

from prodops_sync.assets import asset_key_for_href, href_for_asset
from prodops_sync.formats.notion import languages
from prodops_sync.formats.notion.richtext import (
    MAX_RICH_TEXT_ITEMS,
    Run,
    escape_text,
    merge_runs,
    nodes_to_runs,
    normal_runs,
    plain_text,
    rich_text_to_markdown,
    rich_text_to_runs,
    runs_to_rich_text,
)
from prodops_sync.links import LinkResolver, href_for, split_href, suffix_for
from prodops_sync.markdown import canonical, parse

Block = dict[str, Any]

PLACEHOLDER_TYPE = "prodops_placeholder"
HTML_CAPTION = "Markdown HTML block"
CONTINUATION = "\u2060"

ALERT_EMOJI: dict[str, str] = {
    "NOTE": "ℹ️",
    "TIP": "💡",
    "IMPORTANT": "❗",
    "WARNING": "⚠️",
    "CAUTION": "🛑",
}
"""The fixed callout icon of each GitHub alert kind."""
ALERT_COLOR: dict[str, str] = {
    "NOTE": "blue_background",
    "TIP": "green_background",
    "IMPORTANT": "purple_background",
    "WARNING": "yellow_background",
    "CAUTION": "red_background",
}
_ALERT_BY_EMOJI = {emoji: kind for kind, emoji in ALERT_EMOJI.items()}

_PLACEHOLDER_RE = re.compile(
    r"^<!-- notion:block id=(?P<id>[0-9a-fA-F-]{32,36}) type=(?P<type>[a-z_0-9]+)"
    r"(?: (?P<note>.*?))? -->\n?$"
)
_NOTION_ID_RE = re.compile(
    r"([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})(?:[?#].*)?$"
)
_TEXT_BLOCKS = (
    "paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item",
    "numbered_list_item", "to_do", "quote", "callout",
)
# Keys of the API's block object that are not content.
_API_ONLY_KEYS = {
    "id", "object", "parent", "created_time", "last_edited_time", "created_by",
    "last_edited_by", "has_children", "archived", "in_trash", "request_id", "children",
}


# =============================================================================================
# Placeholders


def placeholder(block_id: str, block_type: str, note: str = "") -> Block:
    """A marker meaning "keep the remote block ``block_id`` here" (``note``: the
    informational text of the comment, carried so that the Markdown comes back as is)."""
    body = {"id": block_id, "type": block_type}
    if note:
        body["note"] = note
    return {"object": "block", "type": PLACEHOLDER_TYPE, PLACEHOLDER_TYPE: body}


def is_placeholder(block: Block) -> bool:
    """True for a placeholder marker produced by :func:`to_blocks`."""
    return block.get("type") == PLACEHOLDER_TYPE


def placeholder_id(block: Block) -> str:
    """The remote block id a placeholder marker stands for."""
    return str(block[PLACEHOLDER_TYPE]["id"])


def placeholder_comment(block_id: str, block_type: str, note: str = "") -> str:
    """The Markdown line for a placeholder (``note`` is informational only)."""
    note = re.sub(r"\s+", " ", note).replace("--", "–").replace(">", "›").strip()[:120]
    return f"<!-- notion:block id={block_id} type={block_type}" + (
        f" {note} -->" if note else " -->"
    )


# =============================================================================================
# Markdown -> blocks


class _Writer:
    """Converts a markdown-it syntax tree to Notion blocks."""

    def __init__(self, current_key: str, resolver: LinkResolver | None) -> None:
        self.current_key = current_key
        self.resolver = resolver

    def map_href(self, href: str) -> str:
        target = split_href(self.current_key, href)
        if target is None or self.resolver is None:
            return href
        key, _suffix, fragment = target
        url = self.resolver.url_for(key)
        if url is None:
            return href
        return url + (f"#{fragment}" if fragment else "")

    def runs(self, inline: SyntaxTreeNode | None) -> list[Run]:
        return self.runs_attrs(inline)[0]

    def runs_attrs(self, inline: SyntaxTreeNode | None) -> tuple[list[Run], dict[str, str]]:
        """The runs of ``inline`` and the block attributes of a trailing attribute marker
        (``<!-- notion:color=red -->``, see :data:`_ATTRS_RE`)."""
        if inline is None:
            return [], {}
        nodes = list(inline.children)
        attrs: dict[str, str] = {}
        if nodes and nodes[-1].type == "html_inline":
            match = _ATTRS_RE.match(nodes[-1].content)
            if match:
                attrs = dict(pair.split("=", 1) for pair in match["attrs"].split())
                nodes = nodes[:-1]
        runs = nodes_to_runs(nodes, self.map_href)
        if attrs and runs and runs[-1].special is None and not runs[-1].code:
            # the space that separates the marker from the text
            runs[-1] = replace(runs[-1], text=runs[-1].text.removesuffix(" "))
            runs = [r for r in runs if r.text or r.special is not None]
        return runs, attrs

    # -- blocks ------------------------------------------------------------------------------

    def blocks(self, nodes: Sequence[SyntaxTreeNode]) -> list[Block]:
        out: list[Block] = []
        for node in nodes:
            out.extend(self.block(node))
        return out

    def block(self, node: SyntaxTreeNode) -> list[Block]:
        kind = node.type
        if kind == "paragraph":
            inline = node.children[0] if node.children else None
            image = _only_image(inline)
            if image is not None:
                return [self.image(image)]
            link = _only_link(inline)
            upload = self.asset_upload(str(link.attrs.get("href", ""))) if link else None
            if link is not None and upload:
                return [self.file(link, upload)]
            runs, attrs = self.runs_attrs(inline)
            return _text_blocks("paragraph", _color(attrs), runs, [])
        if kind == "heading":
            level = min(int(node.tag[1]), 3)
            inline = node.children[0] if node.children else None
            runs, attrs = self.runs_attrs(inline)
            return _text_blocks(f"heading_{level}", _color(attrs), runs, [])
        if kind in ("bullet_list", "ordered_list"):
            return [b for item in node.children for b in self.list_item(node, item)]
        if kind == "blockquote":
            runs, rest, attrs = self.lift(node.children)
            return _text_blocks("quote", _color(attrs), runs, rest)
        if kind == "gfm_alert":
            alert = str(node.meta.get("title", "NOTE")).upper()
            runs, rest, attrs = self.lift(node.children)
            extra = {
                "icon": {"type": "emoji", "emoji": ALERT_EMOJI.get(alert, ALERT_EMOJI["NOTE"])},
                "color": attrs.get("color", ALERT_COLOR.get(alert, "default")),
            }
            return _text_blocks("callout", extra, runs, rest)
        if kind in ("fence", "code_block"):
            return [self.code(node)]
        if kind == "table":
            return [self.table(node)]
        if kind == "hr":
            return [{"object": "block", "type": "divider", "divider": {}}]
        if kind == "html_block":
            match = _PLACEHOLDER_RE.match(node.content)
            if match:
                return [placeholder(match["id"], match["type"], match["note"] or "")]
            return [_code_block(node.content.rstrip("\n"), "html", HTML_CAPTION)]
        if kind == "front_matter":
            return []  # bodies only: fields travel as page properties
        raise ValueError(f"unsupported Markdown construct: {kind}")

    def lift(
        self, children: Sequence[SyntaxTreeNode]
    ) -> tuple[list[Run], list[Block], dict[str, str]]:
        """Notion keeps a list item's / quote's first paragraph as its own rich text."""
        if children and children[0].type == "paragraph":
            inline = children[0].children[0] if children[0].children else None
            if _only_image(inline) is None:
                runs, attrs = self.runs_attrs(inline)
                return runs, self.blocks(children[1:]), attrs
        return [], self.blocks(children), {}

    def list_item(self, lst: SyntaxTreeNode, item: SyntaxTreeNode) -> list[Block]:
        runs, rest, attrs = self.lift(item.children)
        if lst.type == "ordered_list":
            return _text_blocks("numbered_list_item", _color(attrs), runs, rest)
        checked = _task_state(item)
        if checked is None:
            return _text_blocks("bulleted_list_item", _color(attrs), runs, rest)
        if runs and runs[0].text.startswith(" ") and not runs[0].code:
            first = runs[0]
            runs = [replace(first, text=first.text[1:]), *runs[1:]]
            runs = [r for r in runs if r.text]
        return _text_blocks("to_do", {"checked": checked, **_color(attrs)}, runs, rest)

    def code(self, node: SyntaxTreeNode) -> Block:
        content = node.content[:-1] if node.content.endswith("\n") else node.content
        info = node.info.strip() if node.type == "fence" else ""
        if info == "math":
            return {"object": "block", "type": "equation", "equation": {"expression": content}}
        language, caption = languages.to_notion(info)
        return _code_block(content, language, caption)

    def asset_upload(self, href: str) -> str | None:
        """The file upload id of the playbook asset ``href`` points at, if uploaded."""
        key = asset_key_for_href(self.current_key, href)
        ref = getattr(self.resolver, "asset_ref", None)
        return ref(key) if key is not None and ref is not None else None

    def image(self, node: SyntaxTreeNode) -> Block:
        alt = "".join(child.content for child in node.children)
        src = str(node.attrs["src"])
        upload = self.asset_upload(src)
        body: dict[str, Any] = (
            {"type": "file_upload", "file_upload": {"id": upload}}
            if upload
            else {"type": "external", "external": {"url": src}}
        )
        if alt:
            body["caption"] = runs_to_rich_text([Run(alt)])
        return {"object": "block", "type": "image", "image": body}

    def file(self, link: SyntaxTreeNode, upload: str) -> Block:
        """A paragraph that is only a link to an uploaded asset: a file block."""
        text = "".join(_plain_of(child) for child in link.children)
        body: dict[str, Any] = {"type": "file_upload", "file_upload": {"id": upload}}
        if text:
            body["caption"] = runs_to_rich_text([Run(text)])
        return {"object": "block", "type": "file", "file": body}

    def table(self, node: SyntaxTreeNode) -> Block:
        rows: list[Block] = []
        width = 0
        flags: dict[str, str] = {}
        for section in node.children:  # thead, tbody
            for tr in section.children:
                cells: list[list[dict[str, Any]]] = []
                for cell in tr.children:
                    runs, attrs = self.runs_attrs(cell.children[0] if cell.children else None)
                    if not rows and not cells:
                        flags = attrs  # the table's flags ride on its first cell
                    elif attrs:  # on another cell it is text
                        runs = [*runs, Run(" " + _attrs_comment(attrs))]
                    cells.append(runs_to_rich_text(merge_runs(runs)))
                width = max(width, len(cells))
                rows.append({"object": "block", "type": "table_row",
                             "table_row": {"cells": cells}})
        for row in rows:  # GFM pads short rows; Notion needs every row `table_width` wide
            cells = row["table_row"]["cells"]
            cells.extend([] for _ in range(width - len(cells)))
        return {
            "object": "block",
            "type": "table",
            "table": {
                "table_width": width,
                "has_column_header": flags.get("column_header") != "false",
                "has_row_header": flags.get("row_header") == "true",
                "children": rows,
            },
        }


def _code_block(content: str, language: str, caption: str) -> Block:
    body: dict[str, Any] = {
        "rich_text": runs_to_rich_text([Run(content)]) if content else [],
        "language": language,
    }
    if caption:
        body["caption"] = runs_to_rich_text([Run(caption)])
    return {"object": "block", "type": "code", "code": body}


def _text_blocks(
    block_type: str, extra: dict[str, Any], runs: list[Run], children: list[Block]
) -> list[Block]:
    """One text block, or several when the rich text exceeds 100 runs (see module doc)."""
    items = runs_to_rich_text(runs)
    chunks = [items[i : i + MAX_RICH_TEXT_ITEMS] for i in range(0, len(items), MAX_RICH_TEXT_ITEMS)]
    if len(chunks) > 1:
        # The marker needs a slot: keep 99 runs in every chunk but the last.
        size = MAX_RICH_TEXT_ITEMS - 1
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        for chunk in chunks[:-1]:
            chunk.append({"type": "text", "text": {"content": CONTINUATION}})
    chunks = chunks or [[]]
    out: list[Block] = []
    for n, chunk in enumerate(chunks):
        body: dict[str, Any] = {"rich_text": chunk, **extra}
        if n == len(chunks) - 1 and children:
            body["children"] = children
        out.append({"object": "block", "type": block_type, block_type: body})
    return out


def _only_link(inline: SyntaxTreeNode | None) -> SyntaxTreeNode | None:
    """The link of a paragraph that holds one plain link and nothing else."""
    if inline is None or len(inline.children) != 1:
        return None
    child = inline.children[0]
    if child.type != "link" or child.attrs.get("title"):
        return None
    if any(grand.type != "text" for grand in child.children):
        return None
    return child


def _plain_of(node: SyntaxTreeNode) -> str:
    return node.content if node.type == "text" else "".join(_plain_of(c) for c in node.children)


def _only_image(inline: SyntaxTreeNode | None) -> SyntaxTreeNode | None:
    if inline is None or len(inline.children) != 1:
        return None
    child = inline.children[0]
    if child.type != "image" or child.attrs.get("title"):
        return None
    return child


def _task_state(item: SyntaxTreeNode) -> bool | None:
    """None for a plain list item, else whether the task item is checked."""
    if "task-list-item" not in str(item.attrs.get("class", "")):
        return None
    para = item.children[0] if item.children else None
    inline = para.children[0] if para is not None and para.children else None
    first = inline.children[0] if inline is not None and inline.children else None
    return first is not None and 'checked="checked"' in first.content


def to_blocks(
    markdown: str, *, current_key: str = "", resolver: LinkResolver | None = None
) -> list[Block]:
    """Convert a Markdown body to Notion append-children block objects.

    ``current_key`` is the document's key (for resolving relative links to other playbook
    documents); ``resolver`` maps keys to Notion page URLs. Unresolved relative links are
    kept as written (Notion rejects them, so the sync engine resolves every key it pushes).
    """
    tree = SyntaxTreeNode(parse(canonical(markdown)))
    return _Writer(current_key, resolver).blocks(tree.children)


# =============================================================================================
# blocks -> Markdown


def block_children(block: Block) -> list[Block]:
    """The attached children of ``block`` (``block[type]["children"]`` or
    ``block["children"]``); raises ``ValueError`` when the API says it has children but
    none were attached."""
    kind = block.get("type", "")
    body = block.get(kind)
    children = body.get("children") if isinstance(body, dict) else None
    if children is None:
        children = block.get("children")
    if children is None:
        if block.get("has_children"):
            raise ValueError(
                f"block {block.get('id', '?')} ({kind}) has children that were not fetched; "
                f"attach them as block[{kind!r}]['children']"
            )
        return []
    return list(children)


class _Reader:
    """Converts Notion blocks to Markdown text (before canonical formatting)."""

    def __init__(self, current_key: str, resolver: LinkResolver | None) -> None:
        self.current_key = current_key
        self.resolver = resolver

    # -- links -------------------------------------------------------------------------------

    def key_for(self, url: str) -> str | None:
        if self.resolver is None:
            return None
        base = url.split("#", 1)[0]
        candidates = [url, base]
        match = _NOTION_ID_RE.search(base)
        if match:
            raw = match.group(1).replace("-", "").lower()
            dashed = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
            candidates += [raw, dashed, f"https://www.notion.so/{raw}"]
        for candidate in candidates:
            key = self.resolver.key_for_url(candidate)
            if key is not None:
                return key
        return None

    def unmap_href(self, url: str) -> str:
        key = self.key_for(url)
        if key is None:
            return url
        fragment = url.split("#", 1)[1] if "#" in url else ""
        return href_for(self.current_key, key, suffix_for(key, self.resolver), fragment)

    def runs(self, items: Sequence[dict[str, Any]]) -> list[Run]:
        return [
            replace(r, link=self.unmap_href(r.link)) if r.link else r
            for r in rich_text_to_runs(items)
        ]

    def mention_href(self, mention: dict[str, Any]) -> str | None:
        """A page/database mention of a playbook document links to its file in Git."""
        kind = mention.get("type")
        if kind not in ("page", "database"):
            return None
        target_id = str((mention.get(kind) or {}).get("id", "")).replace("-", "")
        href = self.unmap_href(f"https://www.notion.so/{target_id}")
        return None if href.startswith("https://www.notion.so/") else href

    def inline(self, items: Sequence[dict[str, Any]], *, in_table: bool = False) -> str:
        return rich_text_to_markdown(self.runs(items), in_table=in_table,
                                     mention_href=self.mention_href)

    # -- blocks ------------------------------------------------------------------------------

    def render(self, blocks: Sequence[Block], *, tight: bool = False) -> str:
        """Markdown for sibling ``blocks``. ``tight``: inside a tight list item, where
        neighbouring lists of different kinds follow each other without a blank line."""
        blocks = _join_continuations(blocks)
        parts: list[str] = []
        is_list: list[bool] = []
        i = 0
        while i < len(blocks):
            kind = blocks[i].get("type")
            if kind in ("bulleted_list_item", "to_do", "numbered_list_item"):
                group = ("numbered_list_item",) if kind == "numbered_list_item" else (
                    "bulleted_list_item", "to_do")
                j = i
                while j < len(blocks) and blocks[j].get("type") in group:
                    j += 1
                parts.append(self.list_items(blocks[i:j]))
                is_list.append(True)
                i = j
                continue
            rendered = self.block(blocks[i])
            if rendered is not None:
                parts.append(rendered)
                is_list.append(False)
            i += 1
        out = parts[0] if parts else ""
        for n in range(1, len(parts)):
            joiner = "\n" if tight and is_list[n - 1] and is_list[n] else "\n\n"
            out += joiner + parts[n]
        return out

    def body_with_children(self, block: Block, text: str, *, in_list: bool = False) -> str:
        children = block_children(block)
        tight = in_list and bool(children) and all(
            c.get("type") in ("bulleted_list_item", "numbered_list_item", "to_do")
            for c in children
        )
        inner = self.render(children, tight=tight) if children else ""
        if text and inner:
            # A nested list right under an item's text keeps the list tight; anything else
            # needs a blank line (and makes the list loose, as it was in the Markdown).
            tight = in_list and children[0].get("type") in (
                "bulleted_list_item", "numbered_list_item", "to_do")
            return f"{text}\n{inner}" if tight else f"{text}\n\n{inner}"
        return text or inner

    def list_items(self, items: Sequence[Block]) -> str:
        lines: list[str] = []
        for n, block in enumerate(items, start=1):
            kind = block["type"]
            text = _with_attrs(self.inline(block[kind].get("rich_text", [])),
                               _block_color(block[kind]))
            if kind == "numbered_list_item":
                marker = f"{n}. "
            elif kind == "to_do":
                marker = "- [x] " if block[kind].get("checked") else "- [ ] "
            else:
                marker = "- "
            content = self.body_with_children(block, text, in_list=True)
            indent = " " * (2 if kind == "to_do" else len(marker))
            if kind == "to_do" and not text and content:
                # A task item must start with text on its marker line.
                content = "\n" + content
            body_lines = content.split("\n")
            first = marker + body_lines[0] if body_lines[0] else marker.rstrip()
            rest = [indent + line if line else "" for line in body_lines[1:]]
            lines.append("\n".join([first, *rest]))
        return "\n".join(lines)

    def block(self, block: Block) -> str | None:
        kind = str(block.get("type", ""))
        body = block.get(kind) if isinstance(block.get(kind), dict) else {}
        assert isinstance(body, dict)
        if kind == PLACEHOLDER_TYPE:
            return placeholder_comment(body["id"], body["type"], body.get("note", ""))
        if kind == "paragraph" and not block_children(block):
            text = self.inline(body.get("rich_text", []))
            if text:
                return _with_attrs(text, _block_color(body))
            return self.keep(block)  # an empty paragraph has no Markdown form
        if kind in ("heading_1", "heading_2", "heading_3") and not body.get("is_toggleable"):
            level = int(kind[-1])
            text = self.inline(body.get("rich_text", [])).replace("\\\n", " ").replace("\n", " ")
            text = _with_attrs(text, _block_color(body))
            return "#" * level + " " + text if text else self.keep(block)
        if kind == "quote":
            text = _with_attrs(self.inline(body.get("rich_text", [])), _block_color(body))
            text = self.body_with_children(block, text)
            return _prefix(text, "> ") if text else self.keep(block)
        if kind == "callout":
            emoji = (body.get("icon") or {}).get("emoji")
            alert = _ALERT_BY_EMOJI.get(emoji or "")
            if alert is None:
                return self.keep(block)
            color = str(body.get("color") or "default")
            attrs = {} if color == ALERT_COLOR[alert] else {"color": color}
            text = _with_attrs(self.inline(body.get("rich_text", [])), attrs)
            text = self.body_with_children(block, text)
            return _prefix(f"[!{alert}]\n{text}", "> ")
        if kind == "code":
            return self.code(block)
        if kind == "equation":
            return _fence(str(body.get("expression", "")), "math")
        if kind == "divider":
            return "***"  # never "---": two at the top would open front matter
        if kind == "table":
            return self.table(block)
        if kind == "image" and body.get("type") == "external":
            url = str((body.get("external") or {}).get("url", ""))
            alt = plain_text(body.get("caption", []))
            return f"![{escape_text(alt)}]({_destination(url)})"
        if kind in ("image", "file") and body.get("type") == "file":
            href = self.asset_href(body)
            if href is not None:
                text = escape_text(plain_text(body.get("caption", [])))
                return f"![{text}]({href})" if kind == "image" else f"[{text}]({href})"
        return self.keep(block)

    def asset_href(self, body: dict[str, Any]) -> str | None:
        """The relative link to the playbook asset a Notion-hosted file is, if the resolver
        knows (or fetches) it."""
        url = str((body.get("file") or {}).get("url", ""))
        lookup = getattr(self.resolver, "asset_for_remote", None)
        if not url or lookup is None:
            return None
        name = str(body.get("name") or url.split("?", 1)[0].rsplit("/", 1)[-1])
        key = lookup(url, name)
        return _destination(href_for_asset(self.current_key, key)) if key else None

    def keep(self, block: Block) -> str | None:
        """A placeholder for a block with no faithful Markdown form (None: nothing to keep)."""
        block_id = block.get("id")
        if not block_id:
            return None  # generated, id-less and empty: nothing a user could lose
        kind = str(block.get("type", "unsupported"))
        return placeholder_comment(str(block_id), kind, _note(block))

    def code(self, block: Block) -> str:
        body = block["code"]
        content = plain_text(body.get("rich_text", []))
        caption = plain_text(body.get("caption", []))
        language = str(body.get("language", languages.PLAIN))
        if language == "html" and caption == HTML_CAPTION:
            return content
        return _fence(content, languages.from_notion(language, caption))

    def table(self, block: Block) -> str:
        rows = [row for row in block_children(block) if row.get("type") == "table_row"]
        width = int(block["table"].get("table_width") or 0)
        if not rows:
            return self.keep(block) or ""
        width = max([width, *(len(r["table_row"].get("cells", [])) for r in rows)])
        lines: list[str] = []
        body = block["table"]
        flags = {}
        if not body.get("has_column_header", True):
            flags["column_header"] = "false"
        if body.get("has_row_header"):
            flags["row_header"] = "true"
        for n, row in enumerate(rows):
            cells = list(row["table_row"].get("cells", []))
            cells += [[] for _ in range(width - len(cells))]
            texts = [self.inline(c, in_table=True) for c in cells]
            if n == 0 and texts:
                texts[0] = _with_attrs(texts[0], flags)
            lines.append("| " + " | ".join(texts) + " |")
            if n == 0:
                lines.append("|" + "|".join(" --- " for _ in range(width)) + "|")
        return "\n".join(lines)


_ATTRS_RE = re.compile(r"^<!-- notion:(?P<attrs>[a-z_]+=[a-z_]+(?: [a-z_]+=[a-z_]+)*) -->$")
"""A block's attributes that Markdown has no syntax for, as a comment at the end of its
text: ``<!-- notion:color=red_background -->`` (block colour), on a table's first cell
``<!-- notion:column_header=false row_header=true -->``. GitHub does not show it."""


def _attrs_comment(attrs: dict[str, str]) -> str:
    return "<!-- notion:" + " ".join(f"{k}={v}" for k, v in attrs.items()) + " -->"


def _with_attrs(text: str, attrs: dict[str, str]) -> str:
    """``text`` with the attribute marker at its end (none when ``text`` is empty or ends
    with a line break: the comment would then start a line and open an HTML block)."""
    if not attrs or not text or text.endswith("\n"):
        return text
    return f"{text} {_attrs_comment(attrs)}"


def _block_color(body: dict[str, Any]) -> dict[str, str]:
    color = str(body.get("color") or "default")
    return {} if color == "default" or not re.fullmatch(r"[a-z_]+", color) else {"color": color}


def _color(attrs: dict[str, str]) -> dict[str, Any]:
    """The ``color`` of a text block from its attribute marker (nothing when default)."""
    color = attrs.get("color", "default")
    return {"color": color} if color != "default" else {}


def _note(block: Block) -> str:
    """Human-readable hint for a placeholder (title, URL, text)."""
    kind = str(block.get("type", ""))
    body = block.get(kind)
    if not isinstance(body, dict):
        return ""
    for key in ("title", "url"):
        if body.get(key):
            return str(body[key])
    for key in ("rich_text", "caption"):
        if body.get(key):
            return plain_text(body[key])
    media = body.get("external") or body.get("file")
    if isinstance(media, dict) and media.get("url") and body.get("type") == "external":
        return str(media["url"])
    return ""


def _join_continuations(blocks: Sequence[Block]) -> list[Block]:
    """Undo :func:`_text_blocks` splitting: join a block whose rich text ends with the
    continuation marker to the following block of the same type."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        kind = block.get("type")
        if (
            prev is not None
            and prev.get("type") == kind
            and kind in _TEXT_BLOCKS
            and _ends_with_marker(prev)
        ):
            body = dict(block[kind])
            prev_items = list(prev[kind].get("rich_text", []))
            last = dict(prev_items[-1])
            text = dict(last.get("text") or {})
            text["content"] = str(text.get("content", ""))[: -len(CONTINUATION)]
            last["text"] = text
            last.pop("plain_text", None)
            prev_items[-1] = last
            body["rich_text"] = prev_items + list(body.get("rich_text", []))
            merged = {**block, kind: body}
            out[-1] = merged
        else:
            out.append(block)
    return out


def _ends_with_marker(block: Block) -> bool:
    kind = str(block.get("type"))
    items = block[kind].get("rich_text") or []
    if not items or items[-1].get("type") != "text":
        return False
    return str((items[-1].get("text") or {}).get("content", "")).endswith(CONTINUATION)


def _prefix(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else prefix.rstrip() for line in text.split("\n"))


def _fence(content: str, info: str) -> str:
    longest = max((len(m) for m in re.findall(r"^ {0,3}(`{3,}|~{3,})", content, re.M)),
                  default=0)
    fence = "`" * max(3, longest + 1)
    body = content + "\n" if content else ""
    return f"{fence}{info}\n{body}{fence}"


def _destination(url: str) -> str:
    if url == "" or re.search(r"[\s<>()]", url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def from_blocks(
    blocks: Sequence[Block], *, current_key: str = "", resolver: LinkResolver | None = None
) -> str:
    """Convert Notion blocks (API-shaped with children attached, or :func:`to_blocks`
    output) to canonical Markdown."""
    text = _Reader(current_key, resolver).render(blocks)
    return canonical(text + "\n") if text.strip() else ""


# =============================================================================================
# Requests


def for_request(value: Any) -> Any:
    """A copy of blocks (or a block body) as a request sends it: without the read-only
    fields of rich-text items (``plain_text``, ``href``; :func:`to_blocks` keeps a mention's
    shown text in ``plain_text`` so that it reads back as written) and of blocks the API
    returned (``id``, timestamps, ``has_children``...)."""
    if isinstance(value, list):
        return [for_request(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("type")
    if isinstance(kind, str) and kind in value:
        if kind in ("text", "mention", "equation"):
            drop: set[str] | frozenset[str] = {"plain_text", "href"}
        else:  # a block as the API returned it: only its type object goes out
            drop = _API_ONLY_KEYS - {"object", "children"}
        return {k: for_request(v) for k, v in value.items() if k not in drop}
    return {k: for_request(v) for k, v in value.items()}


# =============================================================================================
# Fingerprints


def block_fingerprint(block: Block) -> str:
    """A stable hash of a block's content and its children, ignoring ids, timestamps,
    ``has_children``, ``plain_text``/``href`` and default values, so that a block the API
    returns and the block :func:`to_blocks` generates for the same Markdown compare equal."""
    data = json.dumps(_normal(block), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _normal(block: Block) -> Any:
    kind = str(block.get("type", ""))
    if kind == PLACEHOLDER_TYPE:
        return {"placeholder": block[PLACEHOLDER_TYPE]["id"]}
    body = block.get(kind) if isinstance(block.get(kind), dict) else {}
    assert isinstance(body, dict)
    content = {k: _normal_value(k, v) for k, v in body.items() if k != "children"}
    content = {k: v for k, v in content.items() if v not in (None, False, [], {}, "default", "")}
    children = block_children(block) if (body.get("children") is not None
                                         or block.get("children") is not None) else []
    return {"type": kind, "content": content, "children": [_normal(c) for c in children]}


def _normal_value(key: str, value: Any) -> Any:
    if key in ("rich_text", "caption", "title") and isinstance(value, list):
        return _normal_rich_text(value)
    if key == "cells" and isinstance(value, list):
        return [_normal_rich_text(cell) for cell in value]
    if isinstance(value, dict):
        return {k: _normal_value(k, v) for k, v in value.items()
                if k not in ("expiry_time",) and v is not None}
    return value


def _normal_rich_text(items: list[dict[str, Any]]) -> list[Any]:
    """Rich text as what it means: runs merged, edge whitespace unmarked
    (:func:`~.richtext.normal_runs`), a mention by its identity (Notion computes the text
    it shows)."""
    out: list[Any] = []
    for run in normal_runs(rich_text_to_runs(items)):
        shown = "" if run.special not in (None, "equation") else run.text
        out.append([shown, run.bold, run.italic, run.strikethrough, run.underline, run.code,
                    run.color, run.link, run.special])
    return out
