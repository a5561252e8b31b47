"""Lists of objects as Notion table blocks in the section the tool owns: the pure
conversion, and wiki edits of single cells and rows coming back as minimal YAML diffs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from notion_client import Client

from prodops_sync.cli import main
from prodops_sync.formats.notion.fieldblocks import (
    SECTION_ICON,
    read_section,
    render_section,
    split_section,
)
from prodops_sync.formats.notion.richtext import plain_text
from prodops_sync.schemas import load_schema
from tests.pushed import next_push_writes, pull_diff, pushed_world
from tests.reliability.harness import World

RITUAL = "rituals/monthly-insights-review"
RACI = [
    {"area": "Planning", "responsible": ["Ops lead"], "accountable": ["Head of Product"],
     "notes": "Ops prepares; the Head decides."},
    {"area": "Weekly update", "responsible": ["PMs", "Ops lead"], "accountable": ["Ops lead"]},
]


def _as_read(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks as the API returns them: rich text with plain_text, ids on every block."""
    def fix(block: dict[str, Any], n: int) -> dict[str, Any]:
        out = {**block, "id": f"b{n}"}
        body = dict(out[out["type"]])
        for key in ("rich_text",):
            if key in body:
                body[key] = [{**r, "plain_text": r["text"]["content"]} for r in body[key]]
        if "cells" in body:
            body["cells"] = [[{**r, "plain_text": r["text"]["content"]} for r in cell]
                             for cell in body["cells"]]
        if "children" in body:
            body["children"] = [fix(c, n * 100 + i) for i, c in enumerate(body["children"])]
        out[out["type"]] = body
        return out
    return [fix(b, i) for i, b in enumerate(blocks)]


def test_section_round_trips_the_operating_models_raci() -> None:
    schema = load_schema("operating-model")
    blocks = render_section({"raci": RACI}, schema)
    assert blocks[0]["callout"]["icon"]["emoji"] == SECTION_ICON
    assert [b["type"] for b in blocks] == ["callout", "heading_3", "table", "divider"]
    assert plain_text(blocks[1]["heading_3"]["rich_text"]) == "RACI"
    header = blocks[2]["table"]["children"][0]["table_row"]["cells"]
    assert [plain_text(c) for c in header] == [
        "Area", "Responsible", "Accountable", "Consulted", "Informed", "Notes"]
    body = [{"object": "block", "type": "paragraph", "paragraph": {"rich_text": []}}]
    tables, rest = split_section(_as_read(blocks) + body, schema)
    assert len(rest) == 1 and rest[0]["type"] == "paragraph"
    problems: list[str] = []
    assert read_section(tables, schema, problems) == {"raci": RACI} and not problems


def test_typed_cells_and_misfits_are_reported_not_dropped() -> None:
    schema = load_schema("ritual")
    blocks = _as_read(render_section(
        {"agenda": [{"minutes": 5, "item": "Wins"}, {"minutes": 10, "item": "Risks"}]}, schema))
    rows = blocks[2]["table"]["children"]
    rows[2]["table_row"]["cells"][0] = [{"type": "text", "text": {"content": "ten"},
                                         "plain_text": "ten"}]
    rows.append({"type": "table_row", "id": "empty", "table_row": {"cells": [[], [], []]}})
    problems: list[str] = []
    tables, _ = split_section(blocks, schema)
    agenda = read_section(tables, schema, problems)["agenda"]
    assert agenda == [{"minutes": 5, "item": "Wins"}, {"minutes": "ten", "item": "Risks"}]
    assert len(problems) == 1 and "'ten' is not an integer" in problems[0]


def test_a_body_without_the_mark_is_all_body() -> None:
    schema = load_schema("operating-model")
    blocks = _as_read(render_section({"raci": RACI}, schema))[1:]  # the callout deleted
    tables, rest = split_section(blocks, schema)
    assert tables == {} and len(rest) == len(blocks)


def test_the_section_ends_at_the_first_block_that_is_not_a_field_table() -> None:
    schema = load_schema("operating-model")
    blocks = _as_read(render_section({"raci": RACI}, schema))[:-1]  # divider deleted
    tail = {"type": "heading_3", "id": "h", "heading_3": {"rich_text": [
        {"type": "text", "text": {"content": "Why"}, "plain_text": "Why"}]}}
    tables, rest = split_section([*blocks, tail], schema)
    assert list(tables) == ["raci"] and rest == [tail]


# -- against the stand-in --------------------------------------------------------------------


@pytest.fixture
def pushed(tmp_path: Path) -> Iterator[World]:
    yield from pushed_world("notion", tmp_path)


def _rows(world: World, key: str) -> tuple[Client, list[dict[str, Any]]]:
    client = Client(auth="x", base_url=world.standin.url)
    blocks = client.blocks.children.list(world.remote_id(key))["results"]
    table = next(b for b in blocks if b["type"] == "table")
    return client, client.blocks.children.list(table["id"])["results"]


def _cells(*texts: str) -> dict[str, Any]:
    return {"cells": [[{"type": "text", "text": {"content": t}}] if t else [] for t in texts]}


def test_one_raci_cell_edited_in_notion_is_a_one_line_change(pushed: World) -> None:
    _client, rows = _rows(pushed, "operating-model")
    assert plain_text(rows[0]["table_row"]["cells"][0]) == "Area"
    first = rows[1]
    cells = [plain_text(c) for c in first["table_row"]["cells"]]
    assert cells[0] == "Quarterly planning and OKRs" and cells[1] == "Product Ops lead"
    cells[1] = "Product Ops lead\nPMs"
    pushed.standin.wiki_user.edit_block(  # type: ignore[attr-defined]
        first["id"], _cells(*cells))
    diff = pull_diff(pushed, "operating-model.md")
    assert diff == ["-    responsible: [Product Ops lead]",
                    "+    responsible: [Product Ops lead, PMs]"]
    assert next_push_writes(pushed) == 0


def test_rows_added_and_removed_in_notion_come_back(pushed: World) -> None:
    _client, rows = _rows(pushed, RITUAL)
    header = [plain_text(c) for c in rows[0]["table_row"]["cells"]]
    assert header == ["Minutes", "Item", "Lead"] and len(rows) == 4
    person = pushed.standin.wiki_user  # type: ignore[attr-defined]
    person.delete_block(rows[-1]["id"])
    person.insert_blocks(rows[0]["parent"]["block_id"], [
        {"type": "table_row", "table_row": _cells("7", "Customer quotes", "")}])
    diff = pull_diff(pushed, f"{RITUAL}.md")
    assert diff[-3:] == ["+  - minutes: 7", "+    item: Customer quotes", "+"] or (
        "+  - minutes: 7" in diff and "+    item: Customer quotes" in diff)
    removed = [line for line in diff if line.startswith("-")]
    assert removed[0] == "-  - minutes: 15" and len(removed) == 3
    assert next_push_writes(pushed) == 0
    checked = CliRunner().invoke(main, ["validate", str(pushed.playbook)])
    assert checked.exit_code == 0, checked.output


def test_a_cell_the_schema_cannot_take_is_reported_by_doc_and_field(pushed: World) -> None:
    _client, rows = _rows(pushed, RITUAL)
    cells = [plain_text(c) for c in rows[1]["table_row"]["cells"]]
    cells[0] = "ten"
    pushed.standin.wiki_user.edit_block(  # type: ignore[attr-defined]
        rows[1]["id"], _cells(*cells))
    result = pushed.run("pull")
    text = result.stdout + result.stderr
    assert "rituals/monthly-insights-review" in text and "$.agenda[0].minutes: 'ten'" in text
    assert result.code != 0 and "minutes: 10" in pushed.read(f"{RITUAL}.md")  # file kept
