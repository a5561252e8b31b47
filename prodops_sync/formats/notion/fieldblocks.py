"""Lists of objects (RACI, agenda, metrics, stages...) ⇄ Notion table blocks in a section of
the page the tool owns (pure functions, no I/O).

A Notion property can hold only text for such a field, and nobody edits a JSON cell
correctly, so these fields live on the page instead, above the body::

    callout 🔁  "Synced with Git: edit the cells of these tables ..."   (the section mark)
    heading_3   "Agenda"                                  (the field's label)
    table       header row of sub-field labels, one row per item, one cell per sub-field
    heading_3   "RACI"
    table       ...
    divider                                                (end of the section)

Cells are plain text typed by the item schema: numbers as written, booleans ``true`` /
``false`` (``yes`` / ``no`` also read), lists of strings one item per line, an empty cell is
a missing sub-field. An object field is a two-column table (label, value). Reading is
tolerant: a row left empty is skipped, a column whose label is not a sub-field or a cell the
schema cannot take is kept as read (so ``validate`` names it in the pulled file) and
described in ``problems``, never dropped.

The section is recognised by its callout (first block, 🔁 icon) followed by heading/table
pairs with the fields' labels; the first block that does not fit ends it, so a body a person
writes below is never taken for fields, even when the divider was deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from prodops_sync.formats.notion.blocks import block_children
from prodops_sync.formats.notion.richtext import Run, plain_text, runs_to_rich_text
from prodops_sync.labels import field_label, field_labels

Block = dict[str, Any]
Schema = Mapping[str, Any]

SECTION_ICON = "🔁"
SECTION_TEXT = (
    "Synced with Git: edit the cells of these tables (add or remove rows as needed); "
    "prodops-sync writes the changes back to the playbook repository."
)
_TRUE = frozenset({"true", "yes", "y", "✓", "✔", "x"})
_FALSE = frozenset({"false", "no", "n", ""})


def _kind(prop: Any) -> str:
    kind = prop.get("type") if isinstance(prop, Mapping) else None
    return kind if isinstance(kind, str) else ""


def _item_schema(prop: Schema) -> Schema:
    items = prop.get("items")
    return items if _kind(prop) == "array" and isinstance(items, Mapping) else prop


def _sub_fields(prop: Schema) -> dict[str, Any]:
    props = _item_schema(prop).get("properties")
    return dict(props) if isinstance(props, Mapping) else {}


def is_table_field(prop: Any) -> bool:
    """Fields that live in the page's table section: ``object``, or ``array`` of objects."""
    return _kind(prop) == "object" or (
        _kind(prop) == "array" and _kind(prop.get("items")) == "object"
    )


def table_fields(schema: Schema) -> dict[str, Schema]:
    """The schema's top-level fields written as tables, in schema order."""
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return {}
    return {name: prop for name, prop in props.items() if is_table_field(prop)}


# -- writing ------------------------------------------------------------------------------------


def _rich(text: str) -> list[dict[str, Any]]:
    return runs_to_rich_text([Run(text)]) if text else []


def cell_text(value: Any, prop: Any) -> str:
    """The text of one cell: lists of strings one per line, booleans ``true``/``false``,
    numbers as JSON writes them; a value of another shape as compact JSON (valid playbook
    data never has one: the schemas allow only these)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list) and all(
        isinstance(v, str) and v and "\n" not in v for v in value
    ):
        return "\n".join(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _row(texts: Sequence[str]) -> Block:
    return {"object": "block", "type": "table_row",
            "table_row": {"cells": [_rich(t) for t in texts]}}


def _table(rows: list[list[str]], width: int) -> Block:
    return {"object": "block", "type": "table", "table": {
        "table_width": width, "has_column_header": True, "has_row_header": False,
        "children": [_row(r) for r in rows],
    }}


def _columns(value: Any, prop: Schema) -> dict[str, str]:
    """Sub-field -> column label: the item schema's fields, then keys only the data has."""
    subs = _sub_fields(prop)
    extra = [k for item in (value if isinstance(value, list) else [value])
             if isinstance(item, Mapping) for k in item if k not in subs]
    labels = field_labels(subs)
    for key in dict.fromkeys(extra):
        labels[key] = key
    return labels


def field_table(value: Any, prop: Schema) -> Block:
    """The table block for one field's value (None / ``[]``: the header row alone)."""
    subs = _sub_fields(prop)
    if _kind(prop) == "object":
        data = value if isinstance(value, Mapping) else {}
        labels = _columns(data, prop)
        rows = [["Field", "Value"]] + [
            [labels[k], cell_text(data.get(k), subs.get(k))] for k in labels]
        return _table(rows, 2)
    items = [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
    labels = _columns(items, prop)
    rows = [list(labels.values())] + [
        [cell_text(item.get(k), subs.get(k)) for k in labels] for item in items]
    return _table(rows, max(1, len(labels)))


def render_section(fields: Mapping[str, Any], schema: Schema) -> list[Block]:
    """The section's blocks for a document (empty when its kind has no table fields)."""
    tables = table_fields(schema)
    if not tables:
        return []
    blocks: list[Block] = [{"object": "block", "type": "callout", "callout": {
        "rich_text": _rich(SECTION_TEXT), "icon": {"type": "emoji", "emoji": SECTION_ICON},
        "color": "gray_background"}}]
    for name, prop in tables.items():
        blocks.append({"object": "block", "type": "heading_3", "heading_3": {
            "rich_text": _rich(field_label(name, prop))}})
        blocks.append(field_table(fields.get(name), prop))
    blocks.append({"object": "block", "type": "divider", "divider": {}})
    return blocks


# -- reading ------------------------------------------------------------------------------------


def _text(block: Block, kind: str) -> str:
    body = block.get(kind)
    return plain_text(body.get("rich_text") or []) if isinstance(body, dict) else ""


def _is_mark(block: Block) -> bool:
    body = block.get("callout")
    icon = body.get("icon") if isinstance(body, dict) else None
    return (block.get("type") == "callout" and isinstance(icon, dict)
            and icon.get("emoji") == SECTION_ICON)


def split_section(
    blocks: Sequence[Block], schema: Schema
) -> tuple[dict[str, Block], list[Block]]:
    """The section's tables by field name, and the blocks after the section (the body).
    A page without the section gives ``({}, blocks)``."""
    tables = table_fields(schema)
    if not tables or not blocks or not _is_mark(blocks[0]):
        return {}, list(blocks)
    by_label = {field_label(n, p).casefold(): n for n, p in tables.items()}
    found: dict[str, Block] = {}
    at = 1
    while at < len(blocks):
        heading = blocks[at]
        table = blocks[at + 1] if at + 1 < len(blocks) else None
        if heading.get("type") not in ("heading_1", "heading_2", "heading_3"):
            break
        name = by_label.get(_text(heading, str(heading["type"])).strip().casefold())
        if name is None or table is None or table.get("type") != "table" or name in found:
            break
        found[name] = table
        at += 2
    if at < len(blocks) and blocks[at].get("type") == "divider":
        at += 1
    return found, list(blocks[at:])


def _cells(row: Block) -> list[str]:
    body = row.get("table_row") if isinstance(row.get("table_row"), dict) else {}
    return [plain_text(cell or []).strip() for cell in (body or {}).get("cells") or []]


def _convert(text: str, prop: Any) -> tuple[Any, bool]:
    """A cell's text in its sub-field's type (True), else the text as read (False)."""
    kind = _kind(prop)
    if kind == "integer":
        try:
            return int(text), True
        except ValueError:
            return text, False
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text, False
        return (int(number) if number.is_integer() and "." not in text else number), True
    if kind == "boolean":
        lowered = text.casefold()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE, True
        return text, False
    if kind == "array":
        return [line.strip() for line in text.splitlines() if line.strip()], True
    return text, True


def read_table(table: Block, name: str, prop: Schema, problems: list[str]) -> Any:
    """One field's value from its table (None when the table holds no data)."""
    label = field_label(name, prop)
    rows = [_cells(r) for r in block_children(table) if r.get("type") == "table_row"]
    if not rows:
        return None
    subs = _sub_fields(prop)
    by_label = {v.casefold(): k for k, v in field_labels(subs).items()}

    closed = _item_schema(prop).get("additionalProperties") is False

    def sub_name(column: str) -> str:
        found = by_label.get(column.casefold()) or (column if column in subs else None)
        if found is None and not closed:
            return column  # the item schema allows other keys: a column of its own
        if found is None:
            problems.append(f"table {label!r}: column {column[:80]!r} is not a field of "
                            f"{name!r}; its cells are kept under that name")
            return column
        return found

    def value(text: str, sub: str, where: str) -> Any:
        converted, fits = _convert(text, subs.get(sub))
        if not fits:
            problems.append(f"table {label!r} {where}: {text[:80]!r} is not "
                            f"{'an' if _kind(subs.get(sub)) == 'integer' else 'a'} "
                            f"{_kind(subs.get(sub))} ({sub!r})")
        return converted

    if _kind(prop) == "object":
        out: dict[str, Any] = {}
        for n, row in enumerate(rows[1:], start=2):
            if len(row) >= 2 and row[0] and row[1]:
                sub = sub_name(row[0])
                out[sub] = value(row[1], sub, f"row {n}")
        return out or None
    header = [sub_name(c) if c else "" for c in rows[0]]
    items: list[dict[str, Any]] = []
    for n, row in enumerate(rows[1:], start=2):
        item = {sub: value(text, sub, f"row {n}")
                for sub, text in zip(header, row, strict=False) if sub and text}
        if item:
            items.append(item)
    return items or None


def read_section(
    tables: Mapping[str, Block], schema: Schema, problems: list[str]
) -> dict[str, Any]:
    """The fields the section's tables hold (fields with no data are left out)."""
    fields_schema = table_fields(schema)
    out: dict[str, Any] = {}
    for name, table in tables.items():
        got = read_table(table, name, fields_schema[name], problems)
        if got is not None:
            out[name] = got
    return out
