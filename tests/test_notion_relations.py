"""References (``x-ref`` fields) as Notion relations: created in dependency order, targets
not yet created wait in the pending column until the relink pass, and a wiki user pointing
a relation at another document is pulled as a one-line change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prodops_sync.formats.notion.properties import PENDING_PROPERTY
from tests.pushed import next_push_writes, pull_diff, pushed_world
from tests.reliability.harness import World
from tests.reliability.test_concurrency import _engine

RITUAL = "rituals/weekly-product-update"


@pytest.fixture
def pushed(tmp_path: Path) -> Iterator[World]:
    yield from pushed_world("notion", tmp_path)


def _values(world: World, key: str) -> dict[str, Any]:
    standin: Any = world.standin
    page = standin.state["pages"][world.remote_id(key)]
    return dict(standin.render_page(page)["properties"])


def test_references_are_relations_to_the_targets_rows(pushed: World) -> None:
    standin: Any = pushed.standin
    state = pushed.state()
    rituals = standin.state["data_sources"][state["containers"]["Rituals"]]["properties"]
    assert rituals["Output artifact"]["type"] == "relation"
    assert rituals["Output artifact"]["relation"]["data_source_id"] == \
        state["containers"]["Templates"]
    decisions = standin.state["data_sources"][state["containers"]["Decision log"]]["properties"]
    assert decisions["Supersedes"]["type"] == "relation"  # a self-reference
    value = _values(pushed, RITUAL)["Output artifact"]
    assert [r["id"] for r in value["relation"]] == [
        pushed.remote_id("templates/weekly-product-update")]
    # every reference found its target: nothing waits in the pending column
    for key in state["docs"]:
        values = _values(pushed, key) if key.startswith(("rituals/", "decisions/")) else {}
        assert not (values.get(PENDING_PROPERTY) or {}).get("rich_text"), key


def test_a_relation_pointed_elsewhere_in_notion_is_pulled(pushed: World) -> None:
    person: Any = pushed.standin.wiki_user  # type: ignore[attr-defined]
    target = pushed.remote_id("templates/stakeholder-roadmap-view")
    person.set_properties(pushed.remote_id(RITUAL), {"Output artifact": {
        "relation": [{"id": target}]}})
    assert pull_diff(pushed, f"{RITUAL}.md") == [
        "-output_artifact: templates/weekly-product-update",
        "+output_artifact: templates/stakeholder-roadmap-view"]
    assert next_push_writes(pushed) == 0


def test_a_new_reference_to_a_new_document_waits_then_links(pushed: World) -> None:
    (pushed.playbook / "templates" / "retro-notes.md").write_text(
        "---\ntitle: Retro notes\nowner: Product Ops lead\naudience: [PMs]\n"
        "cadence: weekly\ndefinition_of_done: [Shared with the team]\n---\n\n"
        "# Retro notes\n\nWhat went well.\n", encoding="utf-8")
    pushed.edit(f"{RITUAL}.md", "output_artifact: templates/weekly-product-update",
                "output_artifact: templates/retro-notes")
    _engine(pushed).push()
    value = _values(pushed, RITUAL)
    assert [r["id"] for r in value["Output artifact"]["relation"]] == [
        pushed.remote_id("templates/retro-notes")]
    assert not value[PENDING_PROPERTY]["rich_text"]
    report = _engine(pushed).plan()
    assert {str(i.status) for i in report.items} == {"in-sync"}
