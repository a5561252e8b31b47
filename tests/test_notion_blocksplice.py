"""The Notion block splice: what nobody edited stays as its side stored it."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from prodops_sync.formats import splice
from prodops_sync.formats.notion.blocks import from_blocks, to_blocks
from prodops_sync.formats.notion.blocksplice import (
    align_units,
    from_state,
    group_units,
    pull_body,
    push_body,
    to_state,
)
from prodops_sync.markdown import canonical
from prodops_sync.remotes.notion_diff import Delete, Update, cheapest_ops, count_writes
from tests.notion_shapes import as_api

CORPUS = sorted((Path(__file__).parent / "corpus").glob("[0-9][0-9][0-9]-*.md"))
FRONT = re.compile(r"\A---\n.*?\n---\n+", re.S)


def body(path: Path) -> str:
    """The corpus file's body, with a closing paragraph when it has no top-level one (so
    that every file gets a one-paragraph edit next to what it is about)."""
    md = canonical(FRONT.sub("", path.read_text(encoding="utf-8")))
    if not any(b["type"] == "paragraph" and b["paragraph"]["rich_text"]
               and b["paragraph"]["rich_text"][0]["type"] == "text" for b in to_blocks(md)):
        md = canonical(md + "\n\nA closing paragraph.\n")
    return md


def pushed(md: str) -> tuple[list[dict[str, Any]], list[splice.Block]]:
    """First push of ``md``: the page as Notion then holds it, and the base."""
    blocks, base = push_body(None, md)
    tree = as_api(blocks)
    # The base as stored after a first push: the blocks as written.
    return tree, base


def _edit_paragraph(block: dict[str, Any]) -> bool:
    items = block["paragraph"]["rich_text"]
    for item in items:
        if item["type"] == "text":
            item["text"]["content"] = "Edited in Notion: " + item["text"]["content"]
            item["plain_text"] = item["text"]["content"]
            return True
    return False


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_one_paragraph_wiki_edit_changes_exactly_that_paragraph(path: Path) -> None:
    md = body(path)
    tree, base = pushed(md)
    # No wiki edit: pull gives the Git file back byte for byte, whatever Notion lost.
    same, _ = pull_body(base, tree)
    assert same == md
    edited = copy.deepcopy(tree)
    target = next((n for n, b in enumerate(edited)
                   if b["type"] == "paragraph" and _edit_paragraph(b)), None)
    assert target is not None
    new_md, new_base = pull_body(base, edited)
    old_blocks, new_blocks = splice.block_texts(md), splice.block_texts(new_md)
    assert len(old_blocks) == len(new_blocks)
    changed = [n for n, (a, b) in enumerate(zip(old_blocks, new_blocks, strict=True)) if a != b]
    assert len(changed) == 1
    assert "Edited in Notion: " in new_blocks[changed[0]]
    # ...and the next push of that pulled file sends nothing.
    send, _ = push_body(new_base, new_md)
    assert cheapest_ops("page", edited, send) == []


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_git_edit_of_one_block_writes_only_that_block(path: Path) -> None:
    md = body(path)
    tree, base = pushed(md)
    texts = splice.block_texts(md)
    n = next((i for i, t in enumerate(texts)
              if {b["type"] for b in to_blocks(t)} == {"paragraph"}), None)
    assert n is not None
    texts[n] = "Changed in Git. " + texts[n]
    send, _ = push_body(base, splice.join_markdown(texts))
    ops = cheapest_ops("page", tree, send)
    # one request, or one per block of a paragraph Notion holds as several (>100 runs)
    assert 1 <= count_writes(ops) <= len(to_blocks(texts[n]))
    assert not any(isinstance(op, Delete) for op in ops)


def mention(user: str, shown: str) -> dict[str, Any]:
    return {"type": "mention", "mention": {"type": "user", "user": {"object": "user", "id": user,
                                                                    "name": shown[1:]}},
            "annotations": {"bold": False, "italic": False, "strikethrough": False,
                            "underline": False, "code": False, "color": "default"},
            "plain_text": shown, "href": None}


def colored(content: str, color: str) -> dict[str, Any]:
    return {"type": "text", "text": {"content": content, "link": None},
            "annotations": {"bold": False, "italic": False, "strikethrough": False,
                            "underline": True, "code": False, "color": color},
            "plain_text": content, "href": None}


def bullet(block_id: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"object": "block", "id": block_id, "type": "bulleted_list_item",
            "has_children": False, "last_edited_time": "2025-06-01T10:00:00.000Z",
            "bulleted_list_item": {"rich_text": list(items), "color": "default"}}


def test_git_edit_of_one_bullet_leaves_the_other_bullets_alone() -> None:
    page = [
        bullet("a" * 32, colored("Red and underlined", "red")),
        bullet("b" * 32, {"type": "text", "text": {"content": "Plain item", "link": None},
                          "plain_text": "Plain item"}),
        bullet("c" * 32, mention("u-1", "@Ada Lovelace"), colored(" owns it", "blue_background")),
    ]
    md, base = pull_body(None, page)
    edited = md.replace("Plain item", "Plain item, edited in Git")
    send, _ = push_body(base, edited)
    ops = cheapest_ops("page", page, send)
    # the list is one Markdown block, so it is rendered again, but the bullets with the
    # colour and the mention render exactly as Notion has them: only the edited one is sent
    assert [type(op) for op in ops] == [Update] and ops[0].block_id == "b" * 32


def test_two_git_lists_that_notion_shows_as_one_stay_two() -> None:
    md = "- a\n- b\n\n* c\n"
    tree, base = pushed(md)
    assert len(tree) == 3
    assert pull_body(base, tree)[0] == md
    # a wiki edit of the second list re-renders that list only
    tree[2]["bulleted_list_item"]["rich_text"][0]["text"]["content"] = "C"
    assert pull_body(base, tree)[0] == "- a\n- b\n\n* C\n"


def test_new_item_added_in_the_wiki_joins_its_list() -> None:
    md = "Intro\n\n- a\n- b\n\nOutro\n"
    tree, base = pushed(md)
    extra = copy.deepcopy(tree[2])
    extra["id"] = "f" * 32
    extra["bulleted_list_item"]["rich_text"][0]["text"]["content"] = "c"
    tree.insert(3, extra)
    assert pull_body(base, tree)[0] == "Intro\n\n- a\n- b\n- c\n\nOutro\n"


def test_git_only_formatting_survives_a_wiki_edit_elsewhere() -> None:
    md = ("| left | centre |\n| :--- | :----: |\n| a | b |\n\n"
          "See <https://example.com> and [](https://example.com/empty).\n\n"
          "- loose\n\n- list\n\nA paragraph to edit.\n")
    md = canonical(md)
    tree, base = pushed(md)
    assert from_blocks(tree) != md  # Notion alone would lose all of that
    tree[-1]["paragraph"]["rich_text"][0]["text"]["content"] = "Edited."
    got, _ = pull_body(base, tree)
    assert got == md.replace("A paragraph to edit.", "Edited.")


def test_units_group_lists_and_split_paragraphs() -> None:
    md = " ".join(f"**b{i}**" for i in range(150)) + "\n\n- a\n- [ ] b\n\n1. c\n"
    units = group_units(to_blocks(md))
    assert [len(u) for u in units] == [4, 2, 1]
    assert align_units([], to_blocks(md)) == units


def test_state_form_round_trips_and_bad_state_is_ignored() -> None:
    _tree, base = pushed("Para\n\n- a\n")
    assert from_state(to_state(base)) == base
    assert from_state(None) is None
    assert from_state([{"markdown": "x"}]) is None
    assert from_state([{"markdown": "x", "remote": "not a list"}]) is None


def test_placeholders_go_out_as_markers_even_when_unchanged() -> None:
    toggle = {"object": "block", "id": "d" * 32, "type": "toggle", "has_children": True,
              "toggle": {"rich_text": [colored("Details", "default")], "color": "default",
                         "children": [bullet("e" * 32, colored("inside", "red"))]}}
    page = [toggle, bullet("a" * 32, colored("x", "default"))]
    md, base = pull_body(None, page)
    assert md.startswith("<!-- notion:block id=" + "d" * 32 + " type=toggle Details -->")
    assert "- <u>x</u>" in md
    send, _ = push_body(base, md.replace("- <u>x</u>", "- <u>y</u>"))
    ops = cheapest_ops("page", page, send)
    assert all(not isinstance(op, Delete) for op in ops)
    assert [op.block_id for op in ops if isinstance(op, Update)] == ["a" * 32]


PAGES = sorted(p for p in (Path(__file__).parent / "notion_pages").glob("*.json")
               if not p.name.startswith("heldout-"))  # held-out pages: bench only


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_notion_pages_pull_then_push_send_nothing_and_lose_nothing(path: Path) -> None:
    import json

    tree = json.loads(path.read_text(encoding="utf-8"))["results"]
    md, base = pull_body(None, tree)
    send, _ = push_body(base, md)
    assert cheapest_ops("page", tree, send) == []
    # every block also renders back from its Markdown exactly as Notion holds it, so a Git
    # edit elsewhere in the same block rewrites nothing else
    assert cheapest_ops("page", tree, to_blocks(md)) == []
    assert from_blocks(to_blocks(md)) == md
