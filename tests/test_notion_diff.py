"""Block-level diff of Notion page bodies (pure; no HTTP)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from prodops_sync.formats.notion.blocks import to_blocks
from prodops_sync.remotes.notion_diff import (
    Delete,
    Insert,
    Update,
    cheapest_ops,
    count_writes,
    diff_blocks,
)

_ids = itertools.count(1)
TOGGLE = "3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b"


def as_api(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the API returns for ``blocks``: ids, has_children, children attached."""
    out = []
    for block in copy.deepcopy(blocks):
        block["id"] = f"id-{next(_ids)}"
        kind = block["type"]
        children = block[kind].get("children")
        block["has_children"] = bool(children)
        if children:
            block[kind]["children"] = as_api(children)
        out.append(block)
    return out


def paragraphs(n: int, changed: dict[int, str] | None = None) -> str:
    changed = changed or {}
    return "\n\n".join(changed.get(i, f"Paragraph {i}.") for i in range(n)) + "\n"


def test_unchanged_page_needs_nothing() -> None:
    old = as_api(to_blocks(paragraphs(50)))
    assert diff_blocks("page", old, to_blocks(paragraphs(50))) == []


def test_one_paragraph_edit_is_one_update_in_place() -> None:
    old = as_api(to_blocks(paragraphs(200)))
    ops = diff_blocks("page", old, to_blocks(paragraphs(200, {57: "Edited."})))
    assert len(ops) == 1 and isinstance(ops[0], Update)
    assert ops[0].block_id == old[57]["id"]
    assert ops[0].payload["rich_text"][0]["text"]["content"] == "Edited."


def test_insert_goes_after_its_predecessor_and_at_the_start() -> None:
    old = as_api(to_blocks(paragraphs(3)))
    ops = diff_blocks("page", old, to_blocks("New first.\n\n" + paragraphs(3)))
    assert ops == [Insert("page", None, to_blocks("New first.\n"))]
    middle = "Paragraph 0.\n\nInserted.\n\nParagraph 1.\n\nParagraph 2.\n"
    ops = diff_blocks("page", old, to_blocks(middle))
    assert ops == [Insert("page", old[0]["id"], to_blocks("Inserted.\n"))]


def test_removed_block_is_deleted() -> None:
    old = as_api(to_blocks(paragraphs(3)))
    ops = diff_blocks("page", old, to_blocks("Paragraph 0.\n\nParagraph 2.\n"))
    assert ops == [Delete(old[1]["id"])]


def test_type_change_replaces_the_block() -> None:
    old = as_api(to_blocks("Title\n\nText.\n"))
    ops = diff_blocks("page", old, to_blocks("# Title\n\nText.\n"))
    assert [type(op) for op in ops] == [Delete, Insert]
    assert ops[0] == Delete(old[0]["id"])


def test_nested_item_edit_updates_only_that_item() -> None:
    old = as_api(to_blocks("- a\n  - b\n  - c\n- d\n"))
    ops = diff_blocks("page", old, to_blocks("- a\n  - b\n  - C\n- d\n"))
    nested_c = old[0]["bulleted_list_item"]["children"][1]
    assert ops == [Update(nested_c["id"], "bulleted_list_item",
                          {"rich_text": [{"type": "text", "text": {"content": "C"}}]})]


def test_placeholder_keeps_the_remote_block_untouched() -> None:
    toggle = {"object": "block", "id": TOGGLE, "type": "toggle", "has_children": False,
              "toggle": {"rich_text": [{"type": "text", "text": {"content": "Details"},
                                        "plain_text": "Details"}], "color": "default"}}
    old = [*as_api(to_blocks("Before.\n")), toggle, *as_api(to_blocks("After.\n"))]
    new_md = f"Before, edited.\n\n<!-- notion:block id={TOGGLE} type=toggle Details -->\n\nAfter.\n"
    ops = diff_blocks("page", old, to_blocks(new_md))
    edited = {"rich_text": [{"type": "text", "text": {"content": "Before, edited."}}]}
    assert ops == [Update(old[0]["id"], "paragraph", edited)]
    removed = diff_blocks("page", old, to_blocks("Before.\n\nAfter.\n"))
    assert removed == [Delete(TOGGLE)]


def test_rewrite_only_when_the_diff_costs_more() -> None:
    # Every nested item changed: six in-place updates, against three deletes and one
    # append that recreates the whole (two-level) list.
    old = as_api(to_blocks("- a\n  - a1\n  - a2\n- b\n  - b1\n  - b2\n- c\n  - c1\n  - c2\n"))
    new = to_blocks("- a\n  - A1\n  - A2\n- b\n  - B1\n  - B2\n- c\n  - C1\n  - C2\n")
    assert count_writes(diff_blocks("page", old, new)) == 6
    chosen = cheapest_ops("page", old, new)
    assert count_writes(chosen) == 4
    assert [type(op) for op in chosen] == [Delete, Delete, Delete, Insert]
    # A single edit never turns into a rewrite.
    flat = as_api(to_blocks(paragraphs(3)))
    one = cheapest_ops("page", flat, to_blocks(paragraphs(3, {1: "x"})))
    assert [type(op) for op in one] == [Update]
