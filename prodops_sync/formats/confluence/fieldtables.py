"""Object fields ⇄ real XHTML tables inside a page-properties cell.

A field holding a list of objects (the operating model's ``raci``, a charter's
``success_metrics``, a ritual's ``agenda``, …) is written as a ``<table>`` in its
page-properties cell: a header row with one ``<th>`` per sub-field, in the item schema's
property order, then one row per item. A plain object field is a two-column table (label,
value), one row per sub-field. Column labels are the sub-field's schema ``title`` if it has
one, else its name made readable (``why_it_matters`` -> ``Why it matters``); keys the schema
does not know keep their raw name, so they read back unchanged.

Cells hold what a person can edit: strings as text (dates as ``<time>``, ``x-ref`` as page
links, like top-level cells), arrays of scalars as a bullet list, numbers and booleans as
text, a missing sub-field as an empty cell; a nested object or list of objects is again a
table. Reading maps labels back by the schema (never by guessing) and types every cell by
it. What the schema cannot take (an unknown column, text in an integer column, a table where
a list is expected) raises :class:`StorageFormatError` naming the field, row and column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from prodops_sync.formats.confluence.xml import Element, StorageFormatError, escape_text
from prodops_sync.labels import field_label

ScalarWriter = Callable[[Any, Mapping[str, Any]], str]
"""Renders one scalar (``value``, its schema) as inline storage."""
CellReader = Callable[[Element, Mapping[str, Any]], Any]
"""Reads one non-table cell typed by its schema (``_read_cell`` of properties.py)."""

_SCALAR_KINDS = ("string", "integer", "number", "boolean")


def _kind(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type", "")
    return kind if isinstance(kind, str) else ""


def _items(prop: Mapping[str, Any]) -> dict[str, Any]:
    items = prop.get("items", {})
    item = dict(items) if isinstance(items, Mapping) else {}
    if "x-ref" in prop:
        item.setdefault("x-ref", prop["x-ref"])
    return item


def _props(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    props = schema.get("properties", {})
    return props if isinstance(props, Mapping) else {}


def is_object_list(value: Any) -> bool:
    """A non-empty list whose items are all objects."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def is_table_value(value: Any) -> bool:
    """Values written as a table: an object, or a non-empty list of objects."""
    return isinstance(value, dict) or is_object_list(value)


def table_shaped(value: Any, prop: Mapping[str, Any]) -> bool:
    """True when ``value`` has the shape the table-typed schema ``prop`` gives it: an object
    for ``object``, a list of objects for ``array`` of ``object`` (``[]`` is an empty cell)."""
    kind = _kind(prop)
    if kind == "object":
        return isinstance(value, dict)
    return is_table_schema(prop) and is_object_list(value)


def is_table_schema(prop: Mapping[str, Any]) -> bool:
    """Schemas read as a table: ``object``, or ``array`` of ``object`` items."""
    kind = _kind(prop)
    if kind == "object":
        return True
    return kind == "array" and _kind(_items(prop)) == "object"


def labels(props: Mapping[str, Any], extra: Sequence[str] = ()) -> dict[str, str]:
    """Sub-field name -> label. A label two sub-fields would share, or that is another
    sub-field's raw name, falls back to the raw name; ``extra`` names (not in the schema)
    keep their raw name."""
    names = list(props)
    pretty = [field_label(n, props[n] if isinstance(props[n], Mapping) else {}) for n in names]
    out = {
        n: (p if pretty.count(p) == 1 and (p == n or p not in names) else n)
        for n, p in zip(names, pretty, strict=True)
    }
    out.update({n: n for n in extra if n not in props})
    return out


# -- writing ------------------------------------------------------------------------------------


def render_table(value: Any, prop: Mapping[str, Any], scalar: ScalarWriter) -> str:
    """``value`` (an object, or a list of objects) as a storage ``<table>``."""
    if isinstance(value, dict):
        return _object_table(value, prop, scalar)
    item = _items(prop)
    props = _props(item)
    extra: list[str] = []
    for row in value:
        extra.extend(k for k in row if k not in props and k not in extra)
    heads = labels(props, extra)
    columns = [*props, *extra]
    header = "".join(f"<th><p>{escape_text(heads[c])}</p></th>" for c in columns)
    rows = [f"<tr>{header}</tr>"]
    for row in value:
        cells = "".join(
            f"<td>{_cell(row[c], _sub(props, c), scalar) if c in row else ''}</td>"
            for c in columns
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tbody>{''.join(rows)}</tbody></table>"


def _object_table(value: Mapping[str, Any], prop: Mapping[str, Any], scalar: ScalarWriter) -> str:
    props = _props(prop)
    extra = [k for k in value if k not in props]
    heads = labels(props, extra)
    rows = [
        f"<tr><th><p>{escape_text(heads[name])}</p></th>"
        f"<td>{_cell(value[name], _sub(props, name), scalar)}</td></tr>"
        for name in [*(n for n in props if n in value), *extra]
    ]
    return f"<table><tbody>{''.join(rows)}</tbody></table>"


def _sub(props: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    sub = props.get(name, {})
    return sub if isinstance(sub, Mapping) else {}


def _cell(value: Any, prop: Mapping[str, Any], scalar: ScalarWriter) -> str:
    if table_shaped(value, prop) or (not _kind(prop) and is_table_value(value)):
        return render_table(value, prop, scalar)
    if isinstance(value, list):
        if not value:
            return ""
        item = _items(prop)
        items = "".join(f"<li><p>{_inline(v, item, scalar)}</p></li>" for v in value)
        return f"<ul>{items}</ul>"
    inner = _inline(value, prop, scalar)
    return f"<p>{inner}</p>" if inner else "<p />"


def _inline(value: Any, prop: Mapping[str, Any], scalar: ScalarWriter) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        # Only reached for odd data such as a list inside a list: written as readable text.
        return escape_text(str(value))
    return scalar(value, prop)


# -- reading ------------------------------------------------------------------------------------


class _Ctx:
    """Where in the page a cell sits, for error messages."""

    def __init__(self, page: str, field: str) -> None:
        self.page = page
        self.field = field

    def fail(self, message: str) -> StorageFormatError:
        return StorageFormatError(f"page property {self.field!r}: {message}", page=self.page)


def table_in(cell: Element) -> Element | None:
    """The table standing alone in ``cell`` (blank text and empty paragraphs aside)."""
    content = [
        c for c in cell.children
        if (isinstance(c, str) and c.strip())
        or (isinstance(c, Element) and not (c.tag == "p" and not c.text().strip()
                                            and not c.elements()))
    ]
    if len(content) == 1 and isinstance(content[0], Element) and content[0].tag == "table":
        return content[0]
    return None


def is_blank(cell: Element) -> bool:
    """True when ``cell`` shows nothing (no text, no link, no date, no image)."""
    return not cell.text().strip() and not _has_content_element(cell)


def _has_content_element(node: Element) -> bool:
    for child in node.elements():
        if child.tag in ("ac:link", "time", "ac:image", "ri:page", "ac:structured-macro"):
            return True
        if _has_content_element(child):
            return True
    return False


def _rows(table: Element) -> list[Element]:
    rows = table.elements("tr")
    for section in table.elements():
        if section.tag in ("tbody", "thead", "tfoot"):
            rows.extend(section.elements("tr"))
    return rows


def read_table(
    table: Element, prop: Mapping[str, Any], read_cell: CellReader, *, page: str, field: str
) -> Any:
    """Parse a table written by :func:`render_table` back into the value ``prop`` types."""
    ctx = _Ctx(page, field)
    if _kind(prop) == "object":
        return _read_object(table, prop, read_cell, ctx)
    return _read_list(table, _items(prop), read_cell, ctx)


def _by_label(props: Mapping[str, Any], ctx: _Ctx, extra_ok: bool) -> Callable[[str], str]:
    heads = labels(props)
    names = {" ".join(label.split()).casefold(): name for name, label in heads.items()}
    names.update({name.casefold(): name for name in props})

    def name_of(label: str) -> str:
        key = " ".join(label.split()).casefold()
        if key in names:
            return names[key]
        if extra_ok and label.strip():
            return label.strip()
        known = ", ".join(repr(h) for h in heads.values())
        raise ctx.fail(f"unknown column {label.strip()!r} (expected one of {known})")

    return name_of


def _extra_ok(schema: Mapping[str, Any]) -> bool:
    """Keys outside ``properties`` are kept (for validation to judge) unless the schema
    lists properties and forbids others."""
    return not _props(schema) or schema.get("additionalProperties", True) is not False


def _read_list(
    table: Element, item: Mapping[str, Any], read_cell: CellReader, ctx: _Ctx
) -> list[Any]:
    rows = _rows(table)
    if not rows:
        return []
    props = _props(item)
    name_of = _by_label(props, ctx, _extra_ok(item))
    header = rows[0].elements()
    for index, cell in enumerate(header, start=1):
        if not cell.text().strip():
            raise ctx.fail(f"column {index} of the table's first row has no heading")
    columns = [name_of(c.text()) for c in header]
    seen = [c for i, c in enumerate(columns) if c in columns[:i]]
    if seen:
        raise ctx.fail(f"column {seen[0]!r} appears twice")
    out: list[Any] = []
    for number, row in enumerate(rows[1:], start=1):
        cells = row.elements()
        if all(is_blank(c) for c in cells):
            continue  # a blank row someone added and left empty
        if len(cells) > len(columns):
            raise ctx.fail(f"row {number} has {len(cells)} cells for {len(columns)} columns")
        record: dict[str, Any] = {}
        for name, cell in zip(columns, cells, strict=False):
            if is_blank(cell) and table_in(cell) is None:
                continue  # empty cell: the sub-field is missing
            where = _Ctx(ctx.page, f"{ctx.field}[{number}].{name}")
            record[name] = _read_value(cell, _sub(props, name), read_cell, where)
        out.append(record)
    return out


def _read_object(
    table: Element, prop: Mapping[str, Any], read_cell: CellReader, ctx: _Ctx
) -> dict[str, Any]:
    props = _props(prop)
    name_of = _by_label(props, ctx, _extra_ok(prop))
    out: dict[str, Any] = {}
    for row in _rows(table):
        cells = row.elements()
        if all(is_blank(c) for c in cells):
            continue
        if len(cells) != 2:
            raise ctx.fail("each row of an object table must have two cells (label, value)")
        name = name_of(cells[0].text())
        if name in out:
            raise ctx.fail(f"row {name!r} appears twice")
        if is_blank(cells[1]) and table_in(cells[1]) is None:
            continue
        out[name] = _read_value(cells[1], _sub(props, name), read_cell,
                                _Ctx(ctx.page, f"{ctx.field}.{name}"))
    return out


def _read_value(cell: Element, prop: Mapping[str, Any], read_cell: CellReader, ctx: _Ctx) -> Any:
    table = table_in(cell)
    if table is not None:
        if prop and not is_table_schema(prop):
            raise ctx.fail("a table here, where the schema expects "
                           f"{_describe(prop)}")
        return read_table(table, prop or {"type": "array", "items": {"type": "object"}},
                          read_cell, page=ctx.page, field=ctx.field)
    if is_table_schema(prop):
        raise ctx.fail(f"{cell.text().strip()!r} where the schema expects a table")
    value = read_cell(cell, prop)
    check_type(value, prop, ctx)
    return value


def _describe(prop: Mapping[str, Any]) -> str:
    kind = _kind(prop)
    if kind == "array":
        return f"a list of {_kind(_items(prop)) or 'values'}"
    return {"integer": "a whole number", "number": "a number", "boolean": "true or false",
            "string": "text"}.get(kind, kind or "a value")


def check_type(value: Any, prop: Mapping[str, Any], ctx: _Ctx) -> None:
    """Raise when a cell's text could not be read as the number/boolean the schema wants."""
    kind = _kind(prop)
    if kind == "array" and isinstance(value, list):
        item = _items(prop)
        for v in value:
            check_type(v, item, ctx)
        return
    ok = {
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
    }.get(kind)
    if ok is not None and not ok(value):
        raise ctx.fail(f"{value!r} is not {_describe(prop)}")
