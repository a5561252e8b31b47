"""Fields ⇄ a page-properties (``details``) macro at the top of a Confluence page.

A record's fields become a two-column table (field heading, value) inside a ``details``
macro whose ``id`` parameter is the collection's label, so a ``detailssummary`` (page
properties report) macro on the collection's parent page lists every record (see
:func:`details_summary_macro`; the sync engine also puts the label on each page). Values are
rendered by the type the kind's JSON Schema gives the field, and read back by the same type:

=========================== =======================================================
schema type                 cell
=========================== =======================================================
string (incl. enum)         text; line breaks as ``<br />``
string, ``format: date``    ``<time datetime="YYYY-MM-DD" />`` (Confluence date)
string with ``x-ref``       ``ac:link`` to the referenced document's page
integer / number            the JSON number as text
boolean                     ``true`` / ``false``
array of the above          ``<ul>`` with one ``<li>`` per item (``x-ref`` on the
                            array applies to each item); ``[]`` is an empty cell
array of objects            a ``<table>`` in the cell: a header row of sub-field
                            labels, one row per item (:mod:`.fieldtables`)
object                      a two-column ``<table>`` (label, value) in the cell
any other value the schema  a ``code`` macro, language ``json``, holding the JSON
does not allow              value (so nothing is lost; valid data never gets here)
=========================== =======================================================

Nested tables stay inside the page-properties cell (rather than below the macro) so the
field keeps one row, one label and one place to edit; a table in a ``details`` cell is
ordinary rich text to Confluence. A cell the schema cannot take (unknown column, text in an
integer column, text where a table belongs) raises :class:`StorageFormatError` naming the
page and the field, like any other unreadable page property.

The sync identity key is not a field and never appears here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from prodops_sync.formats.confluence.fieldtables import (
    is_blank,
    is_table_schema,
    read_table,
    render_table,
    table_in,
    table_shaped,
)
from prodops_sync.formats.confluence.xml import (
    Element,
    Source,
    StorageFormatError,
    cdata,
    escape_attr,
    escape_text,
    parse_storage,
)
from prodops_sync.labels import field_label
from prodops_sync.links import LinkResolver

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_SCALARS = (str, int, float, bool)
_IGNORED_ATTRS = frozenset({"ac:name", "ac:schema-version", "ac:macro-id", "ac:local-id"})


def collection_label(kind: str) -> str:
    """The label (and details-macro ``id``) of a kind's collection, e.g. ``prodops-ritual``."""
    return f"prodops-{kind}"


def heading_for(name: str, prop: Mapping[str, Any] | None = None) -> str:
    """The table heading shown for field ``name``: the schema's ``title`` if it has one,
    else ``output_artifact`` -> ``Output artifact`` (the label Notion uses too)."""
    return field_label(name, prop)


def fields_to_storage(
    fields: Mapping[str, Any],
    schema: Mapping[str, Any],
    *,
    label: str,
    resolver: LinkResolver | None = None,
    omit: Collection[str] = (),
) -> str:
    """Render ``fields`` as a ``details`` macro (rows in field order; ``omit`` skips fields
    such as ``title`` when the caller keeps them elsewhere)."""
    props: Mapping[str, Any] = schema.get("properties", {})
    headings = _headings(props, fields)
    rows = []
    for name, value in fields.items():
        if name in omit:
            continue
        cell = _cell(value, props.get(name, {}), resolver)
        rows.append(f"<tr><th><p>{escape_text(headings[name])}</p></th><td>{cell}</td></tr>")
    return (
        '<ac:structured-macro ac:name="details" ac:schema-version="1">'
        f'<ac:parameter ac:name="id">{escape_text(label)}</ac:parameter>'
        f"<ac:rich-text-body><table><tbody>{''.join(rows)}</tbody></table>"
        "</ac:rich-text-body></ac:structured-macro>"
    )


def fields_from_storage(
    xhtml: str,
    schema: Mapping[str, Any],
    *,
    resolver: LinkResolver | None = None,
    page: str = "",
) -> dict[str, Any]:
    """Parse the fields back from a ``details`` macro (or a page that starts with one)."""
    source = parse_storage(xhtml, page=page)
    macro = _details(source)
    if macro is None:
        return {}
    props: Mapping[str, Any] = schema.get("properties", {})
    by_heading = {heading: name for name, heading in _headings(props, {}).items()}
    fields: dict[str, Any] = {}
    for row in _rows(macro):
        cells = row.elements()
        if len(cells) != 2:
            raise StorageFormatError("a page-properties row must have two cells", page=page)
        heading = cells[0].text().strip()
        name = by_heading.get(heading, heading)
        fields[name] = _read_field(cells[1], props.get(name, {}), resolver, page, name)
    return fields


def split_page(xhtml: str, *, page: str = "") -> tuple[str, str]:
    """Split a page body into ``(details macro, rest)``; ``("", xhtml)`` without one."""
    source = parse_storage(xhtml, page=page)
    macro = _details(source)
    if macro is None:
        return "", xhtml
    return source.slice(macro.start, macro.end), source.text[macro.end :]


def join_page(properties: str, body: str) -> str:
    """The page body for a record: the properties macro first, then the body."""
    return properties + body


def details_summary_macro(
    label: str,
    *,
    headings: Sequence[str] = (),
    first_column: str = "Title",
    sort_by: str = "",
    space_key: str = "",
    page_size: int = 100,
) -> str:
    """A page-properties report (``detailssummary``) listing every page labelled ``label``
    (optionally only in space ``space_key``), for the collection's parent page."""
    cql = f'label = "{label}"' + (f' and space = "{space_key}"' if space_key else "")
    params = {
        "cql": cql,
        "id": label,
        "firstcolumn": first_column,
        "headings": ",".join(headings),
        "sortBy": sort_by,
        "pageSize": str(page_size),
    }
    body = "".join(
        f'<ac:parameter ac:name="{k}">{escape_text(v)}</ac:parameter>'
        for k, v in params.items()
        if v
    )
    macro = '<ac:structured-macro ac:name="detailssummary" ac:schema-version="2">'
    return f"{macro}{body}</ac:structured-macro>"


# -- writing ------------------------------------------------------------------------------------


def _headings(props: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, str]:
    """Field name -> heading. Schema fields get a readable heading unless it would collide;
    fields the schema does not know keep their raw name, so they read back unchanged."""
    names = list(props)
    pretty = [heading_for(n, props[n] if isinstance(props[n], Mapping) else None)
              for n in names]
    headings = {
        n: (h if pretty.count(h) == 1 and (h == n or h not in names) else n)
        for n, h in zip(names, pretty, strict=True)
    }
    headings.update({n: n for n in fields if n not in props})
    return headings


def _kind(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type", "")
    return kind if isinstance(kind, str) else ""


def _fits(value: Any, prop: Mapping[str, Any]) -> bool:
    """True when ``value`` has the simple rendering its schema type promises."""
    kind = _kind(prop)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "array":
        items = prop.get("items", {})
        item_prop = dict(items) if isinstance(items, Mapping) else {}
        if "x-ref" in prop:
            item_prop.setdefault("x-ref", prop["x-ref"])
        return isinstance(value, list) and all(
            _kind(item_prop) in ("string", "integer", "number", "boolean") and _fits(v, item_prop)
            for v in value
        )
    return False


def _cell(value: Any, prop: Mapping[str, Any], resolver: LinkResolver | None) -> str:
    if table_shaped(value, prop):
        return render_table(value, prop, lambda v, p: _scalar(v, p, resolver))
    if not _fits(value, prop):
        text = json.dumps(value, ensure_ascii=False, indent=2)
        return (
            '<ac:structured-macro ac:name="code" ac:schema-version="1">'
            '<ac:parameter ac:name="language">json</ac:parameter>'
            f"<ac:plain-text-body>{cdata(text)}</ac:plain-text-body></ac:structured-macro>"
        )
    if isinstance(value, list):
        if not value:
            return "<p />"
        item_prop = dict(prop.get("items", {}))
        if "x-ref" in prop:
            item_prop.setdefault("x-ref", prop["x-ref"])
        items = "".join(f"<li><p>{_scalar(v, item_prop, resolver)}</p></li>" for v in value)
        return f"<ul>{items}</ul>"
    inner = _scalar(value, prop, resolver)
    return f"<p>{inner}</p>" if inner else "<p />"


def _scalar(value: Any, prop: Mapping[str, Any], resolver: LinkResolver | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return escape_text(json.dumps(value))
    text = str(value)
    if "x-ref" in prop and resolver is not None and text:
        title = resolver.title_for(text)
        if title is not None:
            return f'<ac:link><ri:page ri:content-title="{escape_attr(title)}" /></ac:link>'
    if prop.get("format") == "date" and _DATE.match(text):
        return f'<time datetime="{text}" />'
    return escape_text(text).replace("\n", "<br />")


# -- reading ------------------------------------------------------------------------------------


def _details(source: Source) -> Element | None:
    """The page-properties macro standing first on the page, if any."""
    root = source.root
    for child in root.children:
        if isinstance(child, str):
            if child.strip():
                return None
            continue
        if child.tag == "ac:structured-macro" and child.attrs.get("ac:name") == "details":
            return child
        return None
    return None


def _rows(macro: Element) -> list[Element]:
    body = macro.first("ac:rich-text-body")
    table = body.first("table") if body is not None else None
    if table is None:
        return []
    rows = table.elements("tr")
    for section in table.elements():
        if section.tag in ("tbody", "thead"):
            rows.extend(section.elements("tr"))
    return rows


def _read_field(
    cell: Element, prop: Mapping[str, Any], resolver: LinkResolver | None, page: str, name: str
) -> Any:
    """One page-properties value cell: a table for object fields, else :func:`_read_cell`."""
    def read_cell(sub_cell: Element, sub_prop: Mapping[str, Any]) -> Any:
        return _read_cell(sub_cell, sub_prop, resolver, page)

    table = table_in(cell)
    if table is not None:
        shape = prop if is_table_schema(prop) else {"type": "array", "items": {"type": "object"}}
        if prop and not is_table_schema(prop):
            raise StorageFormatError(
                f"page property {name!r}: a table where the schema expects {prop.get('type')}",
                page=page,
            )
        return read_table(table, shape, read_cell, page=page, field=name)
    if is_table_schema(prop) and not _is_code(cell):
        if is_blank(cell):
            return {} if _kind(prop) == "object" else []
        raise StorageFormatError(
            f"page property {name!r}: {cell.text().strip()!r} where a table belongs", page=page
        )
    return read_cell(cell, prop)


def _is_code(cell: Element) -> bool:
    """True for a cell holding only a JSON code macro (how older versions wrote objects)."""
    content = [c for c in cell.children if isinstance(c, Element) or c.strip()]
    return (
        len(content) == 1
        and isinstance(content[0], Element)
        and content[0].tag == "ac:structured-macro"
        and content[0].attrs.get("ac:name") == "code"
    )


def _read_cell(
    cell: Element, prop: Mapping[str, Any], resolver: LinkResolver | None, page: str
) -> Any:
    content = [c for c in cell.children if isinstance(c, Element) or c.strip()]
    if len(content) == 1 and isinstance(content[0], Element):
        only = content[0]
        if only.tag == "ac:structured-macro" and only.attrs.get("ac:name") == "code":
            body = only.first("ac:plain-text-body")
            try:
                return json.loads(body.text() if body is not None else "null")
            except json.JSONDecodeError as exc:
                raise StorageFormatError(f"bad JSON in page property: {exc}", page=page) from None
        if only.tag in ("ul", "ol"):
            item_prop = dict(prop.get("items", {}))
            if "x-ref" in prop:
                item_prop.setdefault("x-ref", prop["x-ref"])
            return [_read_scalar(li.children, item_prop, resolver) for li in only.elements("li")]
    if _kind(prop) == "array":
        text = _text(content, resolver).strip()
        return [] if not text else [_convert(text, dict(prop.get("items", {})))]
    return _read_scalar(content, prop, resolver)


def _read_scalar(
    nodes: Sequence[Element | str], prop: Mapping[str, Any], resolver: LinkResolver | None
) -> Any:
    return _convert(_text(nodes, resolver), prop)


def _text(nodes: Sequence[Element | str], resolver: LinkResolver | None) -> str:
    """Cell text: paragraphs and ``<br />`` become line breaks, page links become keys,
    ``<time>`` its date."""
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
        elif node.tag == "br":
            parts.append("\n")
        elif node.tag == "time":
            parts.append(node.attrs.get("datetime", ""))
        elif node.tag == "ac:link":
            target = node.first("ri:page")
            title = target.attrs.get("ri:content-title", "") if target is not None else ""
            key = resolver.key_for_title(title) if resolver is not None and title else None
            parts.append(key if key is not None else title)
        elif node.tag == "p":
            if parts:
                parts.append("\n")
            parts.append(_text(node.children, resolver))
        else:
            parts.append(_text(node.children, resolver))
    return "".join(parts)


def _convert(text: str, prop: Mapping[str, Any]) -> Any:
    """Text -> the schema's scalar type (text the type does not accept stays a string, for
    validation to report)."""
    kind = _kind(prop)
    if kind == "boolean" and text.strip().lower() in ("true", "false", "yes", "no"):
        return text.strip().lower() in ("true", "yes")
    if kind in ("integer", "number"):
        try:
            number = json.loads(text.strip())
        except json.JSONDecodeError:
            return text
        if isinstance(number, int | float) and not isinstance(number, bool):
            return number
    return text
