"""The crash scenarios (first push, update push, pull with merges) and the kill-point check.

Each scenario is a baseline (what exists before the run), a command, and the changes made
on either side before it. :func:`kill_case` runs the command killed at request N, reruns it
to completion, and compares everything with an uninterrupted run of the same scenario.
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.reliability.harness import (
    FAKE_TOKEN,
    RITUAL,
    RITUAL_FILE,
    TIER_FILE,
    Baseline,
    CliResult,
    Snapshot,
    World,
    freeze,
    open_world,
    pending_writes,
    snapshot,
)

NEW_DECISION = "decisions/0006-reliability-budget.md"
NEW_DECISION_TEXT = """---
title: Keep a reliability budget
status: accepted
date: 2026-05-02
owner: Product Ops lead
deciders:
  - Head of Product
review_date: 2027-05-01
---

# Keep a reliability budget

## Context

Sync runs die in CI: runners are pre-empted and networks drop.

## Decision

Every run is resumable; a killed run is finished by the next one.

## Consequences

- Nobody repairs a wiki by hand after a failed job.
"""


def _first_push_changes(world: World) -> None:
    """Nothing: the remote is empty, the whole playbook is new."""


def _update_push_changes(world: World) -> None:
    """Local edits of every kind push handles: a paragraph, a field, a title, a new document,
    a deleted document."""
    world.edit(RITUAL_FILE, "Longer is not better.", "Longer is rarely better.")
    world.edit(RITUAL_FILE, "Anything at risk names an owner and a date.",
               "Anything at risk names an owner, a date and a next step.")
    world.edit(TIER_FILE, "lead_time_days: 0", "lead_time_days: 1")
    world.edit("rituals/quarterly-planning.md", "title: Quarterly Planning",
               "title: Quarterly Planning Offsite")
    (world.playbook / NEW_DECISION).write_text(NEW_DECISION_TEXT, encoding="utf-8")
    (world.playbook / "decisions/0005-dedicated-feedback-tool.md").unlink()


def _pull_merge_changes(world: World) -> None:
    """Wiki edits (a paragraph of a page also edited locally, a second page, a wiki-created
    page) and a local edit of a different paragraph of the same page: pull writes, merges
    and adopts."""
    world.edit(RITUAL_FILE, "Anything at risk names an owner and a date.",
               "Anything at risk names an owner, a date and a next step.")
    wiki_edits(world)


def wiki_edits(world: World) -> None:
    """Edits made in the wiki: a paragraph of the weekly update, a paragraph added to the
    launch readiness check, and a new ritual page created in the wiki."""
    ritual = world.remote_id(RITUAL)
    other = world.remote_id("rituals/launch-readiness-check")
    if world.kind == "notion":
        from prodops_sync.formats.notion.richtext import plain_text

        standin: Any = world.standin
        user = standin.wiki_user
        for child in standin._visible_children(ritual):
            block = standin.state["blocks"].get(child)
            text = plain_text(block["data"].get("rich_text", [])) if block else ""
            if "Five bullets per PM" in text:
                user.edit_text(child, "Five bullets per PM, fifteen minutes to write.")
        user.add_paragraph(other, "Added in the wiki: check the status page too.")
        user.create_page(
            world.state()["containers"]["Rituals"], "Demo Day",
            properties={"Cadence": {"select": {"name": "monthly"}}},
            blocks=[{"paragraph": {"rich_text": [{"text": {"content": "Show what shipped."}}]}}],
        )
    else:
        cuser: Any = world.standin.wiki_user  # type: ignore[attr-defined]
        cuser.replace_text(ritual, "ten minutes to write", "fifteen minutes to write")
        cuser.append_paragraph(other, "Added in the wiki: check the status page too.")
        rituals = next(
            c["id"] for c in world.standin.state["contents"].values()  # type: ignore[attr-defined]
            if c["title"] == "Rituals" and c["status"] == "current"
        )
        cuser.create_page("Demo Day", "<p>Show what shipped.</p>", parent_id=rituals)


@dataclass(frozen=True)
class Scenario:
    """A named crash scenario."""

    name: str
    command: str
    pushed_first: bool
    changes: Callable[[World], None]


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("first-push", "push", False, _first_push_changes),
        Scenario("update-push", "push", True, _update_push_changes),
        Scenario("pull-merge", "pull", True, _pull_merge_changes),
    )
}


@dataclass
class Prepared:
    """A scenario ready to run: its starting point and the result of an uninterrupted run."""

    kind: str
    scenario: Scenario
    start: Baseline
    expected: Snapshot
    expected_plan: dict[str, str]
    """``plan`` statuses by key after the uninterrupted run."""
    requests: int
    """Requests the uninterrupted run made (kill points beyond it cannot fire)."""
    after: Baseline
    """The world after the uninterrupted run (the next scenario can start from it)."""


def plan_statuses(world: World) -> dict[str, str]:
    """``prodops-sync plan`` statuses by document key."""
    import json

    result = world.run("plan", "--format", "json")
    assert result.code in (0, 3), result.stderr
    return {d["key"]: d["status"] for d in json.loads(result.stdout)["documents"]}


def prepare(kind: str, scenario: Scenario, tmp: Path, pushed: Baseline | None = None) -> Prepared:
    """Build the scenario's starting point and run it once without interruption.
    Scenarios that start from a pushed playbook take ``pushed`` (made here if None)."""
    if scenario.pushed_first and pushed is None:
        pushed = prepare(kind, SCENARIOS["first-push"], tmp / "first").after
    world = open_world(kind, tmp / "setup", pushed if scenario.pushed_first else None)
    try:
        scenario.changes(world)
        start = freeze(world, tmp / "setup")
    finally:
        world.standin.stop()
    clean = open_world(kind, tmp / "clean", start)
    try:
        result = clean.run(scenario.command)
        assert result.code == 0, (result.code, result.stdout, result.stderr)
        expected = snapshot(clean)
        statuses = plan_statuses(clean)
        after = freeze(clean, tmp / "clean")
        return Prepared(kind, scenario, start, expected, statuses, result.requests, after)
    finally:
        clean.standin.stop()


def prepare_all(kind: str, tmp: Path) -> dict[str, Prepared]:
    """Every scenario for one stand-in kind, sharing the first push."""
    first = prepare(kind, SCENARIOS["first-push"], tmp / "first-push")
    out = {"first-push": first}
    for name in ("update-push", "pull-merge"):
        out[name] = prepare(kind, SCENARIOS[name], tmp / name, first.after)
    return out


@dataclass
class KillOutcome:
    """What one kill point did."""

    n: int
    killed: bool
    reruns: int
    problems: list[str]
    interrupted: CliResult
    final: CliResult


def kill_case(
    prep: Prepared, n: int, tmp: Path, *, sig: int = signal.SIGKILL, when: str = "after"
) -> KillOutcome:
    """Kill the scenario's command at request ``n``, rerun to completion, compare with the
    uninterrupted run. ``problems`` is empty when nothing was lost, duplicated or torn."""
    world = open_world(prep.kind, tmp, prep.start)
    problems: list[str] = []
    try:
        first = world.run(prep.scenario.command, kill_at=n, sig=sig, when=when)
        if first.killed and sig == signal.SIGKILL and first.code != -signal.SIGKILL:
            problems.append(f"expected death by SIGKILL, got exit {first.code}")
        problems += [f"after the kill: {p}" for p in torn_files(world)]
        reruns = 0
        final = first
        # A rerun must finish the job; allow one more in case the first rerun itself was the
        # one to notice a half-done step (it must still end clean).
        while reruns < 2 and (reruns == 0 or final.code != 0):
            final = world.run(prep.scenario.command)
            reruns += 1
        if final.code != 0:
            problems.append(f"rerun exit {final.code}: {final.stderr.strip()[-500:]}")
        got = snapshot(world)
        problems += got.diff(prep.expected)
        leftover = pending_writes(world)
        if leftover:
            problems.append(f"unconfirmed writes left in the state: {leftover}")
        statuses = plan_statuses(world)
        if statuses != prep.expected_plan:
            differ = sorted(k for k in statuses if statuses[k] != prep.expected_plan.get(k))
            problems.append(f"plan after rerun differs from the clean run for {differ}")
        for run in world.runs:  # the killed run, the reruns and the plan
            if FAKE_TOKEN in run.stdout or FAKE_TOKEN in run.stderr:
                problems.append("the token appeared in the output")
        return KillOutcome(n, first.killed, reruns, problems, first, final)
    finally:
        world.standin.stop()
        shutil.rmtree(world.root, ignore_errors=True)


def torn_files(world: World) -> list[str]:
    """Playbook files that are not a complete version: every Markdown/YAML file must parse
    and end with a newline (atomic writes never leave a prefix of a file)."""
    import yaml

    out = []
    for path in sorted(world.playbook.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(world.playbook)
        if not text.endswith("\n"):
            out.append(f"{rel}: does not end with a newline (truncated?)")
        elif path.suffix == ".yaml":
            try:
                yaml.safe_load(text)
            except yaml.YAMLError:
                out.append(f"{rel}: YAML does not parse")
        elif path.suffix == ".md" and text.startswith("---\n") and text.count("\n---\n") < 1:
            out.append(f"{rel}: front matter not closed")
    out += [f"temporary file left: {t}" for t in _temps(world)]
    return out


def _temps(world: World) -> list[str]:
    return [str(p.relative_to(world.root)) for p in world.root.rglob(".*.tmp")]
