"""Fields ⇄ page-properties (details) macro."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from prodops_sync.formats.confluence import from_storage, to_storage
from prodops_sync.formats.confluence.properties import (
    collection_label,
    details_summary_macro,
    fields_from_storage,
    fields_to_storage,
    join_page,
    split_page,
)
from prodops_sync.formats.confluence.xml import is_well_formed
from prodops_sync.kinds import BUILTIN, kind_for_path
from prodops_sync.links import MappingResolver
from prodops_sync.schemas import load_schema

KINDS = BUILTIN.collection_kinds

ROOT = Path(__file__).resolve().parents[1]

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "status": {"type": "string", "enum": ["proposed", "accepted"]},
        "date": {"type": "string", "format": "date"},
        "duration_minutes": {"type": "integer"},
        "weight": {"type": "number"},
        "public": {"type": "boolean"},
        "deciders": {"type": "array", "items": {"type": "string"}},
        "output_artifact": {"type": "string", "x-ref": "template"},
        "related": {"type": "array", "x-ref": "decision", "items": {"type": "string"}},
        "risks": {
            "type": "array",
            "items": {"type": "object", "properties": {"risk": {"type": "string"}}},
        },
        "notes": {"type": "string"},
    },
}
FIELDS: dict[str, Any] = {
    "title": "Adopt <RICE> & keep it",
    "status": "accepted",
    "date": "2025-01-31",
    "duration_minutes": 45,
    "weight": 0.25,
    "public": False,
    "deciders": ["Ana", "Product Ops lead"],
    "output_artifact": "templates/weekly-product-update",
    "related": ["decisions/0001-use-rice", "decisions/unknown"],
    "risks": [{"risk": "Scope creep", "owner": "Raj"}],
    "notes": "Two lines\nof notes 😀",
}
RESOLVER = MappingResolver(
    titles={
        "templates/weekly-product-update": "Weekly product update",
        "decisions/0001-use-rice": "Use RICE",
    }
)


def test_all_types_round_trip() -> None:
    macro = fields_to_storage(FIELDS, SCHEMA, label="prodops-decision", resolver=RESOLVER)
    assert is_well_formed(macro)
    assert '<ac:parameter ac:name="id">prodops-decision</ac:parameter>' in macro
    assert '<time datetime="2025-01-31" />' in macro
    assert '<ri:page ri:content-title="Weekly product update" />' in macro
    assert "<th><p>Output artifact</p></th>" in macro
    back = fields_from_storage(macro, SCHEMA, resolver=RESOLVER)
    assert back == FIELDS and list(back) == list(FIELDS)
    assert all(type(back[k]) is type(v) for k, v in FIELDS.items())


def test_without_resolver_refs_stay_keys() -> None:
    macro = fields_to_storage(FIELDS, SCHEMA, label="x")
    assert "ac:link" not in macro
    assert fields_from_storage(macro, SCHEMA) == FIELDS


def test_values_the_schema_does_not_allow_survive_as_json() -> None:
    odd = {"duration_minutes": "soon", "public": "maybe", "deciders": [1, {"a": None}], "extra": 3}
    macro = fields_to_storage(odd, SCHEMA, label="x")
    assert fields_from_storage(macro, SCHEMA) == odd


def test_editor_edits_are_read() -> None:
    """What a wiki user types into the properties table comes back typed."""
    macro = (
        '<ac:structured-macro ac:name="details" ac:schema-version="1" ac:macro-id="m1">'
        '<ac:rich-text-body><table data-layout="default"><colgroup><col /><col /></colgroup>'
        "<tbody><tr><th><p><strong>Duration minutes</strong></p></th><td><p>60</p></td></tr>"
        "<tr><th><p>Public</p></th><td><p>Yes</p></td></tr>"
        "<tr><th><p>Deciders</p></th><td><ul><li><p>Ana</p></li><li><p>Li</p></li></ul></td></tr>"
        "<tr><th><p>Notes</p></th><td><p>first</p><p>second</p></td></tr>"
        "<tr><th><p>Related</p></th><td><p /></td></tr>"
        "</tbody></table></ac:rich-text-body></ac:structured-macro><p>Body</p>"
    )
    assert fields_from_storage(macro, SCHEMA) == {
        "duration_minutes": 60,
        "public": True,
        "deciders": ["Ana", "Li"],
        "notes": "first\nsecond",
        "related": [],
    }


def test_split_and_join_page() -> None:
    macro = fields_to_storage({"status": "accepted"}, SCHEMA, label="x")
    body = to_storage("# Context\n\nWe chose.\n")
    page = join_page(macro, body)
    assert split_page(page) == (macro, body)
    assert split_page(body) == ("", body)
    assert from_storage(split_page(page)[1]) == "# Context\n\nWe chose.\n"


def test_details_summary_macro() -> None:
    macro = details_summary_macro(
        collection_label("ritual"), headings=["Cadence", "Owner"], space_key="OPS"
    )
    assert is_well_formed(macro)
    assert 'ac:name="detailssummary"' in macro
    assert 'label = "prodops-ritual" and space = "OPS"' in macro
    assert '<ac:parameter ac:name="headings">Cadence,Owner</ac:parameter>' in macro


def _documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted((ROOT / "playbook").glob("**/*")):
        rel = path.relative_to(ROOT / "playbook").as_posix()
        kind = kind_for_path(rel)
        if kind is None:
            continue
        text = path.read_text(encoding="utf-8")
        if kind.file_format == "yaml":
            fields = yaml.safe_load(text)
        else:
            fields = yaml.safe_load(text.split("---\n")[1]) if text.startswith("---\n") else {}
        docs.append((kind.name, _iso_dates(fields)))
    return docs


def _iso_dates(value: Any) -> Any:
    """YAML dates as ISO strings, the way the playbook loader keeps them."""
    import datetime

    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize(("kind", "fields"), _documents())
def test_playbook_fields_round_trip(kind: str, fields: dict[str, Any]) -> None:
    schema = load_schema(kind)
    macro = fields_to_storage(fields, schema, label=collection_label(kind))
    assert fields_from_storage(macro, schema) == fields


def test_every_kind_has_a_schema() -> None:
    for kind in KINDS:
        assert "properties" in load_schema(kind.name)


_SCALAR = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
    st.integers(-(10**12), 10**12),
    st.booleans(),
)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*SCHEMA["properties"], "free"]),
        st.one_of(
            _SCALAR, st.lists(_SCALAR, max_size=3), st.dictionaries(st.text(max_size=5), _SCALAR)
        ),
    )
)
def test_generated_fields_round_trip(fields: dict[str, Any]) -> None:
    macro = fields_to_storage(fields, SCHEMA, label="x")
    assert is_well_formed(macro)
    assert fields_from_storage(macro, SCHEMA) == fields
