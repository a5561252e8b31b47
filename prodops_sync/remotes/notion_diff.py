"""Block-level diff for Notion page bodies (pure).

Given the blocks a page holds now (as the API returned them, with ids and children
attached) and the blocks the new Markdown converts to, compute the smallest set of
operations we can express with the API: update a block in place, delete a block, insert
blocks after a given block. Unchanged blocks are not touched, so their ids, comments and
backlinks survive, and the Free-plan lifetime block budget is not burned by
delete-and-re-append.

Placeholders (blocks the converter could not express in Markdown, kept by id) are matched
to the remote block with that id and never deleted or rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from prodops_sync.formats.notion.blocks import (
    block_children,
    block_fingerprint,
    is_placeholder,
    placeholder_id,
)

Block = dict[str, Any]

# Blocks whose type is fixed at creation: changing their content in place with
# PATCH /blocks/{id} is supported for these (the API rejects type changes).
UPDATABLE_TYPES = frozenset({
    "paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item",
    "numbered_list_item", "to_do", "quote", "callout", "code", "equation", "table_row",
    "toggle",
})


@dataclass
class Update:
    """PATCH /blocks/{block_id} with ``{type: payload}``."""

    block_id: str
    type: str
    payload: dict[str, Any]
    block: Block | None = field(default=None, compare=False, repr=False)
    """The new block the update makes the old one hold (the caller records the id on it)."""


@dataclass
class Delete:
    """DELETE /blocks/{block_id}."""

    block_id: str


@dataclass
class Insert:
    """Append ``blocks`` under ``parent_id`` after block ``after`` (None: at the start)."""

    parent_id: str
    after: str | None
    blocks: list[Block] = field(default_factory=list)


Op = Update | Delete | Insert


def _shallow(block: Block) -> Block:
    """The block without its children, for comparing a block's own content."""
    kind = block.get("type", "")
    body = block.get(kind)
    copy: Block = {k: v for k, v in block.items() if k not in ("children", "has_children")}
    if isinstance(body, dict):
        copy[kind] = {k: v for k, v in body.items() if k != "children"}
    return copy


def own_fingerprint(block: Block) -> str:
    """Fingerprint of a block's own content (rich text, language, checked...), no children."""
    return block_fingerprint(_shallow(block))


def update_payload(block: Block) -> dict[str, Any]:
    """The type object to send with PATCH /blocks/{id} to make a block hold ``block``."""
    kind = block["type"]
    return {k: v for k, v in block[kind].items() if k != "children"}


def _children_or_empty(block: Block) -> list[Block]:
    try:
        return block_children(block)
    except ValueError:
        return []


def diff_blocks(parent_id: str, old: list[Block], new: list[Block]) -> list[Op]:
    """Operations that turn the children ``old`` of ``parent_id`` into ``new``."""
    kept = {placeholder_id(b) for b in new if is_placeholder(b)}
    old_keys = [
        f"placeholder:{b.get('id')}" if b.get("id") in kept else block_fingerprint(b)
        for b in old
    ]
    new_keys = [
        f"placeholder:{placeholder_id(b)}" if is_placeholder(b) else block_fingerprint(b)
        for b in new
    ]
    ops: list[Op] = []
    anchor: str | None = None  # the last block that will precede the current position
    matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        olds, news = old[i1:i2], new[j1:j2]
        if tag == "equal":
            anchor = olds[-1]["id"]
            continue
        if tag == "replace" and _updatable_in_place(olds, news, kept):
            for before, after in zip(olds, news, strict=False):
                if own_fingerprint(before) != own_fingerprint(after):
                    ops.append(Update(before["id"], after["type"], update_payload(after),
                                      after))
                if block_fingerprint(before) != block_fingerprint(after) or (
                    before.get("has_children") and not _children_or_empty(after)
                ):
                    ops.extend(
                        diff_blocks(before["id"], _children_or_empty(before),
                                    _children_or_empty(after))
                    )
                anchor = before["id"]
            pairs = min(len(olds), len(news))
            olds, news = olds[pairs:], news[pairs:]
        for block in olds:
            if block.get("id") not in kept:
                ops.append(Delete(block["id"]))
            else:
                anchor = block["id"]
        insertable = [b for b in news if not is_placeholder(b)]
        if insertable:
            ops.append(Insert(parent_id, anchor, insertable))
    return ops


def _updatable_in_place(olds: list[Block], news: list[Block], kept: set[str]) -> bool:
    """True when the replaced run pairs up block for block with unchanged types."""
    for before, after in zip(olds, news, strict=False):
        if is_placeholder(after) or before.get("id") in kept:
            return False
        if before.get("type") != after.get("type") or after.get("type") not in UPDATABLE_TYPES:
            return False
    return True


def rewrite_ops(parent_id: str, old: list[Block], new: list[Block]) -> list[Op] | None:
    """The delete-everything-and-append alternative, or None when the page holds
    placeholders (blocks we keep by id cannot survive a rewrite in place)."""
    if any(is_placeholder(b) for b in new):
        return None
    ops: list[Op] = [Delete(b["id"]) for b in old]
    if new:
        ops.append(Insert(parent_id, None, list(new)))
    return ops


def cheapest_ops(parent_id: str, old: list[Block], new: list[Block]) -> list[Op]:
    """The block-level diff, unless rewriting the page costs fewer write requests (a rare
    case: many scattered insertions into a short page). Ties go to the diff, which keeps
    block ids, comments and the Free plan's lifetime block budget."""
    diff = diff_blocks(parent_id, old, new)
    rewrite = rewrite_ops(parent_id, old, new)
    if rewrite is not None and count_writes(rewrite) < count_writes(diff):
        return rewrite
    return diff


def count_writes(ops: list[Op]) -> int:
    """Write requests ``ops`` cost (an insert of more than 100 blocks costs more)."""
    total = 0
    for op in ops:
        total += max(1, (len(op.blocks) + 99) // 100) if isinstance(op, Insert) else 1
    return total
