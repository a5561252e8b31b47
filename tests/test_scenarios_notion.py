"""Golden scenarios: the CLI against the Notion stand-in, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from prodops_sync.cli import main
from prodops_sync.formats.notion.richtext import plain_text
from prodops_sync.remotes.notion import NotionRemote, classify_error
from prodops_sync.remotes.retry import RequestRunner
from prodops_sync.sync.config import Credentials
from prodops_sync.sync.engine import PENDING_URL, Engine
from prodops_sync.sync.state import StateStore
from tests.sync_harness import Workspace, notion_workspace

RITUAL = "rituals/weekly-product-update"
RITUAL_FILE = "rituals/weekly-product-update.md"
TIER = "release-tiers/tier-1-low"


@pytest.fixture
def ws(tmp_path: Path, notion_standin: Any) -> Workspace:
    return notion_workspace(tmp_path, notion_standin)


def block_with(standin: Any, page_id: str, text: str) -> str:
    """The id of the first top-level block of a page whose text contains ``text``."""
    for child in standin._visible_children(page_id):
        block = standin.state["blocks"].get(child)
        if block and text in plain_text(block["data"].get("rich_text", [])):
            return str(child)
    raise AssertionError(f"no block with {text!r}")


def test_first_push_then_second_push_writes_nothing(ws: Workspace, notion_standin: Any) -> None:
    result = ws.run("push")
    assert result.exit_code == 0, result.output
    assert "24 created" in result.output
    rows = [p for p in notion_standin.state["pages"].values() if not p.get("in_trash")]
    assert len(rows) == 25  # 24 documents + the shared root page
    notion_standin.request_log.clear()
    again = ws.run("push")
    assert again.exit_code == 0
    assert notion_standin.request_log.writes() == 0
    assert "0 created, 0 updated, 0 archived" in again.output
    pull = ws.run("pull")
    assert pull.exit_code == 0 and notion_standin.request_log.writes() == 0
    assert "0 pulled" in pull.output


def test_one_paragraph_edit_costs_one_write(ws: Workspace, notion_standin: Any) -> None:
    ws.run("push")
    ws.edit(RITUAL_FILE, "Longer is not better.", "Longer is rarely better.")
    notion_standin.request_log.clear()
    result = ws.run("push")
    assert "1 updated" in result.output
    assert notion_standin.request_log.writes() == 1
    page = ws.remote_id(RITUAL)
    assert "Five bullets per PM, ten minutes to write. Longer is rarely better." in (
        notion_standin.wiki_user.page_text(page)
    )
    plan = ws.run_json("plan")
    assert {d["status"] for d in plan["documents"]} == {"in-sync"}


def test_property_edit_in_notion_pulled_into_yaml_keeping_comments(
    ws: Workspace, notion_standin: Any
) -> None:
    ws.run("push")
    before = ws.read("release-tiers/tier-1-low.yaml")
    notion_standin.wiki_user.set_properties(
        ws.remote_id(TIER), {"Lead time days": {"number": 2}}
    )
    result = ws.run("pull")
    assert result.exit_code == 0, result.output
    after = ws.read("release-tiers/tier-1-low.yaml")
    assert after == before.replace("lead_time_days: 0", "lead_time_days: 2")
    assert after.startswith("# Tier 1: changes customers barely notice.")


def test_body_edit_in_notion_pulled_as_canonical_markdown(
    ws: Workspace, notion_standin: Any
) -> None:
    ws.run("push")
    page = ws.remote_id(RITUAL)
    block = block_with(notion_standin, page, 'Say "nothing shipped"')
    notion_standin.wiki_user.edit_text(block, "Say it when nothing shipped.")
    result = ws.run("pull")
    assert "1 pulled" in result.output, result.output
    text = ws.read(RITUAL_FILE)
    assert "- Say it when nothing shipped.\n" in text
    assert CliRunner().invoke(main, ["fmt", "--check", str(ws.playbook)]).exit_code == 0


def test_title_rename_on_either_side(ws: Workspace, notion_standin: Any) -> None:
    ws.run("push")
    page = ws.remote_id(RITUAL)
    notion_standin.wiki_user.set_title(page, "Weekly Product Update (async)")
    ws.run("pull")
    assert "title: Weekly Product Update (async)\n" in ws.read(RITUAL_FILE)
    ws.edit(RITUAL_FILE, "title: Weekly Product Update (async)", "title: Weekly Update")
    notion_standin.request_log.clear()
    assert "1 updated" in ws.run("push").output
    assert notion_standin.request_log.writes() == 1
    title = notion_standin.title_of(page)
    assert title == "Weekly Update"


def test_edits_to_different_paragraphs_merge(ws: Workspace, notion_standin: Any) -> None:
    ws.run("push")
    page = ws.remote_id(RITUAL)
    block = block_with(notion_standin, page, "Five bullets per PM")
    notion_standin.wiki_user.edit_text(block, "Five bullets per PM, fifteen minutes to write.")
    ws.edit(RITUAL_FILE, "Anything at risk names an owner and a date.",
            "Anything at risk names an owner, a date and a next step.")
    result = ws.run("pull")
    assert result.exit_code == 0, result.output
    assert "merged" in result.output
    text = ws.read(RITUAL_FILE)
    assert "fifteen minutes to write" in text and "a next step" in text
    push = ws.run("push")
    assert push.exit_code == 0 and "1 updated" in push.output
    texts = notion_standin.wiki_user.page_text(page)
    assert "Five bullets per PM, fifteen minutes to write." in texts
    assert "Anything at risk names an owner, a date and a next step." in texts
    assert {d["status"] for d in ws.run_json("plan")["documents"]} == {"in-sync"}


def test_same_paragraph_conflict_loses_nothing(ws: Workspace, notion_standin: Any) -> None:
    ws.run("push")
    page = ws.remote_id(RITUAL)
    block = block_with(notion_standin, page, "Five bullets per PM")
    notion_standin.wiki_user.edit_text(block, "Five bullets per PM, from the wiki.")
    ws.edit(RITUAL_FILE, "Five bullets per PM, ten minutes to write.",
            "Five bullets per PM, from the repo.")
    push = ws.run("push")
    assert push.exit_code == 3
    assert "skip-conflict" in push.output
    block_text = plain_text(notion_standin.state["blocks"][block]["data"]["rich_text"])
    assert block_text == "Five bullets per PM, from the wiki."
    pull = ws.run("pull")
    assert pull.exit_code == 3
    text = ws.read(RITUAL_FILE)
    assert "from the wiki" in text and "from the repo" in text and "<<<<<<< local" in text
    validate = CliRunner().invoke(main, ["validate", str(ws.playbook)])
    assert validate.exit_code == 1
    assert RITUAL_FILE in validate.output


def test_page_created_in_notion_becomes_a_file(ws: Workspace, notion_standin: Any) -> None:
    ws.run("push")
    ds = ws.state()["containers"]["Rituals"]
    notion_standin.wiki_user.create_page(
        ds, "Design Crit / Weekly",
        properties={"Cadence": {"select": {"name": "weekly"}}},
        blocks=[{"paragraph": {"rich_text": [{"text": {"content": "Bring work in progress."}}]}}],
    )
    result = ws.run("pull")
    assert result.exit_code == 0, result.output
    text = ws.read("rituals/design-crit-weekly.md")
    assert "title: Design Crit / Weekly" in text and "Bring work in progress." in text
    assert ws.state()["docs"]["rituals/design-crit-weekly"]["remote_id"]
    notion_standin.request_log.clear()
    ws.run("push")
    assert notion_standin.request_log.writes() == 0


def test_local_delete_archives_and_remote_delete_is_reported(
    ws: Workspace, notion_standin: Any
) -> None:
    ws.run("push")
    page = ws.remote_id("decisions/0005-dedicated-feedback-tool")
    (ws.playbook / "decisions" / "0005-dedicated-feedback-tool.md").unlink()
    result = ws.run("push")
    assert "1 archived" in result.output, result.output
    assert notion_standin.state["pages"][page]["in_trash"]
    other = ws.remote_id(TIER)
    notion_standin.wiki_user.archive_page(other)
    pull = ws.run("pull")
    assert "deleted in the wiki" in pull.output
    assert (ws.playbook / "release-tiers" / "tier-1-low.yaml").exists()


class CrashingRunner(RequestRunner):
    """Simulates the process being killed right after its Nth write request lands."""

    def __init__(self, crash_after: int | None) -> None:
        super().__init__(classify_error, service="notion")
        self.crash_after = crash_after

    def call(self, send: Any, *, write: bool = False, **kwargs: Any) -> Any:
        result = super().call(send, write=write, **kwargs)
        if write and self.crash_after is not None and self.writes >= self.crash_after:
            raise KeyboardInterrupt(f"killed after write {self.writes}")
        return result


def _engine(ws: Workspace, standin: Any, crash_after: int | None) -> Engine:
    from prodops_sync.sync.config import load_config

    config = load_config(ws.root / "prodops-sync.yaml")
    target = config.target("notion")
    remote = NotionRemote.from_target(target, Credentials("t"), clock=standin.clock.time)
    remote.runner = CrashingRunner(crash_after)
    return Engine(config.playbook_dir, remote, StateStore(config.state_dir, "notion"))


def _pending_links(standin: Any) -> list[str]:
    """Links still pointing at the placeholder URL used for pages not created yet."""
    found = []
    for block in standin.state["blocks"].values():
        for item in block["data"].get("rich_text", []):
            url = ((item.get("text") or {}).get("link") or {}).get("url", "")
            if url.startswith(PENDING_URL):
                found.append(url)
    return found


def _snapshot(standin: Any) -> list[tuple[str, list[str]]]:
    """Every live row page: its title and its top-level text, sorted."""
    rows = []
    for page_id, page in standin.state["pages"].items():
        if page.get("in_trash") or page_id == standin.root_page_id:
            continue
        rows.append((standin.title_of(page_id), standin.wiki_user.page_text(page_id)))
    return sorted(rows)


@pytest.mark.parametrize("crash_after", range(1, 11))
def test_push_killed_after_a_write_then_rerun_matches_clean_push(
    tmp_path: Path, crash_after: int
) -> None:
    from prodops_sync.standins import NotionStandin

    with NotionStandin() as clean:
        ws_clean = notion_workspace(tmp_path / "clean", clean)
        _engine(ws_clean, clean, None).push()
        expected = _snapshot(clean)
        assert _pending_links(clean) == []
    with NotionStandin() as standin:
        ws = notion_workspace(tmp_path / "crash", standin)
        with pytest.raises(KeyboardInterrupt):
            _engine(ws, standin, crash_after).push()
        report = _engine(ws, standin, None).push()
        assert not report.conflicts
        assert _snapshot(standin) == expected  # same pages, same content, no duplicates
        assert _pending_links(standin) == []  # every link points at a real page
        plan = _engine(ws, standin, None).build_plan()
        assert {str(i.status) for i in plan} == {"in-sync"}


def test_retries_are_counted_in_the_summary(ws: Workspace, notion_standin: Any) -> None:
    ws.run("push")
    ws.edit(RITUAL_FILE, "Longer is not better.", "Longer is rarely better.")
    notion_standin.faults.fail_next("503", times=1, match="PATCH")
    result = ws.run("push")
    assert result.exit_code == 0, result.output
    assert "(2 writes, 1 retried)" in result.output  # the failed attempt counts too
    data = ws.run_json("plan")
    assert data["retries"] == 0 and {d["status"] for d in data["documents"]} == {"in-sync"}


def test_a_database_create_whose_answer_is_lost_is_not_duplicated(
    ws: Workspace, notion_standin: Any
) -> None:
    # The stand-in creates the database, then drops the connection: the client cannot know.
    notion_standin.faults.fail_next("drop_after", match="POST /v1/databases")
    result = ws.run("push")
    assert result.exit_code == 0, result.output
    titles = [db["title"] for db in notion_standin.state["databases"].values()]
    assert len(titles) == len(set(map(str, titles))) == 5


def test_dry_runs_write_nothing_on_either_side(ws: Workspace, notion_standin: Any) -> None:
    dry_first = ws.run("push", "--dry-run")
    assert dry_first.exit_code == 0, dry_first.output
    assert notion_standin.request_log.writes() == 0
    assert "push dry run, nothing written: 24 created" in dry_first.output
    ws.run("push")
    ws.edit(RITUAL_FILE, "Longer is not better.", "Longer is worse.")
    page = ws.remote_id(RITUAL)
    block = block_with(notion_standin, page, "Anything at risk")
    notion_standin.wiki_user.edit_text(block, "Anything at risk names an owner.")
    notion_standin.request_log.clear()
    before = ws.read(RITUAL_FILE)
    push = ws.run("push", "--dry-run")
    pull = ws.run("pull", "--dry-run")
    assert notion_standin.request_log.writes() == 0
    assert ws.read(RITUAL_FILE) == before
    # Different paragraphs: not a conflict; push leaves it for pull to merge.
    assert "skip-merge" in push.output and push.exit_code == 0
    assert "merge" in pull.output


def test_plan_in_github_actions_writes_a_summary_with_page_links(
    ws: Workspace, notion_standin: Any, tmp_path: Path
) -> None:
    ws.run("push")
    ws.edit(RITUAL_FILE, "Longer is not better.", "Longer is worse.")
    summary = tmp_path / "summary.md"
    result = CliRunner().invoke(
        main,
        ["plan", "--config", str(ws.root / "prodops-sync.yaml")],
        env={"PRODOPS_TEST_TOKEN": "t", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 0, result.output
    text = summary.read_text()
    page_url = ws.state()["docs"][RITUAL]["url"]
    assert page_url.startswith("https://")
    assert f"| `{RITUAL}` | [Weekly Product Update]({page_url}) | local-changed | update |" in text
    assert ws.run_json("plan")["documents"][0]["url"].startswith("https://")
