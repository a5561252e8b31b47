"""A kind's fields ⇄ Notion database properties (pure functions, no I/O).

Schema → property type. Each top-level field of the kind's JSON Schema becomes one property
named by its human label (:func:`column_names`: the schema's ``title``, else ``Duration
minutes`` for ``duration_minutes``); the remote keeps the label -> property id mapping in the
state so a column renamed in Notion still maps back to its field:

=============================================  =================================================
JSON Schema                                    Notion property
=============================================  =================================================
the ``title`` field (or the one marked         the title property, named :data:`TITLE_PROPERTY`
``"x-title": true`` by the kinds registry)
string with ``enum``                           ``select`` with the enum values as options
array whose items have ``enum``                ``multi_select`` with those options
array marked ``"x-tags": true`` (short,        ``multi_select`` (options created as pages use
comma-free strings: names, roles, taxonomies)  them); a column that is rich text in an
                                               existing database stays one item per line
string with ``format: date`` / ``date-time``   ``date`` (the ISO string is kept as written)
``integer`` / ``number``                       ``number``
``boolean``                                    ``checkbox``
string with ``format: uri``                    ``url``
``x-ref: <kind>`` (string or array of keys)    ``relation`` to that kind's data source when the
                                               caller passes ``relations={kind: data_source_id}``
                                               and page-id lookups; otherwise ``rich_text``
                                               holding the key(s)
any other string (people, free text)           ``rich_text`` (split into 2,000-unit runs)
array of strings (no enum)                     ``rich_text``, one item per line (compact JSON
                                               when an item is empty or holds a line break,
                                               or the lines would read as JSON)
objects, arrays of objects                     no property: table blocks in the page's section
                                               the tool owns (:mod:`.fieldblocks`); a JSON
                                               column an earlier version made is still read
                                               while the page has no such section
=============================================  =================================================

Plus :data:`KEY_PROPERTY` (``rich_text``): the document key the sync engine matches pages by.

Missing fields are written as empty values (so an update clears them) and empty values read
back as missing. Known limits: an empty string reads back as missing, an unchecked checkbox
reads back as missing unless the field is required, and a float with no fraction (``3.0``)
reads back as ``3``. Select options that do not exist yet are created by Notion when a page
uses them; :func:`database_properties` lists the schema's enum values up front anyway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from prodops_sync.formats.notion.fieldblocks import is_table_field, table_fields
from prodops_sync.formats.notion.richtext import Run, plain_text, runs_to_rich_text
from prodops_sync.labels import field_label, field_labels

TITLE_PROPERTY = "Name"
KEY_PROPERTY = "Sync key"
KIND_PROPERTY = "Kind"
"""The select naming a row's kind in a database several kinds share."""
PENDING_PROPERTY = "Pending links"
"""Rich text, one ``Label: key`` line per reference whose target has no page yet (a first
push, a cycle): the relation cannot point at it, so the key waits here, reads back as part
of the field, and the engine's relink pass moves it into the relation."""
_PENDING_LINE = re.compile(r"(?P<label>.+?)(?: #(?P<at>\d+))?: (?P<key>\S.*)")
Schema = dict[str, Any]


def property_type(name: str, prop: Schema, relations: dict[str, str] | None = None) -> str:
    """The Notion property type a schema property maps to."""
    if prop.get("x-title", name == "title"):
        return "title"
    ref = prop.get("x-ref")
    if ref and relations and ref in relations:
        return "relation"
    kind = prop.get("type")
    if kind == "string":
        if "enum" in prop:
            return "select"
        if prop.get("format") in ("date", "date-time"):
            return "date"
        if prop.get("format") == "uri":
            return "url"
        return "rich_text"
    if kind == "array" and isinstance(prop.get("items"), dict) and (
        "enum" in prop["items"] or (prop.get("x-tags") and "x-ref" not in prop)
    ):
        return "multi_select"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "checkbox"
    return "rich_text"


def _fields(schema: Schema) -> dict[str, Schema]:
    """The fields that are page properties (lists of objects live in table blocks)."""
    return {name: prop for name, prop in schema.get("properties", {}).items()
            if not is_table_field(prop)}


def column_names(schema: Schema) -> dict[str, str]:
    """Field name -> the Notion property it lives in: :data:`TITLE_PROPERTY` for the title
    field, a human label for the others (unique, never one of the tool's own columns)."""
    fields = _fields(schema)
    titles = {n for n, p in fields.items() if property_type(n, p) == "title"}
    labels = field_labels({n: p for n, p in fields.items() if n not in titles},
                          reserved=(TITLE_PROPERTY, KEY_PROPERTY, KIND_PROPERTY,
                                    PENDING_PROPERTY))
    return {n: TITLE_PROPERTY if n in titles else labels[n] for n in fields}


def database_properties(schema: Schema, *, relations: dict[str, str] | None = None) -> dict[
    str, Any
]:
    """The ``properties`` object for creating the kind's database / data source."""
    out: dict[str, Any] = {KEY_PROPERTY: {"rich_text": {}}}
    labels = column_names(schema)
    for name, prop in _fields(schema).items():
        kind = property_type(name, prop, relations)
        label = labels[name]
        if kind == "select":
            out[label] = {"select": {"options": [{"name": str(v)} for v in prop["enum"]]}}
        elif kind == "multi_select":
            options = [{"name": str(v)} for v in prop["items"].get("enum", [])]
            out[label] = {"multi_select": {"options": options}}
        elif kind == "number":
            out[label] = {"number": {"format": "number"}}
        elif kind == "relation":
            assert relations is not None
            out[label] = {"relation": {"data_source_id": relations[prop["x-ref"]],
                                       "type": "single_property", "single_property": {}}}
        else:
            out[label] = {kind: {}}
    if TITLE_PROPERTY not in out:
        out[TITLE_PROPERTY] = {"title": {}}
    if _has_relations(schema, relations):
        out[PENDING_PROPERTY] = {"rich_text": {}}
    return out


def _has_relations(schema: Schema, relations: dict[str, str] | None) -> bool:
    return any(property_type(n, p, relations) == "relation" for n, p in _fields(schema).items())


def _rich(text: str) -> list[dict[str, Any]]:
    return runs_to_rich_text([Run(text)]) if text else []


def _is_text(prop: Schema) -> bool:
    return prop.get("type") == "string"


def fields_to_properties(
    fields: dict[str, Any],
    schema: Schema,
    *,
    key: str | None = None,
    relations: dict[str, str] | None = None,
    page_id_for: Callable[[str], str | None] | None = None,
    existing: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Page ``properties`` for pages.create / pages.update from a document's fields.

    With ``relations``, ``page_id_for(key)`` must give the page id of each referenced
    document; a key with no page yet raises ``KeyError`` (push the target first).
    ``existing`` (property name -> type, as the page or data source has them) keeps a push
    from writing what Notion computes: a property that is read-only there
    (:data:`READ_ONLY_TYPES`) or of another type than the schema maps to is left out,
    except a select that became a status, which is written as a status.
    """
    out: dict[str, Any] = {}
    if key is not None:
        out[KEY_PROPERTY] = {"rich_text": _rich(key)}
    labels = column_names(schema)
    pending: list[str] = []
    for name, prop in _fields(schema).items():
        kind = property_type(name, prop, relations)
        value = fields.get(name)
        label = labels[name]
        there = (existing or {}).get(label, kind)
        if there == kind == "relation":
            out[label], waiting = _relation(prop, value, page_id_for)
            pending += [f"{label}{'' if at is None else f' #{at}'}: {k}" for at, k in waiting]
        elif there == kind:
            out[label] = _to_property(kind, prop, value, page_id_for)
        elif there == "rich_text" and kind == "relation":
            # a reference column an earlier version made rich text: the key(s) as text
            out[label] = _to_property("rich_text", prop, value, page_id_for)
        elif there == "status" and kind == "select":
            out[label] = {"status": None if value is None else {"name": str(value)}}
        elif there == "rich_text" and kind == "multi_select":
            # a tags field whose column an earlier version made rich text: one per line
            out[label] = _to_property("rich_text", prop, value, page_id_for)
        # any other type (read-only, or retyped in Notion) is not written
    if _has_relations(schema, relations) and (existing is None or PENDING_PROPERTY in existing):
        out[PENDING_PROPERTY] = {"rich_text": _rich("\n".join(pending))}
    return out


def _relation(
    prop: Schema, value: Any, page_id_for: Callable[[str], str | None] | None
) -> tuple[dict[str, Any], list[tuple[int | None, str]]]:
    """A relation value, and the references whose target has no page yet (their position
    in the list, None for a single reference, and key)."""
    many = isinstance(value, list)
    keys = [] if value is None else (value if many else [value])
    ids: list[dict[str, str]] = []
    waiting: list[tuple[int | None, str]] = []
    for at, target in enumerate(keys, start=1):
        page_id = page_id_for(str(target)) if page_id_for else None
        if page_id is None:
            waiting.append((at if many else None, str(target)))
        else:
            ids.append({"id": page_id})
    return {"relation": ids}, waiting


def _to_property(
    kind: str, prop: Schema, value: Any, page_id_for: Callable[[str], str | None] | None
) -> dict[str, Any]:
    if kind == "title":
        return {"title": _rich("" if value is None else str(value))}
    if kind == "select":
        return {"select": None if value is None else {"name": str(value)}}
    if kind == "multi_select":
        return {"multi_select": [{"name": str(v)} for v in (value or [])]}
    if kind == "date":
        if value is None:
            return {"date": None}
        start, _slash, end = str(value).partition("/")  # ISO 8601 interval: a range
        return {"date": {"start": start, "end": end} if end else {"start": start}}
    if kind == "number":
        return {"number": value}
    if kind == "checkbox":
        return {"checkbox": bool(value)}
    if kind == "url":
        return {"url": value}
    if kind == "relation":
        return _relation(prop, value, page_id_for)[0]
    # rich_text: plain strings as they are, lists of strings one item per line, anything
    # else as compact JSON
    if value is None:
        return {"rich_text": []}
    if _is_text(prop) and isinstance(value, str):
        return {"rich_text": _rich(value)}
    if _is_string_list(prop) and _fits_lines(value):
        return {"rich_text": _rich("\n".join(value))}
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return {"rich_text": _rich(encoded)}


def _is_string_list(prop: Schema) -> bool:
    items = prop.get("items")
    return prop.get("type") == "array" and isinstance(items, dict) and \
        items.get("type") == "string"


def _fits_lines(value: Any) -> bool:
    """Whether a list of strings reads back unchanged from one-item-per-line text: no item
    empty or holding a line break, and the text not readable as JSON (the lossless form
    such values fall back to)."""
    if not isinstance(value, list) or not value or not all(
        isinstance(v, str) and v and "\n" not in v and "\r" not in v for v in value
    ):
        return False
    return _json_list("\n".join(value)) is None


def _json_list(text: str) -> list[Any] | None:
    if not text.startswith("["):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) else None


def properties_to_fields(
    properties: dict[str, Any],
    schema: Schema,
    *,
    relations: dict[str, str] | None = None,
    key_for_page_id: Callable[[str], str | None] | None = None,
    problems: list[str] | None = None,
) -> dict[str, Any]:
    """A document's fields from page ``properties`` as the API returns them (values carry
    ``id`` and ``type``; rich text carries ``plain_text``). Empty values are left out.

    A property whose type in Notion is not the one the schema maps to (someone made
    ``cadence`` a status, ``owner`` a people property, added a formula) is read by its own
    type (:func:`property_value`) and fitted to the schema's type where it can be; a value
    the schema cannot take is kept as read (so that ``validate`` names it in the pulled
    file) and described in ``problems``, never dropped."""
    fields: dict[str, Any] = {}
    labels = column_names(schema)
    for name, prop in _fields(schema).items():
        kind = property_type(name, prop, relations)
        label = labels[name]
        if label not in properties:
            continue
        raw = properties[label]
        actual = str(raw.get("type") or kind)
        if actual == kind == "relation":
            value = _read_relation(prop, raw, key_for_page_id, problems, label)
        elif actual == kind or (actual == "rich_text" and kind in ("multi_select", "relation")):
            value = _from_property(actual, prop, raw, key_for_page_id)
        else:
            value, fits = _coerce(prop, property_value(raw))
            if not fits and problems is not None:
                problems.append(
                    f"property {label!r} is a {actual} property in Notion holding "
                    f"{json.dumps(value, ensure_ascii=False)[:80]}, which field {name!r} "
                    f"(JSON Schema type {prop.get('type', 'any')!r}) cannot take"
                )
        if value is None:
            continue
        fields[name] = value
    _add_pending(fields, properties.get(PENDING_PROPERTY), schema, labels)
    for name in table_fields(schema):
        # a JSON column an earlier version wrote (read only: the page's tables win)
        raw = properties.get(name) or properties.get(field_label(name))
        text = plain_text(raw.get("rich_text") or []) if isinstance(raw, dict) else ""
        if text:
            try:
                fields[name] = json.loads(text)
            except ValueError:
                fields[name] = text
    return fields


def _read_relation(
    prop: Schema, raw: dict[str, Any], key_for_page_id: Callable[[str], str | None] | None,
    problems: list[str] | None, label: str,
) -> Any:
    """The key(s) a relation points at. A page that is not a playbook document is kept as
    its id (``validate`` then names the field) and described in ``problems``."""
    keys = []
    for ref in raw.get("relation") or []:
        page_id = str(ref.get("id", "")) if isinstance(ref, dict) else ""
        target = key_for_page_id(page_id) if key_for_page_id and page_id else None
        if target is None:
            if problems is not None:
                problems.append(f"property {label!r} points at page {page_id[:40]!r}, which "
                                "is not a playbook document")
            target = page_id
        keys.append(target)
    if prop.get("type") == "array":
        return keys or None
    return keys[0] if keys else None


def _add_pending(
    fields: dict[str, Any], raw: Any, schema: Schema, labels: dict[str, str]
) -> None:
    """Put the references waiting in :data:`PENDING_PROPERTY` back into their fields."""
    text = plain_text(raw.get("rich_text") or []) if isinstance(raw, dict) else ""
    by_label = {label: name for name, label in labels.items()}
    props = _fields(schema)
    for line in text.splitlines():
        match = _PENDING_LINE.fullmatch(line.strip())
        name = by_label.get(match["label"]) if match else None
        if match is None or name is None:
            continue
        if props[name].get("type") != "array":
            fields[name] = match["key"]
            continue
        items = list(fields.get(name) or [])
        at = int(match["at"] or len(items) + 1) - 1
        items.insert(min(max(at, 0), len(items)), match["key"])
        fields[name] = items


def properties_key(properties: dict[str, Any]) -> str | None:
    """The sync key stored on a page, if any."""
    value = properties.get(KEY_PROPERTY)
    if not value:
        return None
    return plain_text(value.get("rich_text", [])) or None


def _from_property(
    kind: str, prop: Schema, value: dict[str, Any],
    key_for_page_id: Callable[[str], str | None] | None,
) -> Any:
    payload = value.get(kind)
    if kind in ("title", "rich_text"):
        text = plain_text(payload or [])
        if text == "":
            return None
        if kind == "title" or (_is_text(prop) and "x-ref" not in prop) or (
            "x-ref" in prop and prop.get("type") == "string"
        ):
            return text
        if _is_string_list(prop):
            # One item per line; JSON when the value needed the lossless form (and in
            # pages an earlier version wrote, which held every list as JSON).
            listed = _json_list(text)
            return listed if listed is not None else text.split("\n")
        return json.loads(text)
    if kind == "select":
        return None if not payload else payload.get("name")
    if kind == "multi_select":
        return [option["name"] for option in payload] if payload else None
    if kind == "date":
        return _date(payload)
    if kind == "number":
        if payload is None:
            return None
        if prop.get("type") == "integer" or (
            isinstance(payload, float) and payload.is_integer()
        ):
            return int(payload)
        return payload
    if kind == "checkbox":
        return bool(payload)
    if kind == "url":
        return payload or None
    if kind == "relation":
        keys = []
        for ref in payload or []:
            target = key_for_page_id(ref["id"]) if key_for_page_id else None
            if target is None:
                raise KeyError(f"relation to page {ref['id']} that is not a playbook document")
            keys.append(target)
        if prop.get("type") == "array":
            return keys or None
        return keys[0] if keys else None
    raise ValueError(f"unsupported property type {kind}")


# ---------------------------------------------------------------------------------------------
# Reading any property value (API 2025-09-03), whatever type the schema expects

READ_ONLY_TYPES = frozenset({
    "formula", "rollup", "created_by", "created_time", "last_edited_by", "last_edited_time",
    "unique_id", "button", "verification", "place",
})
"""Property types computed or kept by Notion: read, never written by a push."""
PAGED_TYPES = frozenset({"title", "rich_text", "people", "relation"})
"""Types whose page-object value holds at most 25 items; ``has_more`` then says the rest
must be read with ``GET /v1/pages/{id}/properties/{property_id}``."""


def _user(user: Any) -> str:
    if not isinstance(user, dict):
        return ""
    person = user.get("person") if isinstance(user.get("person"), dict) else {}
    return str(user.get("name") or (person or {}).get("email") or user.get("id") or "")


def _date(date: Any) -> str | None:
    """A date value as ISO 8601: ``start``, or the interval ``start/end``."""
    if not isinstance(date, dict) or not date.get("start"):
        return None
    start = str(date["start"])
    return f"{start}/{date['end']}" if date.get("end") else start


def _file(item: Any) -> str:
    if not isinstance(item, dict):
        return ""
    kind = item.get("type")
    if kind == "external":
        return str((item.get("external") or {}).get("url") or item.get("name") or "")
    # uploaded files have signed URLs that expire within an hour: the name is what lasts
    return str(item.get("name") or "")


def property_value(value: dict[str, Any]) -> Any:
    """The plain value of any page property value, by its own ``type``: text for rich text
    and titles, names for selects, statuses and people, ISO 8601 for dates (``start/end``
    for ranges), the computed value of formulas and rollups, ``PREFIX-7`` for unique ids,
    page ids for relations, file names or external URLs, a verification's state. None for
    an empty value (and for buttons, which have none)."""
    kind = str(value.get("type", ""))
    payload = value.get(kind)
    if kind in ("title", "rich_text"):
        return plain_text(payload or []) or None
    if kind in ("select", "status"):
        return payload.get("name") if isinstance(payload, dict) else None
    if kind == "multi_select":
        return [str(o.get("name", "")) for o in payload or []] or None
    if kind in ("date",):
        return _date(payload)
    if kind == "people":
        return [_user(u) for u in payload or []] or None
    if kind in ("created_by", "last_edited_by"):
        return _user(payload) or None
    if kind == "files":
        return [_file(f) for f in payload or []] or None
    if kind == "relation":
        return [str(r.get("id", "")) for r in payload or []] or None
    if kind in ("formula", "rollup") and isinstance(payload, dict):
        inner = str(payload.get("type", ""))
        if inner == "array":
            items = [property_value(v) for v in payload.get("array") or []]
            return [v for v in items if v is not None] or None
        if inner == "date":
            return _date(payload.get("date"))
        return payload.get(inner)  # string / number / boolean; None for unsupported
    if kind == "unique_id" and isinstance(payload, dict):
        number = payload.get("number")
        if number is None:
            return None
        return f"{payload['prefix']}-{number}" if payload.get("prefix") else number
    if kind == "verification" and isinstance(payload, dict):
        return payload.get("state")
    if kind == "place" and isinstance(payload, dict):
        return payload.get("name") or payload.get("address") or (
            f"{payload.get('lat')},{payload.get('lon')}" if payload.get("lat") is not None
            else None)
    if kind == "button":
        return None
    return payload  # number, checkbox, url, email, phone_number, created/last edited time


def needs_paging(value: dict[str, Any]) -> bool:
    """Whether the page object holds only the first 25 items of this value."""
    return bool(value.get("has_more")) and value.get("type") in PAGED_TYPES


def with_items(value: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """The property value with the full item list the property endpoint returned
    (``results`` of ``GET /v1/pages/{id}/properties/{property_id}``, all pages)."""
    kind = str(value.get("type", ""))
    full = [item.get(kind) for item in items if item.get("type") == kind]
    return {**value, kind: [f for f in full if f is not None], "has_more": False}


def _coerce(prop: Schema, read: Any) -> tuple[Any, bool]:
    """``read`` in the schema's type where it fits (True), else as read (False)."""
    expected = prop.get("type")
    if read is None:
        return None, True
    if expected == "string":
        if isinstance(read, str):
            return read, True
        if isinstance(read, int | float) and not isinstance(read, bool):
            return str(read), True
        if isinstance(read, list) and len(read) == 1 and isinstance(read[0], str):
            return read[0], True
        return read, False
    if expected == "array":
        if isinstance(read, list):
            return read, True
        return [read], True
    if expected in ("integer", "number"):
        if isinstance(read, int | float) and not isinstance(read, bool):
            return (int(read) if expected == "integer" and float(read).is_integer() else read,
                    expected == "number" or float(read).is_integer())
        return read, False
    if expected == "boolean":
        return (read, True) if isinstance(read, bool) else (read, False)
    return read, True
