"""Every sync classification, through the CLI, against both stand-ins (rclone-bisync-style
golden scenarios). Each test: push the example playbook, change one side (or both), check
the classification `plan` reports, run the command that resolves it and check the result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.scenario_runner import Wiki as ScenarioWiki
from tests.sync_harness import Workspace, confluence_workspace, notion_workspace

RITUAL = "rituals/weekly-product-update"
RITUAL_FILE = f"{RITUAL}.md"
SENTENCE = "Anything at risk names an owner and a date."
EDITED = "Anything at risk names an owner, a date and a next step."


class Wiki:
    """A person editing in the wiki (Notion or Confluence stand-in)."""

    def __init__(self, kind: str, standin: Any, ws: Workspace) -> None:
        self.kind, self.standin, self.ws = kind, standin, ws

    def replace(self, key: str, old: str, new: str) -> None:
        ScenarioWiki(self.kind, self.standin, self.ws).replace(self.ws.remote_id(key), old, new)

    def delete(self, key: str) -> None:
        page = self.ws.remote_id(key)
        if self.kind == "confluence":
            self.standin.wiki_user.delete_page(page)
        else:
            self.standin.wiki_user.archive_page(page)

    def create_ritual(self, title: str, text: str) -> None:
        parent = self.ws.state()["containers"]["Rituals"]
        if self.kind == "confluence":
            self.standin.wiki_user.create_page(title, f"<p>{text}</p>", parent_id=parent)
        else:
            self.standin.wiki_user.create_page(
                parent, title, properties={"Cadence": {"select": {"name": "monthly"}}},
                blocks=[{"paragraph": {"rich_text": [{"text": {"content": text}}]}}],
            )

    def text_of(self, key: str) -> str:
        page = self.ws.remote_id(key)
        if self.kind == "confluence":
            return str(self.standin.wiki_user.body(page))
        return "\n".join(self.standin.wiki_user.page_text(page))

    def live_pages(self) -> int:
        if self.kind == "confluence":
            return sum(
                1 for c in self.standin.state["contents"].values() if c.get("status") == "current"
            )
        return sum(1 for p in self.standin.state["pages"].values() if not p.get("in_trash"))


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


def status(ws: Workspace, key: str) -> tuple[str, str, str]:
    plan = ws.run_json("plan")
    for doc in plan["documents"]:
        if doc["key"] == key:
            return doc["status"], doc["push"], doc["pull"]
    raise AssertionError(f"{key} not in plan")


def test_in_sync_after_push(side: tuple[Workspace, Wiki]) -> None:
    ws, _wiki = side
    plan = ws.run_json("plan")
    assert {d["status"] for d in plan["documents"]} == {"in-sync"}
    assert plan["writes"] == 0


def test_local_changed(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    ws.edit(RITUAL_FILE, SENTENCE, EDITED)
    assert status(ws, RITUAL) == ("local-changed", "update", "none")
    assert ws.run("pull").exit_code == 0 and EDITED in ws.read(RITUAL_FILE)
    assert ws.run("push").exit_code == 0
    assert EDITED in wiki.text_of(RITUAL)


def test_remote_changed(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    wiki.replace(RITUAL, SENTENCE, EDITED)
    assert status(ws, RITUAL) == ("remote-changed", "none", "write")
    push = ws.run("push")
    assert push.exit_code == 0 and EDITED in wiki.text_of(RITUAL)  # push leaves it alone
    assert ws.run("pull").exit_code == 0
    assert f"- {EDITED}\n" in ws.read(RITUAL_FILE)


def test_both_changed_the_same_way(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    wiki.replace(RITUAL, SENTENCE, EDITED)
    ws.edit(RITUAL_FILE, SENTENCE, EDITED)
    assert status(ws, RITUAL) == ("both-changed-same", "record-base", "record-base")
    result = ws.run_json("push")
    assert result["writes"] == 0
    assert status(ws, RITUAL)[0] == "in-sync"


def test_conflict(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    wiki.replace(RITUAL, SENTENCE, "From the wiki.")
    ws.edit(RITUAL_FILE, SENTENCE, "From the repo.")
    assert status(ws, RITUAL) == ("conflict", "skip-conflict", "merge")
    assert ws.run("push").exit_code == 3
    assert "From the wiki." in wiki.text_of(RITUAL)
    assert ws.run("pull").exit_code == 3
    text = ws.read(RITUAL_FILE)
    assert "From the wiki." in text and "From the repo." in text


def test_new_local(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    source = ws.read("rituals/monthly-insights-review.md")
    (ws.playbook / "rituals" / "monthly-insights-review-2.md").write_text(
        source.replace("title: Monthly Insights Review", "title: Second Insights Review"),
        encoding="utf-8",
    )
    key = "rituals/monthly-insights-review-2"
    assert status(ws, key) == ("new-local", "create", "none")
    before = wiki.live_pages()
    assert ws.run("push").exit_code == 0
    assert wiki.live_pages() == before + 1


def test_new_remote(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    wiki.create_ritual("Demo Day", "Teams show what they built.")
    assert status(ws, "rituals/demo-day") == ("new-remote", "none", "create")
    assert ws.run("pull").exit_code == 0
    text = ws.read("rituals/demo-day.md")
    assert "title: Demo Day" in text and "Teams show what they built." in text
    assert status(ws, "rituals/demo-day")[0] == "in-sync"


def test_deleted_local(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    key = "decisions/0005-dedicated-feedback-tool"
    (ws.playbook / f"{key}.md").unlink()
    assert status(ws, key) == ("deleted-local", "archive", "none")
    before = wiki.live_pages()
    assert ws.run("push", "--max-delete", "0").exit_code == 1  # guarded, nothing written
    assert wiki.live_pages() == before
    assert ws.run("push").exit_code == 0
    assert wiki.live_pages() == before - 1


def test_deleted_remote(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    key = "decisions/0005-dedicated-feedback-tool"
    wiki.delete(key)
    assert status(ws, key) == ("deleted-remote", "none", "report-deleted")
    pull = ws.run("pull")
    assert pull.exit_code == 0 and (ws.playbook / f"{key}.md").exists()
    assert ws.run("pull", "--prune").exit_code == 0
    assert not (ws.playbook / f"{key}.md").exists()


def test_local_edit_survives_remote_delete(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    wiki.delete(RITUAL)
    ws.edit(RITUAL_FILE, SENTENCE, EDITED)
    assert status(ws, RITUAL) == ("local-edit-remote-delete", "create", "none")
    assert ws.run("push").exit_code == 0
    assert EDITED in wiki.text_of(RITUAL)


def test_remote_edit_survives_local_delete(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    wiki.replace(RITUAL, SENTENCE, EDITED)
    (ws.playbook / RITUAL_FILE).unlink()
    assert status(ws, RITUAL) == ("remote-edit-local-delete", "none", "create")
    assert ws.run("pull").exit_code == 0
    assert EDITED in ws.read(RITUAL_FILE)


def test_both_deleted(side: tuple[Workspace, Wiki]) -> None:
    ws, wiki = side
    key = "decisions/0005-dedicated-feedback-tool"
    wiki.delete(key)
    (ws.playbook / f"{key}.md").unlink()
    assert status(ws, key) == ("both-deleted", "forget", "forget")
    assert ws.run("push").exit_code == 0
    assert key not in ws.state()["docs"]


def test_field_edited_in_the_wiki_is_pulled_into_yaml_keeping_comments(
    side: tuple[Workspace, Wiki],
) -> None:
    ws, wiki = side
    key, path = "release-tiers/tier-1-low", "release-tiers/tier-1-low.yaml"
    before = ws.read(path)
    page = ws.remote_id(key)
    if wiki.kind == "notion":
        wiki.standin.wiki_user.set_properties(page, {"Lead time days": {"number": 2}})
    else:
        cell = "<th><p>Lead time days</p></th><td><p>0</p></td>"
        body = wiki.standin.wiki_user.body(page)
        assert cell in body
        wiki.standin.wiki_user.edit_body(page, body.replace(cell, cell.replace(">0<", ">2<")))
    assert status(ws, key) == ("remote-changed", "none", "write")
    assert ws.run("pull").exit_code == 0
    assert ws.read(path) == before.replace("lead_time_days: 0", "lead_time_days: 2")
    assert ws.read(path).startswith("# Tier 1:")
    assert status(ws, key)[0] == "in-sync"
