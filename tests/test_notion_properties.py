"""Fields ⇄ Notion page properties."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from prodops_sync.formats.notion.fieldblocks import (
    read_section,
    render_section,
    split_section,
    table_fields,
)
from prodops_sync.formats.notion.properties import (
    KEY_PROPERTY,
    PENDING_PROPERTY,
    TITLE_PROPERTY,
    database_properties,
    fields_to_properties,
    properties_key,
    properties_to_fields,
)
from prodops_sync.kinds import kind_for_path
from prodops_sync.schemas import load_schema
from tests.test_notion_field_tables import _as_read as as_read

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "cadence"],
    "properties": {
        "title": {"type": "string"},
        "cadence": {"type": "string", "enum": ["weekly", "monthly"]},
        "audience": {"type": "array", "items": {"type": "string", "enum": ["PMs", "Sales"]}},
        "date": {"type": "string", "format": "date"},
        "duration_minutes": {"type": "integer"},
        "score": {"type": "number"},
        "public": {"type": "boolean"},
        "link": {"type": "string", "format": "uri"},
        "owner": {"type": "string"},
        "output_artifact": {"type": "string", "x-ref": "template"},
        "supersedes": {"type": "array", "items": {"type": "string"}, "x-ref": "decision"},
        "agenda": {"type": "array", "items": {"type": "object", "properties": {
            "minutes": {"type": "integer"}, "item": {"type": "string"}}}},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}


def api_shaped(properties: dict[str, Any]) -> dict[str, Any]:
    """Mimic what the API returns: values gain id/type, rich text gains plain_text."""
    out = {}
    for n, (name, value) in enumerate(properties.items()):
        kind = next(iter(value))
        payload = value[kind]
        if kind in ("rich_text", "title"):
            payload = [{**item, "plain_text": item["text"]["content"], "href": None,
                        "annotations": {"bold": False, "color": "default"}} for item in payload]
        out[name] = {"id": f"p{n}", "type": kind, kind: payload}
    return out


def test_database_properties() -> None:
    props = database_properties(SCHEMA)
    assert props[TITLE_PROPERTY] == {"title": {}}
    assert props[KEY_PROPERTY] == {"rich_text": {}}
    assert props["Cadence"] == {"select": {"options": [{"name": "weekly"}, {"name": "monthly"}]}}
    assert props["Audience"]["multi_select"]["options"] == [{"name": "PMs"}, {"name": "Sales"}]
    assert props["Date"] == {"date": {}} and props["Public"] == {"checkbox": {}}
    assert props["Link"] == {"url": {}} and props["Duration minutes"]["number"]
    assert props["Output artifact"] == {"rich_text": {}}
    rel = database_properties(SCHEMA, relations={"template": "ds-1"})["Output artifact"]
    assert rel["relation"]["data_source_id"] == "ds-1"


FIELDS = [
    {"title": "Weekly update", "cadence": "weekly", "public": False},
    {"title": "T", "cadence": "monthly", "audience": ["Sales", "PMs"], "date": "2025-03-01",
     "duration_minutes": 30, "score": 2.5, "public": True, "link": "https://x.io/a",
     "owner": "Ops lead", "output_artifact": "templates/weekly", "supersedes": ["decisions/1"],
     "agenda": [{"minutes": 5, "item": "Wins"}], "notes": ["a", "b, c"]},
    {"title": "Dates", "cadence": "weekly", "date": "2025-03-01T10:30:00+02:00", "public": False},
    {"title": "Long", "cadence": "weekly", "owner": "x" * 4500, "public": True,
     "agenda": [{"item": "y" * 3000}]},
]


def round_trip(fields: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Fields written as page properties plus the tables section, and read back."""
    props = fields_to_properties(fields, schema, key="rituals/x")
    assert properties_key(api_shaped(props)) == "rituals/x"
    assert not set(table_fields(schema)) & set(props)  # lists of objects are not properties
    back = properties_to_fields(api_shaped(props), schema)
    tables, rest = split_section(as_read(render_section(fields, schema)), schema)
    assert rest == []
    problems: list[str] = []
    back.update(read_section(tables, schema, problems))
    assert problems == []
    return back


@pytest.mark.parametrize("fields", FIELDS)
def test_fields_round_trip(fields: dict[str, Any]) -> None:
    props = fields_to_properties(fields, SCHEMA, key="rituals/x")
    assert round_trip(fields, SCHEMA) == fields
    for value in props.values():
        for item in value.get("rich_text", []) + value.get("title", []):
            assert len(item["text"]["content"]) <= 2000


def test_missing_fields_clear_properties() -> None:
    props = fields_to_properties({"title": "T", "cadence": "weekly"}, SCHEMA)
    assert props["Audience"] == {"multi_select": []} and props["Date"] == {"date": None}
    assert props["Owner"] == {"rich_text": []} and props["Duration minutes"] == {"number": None}


def test_missing_boolean_reads_back_false() -> None:
    props = fields_to_properties({"title": "T", "cadence": "weekly"}, SCHEMA)
    assert properties_to_fields(api_shaped(props), SCHEMA) == {
        "title": "T", "cadence": "weekly", "public": False}


def test_unknown_select_option_is_sent_by_name() -> None:
    props = fields_to_properties({"title": "T", "cadence": "fortnightly"}, SCHEMA)
    assert props["Cadence"] == {"select": {"name": "fortnightly"}}


def test_relations_use_page_ids() -> None:
    ids = {"templates/weekly": "page-1", "decisions/1": "page-2"}
    fields = {"title": "T", "cadence": "weekly", "output_artifact": "templates/weekly",
              "supersedes": ["decisions/1"], "public": False}
    relations = {"template": "ds-1", "decision": "ds-2"}
    props = fields_to_properties(fields, SCHEMA, relations=relations, page_id_for=ids.get)
    assert props["Output artifact"] == {"relation": [{"id": "page-1"}]}
    back = {v: k for k, v in ids.items()}
    assert properties_to_fields(api_shaped(props), SCHEMA, relations=relations,
                                key_for_page_id=back.get) == fields
    # A target with no page yet waits in the pending column and still reads back.
    waiting = {**fields, "output_artifact": "templates/none",
               "supersedes": ["decisions/0", "decisions/1"]}
    props = fields_to_properties(waiting, SCHEMA, relations=relations, page_id_for=ids.get)
    assert props["Output artifact"] == {"relation": []}
    assert props["Supersedes"] == {"relation": [{"id": "page-2"}]}
    pending = "".join(r["text"]["content"] for r in props[PENDING_PROPERTY]["rich_text"])
    assert pending == "Output artifact: templates/none\nSupersedes #1: decisions/0"
    assert properties_to_fields(api_shaped(props), SCHEMA, relations=relations,
                                key_for_page_id=back.get) == waiting
    # A relation to a page that is no playbook document is kept as its id and reported.
    problems: list[str] = []
    strange = api_shaped(fields_to_properties(fields, SCHEMA, relations=relations,
                                              page_id_for=ids.get))
    strange["Output artifact"]["relation"] = [{"id": "elsewhere"}]
    read = properties_to_fields(strange, SCHEMA, relations=relations,
                                key_for_page_id=back.get, problems=problems)
    assert read["output_artifact"] == "elsewhere" and "not a playbook document" in problems[0]


PLAYBOOK = Path(__file__).resolve().parent.parent / "playbook"


def playbook_docs() -> list[Path]:
    return sorted(p for p in PLAYBOOK.rglob("*") if p.suffix in (".md", ".yaml"))


def iso_dates(value: Any) -> Any:
    """Dates as ISO strings, as the document model keeps them."""
    if isinstance(value, dict):
        return {k: iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [iso_dates(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


@pytest.mark.parametrize("path", playbook_docs(), ids=lambda p: p.name)
def test_playbook_fields_round_trip(path: Path) -> None:
    kind = kind_for_path(path.relative_to(PLAYBOOK).as_posix())
    if kind is None:
        pytest.skip("not a playbook document")
    text = path.read_text(encoding="utf-8")
    if kind.file_format == "markdown":
        match = re.match(r"---\n(.*?)\n---\n", text, re.S)
        assert match
        text = match.group(1)
    fields = iso_dates(yaml.safe_load(text))
    schema = load_schema(kind.name)
    assert round_trip(fields, schema) == fields


# Lists of strings are one item per line, not JSON (issue #18: no JSON a person reads).
_STRING_LIST = {"type": "object", "properties": {
    "title": {"type": "string"}, "audience": {"type": "array", "items": {"type": "string"}},
}}


def _rich_items(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": text, "link": None}, "plain_text": text,
             "annotations": {}, "href": None}]


@pytest.mark.parametrize("items, text", [
    (["Sales", "Customer Success"], "Sales\nCustomer Success"),
    (["b, with a comma"], "b, with a comma"),
    (["[1]"], '["[1]"]'),            # would read back as JSON: the lossless form instead
    (["two\nlines"], '["two\\nlines"]'),
    ([""], '[""]'),
])
def test_a_list_of_strings_is_one_item_per_line(items: list[str], text: str) -> None:
    from prodops_sync.formats.notion.properties import (
        fields_to_properties,
        properties_to_fields,
    )

    props = fields_to_properties({"title": "T", "audience": items}, _STRING_LIST)
    written = "".join(r["text"]["content"] for r in props["Audience"]["rich_text"])
    assert written == text
    read = {"Audience": {"type": "rich_text", "rich_text": _rich_items(written)}}
    assert properties_to_fields(read, _STRING_LIST)["audience"] == items


def test_a_list_an_earlier_version_wrote_as_json_still_reads() -> None:
    from prodops_sync.formats.notion.properties import properties_to_fields

    read = {"Audience": {"type": "rich_text",
                         "rich_text": _rich_items('["Sales","CS"]')}}
    assert properties_to_fields(read, _STRING_LIST)["audience"] == ["Sales", "CS"]


def test_a_wiki_user_adding_a_line_adds_an_item() -> None:
    from prodops_sync.formats.notion.properties import properties_to_fields

    read = {"Audience": {"type": "rich_text",
                         "rich_text": _rich_items("Sales\nCS\nSupport")}}
    assert properties_to_fields(read, _STRING_LIST)["audience"] == ["Sales", "CS", "Support"]
