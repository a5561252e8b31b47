"""The JSON Schemas: well-formed 2020-12, documented, strict, and in step with KINDS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from prodops_sync.kinds import BUILTIN
from prodops_sync.schemas import load_schema, ref_fields, schema_dir
from prodops_sync.validate.schema import validator_for

KINDS = BUILTIN.kinds
KINDS_BY_NAME = BUILTIN.by_name

KIND_NAMES = [k.name for k in KINDS]


def subschemas(schema: dict[str, Any], path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property / item schema with its path."""
    for name, prop in schema.get("properties", {}).items():
        yield f"{path}.{name}", prop
        yield from subschemas(prop, f"{path}.{name}")
    items = schema.get("items")
    if isinstance(items, dict):
        yield f"{path}[]", items
        yield from subschemas(items, f"{path}[]")


def test_one_schema_file_per_kind() -> None:
    files = sorted(p.name for p in schema_dir().glob("*.schema.json"))
    assert files == sorted(k.schema for k in KINDS)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_schema_is_valid_2020_12_with_id(kind: str) -> None:
    schema = load_schema(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{KINDS_BY_NAME[kind].schema}")
    assert schema["description"]


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_every_field_is_described_and_objects_are_closed(kind: str) -> None:
    schema = load_schema(kind)
    assert schema["additionalProperties"] is False
    for path, sub in subschemas(schema):
        assert sub.get("description"), f"{kind} {path} has no description"
        if sub.get("type") == "object":
            assert sub.get("additionalProperties") is False, f"{kind} {path} is open"


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_title_is_a_required_string(kind: str) -> None:
    schema = load_schema(kind)
    assert "title" in schema["required"]
    assert schema["properties"]["title"]["type"] == "string"


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_refs_name_known_kinds(kind: str) -> None:
    for field, target in ref_fields(kind).items():
        assert target in KINDS_BY_NAME, f"{kind}.{field} refers to unknown kind {target}"


def test_fixed_vocabularies_are_enums() -> None:
    assert load_schema("ritual")["properties"]["cadence"]["enum"][:2] == ["daily", "weekly"]
    assert load_schema("release-tier")["properties"]["tier"]["enum"] == [1, 2, 3]
    assert load_schema("decision")["properties"]["status"]["enum"] == [
        "proposed", "accepted", "rejected", "deprecated", "superseded"]
    assert ref_fields("ritual") == {"output_artifact": "template"}
    assert ref_fields("decision") == {"supersedes": "decision", "superseded_by": "decision"}


def test_load_schema_returns_a_copy_and_rejects_unknown_kinds() -> None:
    load_schema("ritual")["title"] = "changed"
    assert load_schema("ritual")["title"] != "changed"
    with pytest.raises(KeyError):
        load_schema("meeting")


def test_dates_are_checked_as_dates() -> None:
    errors = list(validator_for("decision").iter_errors({
        "title": "t", "status": "accepted", "date": "2026-13-01", "owner": "o",
        "deciders": ["d"], "review_date": "soon"}))
    assert sorted(tuple(e.absolute_path) for e in errors) == [("date",), ("review_date",)]


def test_schema_files_are_formatted_json() -> None:
    for path in schema_dir().glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
