"""Notion columns under human labels, tags as multi-select, and databases an earlier version
made (columns named like fields) renamed in place by property id without losing a value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from notion_client import Client

from prodops_sync.formats.notion.properties import (
    KEY_PROPERTY,
    TITLE_PROPERTY,
    column_names,
    database_properties,
    fields_to_properties,
    properties_to_fields,
)
from prodops_sync.kinds import active
from prodops_sync.labels import field_label, field_labels
from prodops_sync.schemas import load_schema
from tests.pushed import next_push_writes, pull_diff, pushed_world
from tests.reliability.harness import World
from tests.reliability.test_concurrency import _engine


def test_labels_use_the_schema_title_else_a_readable_name() -> None:
    assert field_label("duration_minutes", {}) == "Duration minutes"
    assert field_label("output_artifact", {"title": "  Output\tartifact "}) == "Output artifact"
    assert field_label("release-tier", None) == "Release tier"
    assert field_labels({"owner": {}, "Owner": {}}, reserved=("Name",)) == {
        "owner": "Owner", "Owner": "Owner 2"}
    assert field_labels({"name": {}})["name"] == "Name"
    assert field_labels({"name": {}}, reserved=("Name",))["name"] == "Name 1"


@pytest.mark.parametrize("kind", sorted(k.name for k in active().collection_kinds))
def test_no_column_of_a_shipped_kind_has_an_underscore(kind: str) -> None:
    schema = load_schema(kind)
    names = column_names(schema)
    assert len(set(names.values())) == len(names)
    assert not [n for n in database_properties(schema) if "_" in n]
    assert KEY_PROPERTY in database_properties(schema)


def test_tags_are_multi_select_and_read_back() -> None:
    schema = load_schema("ritual")
    props = database_properties(schema)
    assert props["Attendees"] == {"multi_select": {"options": []}}
    assert props["Inputs"] == {"rich_text": {}}  # sentences stay one item per line
    written = fields_to_properties({"title": "T", "attendees": ["PMs", "Head of Product"]},
                                   schema)
    assert written["Attendees"] == {"multi_select": [{"name": "PMs"},
                                                     {"name": "Head of Product"}]}
    read = {name: {"id": name, "type": next(iter(v)), **v} for name, v in written.items()}
    assert properties_to_fields(read, schema)["attendees"] == ["PMs", "Head of Product"]


def test_a_tags_column_an_earlier_version_made_rich_text_stays_one_item_per_line() -> None:
    schema = load_schema("ritual")
    written = fields_to_properties({"title": "T", "attendees": ["PMs", "CS leads"]}, schema,
                                   existing={TITLE_PROPERTY: "title", "Attendees": "rich_text"})
    text = "".join(r["text"]["content"] for r in written["Attendees"]["rich_text"])
    assert text == "PMs\nCS leads"
    read = {"Attendees": {"id": "a", "type": "rich_text", "rich_text": [
        {"type": "text", "text": {"content": text}, "plain_text": text}]}}
    assert properties_to_fields(read, schema)["attendees"] == ["PMs", "CS leads"]


@pytest.fixture
def pushed(tmp_path: Path) -> Iterator[World]:
    yield from pushed_world("notion", tmp_path)


def _as_an_earlier_version_left_it(world: World) -> tuple[str, dict[str, str]]:
    """Rename the Rituals columns back to field names (what versions before human labels
    created) and make the state look like theirs: ids under field names, old digest."""
    standin: Any = world.standin
    client = Client(auth="x", base_url=standin.url)
    state = json.loads(world.state_path.read_text())
    ds_id = state["containers"]["Rituals"]
    labels = {label: field for field, label in column_names(load_schema("ritual")).items()
              if label != TITLE_PROPERTY and label != field}
    client.data_sources.update(ds_id, properties={
        label: {"name": field} for label, field in labels.items()})
    ids = state["property_ids"].get("Rituals", {})
    state["property_ids"]["Rituals"] = {labels.get(k, k): v for k, v in ids.items()}
    state["containers"]["Rituals#schema"] = "from-an-earlier-version"
    world.state_path.write_text(json.dumps(state))
    return ds_id, labels


def test_pull_reads_a_database_an_earlier_version_made(pushed: World) -> None:
    _as_an_earlier_version_left_it(pushed)
    report = _engine(pushed).plan()
    rituals = [i for i in report.items if i.key.startswith("rituals/")]
    assert rituals and {str(i.status) for i in rituals} == {"in-sync"}
    assert not [n for n in report.notices if n.kind == "drift"]


def test_push_renames_an_earlier_versions_columns_keeping_their_values(pushed: World) -> None:
    ds_id, labels = _as_an_earlier_version_left_it(pushed)
    standin: Any = pushed.standin
    before = {pid: dict(page["values"]) for pid, page in standin.state["pages"].items()
              if page["parent"].get("data_source_id") == ds_id}
    _engine(pushed).push()
    schema = standin.state["data_sources"][ds_id]["properties"]
    assert not [n for n in schema if "_" in n]
    assert set(labels) <= set(schema)
    # the same property ids as before: renamed in place, not added as new columns
    assert len(schema) == len({p["id"] for p in schema.values()})
    after = {pid: page["values"] for pid, page in standin.state["pages"].items()
             if page["parent"].get("data_source_id") == ds_id}
    assert [len(v) for v in after.values()] == [len(v) for v in before.values()]
    report = _engine(pushed).plan()
    assert {str(i.status) for i in report.items if i.key.startswith("rituals/")} == {
        "in-sync"}


def test_a_column_a_person_renamed_keeps_its_name_on_push(pushed: World) -> None:
    standin: Any = pushed.standin
    client = Client(auth="x", base_url=standin.url)
    state = json.loads(pushed.state_path.read_text())
    ds_id = state["containers"]["Rituals"]
    client.data_sources.update(ds_id, properties={"Duration minutes": {"name": "Minutes"}})
    state["containers"]["Rituals#schema"] = "changed"  # force a schema update on push
    pushed.state_path.write_text(json.dumps(state))
    _engine(pushed).push()
    schema = standin.state["data_sources"][ds_id]["properties"]
    assert "Minutes" in schema and "Duration minutes" not in schema


def test_a_multi_select_option_added_in_notion_is_a_new_list_item(pushed: World) -> None:
    standin: Any = pushed.standin
    key = "rituals/monthly-insights-review"
    page = standin.state["pages"][pushed.remote_id(key)]
    shown = standin.render_page(page)["properties"]["Attendees"]["multi_select"]
    names = [o["name"] for o in shown]
    standin.wiki_user.set_properties(pushed.remote_id(key), {"Attendees": {
        "multi_select": [{"name": n} for n in [*names, "Data team"]]}})
    assert pull_diff(pushed, f"{key}.md") == ["+  - Data team"]
    assert next_push_writes(pushed) == 0
