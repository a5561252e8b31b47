"""Scenario tests of the sync engine's three-way logic against an in-memory remote."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from prodops_sync.sync.engine import Engine, SyncError
from prodops_sync.sync.planner import Status
from prodops_sync.sync.state import StateStore
from tests.fake_remote import FakeRemote, simple_loader

RITUAL = """---
title: Weekly product update
# cadence is reviewed every quarter
cadence: weekly
owner: Head of Product Ops
---

# Purpose

One place for what shipped.

# Agenda

Wins, risks, asks.
"""

TIER = """# Tier 1 is for launches that need marketing.
title: Tier 1
tier: 1
owner: PMM lead
"""


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    root = tmp_path / "playbook"
    (root / "rituals").mkdir(parents=True)
    (root / "release-tiers").mkdir()
    (root / "rituals" / "weekly.md").write_text(RITUAL, encoding="utf-8")
    (root / "rituals" / "roadmap.md").write_text(
        RITUAL.replace("Weekly product update", "Roadmap review"), encoding="utf-8"
    )
    (root / "release-tiers" / "tier-1.yaml").write_text(TIER, encoding="utf-8")
    return root


def make_engine(playbook: Path, remote: FakeRemote, state_dir: Path | None = None) -> Engine:
    store = StateStore(state_dir or playbook.parent / "state", "fake")
    return Engine(playbook, remote, store, loader=simple_loader)


def statuses(engine: Engine) -> dict[str, Status]:
    return {item.key: item.status for item in engine.build_plan()}


def test_first_push_creates_then_second_push_writes_nothing(playbook: Path) -> None:
    remote = FakeRemote()
    report = make_engine(playbook, remote).push()
    assert report.count("create") == 3
    assert {p.key for p in remote.pages.values()} == {
        "rituals/weekly", "rituals/roadmap", "release-tiers/tier-1"
    }
    writes = remote.writes
    again = make_engine(playbook, remote).push()
    assert remote.writes == writes
    assert again.outcomes == []
    assert set(statuses(make_engine(playbook, remote)).values()) == {Status.IN_SYNC}


def test_local_edit_updates_one_page(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    path = playbook / "rituals" / "weekly.md"
    path.write_text(path.read_text().replace("Wins, risks", "Wins, risks, metrics"))
    before = remote.writes
    report = make_engine(playbook, remote).push()
    assert [(o.key, o.action) for o in report.outcomes] == [("rituals/weekly", "update")]
    assert remote.writes == before + 1
    assert "metrics" in remote.page_for("rituals/weekly").doc.body


def test_remote_field_edit_pulled_into_yaml_keeps_comments(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    remote.user_edit("release-tiers/tier-1", owner="Director of PMM")
    remote.user_edit("rituals/weekly", cadence="biweekly")
    report = make_engine(playbook, remote).pull()
    assert sorted(o.key for o in report.outcomes if o.action == "write") == [
        "release-tiers/tier-1", "rituals/weekly"
    ]
    tier = (playbook / "release-tiers" / "tier-1.yaml").read_text()
    assert tier == TIER.replace("PMM lead", "Director of PMM")
    ritual = (playbook / "rituals" / "weekly.md").read_text()
    assert ritual == RITUAL.replace("cadence: weekly", "cadence: biweekly")
    # After the pull both sides agree: nothing to push.
    assert make_engine(playbook, remote).push().outcomes == []


def test_edits_to_different_paragraphs_merge_cleanly(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    page = remote.page_for("rituals/weekly")
    remote.user_edit("rituals/weekly", body=page.doc.body.replace("shipped", "shipped and why"))
    path = playbook / "rituals" / "weekly.md"
    path.write_text(path.read_text().replace("Wins, risks, asks.", "Wins, risks, asks, kudos."))
    assert statuses(make_engine(playbook, remote))["rituals/weekly"] is Status.BOTH_MERGE
    report = make_engine(playbook, remote).pull()
    assert [o.action for o in report.outcomes] == ["merged"]
    text = path.read_text()
    assert "shipped and why" in text and "kudos" in text
    push = make_engine(playbook, remote).push()
    assert [o.action for o in push.outcomes] == ["update"]
    assert remote.page_for("rituals/weekly").doc.body.count("kudos") == 1


def test_same_paragraph_conflict_loses_nothing(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    page = remote.page_for("rituals/weekly")
    remote.user_edit("rituals/weekly", body=page.doc.body.replace("Wins", "Remote wins"))
    path = playbook / "rituals" / "weekly.md"
    path.write_text(path.read_text().replace("Wins", "Local wins"))
    push = make_engine(playbook, remote).push()
    assert [o.action for o in push.outcomes] == ["skip-conflict"]
    assert "Remote wins" in remote.page_for("rituals/weekly").doc.body
    pull = make_engine(playbook, remote).pull()
    assert [o.action for o in pull.outcomes] == ["conflict"]
    text = path.read_text()
    assert "<<<<<<< local" in text and "Local wins" in text and "Remote wins" in text
    assert ">>>>>>> fake" in text
    # The playbook is now invalid (markers), so push refuses to write anything.
    with pytest.raises(SyncError, match="validation error"):
        make_engine(playbook, remote).push()


def test_field_conflict_written_as_markers(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    remote.user_edit("rituals/weekly", cadence="monthly")
    path = playbook / "rituals" / "weekly.md"
    path.write_text(path.read_text().replace("cadence: weekly", "cadence: biweekly"))
    report = make_engine(playbook, remote).pull()
    assert report.outcomes[0].action == "conflict"
    text = path.read_text()
    assert "<<<<<<< local\ncadence: biweekly\n=======\ncadence: monthly\n>>>>>>> fake\n" in text


def test_both_sides_same_edit_resolves_silently(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    remote.user_edit("rituals/weekly", cadence="biweekly")
    path = playbook / "rituals" / "weekly.md"
    path.write_text(path.read_text().replace("cadence: weekly", "cadence: biweekly"))
    assert statuses(make_engine(playbook, remote))["rituals/weekly"] is Status.BOTH_SAME
    writes = remote.writes
    make_engine(playbook, remote).push()
    assert remote.writes == writes
    assert statuses(make_engine(playbook, remote))["rituals/weekly"] is Status.IN_SYNC


def test_page_created_in_wiki_becomes_a_file_with_a_safe_name(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    remote.user_create("ritual", "../Ops/ CON: Retro", "Retro notes.", cadence="monthly")
    report = make_engine(playbook, remote).pull()
    created = [o for o in report.outcomes if o.action == "create"]
    assert [o.path for o in created] == ["rituals/ops-con-retro.md"]
    assert (playbook / "rituals" / "ops-con-retro.md").read_text().endswith("Retro notes.\n")
    # The page now carries its key, so the next plan sees everything in sync.
    assert set(statuses(make_engine(playbook, remote)).values()) == {Status.IN_SYNC}


def test_local_delete_archives_and_max_delete_guards(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    (playbook / "rituals" / "weekly.md").unlink()
    (playbook / "rituals" / "roadmap.md").unlink()
    writes = remote.writes
    with pytest.raises(SyncError, match="max-delete"):
        make_engine(playbook, remote).push(max_delete=1)
    assert remote.writes == writes
    report = make_engine(playbook, remote).push(max_delete=2)
    assert report.count("archive") == 2
    assert [p.key for p in remote.pages.values() if not p.archived] == ["release-tiers/tier-1"]


def test_remote_delete_is_reported_and_pruned_only_on_request(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    remote.user_delete("rituals/roadmap")
    report = make_engine(playbook, remote).pull()
    assert [o.action for o in report.outcomes] == ["report-deleted"]
    assert (playbook / "rituals" / "roadmap.md").exists()
    make_engine(playbook, remote).pull(prune=True)
    assert not (playbook / "rituals" / "roadmap.md").exists()


def test_edit_survives_a_delete_on_the_other_side(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    remote.user_delete("rituals/roadmap")
    path = playbook / "rituals" / "roadmap.md"
    path.write_text(path.read_text().replace("Wins", "Edited wins"))
    report = make_engine(playbook, remote).push()
    assert [(o.key, o.action) for o in report.outcomes] == [("rituals/roadmap", "create")]
    assert "Edited wins" in remote.page_for("rituals/roadmap").doc.body

    remote.user_edit("rituals/weekly", body="Edited in the wiki.")
    (playbook / "rituals" / "weekly.md").unlink()
    pull = make_engine(playbook, remote).pull()
    assert [(o.key, o.action) for o in pull.outcomes] == [("rituals/weekly", "create")]
    assert "Edited in the wiki." in (playbook / "rituals" / "weekly.md").read_text()


@pytest.mark.parametrize("after", [False, True])
@pytest.mark.parametrize("crash_at", range(1, 4))
def test_interrupted_first_push_resumes_without_duplicates(
    playbook: Path, crash_at: int, after: bool
) -> None:
    remote = FakeRemote()
    remote.fail_on_write = crash_at
    remote.crash_after_write = after
    with pytest.raises(KeyboardInterrupt):
        make_engine(playbook, remote).push()
    remote.fail_on_write = None
    make_engine(playbook, remote).push()
    keys = sorted(p.key or "" for p in remote.pages.values() if not p.archived)
    assert keys == ["release-tiers/tier-1", "rituals/roadmap", "rituals/weekly"]
    assert set(statuses(make_engine(playbook, remote)).values()) == {Status.IN_SYNC}


def test_ci_flow_pull_request_then_push_without_shared_state(
    playbook: Path, tmp_path: Path
) -> None:
    """The push job keeps the state; the pull job works on a throw-away copy of it and
    opens a pull request. After the PR (with an extra local edit) merges, push sends it."""
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    remote.user_edit("rituals/weekly", cadence="biweekly")
    pr_tree = tmp_path / "pr" / "playbook"
    shutil.copytree(playbook, pr_tree)
    shutil.copytree(playbook.parent / "state", tmp_path / "pr" / "state")
    make_engine(pr_tree, remote, tmp_path / "pr" / "state").pull()
    # The reviewer adds to the PR, then it merges into main.
    merged = (pr_tree / "rituals" / "weekly.md").read_text().replace("kudos", "")
    merged = merged.replace("Wins, risks, asks.", "Wins, risks, asks, demos.")
    (playbook / "rituals" / "weekly.md").write_text(merged)
    shutil.copy(pr_tree / "release-tiers" / "tier-1.yaml", playbook / "release-tiers")
    report = make_engine(playbook, remote).push()
    assert [(o.key, o.action) for o in report.outcomes] == [("rituals/weekly", "update")]
    doc = remote.page_for("rituals/weekly").doc
    assert doc.fields["cadence"] == "biweekly" and "demos" in doc.body


@pytest.mark.parametrize("after", [False, True])
def test_interrupted_update_push_resumes(playbook: Path, after: bool) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    for name in ("weekly", "roadmap"):
        path = playbook / "rituals" / f"{name}.md"
        path.write_text(path.read_text().replace("Wins", "Big wins"))
    remote.fail_on_write = remote.writes + 1
    remote.crash_after_write = after
    with pytest.raises(KeyboardInterrupt):
        make_engine(playbook, remote).push()
    remote.fail_on_write = None
    report = make_engine(playbook, remote).push()
    # The write that landed before the crash is recognised (record-base), not redone.
    expected = {"rituals/roadmap": "record-base" if after else "update", "rituals/weekly": "update"}
    assert {o.key: o.action for o in report.outcomes} == expected
    for key in ("rituals/weekly", "rituals/roadmap"):
        assert "Big wins" in remote.page_for(key).doc.body
    assert set(statuses(make_engine(playbook, remote)).values()) == {Status.IN_SYNC}


def test_a_save_between_plan_and_write_is_a_conflict_that_keeps_the_wiki_edit(
    playbook: Path,
) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    path = playbook / "rituals" / "weekly.md"
    path.write_text(path.read_text().replace("Wins", "Local wins"))
    remote.saved_meanwhile.add("rituals/weekly")
    report = make_engine(playbook, remote).push()
    assert [o.action for o in report.outcomes] == ["skip-conflict"]
    assert "Saved in the wiki meanwhile." in remote.page_for("rituals/weekly").doc.body
    # The failed write must not be mistaken for our own half-finished write next time.
    assert statuses(make_engine(playbook, remote))["rituals/weekly"] is Status.CONFLICT
    again = make_engine(playbook, remote).push()
    assert [o.action for o in again.outcomes] == ["skip-conflict"]
    assert "Saved in the wiki meanwhile." in remote.page_for("rituals/weekly").doc.body


def test_pull_never_overwrites_a_file_that_does_not_load(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    remote.user_edit("rituals/weekly", cadence="monthly")
    path = playbook / "rituals" / "weekly.md"
    broken = path.read_text().replace("cadence: weekly", "cadence: [weekly")  # YAML error
    path.write_text(broken)
    report = make_engine(playbook, remote).pull()
    assert [(o.key, o.action) for o in report.outcomes] == [("rituals/weekly", "conflict")]
    assert "cannot be read" in report.outcomes[0].detail
    assert path.read_text() == broken


def test_prune_refuses_to_empty_the_playbook(playbook: Path) -> None:
    remote = FakeRemote()
    make_engine(playbook, remote).push()
    for key in ("rituals/weekly", "rituals/roadmap", "release-tiers/tier-1"):
        remote.user_delete(key)
    with pytest.raises(SyncError, match="would delete 3 files"):
        make_engine(playbook, remote).pull(prune=True, max_delete=2)
    assert (playbook / "rituals" / "weekly.md").exists()
    report = make_engine(playbook, remote).pull(prune=True, max_delete=3)
    assert report.count("delete") == 3
    assert not (playbook / "rituals" / "weekly.md").exists()
