"""Everyday collaboration, both wikis, through the CLI against the stand-ins (scenario
style): field-level and table-cell merges, `diff`, `resolve` and `--on-conflict`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prodops_sync.formats.notion.richtext import plain_text
from tests.sync_harness import Workspace, confluence_workspace, notion_workspace

RITUAL = "rituals/weekly-product-update"
RITUAL_FILE = f"{RITUAL}.md"
SENTENCE = "Anything at risk names an owner and a date."
TEMPLATE = "templates/quarterly-plan"
TEMPLATE_FILE = f"{TEMPLATE}.md"


def _norm(name: str) -> str:
    return re.sub(r"[\s_]+", "", name).lower()


class Wiki:
    """A person editing one stand-in the way the wiki's editor would."""

    def __init__(self, kind: str, standin: Any, ws: Workspace) -> None:
        self.kind, self.standin, self.ws = kind, standin, ws

    def _blocks(self, parent: str) -> Iterator[dict[str, Any]]:
        for child in self.standin._visible_children(parent):
            block = self.standin.state["blocks"].get(child)
            if block is not None:
                yield block
                if block["type"] == "table":
                    yield from self._blocks(child)

    def replace(self, key: str, old: str, new: str) -> None:
        """Edit text in the body (Confluence: anywhere in the storage)."""
        page = self.ws.remote_id(key)
        if self.kind == "confluence":
            self.standin.wiki_user.replace_text(page, old, new)
            return
        for block in self._blocks(page):
            data = block["data"]
            if "rich_text" in data and old in plain_text(data["rich_text"]):
                text = plain_text(data["rich_text"]).replace(old, new)
                self.standin.wiki_user.edit_text(block["id"], text)
                return
            cells = data.get("cells")
            if cells and any(old in plain_text(c) for c in cells):
                texts = [plain_text(c).replace(old, new) for c in cells]
                self.standin.wiki_user.edit_block(
                    block["id"], {"cells": [[{"text": {"content": t}}] if t else []
                                            for t in texts]}
                )
                return
        raise AssertionError(f"{old!r} not on the page of {key}")

    def set_text_field(self, key: str, field: str, old: str, new: str) -> None:
        """Change a text field's value in the page properties."""
        page = self.ws.remote_id(key)
        if self.kind == "confluence":
            body = self.standin.wiki_user.body(page)
            assert body.count(old) >= 1
            # Only the page-properties cell: the details macro comes first on the page.
            start = body.index("ac:name=\"details\"")
            at = body.index(old, start)
            self.standin.wiki_user.edit_body(page, body[:at] + new + body[at + len(old):])
            return
        pages = self.standin.state["pages"]
        record = next(p for pid, p in pages.items() if pid.replace("-", "") ==
                      page.replace("-", ""))
        schema = self.standin.page_schema(record)
        name = next(n for n in schema if _norm(n) == _norm(field))
        self.standin.wiki_user.set_properties(
            page, {name: {"rich_text": [{"text": {"content": new}}]}}
        )


@pytest.fixture(params=["notion", "confluence"])
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Workspace, Wiki]]:
    from prodops_sync.standins import ConfluenceStandin, NotionStandin

    kind = request.param
    with (NotionStandin() if kind == "notion" else ConfluenceStandin()) as standin:
        make = notion_workspace if kind == "notion" else confluence_workspace
        ws = make(tmp_path, standin)
        result = ws.run("push")
        assert result.exit_code == 0, result.output
        yield ws, Wiki(kind, standin, ws)


def status(ws: Workspace, key: str) -> str:
    for doc in ws.run_json("plan")["documents"]:
        if doc["key"] == key:
            return str(doc["status"])
    raise AssertionError(f"{key} not in plan")


def _conflict(ws: Workspace, wiki: Wiki) -> None:
    wiki.replace(RITUAL, SENTENCE, "From the wiki.")
    ws.edit(RITUAL_FILE, SENTENCE, "From the repo.")


def test_field_edits_on_both_sides_merge(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    wiki.set_text_field(RITUAL, "owner", "Product Ops lead", "Head of Product")
    ws.edit(RITUAL_FILE, "cadence: weekly", "cadence: biweekly")
    assert status(ws, RITUAL) == "both-changed-merge"
    plan = ws.run("plan")
    assert plan.exit_code == 0, plan.output  # not a conflict
    push = ws.run_json("push")
    assert push["writes"] == 0 and push["conflicts"] == 0  # left for pull to merge
    pull = ws.run_json("pull")
    assert pull["conflicts"] == 0
    text = ws.read(RITUAL_FILE)
    assert "owner: Head of Product" in text and "cadence: biweekly" in text
    assert "<<<<<<<" not in text
    assert ws.run("push").exit_code == 0
    assert status(ws, RITUAL) == "in-sync"
    assert ws.run_json("push")["writes"] == 0


def test_same_field_both_ways_is_a_conflict_named_by_field(
    side: tuple[Workspace, Wiki],
) -> None:
    ws, wiki = side
    wiki.set_text_field(RITUAL, "owner", "Product Ops lead", "Head of Product")
    ws.edit(RITUAL_FILE, "owner: Product Ops lead", "owner: Chief of Staff")
    assert status(ws, RITUAL) == "conflict"
    pull = ws.run_json("pull")
    outcome = next(o for o in pull["outcomes"] if o["key"] == RITUAL)
    assert outcome["action"] == "conflict" and "owner" in outcome["detail"]


def test_table_cells_of_one_row_merge(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    wiki.replace(TEMPLATE, "{objective}", "Grow net revenue retention")
    ws.edit(TEMPLATE_FILE, "| {PM}  |", "| {PM or lead} |")
    assert status(ws, TEMPLATE) == "both-changed-merge"
    pull = ws.run_json("pull")
    assert pull["conflicts"] == 0
    text = ws.read(TEMPLATE_FILE)
    row = next(line for line in text.splitlines() if "Grow net revenue retention" in line)
    assert "{PM or lead}" in row and "{key results}" in row
    assert ws.run("push").exit_code == 0
    assert status(ws, TEMPLATE) == "in-sync"


def test_diff_exit_codes_and_output(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    same = ws.run("diff", RITUAL)
    assert same.exit_code == 0 and same.output == ""
    wiki.replace(RITUAL, SENTENCE, "From the wiki.")
    changed = ws.run("diff", f"playbook/{RITUAL_FILE}")
    assert changed.exit_code == 1
    assert f"--- git/{RITUAL_FILE}" in changed.output
    assert f"\n-- {SENTENCE}\n" in changed.output
    assert "\n+- From the wiki.\n" in changed.output
    missing = ws.run("diff", "rituals/no-such-ritual")
    assert missing.exit_code == 2 and "no document" in missing.output


@pytest.mark.parametrize("accept", ["local", "wiki", "merged"])
def test_resolve_after_pull_left_markers(side: tuple[Workspace, Wiki], accept: str) -> None:
    ws, wiki = side
    _conflict(ws, wiki)
    assert ws.run("pull").exit_code == 3
    assert "<<<<<<<" in ws.read(RITUAL_FILE)
    if accept == "merged":
        refused = ws.run("resolve", RITUAL, "--accept", "merged")
        assert refused.exit_code == 1 and "conflict markers" in refused.output
        text = ws.read(RITUAL_FILE)
        text = re.sub(r"<<<<<<< local\n.*?>>>>>>> [^\n]*\n", "From both sides.\n", text,
                      flags=re.S)
        (ws.playbook / RITUAL_FILE).write_text(text, encoding="utf-8")
    result = ws.run("resolve", RITUAL, "--accept", accept)
    assert result.exit_code == 0, result.output
    text = ws.read(RITUAL_FILE)
    assert "<<<<<<<" not in text
    expected = {"local": "From the repo.", "wiki": "From the wiki.", "merged": "From both sides."}
    assert expected[accept] in text
    assert status(ws, RITUAL) == "in-sync"
    assert ws.run("diff", RITUAL).exit_code == 0
    assert ws.run_json("push")["writes"] == 0


@pytest.mark.parametrize("accept", ["local", "wiki"])
def test_resolve_a_conflict_push_reported(side: tuple[Workspace, Wiki], accept: str) -> None:
    ws, wiki = side
    _conflict(ws, wiki)
    assert ws.run("push").exit_code == 3
    assert ws.run("resolve", RITUAL_FILE, "--accept", accept).exit_code == 0
    kept = "From the repo." if accept == "local" else "From the wiki."
    assert kept in ws.read(RITUAL_FILE)
    assert status(ws, RITUAL) == "in-sync"


@pytest.mark.parametrize(("choice", "kept"), [("local", "From the repo."),
                                              ("wiki", "From the wiki.")])
def test_pull_on_conflict_side_wins_only_where_both_changed(
    side: tuple[Workspace, Wiki], choice: str, kept: str
) -> None:
    ws, wiki = side
    _conflict(ws, wiki)
    ws.edit(RITUAL_FILE, "cadence: weekly", "cadence: biweekly")  # no overlap: kept anyway
    result = ws.run_json("pull", "--on-conflict", choice)
    assert result["conflicts"] == 0
    text = ws.read(RITUAL_FILE)
    assert kept in text and "<<<<<<<" not in text and "cadence: biweekly" in text
    assert ws.run("push").exit_code == 0
    assert status(ws, RITUAL) == "in-sync"


@pytest.mark.parametrize("choice", ["local", "wiki"])
def test_push_on_conflict(side: tuple[Workspace, Wiki], choice: str) -> None:
    ws, wiki = side
    _conflict(ws, wiki)
    result = ws.run_json("push", "--on-conflict", choice)
    assert result["conflicts"] == 0
    kept = "From the repo." if choice == "local" else "From the wiki."
    assert kept in ws.read(RITUAL_FILE)
    assert status(ws, RITUAL) == "in-sync"
    assert ws.run_json("pull")["writes"] == 0


def test_push_on_conflict_merge_refuses_overlap_but_merges_fields(
    side: tuple[Workspace, Wiki],
) -> None:
    ws, wiki = side
    _conflict(ws, wiki)
    assert ws.run_json("push", "--on-conflict", "merge")["conflicts"] == 1
    assert ws.run("resolve", RITUAL, "--accept", "wiki").exit_code == 0
    wiki.set_text_field(RITUAL, "owner", "Product Ops lead", "Head of Product")
    ws.edit(RITUAL_FILE, "cadence: weekly", "cadence: biweekly")
    merged = ws.run_json("push", "--on-conflict", "merge")
    assert merged["conflicts"] == 0
    text = ws.read(RITUAL_FILE)
    assert "owner: Head of Product" in text and "cadence: biweekly" in text
    assert status(ws, RITUAL) == "in-sync"
