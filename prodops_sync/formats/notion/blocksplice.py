"""Notion page bodies through the generic block splice (:mod:`prodops_sync.formats.splice`).

One top-level Markdown block (a paragraph, a whole list, a table) is one or more top-level
Notion blocks (a list is one block per item; a paragraph of more than 100 runs is split in
several). This module groups Notion blocks into such *units*, renders and converts units,
and runs the generic splice with them:

* :func:`pull_body`: the page's blocks now, against the base, give the Git body in which
  every block the wiki did not change keeps its Git Markdown byte for byte (table
  alignment, ``<https://…>`` autolinks, loose lists, `_` emphasis: whatever Notion cannot
  store), and only changed units are converted;
* :func:`push_body`: the Git body, against the base, gives the blocks to write, in which
  every block Git did not change is the Notion JSON the base stored for it (so the block
  diff of :mod:`prodops_sync.remotes.notion_diff` sends nothing for it, whatever the
  Markdown could not say: colours, mention details, ids), and only changed blocks are
  rendered.

The base is a list of :class:`~prodops_sync.formats.splice.Block` whose ``remote`` is the
unit's list of Notion blocks (children attached, API noise such as timestamps removed).
Pure functions; the sync engine stores the base, the remote adapter sends the requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from prodops_sync.formats import splice
from prodops_sync.formats.notion.blocks import (
    CONTINUATION,
    block_fingerprint,
    from_blocks,
    is_placeholder,
    to_blocks,
)
from prodops_sync.links import LinkResolver
from prodops_sync.markdown import canonical

NotionBlock = dict[str, Any]
Unit = list[NotionBlock]

_LIST_GROUP = {
    "bulleted_list_item": "bullets", "to_do": "bullets", "numbered_list_item": "numbers",
}
# Fields of the API's block object that say nothing about content and change on every read
# or edit (kept out of the stored base, which is compared and re-sent).
_NOISE = frozenset({
    "created_time", "last_edited_time", "created_by", "last_edited_by", "parent",
    "request_id", "archived", "in_trash",
})
_PLACEHOLDER_LINE = re.compile(r"^<!-- notion:block id=", re.M)


# -- units ------------------------------------------------------------------------------------


def _group(block: NotionBlock) -> str | None:
    return _LIST_GROUP.get(str(block.get("type", "")))


def _continues(block: NotionBlock) -> bool:
    """True for a text block split off a longer one (ends with the continuation marker)."""
    kind = str(block.get("type", ""))
    body = block.get(kind)
    items = body.get("rich_text") if isinstance(body, dict) else None
    if not items or items[-1].get("type") != "text":
        return False
    return str((items[-1].get("text") or {}).get("content", "")).endswith(CONTINUATION)


def group_units(blocks: Sequence[NotionBlock]) -> list[Unit]:
    """Top-level Notion blocks grouped as :func:`from_blocks` writes them: consecutive list
    items of one kind form one list, split text blocks are joined, anything else is alone."""
    units: list[Unit] = []
    for block in blocks:
        last = units[-1] if units else None
        if last is not None and (
            (_group(block) is not None and _group(last[-1]) == _group(block))
            or (_continues(last[-1]) and last[-1].get("type") == block.get("type"))
        ):
            last.append(block)
        else:
            units.append([block])
    return units


def unit_key(unit: Any) -> str:
    """What a unit means, ignoring ids, timestamps and how text is split into runs."""
    return "|".join(block_fingerprint(b) for b in unit)


def stored(block: NotionBlock) -> NotionBlock:
    """A block as the base keeps it: content, id and children, without API noise, and its
    rich text without what the API repeats (``href``, a text run's ``plain_text``, default
    annotations), so the state stays close to the size of the page's text."""
    out: NotionBlock = {k: v for k, v in block.items() if k not in _NOISE and k != "children"}
    kind = str(block.get("type", ""))
    body = block.get(kind)
    children = block.get("children")
    if isinstance(body, dict):
        children = body.get("children", children)
        out[kind] = {k: _compact(k, v) for k, v in body.items() if k != "children"}
        if children is not None:
            out[kind]["children"] = [stored(c) for c in children]
    return out


def _compact(key: str, value: Any) -> Any:
    if key in ("rich_text", "caption", "title") and isinstance(value, list):
        return [_compact_item(i) for i in value]
    if key == "cells" and isinstance(value, list):
        return [[_compact_item(i) for i in cell] for cell in value]
    return value


def _compact_item(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    out = {k: v for k, v in item.items() if k != "href"}
    if out.get("type") == "text":
        out.pop("plain_text", None)
        text = out.get("text")
        if isinstance(text, dict) and text.get("link") is None:
            out["text"] = {k: v for k, v in text.items() if k != "link"}
    annotations = out.get("annotations")
    if isinstance(annotations, dict):
        kept = {k: v for k, v in annotations.items() if v not in (False, "default", None)}
        if kept:
            out["annotations"] = kept
        else:
            out.pop("annotations")
    return out


def align_units(base: Sequence[splice.Block], blocks: Sequence[NotionBlock]) -> list[Unit]:
    """Group ``blocks`` into units, cutting them where the base did wherever base units are
    still there (unchanged, or edited block for block), and by :func:`group_units` for
    blocks the wiki added. Two Git lists that Notion shows as one stay two blocks; a list
    item added in the wiki next to a list of the same kind joins it (in Markdown they are
    one list)."""
    base_units = [list(b.remote) for b in base if isinstance(b.remote, list) and b.remote]
    old = [block_fingerprint(b) for unit in base_units for b in unit]
    new = [block_fingerprint(b) for b in blocks]
    bounds: list[tuple[int, int]] = []
    position = 0
    for unit in base_units:
        bounds.append((position, position + len(unit)))
        position += len(unit)
    # start index in ``blocks`` -> (end index, state) of units that keep the base's cuts
    cut: dict[int, tuple[int, str]] = {}
    for op, i1, i2, j1, j2 in splice.diff(old, new):
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            state = "kept" if op == "equal" else "edited"
            for start, end in bounds:
                if i1 <= start and end <= i2:
                    cut[j1 + start - i1] = (j1 + end - i1, state)
    pieces: list[tuple[str, Unit]] = []
    loose: list[NotionBlock] = []
    j = 0
    while j < len(blocks):
        if j in cut:
            pieces.extend(("added", u) for u in group_units(loose))
            loose = []
            end, state = cut[j]
            pieces.append((state, list(blocks[j:end])))
            j = end
        else:
            loose.append(blocks[j])
            j += 1
    pieces.extend(("added", u) for u in group_units(loose))
    return _join_lists(pieces)


def _join_lists(pieces: list[tuple[str, Unit]]) -> list[Unit]:
    """Merge list items the wiki added with the neighbouring lists of the same kind."""
    out: list[tuple[str, Unit]] = []
    for state, unit in pieces:
        if out:
            prev_state, prev = out[-1]
            same = _group(prev[-1]) is not None and _group(prev[-1]) == _group(unit[0])
            if same and "added" in (state, prev_state):
                out[-1] = ("added", [*prev, *unit])
                continue
        out.append((state, unit))
    return [unit for _state, unit in out]


# -- both directions ----------------------------------------------------------------------------


def pull_body(
    base: Sequence[splice.Block] | None,
    blocks: Sequence[NotionBlock],
    *,
    current_key: str = "",
    resolver: LinkResolver | None = None,
) -> tuple[str, list[splice.Block]]:
    """The Git body for a page holding ``blocks`` (top-level, children attached), and the
    base to store: Git Markdown kept for every unit the wiki did not change."""
    units = align_units(base or [], blocks)

    def convert(remote: Sequence[Any]) -> list[str]:
        return [
            from_blocks(unit, current_key=current_key, resolver=resolver).removesuffix("\n")
            for unit in remote
        ]

    result = splice.splice_into_markdown(
        list(base or []), [[stored(b) for b in u] for u in units], convert, key=unit_key
    )
    spliced = _separate_lists(result.blocks, set(result.produced))
    return canonical(splice.join_markdown(b.markdown for b in spliced)), spliced


_BULLET_LINE = re.compile(r"^([-*+])( |$)", re.M)
_NUMBER_LINE = re.compile(r"^(\d{1,9})([.)])( |$)", re.M)


def _list_style(markdown: str) -> tuple[str, str] | None:
    """("bullet" | "number", marker) of a top-level list block, else None."""
    first = markdown.split("\n", 1)[0]
    if _BULLET_LINE.match(first):
        return "bullet", first[0]
    number = _NUMBER_LINE.match(first)
    return ("number", number[2]) if number else None


def _separate_lists(blocks: list[splice.Block], produced: set[int]) -> list[splice.Block]:
    """A list converted anew right after a list of the same kind takes the other marker
    (``-``/``*``, ``.``/``)``), as canonical Markdown writes two adjacent lists; with the
    same marker they would read as one list."""
    out: list[splice.Block] = []
    previous: tuple[str, str] | None = None
    for n, block in enumerate(blocks):
        if not block.markdown:
            out.append(block)
            continue
        style = _list_style(block.markdown)
        if n in produced and style is not None and previous is not None and (
            previous[0] == style[0] and previous[1] == style[1]
        ):
            if style[0] == "bullet":
                bullet = "*" if style[1] == "-" else "-"
                text = _BULLET_LINE.sub(bullet + r"\2", block.markdown)
            else:
                delim = ")" if style[1] == "." else "."
                text = _NUMBER_LINE.sub(r"\g<1>" + delim + r"\3", block.markdown)
            block = splice.Block(text, block.remote)
            style = _list_style(text)
        out.append(block)
        previous = style
    return out


def push_body(
    base: Sequence[splice.Block] | None,
    markdown: str,
    *,
    current_key: str = "",
    resolver: LinkResolver | None = None,
    refresh: Callable[[Any], bool] | None = None,
) -> tuple[list[NotionBlock], list[splice.Block]]:
    """The top-level blocks to make the page hold (for the block diff), and the base to
    store: the stored Notion JSON for every block whose Markdown did not change.

    Placeholder lines always go out as placeholder markers (keep that remote block by id),
    even when unchanged, so that the diff matches them by id and never rewrites them. A
    stored block for which ``refresh(remote)`` is true (it links to a page that did not
    exist yet, say) is rendered again although its Markdown did not change."""

    def render(texts: Sequence[str]) -> list[Unit]:
        return [to_blocks(t, current_key=current_key, resolver=resolver) for t in texts]

    stale = [b for b in base or [] if refresh is not None and refresh(b.remote)]
    kept = [b for b in base or [] if b not in stale]
    result = splice.splice_into_remote(kept, splice.block_texts(markdown), render)
    send: list[NotionBlock] = []
    for n, block in enumerate(result.blocks):
        if n not in result.produced and _PLACEHOLDER_LINE.search(block.markdown):
            rendered = to_blocks(block.markdown, current_key=current_key, resolver=resolver)
            if all(is_placeholder(b) for b in rendered):
                send.extend(rendered)
                continue
        send.extend(block.remote)
    return send, result.blocks


def to_state(blocks: Sequence[splice.Block]) -> list[dict[str, Any]]:
    """The base as JSON for the sync state."""
    return [b.to_dict() for b in blocks]


def from_state(data: Sequence[Any] | None) -> list[splice.Block] | None:
    """The base from the sync state (None when it holds none or an unreadable one: every
    block is then converted or rendered anew, as on a first sync)."""
    if not data:
        return None
    try:
        blocks = [splice.Block.from_dict(item) for item in data]
    except ValueError:
        return None
    if not all(isinstance(b.remote, list) for b in blocks):
        return None
    return blocks
