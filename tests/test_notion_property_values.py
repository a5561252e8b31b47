"""Every property type of API 2025-09-03 read correctly; read-only types never written."""

from __future__ import annotations

from typing import Any

import pytest

from prodops_sync.formats.notion.properties import (
    READ_ONLY_TYPES,
    fields_to_properties,
    needs_paging,
    properties_to_fields,
    property_value,
    with_items,
)

ADA = {"object": "user", "id": "e79a0b74-3aba-4149-9f74-0bb5791a6ee6", "name": "Ada Lovelace",
       "avatar_url": None, "type": "person", "person": {"email": "ada@example.com"}}
BOT = {"object": "user", "id": "92a680bb-6970-4726-952b-4f4c03bff617"}


def rich(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": text, "link": None}, "plain_text": text,
             "href": None, "annotations": {"bold": False, "color": "default"}}]


# Page property values as the API reference shows them (page object, 2025-09-03).
VALUES: list[tuple[dict[str, Any], Any]] = [
    ({"id": "title", "type": "title", "title": rich("Weekly update")}, "Weekly update"),
    ({"id": "a%3Db", "type": "rich_text", "rich_text": rich("Owner")}, "Owner"),
    ({"id": "n", "type": "number", "number": 3.5}, 3.5),
    ({"id": "s", "type": "select", "select": {"id": "x", "name": "weekly", "color": "red"}},
     "weekly"),
    ({"id": "st", "type": "status", "status": {"id": "y", "name": "In progress",
                                               "color": "blue"}}, "In progress"),
    ({"id": "m", "type": "multi_select", "multi_select": [{"id": "1", "name": "a"},
                                                           {"id": "2", "name": "b"}]},
     ["a", "b"]),
    ({"id": "d", "type": "date", "date": {"start": "2025-07-01", "end": None,
                                          "time_zone": None}}, "2025-07-01"),
    ({"id": "d2", "type": "date", "date": {"start": "2025-07-01", "end": "2025-07-04",
                                           "time_zone": None}}, "2025-07-01/2025-07-04"),
    ({"id": "p", "type": "people", "people": [ADA, BOT]},
     ["Ada Lovelace", "92a680bb-6970-4726-952b-4f4c03bff617"]),
    ({"id": "f", "type": "files", "files": [
        {"name": "plan.pdf", "type": "file", "file": {
            "url": "https://prod-files-secure.s3.us-west-2.amazonaws.com/x/plan.pdf",
            "expiry_time": "2025-06-02T17:44:00.000Z"}},
        {"name": "Spec", "type": "external", "external": {"url": "https://example.com/s"}}]},
     ["plan.pdf", "https://example.com/s"]),
    ({"id": "c", "type": "checkbox", "checkbox": True}, True),
    ({"id": "u", "type": "url", "url": "https://example.com"}, "https://example.com"),
    ({"id": "e", "type": "email", "email": "ops@example.com"}, "ops@example.com"),
    ({"id": "ph", "type": "phone_number", "phone_number": "+1 555 0100"}, "+1 555 0100"),
    ({"id": "fs", "type": "formula", "formula": {"type": "string", "string": "ok"}}, "ok"),
    ({"id": "fn", "type": "formula", "formula": {"type": "number", "number": 42}}, 42),
    ({"id": "fb", "type": "formula", "formula": {"type": "boolean", "boolean": False}}, False),
    ({"id": "fd", "type": "formula", "formula": {"type": "date", "date": {
        "start": "2025-01-01T10:00:00.000+00:00", "end": None}}},
     "2025-01-01T10:00:00.000+00:00"),
    ({"id": "rn", "type": "rollup", "rollup": {"type": "number", "number": 7,
                                               "function": "sum"}}, 7),
    ({"id": "ra", "type": "rollup", "rollup": {"type": "array", "function": "show_original",
                                               "array": [{"type": "title", "title": rich("A")},
                                                         {"type": "number", "number": 2}]}},
     ["A", 2]),
    ({"id": "rd", "type": "rollup", "rollup": {"type": "date", "function": "latest_date",
                                               "date": {"start": "2025-02-02", "end": None}}},
     "2025-02-02"),
    ({"id": "r", "type": "relation", "relation": [{"id": "p1"}, {"id": "p2"}],
      "has_more": False}, ["p1", "p2"]),
    ({"id": "cb", "type": "created_by", "created_by": ADA}, "Ada Lovelace"),
    ({"id": "ct", "type": "created_time", "created_time": "2025-05-12T09:21:00.000Z"},
     "2025-05-12T09:21:00.000Z"),
    ({"id": "lb", "type": "last_edited_by", "last_edited_by": BOT}, BOT["id"]),
    ({"id": "lt", "type": "last_edited_time", "last_edited_time": "2025-06-02T16:44:00.000Z"},
     "2025-06-02T16:44:00.000Z"),
    ({"id": "ui", "type": "unique_id", "unique_id": {"prefix": "OPS", "number": 7}}, "OPS-7"),
    ({"id": "un", "type": "unique_id", "unique_id": {"prefix": None, "number": 12}}, 12),
    ({"id": "v", "type": "verification", "verification": {
        "state": "verified", "verified_by": ADA, "date": {"start": "2025-06-01"}}}, "verified"),
    ({"id": "b", "type": "button", "button": {}}, None),
    ({"id": "pl", "type": "place", "place": {"lat": 52.52, "lon": 13.405, "name": "Berlin",
                                             "address": None}}, "Berlin"),
    ({"id": "empty", "type": "select", "select": None}, None),
]


@pytest.mark.parametrize("value,expected", VALUES, ids=lambda v: str(v.get("id", ""))
                         if isinstance(v, dict) else None)
def test_every_property_type_reads(value: dict[str, Any], expected: Any) -> None:
    assert property_value(value) == expected


SCHEMA = {"properties": {
    "title": {"type": "string"},
    "cadence": {"type": "string", "enum": ["weekly", "monthly"]},
    "owner": {"type": "string"},
    "attendees": {"type": "array", "items": {"type": "string"}},
    "date": {"type": "string", "format": "date"},
    "duration_minutes": {"type": "integer"},
    "score": {"type": "number"},
}}


def test_retyped_properties_are_read_by_their_own_type_and_misfits_reported() -> None:
    props = {
        "Name": VALUES[0][0],
        "Cadence": {"id": "st", "type": "status", "status": {"name": "weekly"}},
        "Owner": {"id": "p", "type": "people", "people": [ADA, BOT]},
        "Attendees": {"id": "p2", "type": "people", "people": [ADA]},
        "Date": {"id": "d2", "type": "date", "date": {"start": "2025-07-01",
                                                      "end": "2025-07-04"}},
        "Duration minutes": {"id": "f", "type": "formula",
                             "formula": {"type": "number", "number": 30}},
        "Score": {"id": "fs", "type": "formula", "formula": {"type": "string", "string": "n/a"}},
    }
    problems: list[str] = []
    fields = properties_to_fields(props, SCHEMA, problems=problems)
    assert fields == {
        "title": "Weekly update", "cadence": "weekly",
        "owner": ["Ada Lovelace", BOT["id"]],  # kept as read: two people in a string field
        "attendees": ["Ada Lovelace"], "date": "2025-07-01/2025-07-04",
        "duration_minutes": 30, "score": "n/a",
    }
    assert len(problems) == 2
    assert "'Owner' is a people property" in problems[0]
    assert "'Score' is a formula property" in problems[1]


def test_date_range_written_back_with_its_end() -> None:
    out = fields_to_properties({"title": "x", "date": "2025-07-01/2025-07-04"}, SCHEMA)
    assert out["Date"] == {"date": {"start": "2025-07-01", "end": "2025-07-04"}}


def test_read_only_and_retyped_properties_are_never_written() -> None:
    existing = {"Name": "title", "Cadence": "status", "Owner": "people", "Date": "date",
                "Duration minutes": "formula", "Score": "rollup", "Attendees": "rich_text"}
    out = fields_to_properties({"title": "x", "cadence": "weekly", "owner": "Ada",
                                "duration_minutes": 30, "score": 1.5}, SCHEMA,
                               existing=existing)
    assert out["Cadence"] == {"status": {"name": "weekly"}}
    assert "Owner" not in out and "Duration minutes" not in out and "Score" not in out
    assert not any(existing[k] in READ_ONLY_TYPES for k in out)


def test_relations_over_25_are_completed_from_the_property_endpoint() -> None:
    value = {"id": "rel", "type": "relation", "has_more": True,
             "relation": [{"id": f"p{i}"} for i in range(25)]}
    assert needs_paging(value)
    items = [{"object": "property_item", "id": "rel", "type": "relation",
              "relation": {"id": f"p{i}"}} for i in range(40)]
    full = with_items(value, items)
    assert property_value(full) == [f"p{i}" for i in range(40)]
    assert not needs_paging(full)


class _Properties:
    def __init__(self, total: int) -> None:
        self.total = total
        self.calls: list[dict[str, Any]] = []

    def retrieve(self, page_id: str, property_id: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append({"page": page_id, "property": property_id, **kwargs})
        start = int(kwargs.get("start_cursor") or 0)
        end = min(start + kwargs["page_size"], self.total)
        return {"object": "list", "type": "property_item",
                "results": [{"object": "property_item", "id": property_id, "type": "relation",
                             "relation": {"id": f"p{i}"}} for i in range(start, end)],
                "has_more": end < self.total, "next_cursor": str(end) if end < self.total
                else None, "property_item": {"type": "relation", "relation": {},
                                             "id": property_id, "next_url": None}}


def test_remote_reads_the_rest_of_a_long_relation() -> None:
    from types import SimpleNamespace

    from prodops_sync.remotes.notion import NotionRemote

    props = _Properties(140)
    client = SimpleNamespace(pages=SimpleNamespace(properties=props))
    remote = NotionRemote(client, "root")  # type: ignore[arg-type]
    page = {"id": "page-1", "properties": {
        "related": {"id": "r%3Dx", "type": "relation", "has_more": True,
                    "relation": [{"id": f"p{i}"} for i in range(25)]},
        "Name": {"id": "title", "type": "title", "title": rich("x")}}}
    full = remote._full_properties(page)
    assert property_value(full["related"]) == [f"p{i}" for i in range(140)]
    assert [c.get("start_cursor") for c in props.calls] == [None, "100"]
    assert full["Name"] == page["properties"]["Name"]
