"""A kind's fields ⇄ Notion database properties (pure functions, no I/O).

Schema → property type (each top-level field of the kind's JSON Schema becomes one property
named exactly like the field, so that the mapping is obvious and reversible):

=============================================  =================================================
JSON Schema                                    Notion property
=============================================  =================================================
the ``title`` field (or the one marked         the title property, named :data:`TITLE_PROPERTY`
``"x-title": true`` by the kinds registry)
string with ``enum``                           ``select`` with the enum values as options
array whose items have ``enum``                ``multi_select`` with those options
string with ``format: date`` / ``date-time``   ``date`` (the ISO string is kept as written)
``integer`` / ``number``                       ``number``
``boolean``                                    ``checkbox``
string with ``format: uri``                    ``url``
``x-ref: <kind>`` (string or array of keys)    ``relation`` to that kind's data source when the
                                               caller passes ``relations={kind: data_source_id}``
                                               and page-id lookups; otherwise ``rich_text``
                                               holding the key(s)
any other string (people, free text)           ``rich_text`` (split into 2,000-unit runs)
arrays of strings, objects, arrays of objects  ``rich_text`` holding compact JSON (lossless)
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
from collections.abc import Callable
from typing import Any

from prodops_sync.formats.notion.richtext import Run, plain_text, runs_to_rich_text

TITLE_PROPERTY = "Name"
KEY_PROPERTY = "Sync key"
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
    if kind == "array" and isinstance(prop.get("items"), dict) and "enum" in prop["items"]:
        return "multi_select"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "checkbox"
    return "rich_text"


def _fields(schema: Schema) -> dict[str, Schema]:
    return dict(schema.get("properties", {}))


def database_properties(schema: Schema, *, relations: dict[str, str] | None = None) -> dict[
    str, Any
]:
    """The ``properties`` object for creating the kind's database / data source."""
    out: dict[str, Any] = {KEY_PROPERTY: {"rich_text": {}}}
    for name, prop in _fields(schema).items():
        kind = property_type(name, prop, relations)
        label = TITLE_PROPERTY if kind == "title" else name
        if kind == "select":
            out[label] = {"select": {"options": [{"name": str(v)} for v in prop["enum"]]}}
        elif kind == "multi_select":
            options = [{"name": str(v)} for v in prop["items"]["enum"]]
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
    return out


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
) -> dict[str, Any]:
    """Page ``properties`` for pages.create / pages.update from a document's fields.

    With ``relations``, ``page_id_for(key)`` must give the page id of each referenced
    document; a key with no page yet raises ``KeyError`` (push the target first).
    """
    out: dict[str, Any] = {}
    if key is not None:
        out[KEY_PROPERTY] = {"rich_text": _rich(key)}
    for name, prop in _fields(schema).items():
        kind = property_type(name, prop, relations)
        value = fields.get(name)
        label = TITLE_PROPERTY if kind == "title" else name
        out[label] = _to_property(kind, prop, value, page_id_for)
    return out


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
        return {"date": None if value is None else {"start": str(value)}}
    if kind == "number":
        return {"number": value}
    if kind == "checkbox":
        return {"checkbox": bool(value)}
    if kind == "url":
        return {"url": value}
    if kind == "relation":
        keys = [] if value is None else (value if isinstance(value, list) else [value])
        ids = []
        for target in keys:
            page_id = page_id_for(target) if page_id_for else None
            if page_id is None:
                raise KeyError(f"no Notion page for referenced document {target!r}")
            ids.append({"id": page_id})
        return {"relation": ids}
    # rich_text: plain strings as they are, anything else as compact JSON
    if value is None:
        return {"rich_text": []}
    if _is_text(prop) and isinstance(value, str):
        return {"rich_text": _rich(value)}
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return {"rich_text": _rich(encoded)}


def properties_to_fields(
    properties: dict[str, Any],
    schema: Schema,
    *,
    relations: dict[str, str] | None = None,
    key_for_page_id: Callable[[str], str | None] | None = None,
) -> dict[str, Any]:
    """A document's fields from page ``properties`` as the API returns them (values carry
    ``id`` and ``type``; rich text carries ``plain_text``). Empty values are left out."""
    fields: dict[str, Any] = {}
    for name, prop in _fields(schema).items():
        kind = property_type(name, prop, relations)
        label = TITLE_PROPERTY if kind == "title" else name
        if label not in properties:
            continue
        value = _from_property(kind, prop, properties[label], key_for_page_id)
        if value is None:
            continue
        fields[name] = value
    return fields


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
        return json.loads(text)
    if kind == "select":
        return None if not payload else payload.get("name")
    if kind == "multi_select":
        return [option["name"] for option in payload] if payload else None
    if kind == "date":
        return None if not payload else payload.get("start")
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
