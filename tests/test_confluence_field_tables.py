"""Lists of objects (and objects) as real tables in the Confluence page properties (#18).

Unit round trips of every example document with such fields, then end to end against the
Confluence stand-in: push the example playbook, edit the RACI in the wiki (one cell, a new
row, a removed row), pull, check the exact YAML change, push again writes nothing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from prodops_sync.formats.confluence.fieldtables import labels
from prodops_sync.formats.confluence.properties import (
    collection_label,
    fields_from_storage,
    fields_to_storage,
)
from prodops_sync.formats.confluence.xml import StorageFormatError, is_well_formed, parse_storage
from prodops_sync.kinds import kind_for_path
from prodops_sync.schemas import load_schema
from tests.reliability.harness import World, open_world
from tests.reliability.test_concurrency import _engine

ROOT = Path(__file__).resolve().parents[1]
OM_FILE = "playbook/operating-model.md"
OM_TITLE = "Operating Model"


def _iso(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _object_fields(kind: str) -> list[str]:
    props = load_schema(kind).get("properties", {})
    return [
        name for name, prop in props.items()
        if prop.get("type") == "object"
        or (prop.get("type") == "array" and prop.get("items", {}).get("type") == "object")
    ]


def _documents() -> list[tuple[str, str, dict[str, Any]]]:
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
        if any(name in (fields or {}) for name in _object_fields(kind.name)):
            docs.append((rel, kind.name, _iso(fields)))
    return docs


DOCUMENTS = _documents()


def test_the_example_playbook_has_object_fields() -> None:
    names = {rel for rel, _, _ in DOCUMENTS}
    assert {"operating-model.md", "charter.md", "risks.yaml", "rollout-plan.md"} <= names


@pytest.mark.parametrize(("rel", "kind", "fields"), DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
def test_object_fields_are_tables_and_round_trip(rel: str, kind: str, fields: dict) -> None:
    schema = load_schema(kind)
    macro = fields_to_storage(fields, schema, label=collection_label(kind))
    assert is_well_formed(macro)
    assert 'ac:name="code"' not in macro and "{&quot;" not in macro and '{"' not in macro
    back = fields_from_storage(macro, schema)
    assert back == fields and list(back) == list(fields)
    for name in _object_fields(kind):
        if not fields.get(name):
            continue
        item_props = schema["properties"][name]["items"]["properties"]
        header = "".join(
            f"<th><p>{label}</p></th>" for label in labels(item_props).values()
        )
        assert f"<table><tbody><tr>{header}</tr>" in macro, name


def test_raci_table_shape() -> None:
    fields = next(f for rel, _, f in DOCUMENTS if rel == "operating-model.md")
    macro = fields_to_storage(fields, load_schema("operating-model"), label="x")
    assert (
        "<tr><th><p>Area</p></th><th><p>Responsible</p></th><th><p>Accountable</p></th>"
        "<th><p>Consulted</p></th><th><p>Informed</p></th><th><p>Notes</p></th></tr>"
    ) in macro
    # Stakeholder roadmap view has no notes: an empty last cell.
    assert (
        "<td><p>Stakeholder roadmap view</p></td><td><ul><li><p>Product Ops lead</p></li></ul>"
        "</td><td><ul><li><p>Head of Product</p></li></ul></td><td><ul><li><p>PMs</p></li>"
        "</ul></td><td><ul><li><p>Sales</p></li><li><p>CS</p></li><li><p>Support</p></li>"
        "</ul></td><td></td></tr>"
    ) in macro


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "agenda": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "minutes": {"type": "integer"},
                    "item": {"type": "string", "title": "What happens"},
                    "done": {"type": "boolean"},
                    "weight": {"type": "number"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "contact": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "phone_number": {"type": "string"}},
        },
    },
}


def test_types_titles_and_plain_objects_round_trip() -> None:
    fields = {
        "agenda": [
            {"minutes": 5, "item": "Open", "done": True, "weight": 0.5, "tags": ["a", "b"]},
            {"item": "Close", "done": False},
        ],
        "contact": {"name": "Ana", "phone_number": "+1 555"},
    }
    macro = fields_to_storage(fields, SCHEMA, label="x")
    assert "<th><p>What happens</p></th>" in macro  # the schema title
    assert "<tr><th><p>Phone number</p></th><td><p>+1 555</p></td></tr>" in macro
    assert 'ac:name="code"' not in macro
    back = fields_from_storage(macro, SCHEMA)
    assert back == fields
    assert type(back["agenda"][0]["minutes"]) is int and back["agenda"][0]["done"] is True


HEADER = "<th><p>Minutes</p></th><th><p>What happens</p></th>"


def _one_row(cells: str, header: str = HEADER) -> str:
    return (
        '<ac:structured-macro ac:name="details" ac:schema-version="1"><ac:rich-text-body>'
        "<table><tbody><tr><th><p>Agenda</p></th><td><table><tbody>"
        f"<tr>{header}</tr><tr>{cells}</tr>"
        "</tbody></table></td></tr></tbody></table></ac:rich-text-body></ac:structured-macro>"
    )


def test_text_in_an_integer_column_is_reported_by_page_and_field() -> None:
    with pytest.raises(StorageFormatError) as info:
        fields_from_storage(_one_row("<td><p>ten</p></td><td><p>Open</p></td>"), SCHEMA,
                            page="Weekly Sync")
    message = str(info.value)
    assert message.startswith("Weekly Sync: ")
    assert "agenda[1].minutes" in message and "'ten'" in message


def test_unknown_column_is_reported() -> None:
    with pytest.raises(StorageFormatError, match=r"Weekly Sync: .*'agenda'.*unknown column 'Room'"):
        fields_from_storage(
            _one_row("<td><p>5</p></td><td><p>B12</p></td>",
                     "<th><p>Minutes</p></th><th><p>Room</p></th>"),
            SCHEMA, page="Weekly Sync",
        )


def test_editor_variants_are_read() -> None:
    """Labels matched without regard to case or spacing, raw names accepted, a blank row
    ignored, empty cells are missing sub-fields, a column left out is missing too."""
    macro = _one_row(
        "<td><p>5</p></td><td><p>Open</p></td></tr><tr><td><p /></td><td></td>",
        "<th><p><strong>minutes</strong></p></th><th><p>what  happens</p></th>",
    )
    assert fields_from_storage(macro, SCHEMA) == {"agenda": [{"minutes": 5, "item": "Open"}]}
    macro = _one_row("<td></td><td><p>Open</p></td>")
    assert fields_from_storage(macro, SCHEMA) == {"agenda": [{"item": "Open"}]}


def test_hostile_cell_text_stays_text() -> None:
    hostile = '<script>alert(1)</script> & ]]> <ac:structured-macro ac:name="code"/> "q"'
    fields = {"agenda": [{"item": hostile + "\x07\x1b", "tags": ["<b>x</b>", "&amp;"]}]}
    macro = fields_to_storage(fields, SCHEMA, label="x")
    assert is_well_formed(macro)
    assert "<script>" not in macro and '<ac:structured-macro ac:name="code"' not in macro
    back = fields_from_storage(macro, SCHEMA)
    # Control characters XML cannot hold become U+FFFD (as everywhere in storage), the rest
    # comes back as the same text.
    item = hostile + "\ufffd\ufffd"
    assert back == {"agenda": [{"item": item, "tags": ["<b>x</b>", "&amp;"]}]}


# -- end to end -----------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world("confluence", tmp_path)
    try:
        yield w
    finally:
        w.standin.stop()


def _pages(world: World) -> dict[str, dict[str, Any]]:
    with world.standin.lock:
        return {
            str(p["title"]): dict(p)
            for p in world.standin.state["contents"].values()
            if p.get("status", "current") == "current" and p.get("type", "page") == "page"
        }


def _details_cells(body: str) -> list[str]:
    """The source text of every value cell of the page-properties macro of ``body``."""
    source = parse_storage(body)
    cells = []
    for child in source.root.elements():
        if child.tag == "ac:structured-macro" and child.attrs.get("ac:name") == "details":
            rich = child.first("ac:rich-text-body")
            table = rich.first("table") if rich is not None else None
            body_el = table.first("tbody") if table is not None else None
            for row in body_el.elements("tr") if body_el is not None else []:
                for cell in row.elements("td"):
                    cells.append(source.slice(cell.start, cell.end))
    return cells


def _om_page(world: World) -> dict[str, Any]:
    return _pages(world)[OM_TITLE]


def _edit(world: World, old: str, new: str) -> None:
    page = _om_page(world)
    assert page["body"].count(old) == 1, old
    world.standin.wiki_user.edit_body(page["id"], page["body"].replace(old, new))


def _pull_diff(world: World) -> list[str]:
    before = (world.root / OM_FILE).read_text(encoding="utf-8")
    report = _engine(world).pull()
    assert not report.warnings or all("operating" not in w for w in report.warnings)
    after = (world.root / OM_FILE).read_text(encoding="utf-8")
    return [
        line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _validates(world: World) -> None:
    from prodops_sync.validate import has_errors, validate_playbook

    problems = validate_playbook(world.root / "playbook")
    assert not has_errors(problems), problems


def _pushes_nothing(world: World) -> None:
    report = _engine(world).push()
    assert report.writes == 0, report.outcomes


def test_pushed_playbook_has_no_json_in_any_page_property(world: World) -> None:
    _engine(world).push()
    scanned = 0
    for title, page in _pages(world).items():
        for cell in _details_cells(str(page.get("body", ""))):
            scanned += 1
            assert 'ac:name="code"' not in cell, title
            assert not re.search(r"[\[{]\s*&quot;|[\[{]\s*\"", cell), (title, cell)
    assert scanned > 100
    assert "<th><p>Responsible</p></th>" in _om_page(world)["body"]


CELL = (
    "<td><p>Weekly product update</p></td><td><ul><li><p>PMs</p></li></ul></td>"
    "<td><ul><li><p>Product Ops lead</p></li></ul></td>"
)


def test_wiki_user_changes_one_raci_cell(world: World) -> None:
    _engine(world).push()
    _edit(world, CELL, CELL.replace("Product Ops lead", "Head of Product"))
    assert _pull_diff(world) == [
        "-    accountable: [Product Ops lead]",
        "+    accountable: [Head of Product]",
    ]
    _validates(world)
    _pushes_nothing(world)


def test_wiki_user_adds_a_raci_row(world: World) -> None:
    _engine(world).push()
    row = (
        "<tr><td><p>Customer advisory board</p></td><td><ul><li><p>CS lead</p></li>"
        "<li><p>PMs</p></li></ul></td><td><ul><li><p>Head of Product</p></li></ul></td>"
        "<td></td><td><ul><li><p>Sales</p></li></ul></td><td><p>Twice a year.</p></td></tr>"
    )
    last = "<li><p>Everyone in the product org</p></li></ul></td><td></td></tr>"
    _edit(world, last, last + row)
    assert _pull_diff(world) == [
        "+  - area: Customer advisory board",
        "+    responsible: [CS lead, PMs]",
        "+    accountable: [Head of Product]",
        "+    informed: [Sales]",
        "+    notes: Twice a year.",
    ]
    _validates(world)
    _pushes_nothing(world)


def test_wiki_user_removes_a_raci_row(world: World) -> None:
    _engine(world).push()
    body = _om_page(world)["body"]
    start = body.index("<tr><td><p>Decision log</p></td>")
    end = body.index("</tr>", start) + len("</tr>")
    _edit(world, body[start:end], "")
    assert _pull_diff(world) == [
        "-  - area: Decision log",
        "-    responsible: [Product Ops lead]",
        "-    accountable: [PM owning the decision]",
        "-    consulted: [Engineering lead]",
        "-    informed: [Stakeholders named in the entry]",
    ]
    _validates(world)
    _pushes_nothing(world)


def test_unparseable_wiki_edit_is_reported_by_doc_and_field(world: World) -> None:
    _engine(world).push()
    before = (world.root / OM_FILE).read_text(encoding="utf-8")
    _edit(world, "<th><p>Consulted</p></th>", "<th><p>Asked</p></th>")
    report = _engine(world).pull()
    failures = [o for o in report.outcomes if "unknown column" in repr(o)]
    assert len(failures) == 1, report.outcomes
    text = repr(failures[0])
    assert "operating-model" in text and OM_TITLE in text
    assert "page property 'raci'" in text and "unknown column 'Asked'" in text
    assert (world.root / OM_FILE).read_text(encoding="utf-8") == before  # nothing dropped
