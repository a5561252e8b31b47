"""Data source schemas, page property values, and query filters/sorts for the Notion stand-in.

Pure functions over JSON-shaped dicts; errors are :class:`NotionValidationError`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prodops_sync.standins.notion_schema import (
    COLORS,
    MAX_URL_CHARS,
    NotionValidationError,
    _length,
    fail,
    normalize_date,
    normalize_rich_text,
)

MAX_ARRAY_ITEMS = 100
"""Multi-select options, related pages and people per property value ("Request limits")."""
MAX_CONTACT_CHARS = 200
"""Characters of an email or phone number value."""

SCHEMA_TYPES = frozenset(
    {
        "title",
        "rich_text",
        "number",
        "select",
        "multi_select",
        "status",
        "date",
        "checkbox",
        "url",
        "email",
        "phone_number",
        "people",
        "relation",
        "created_time",
        "last_edited_time",
        "files",
    }
)
READ_ONLY_TYPES = frozenset({"created_time", "last_edited_time"})
_OPTION_COLORS = sorted(c for c in COLORS if not c.endswith("_background"))


def _short_id() -> str:
    return secrets.token_urlsafe(3)[:4]


# ------------------------------------------------------------------ schemas
def normalize_schema(raw: Any, path: str, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate a ``properties`` schema object (create or update) and return the stored schema.

    With ``existing`` (an update), a value of ``null`` removes a property and ``{"name": X}``
    renames it; other entries add or replace properties.
    """
    if not isinstance(raw, dict):
        raise fail(path, "an object", raw)
    schema = {k: dict(v) for k, v in (existing or {}).items()}
    for key, config in raw.items():
        current_name = find_property_name(schema, key) if existing is not None else None
        if config is None:
            if current_name is None:
                raise NotionValidationError(f"Could not find property with name or id: {key}")
            if schema[current_name]["type"] == "title":
                raise NotionValidationError("Cannot delete the title property.")
            del schema[current_name]
            continue
        if not isinstance(config, dict):
            raise fail(f"{path}.{key}", "an object", config)
        new_name = str(config.get("name") or current_name or key)
        types = [t for t in config if t in SCHEMA_TYPES]
        ptype = config.get("type") or (types[0] if types else None)
        if ptype is None and current_name is not None:
            ptype = schema[current_name]["type"]  # rename only
        if not isinstance(ptype, str) or ptype not in SCHEMA_TYPES:
            raise fail(f"{path}.{key}", "a property schema of a supported type", config)
        prop_config = config.get(ptype, schema.get(current_name or "", {}).get(ptype, {}))
        if not isinstance(prop_config, dict):
            raise fail(f"{path}.{key}.{ptype}", "an object", prop_config)
        prop_config = _normalize_config(ptype, prop_config, f"{path}.{key}.{ptype}")
        prop_id = (
            "title"
            if ptype == "title"
            else (schema[current_name]["id"] if current_name else _short_id())
        )
        if current_name is not None and current_name != new_name:
            del schema[current_name]
        schema[new_name] = {"id": prop_id, "name": new_name, "type": ptype, ptype: prop_config}
    titles = [name for name, p in schema.items() if p["type"] == "title"]
    if len(titles) != 1:
        raise NotionValidationError(
            f"Data sources must have exactly one title property, instead found {len(titles)}."
        )
    return schema


def _normalize_config(ptype: str, config: dict[str, Any], path: str) -> dict[str, Any]:
    if ptype in ("select", "multi_select", "status"):
        options = []
        for i, opt in enumerate(config.get("options", [])):
            if not isinstance(opt, dict) or not isinstance(opt.get("name"), str):
                raise fail(f"{path}.options[{i}].name", "a string", opt)
            if "," in opt["name"]:
                raise NotionValidationError(
                    f"Select option names cannot contain commas: {opt['name']}"
                )
            color = opt.get("color", _OPTION_COLORS[i % len(_OPTION_COLORS)])
            options.append(
                {"id": opt.get("id") or _short_id(), "name": opt["name"], "color": color}
            )
        return {"options": options}
    if ptype == "number":
        return {"format": config.get("format", "number")}
    if ptype == "relation":
        target = config.get("data_source_id") or config.get("database_id")
        if not isinstance(target, str):
            raise fail(f"{path}.data_source_id", "a string", target)
        rtype = config.get("type", "single_property")
        return {"data_source_id": target, "type": rtype, rtype: config.get(rtype, {})}
    return {}


def find_property_name(schema: dict[str, Any], key: str) -> str | None:
    """Resolve a property by name or id."""
    if key in schema:
        return key
    for name, prop in schema.items():
        if prop.get("id") == key:
            return name
    return None


# ------------------------------------------------------------------ values
def empty_value(prop: dict[str, Any]) -> Any:
    """The value Notion shows for a property that was never set."""
    ptype = prop["type"]
    if ptype in ("title", "rich_text", "multi_select", "people", "relation", "files"):
        return []
    if ptype == "checkbox":
        return False
    return None


def normalize_values(
    raw: Any,
    schema: dict[str, Any],
    path: str,
    title_of: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Validate page property values against ``schema``; returns ``{name: value}``.

    Select and multi-select options that do not exist yet are added to ``schema`` in place
    (as Notion does); status options must exist.
    """
    if not isinstance(raw, dict):
        raise fail(path, "an object", raw)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = find_property_name(schema, key)
        if name is None:
            raise NotionValidationError(f"{key} is not a property that exists.")
        prop = schema[name]
        ptype = prop["type"]
        if ptype in READ_ONLY_TYPES:
            raise NotionValidationError(f"{name} is a read-only property ({ptype}).")
        if isinstance(value, dict) and ptype in value:
            if value.get("type", ptype) != ptype:
                raise fail(f"{path}.{key}.type", f"`{ptype}`", value.get("type"))
            value = value[ptype]
        elif isinstance(value, dict) and ptype not in ("select", "status", "date"):
            raise fail(f"{path}.{key}.{ptype}", "defined", None)
        out[name] = _value(ptype, prop, value, f"{path}.{key}.{ptype}", title_of)
    return out


def _value(
    ptype: str,
    prop: dict[str, Any],
    value: Any,
    path: str,
    title_of: Callable[[str], str] | None,
) -> Any:
    if ptype in ("title", "rich_text"):
        return normalize_rich_text(value, path, title_of)
    if ptype == "number":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise fail(path, "a number or `null`", value)
        return value
    if ptype == "checkbox":
        if not isinstance(value, bool):
            raise fail(path, "a boolean", value)
        return value
    if ptype in ("url", "email", "phone_number"):
        if value is not None and not isinstance(value, str):
            raise fail(path, "a string or `null`", value)
        limit = MAX_URL_CHARS if ptype == "url" else MAX_CONTACT_CHARS
        if value is not None and len(value) > limit:
            raise _length(f"{path}.length", limit, len(value))
        return value
    if ptype == "date":
        return normalize_date(value, path)
    if ptype in ("select", "status"):
        if value is None:
            return None
        return _option(prop, ptype, value, path, create=ptype == "select")
    if ptype == "multi_select":
        if not isinstance(value, list):
            raise fail(path, "an array", value)
        if len(value) > MAX_ARRAY_ITEMS:
            raise _length(f"{path}.length", MAX_ARRAY_ITEMS, len(value))
        return [_option(prop, ptype, v, f"{path}[{i}]", create=True) for i, v in enumerate(value)]
    if ptype in ("relation", "people"):
        if not isinstance(value, list):
            raise fail(path, "an array", value)
        if len(value) > MAX_ARRAY_ITEMS:
            raise _length(f"{path}.length", MAX_ARRAY_ITEMS, len(value))
        ids = []
        for i, item in enumerate(value):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise fail(f"{path}[{i}].id", "a string", item)
            ids.append(
                {"id": item["id"]} if ptype == "relation" else {"object": "user", "id": item["id"]}
            )
        return ids
    if ptype == "files":
        if not isinstance(value, list):
            raise fail(path, "an array", value)
        return value
    raise NotionValidationError(f"Unsupported property type {ptype}")


def _option(
    prop: dict[str, Any], ptype: str, value: Any, path: str, *, create: bool
) -> dict[str, Any]:
    if not isinstance(value, dict) or not (isinstance(value.get("name"), str) or "id" in value):
        raise fail(path, "an object with a name or an id", value)
    options: list[dict[str, Any]] = prop[ptype]["options"]
    for opt in options:
        if opt["name"] == value.get("name") or opt["id"] == value.get("id"):
            return dict(opt)
    if not create or "name" not in value:
        raise NotionValidationError(
            f"Invalid {ptype} option {value.get('name') or value.get('id')!r}."
        )
    if "," in value["name"]:
        raise NotionValidationError(f"Select option names cannot contain commas: {value['name']}")
    opt = {
        "id": _short_id(),
        "name": value["name"],
        "color": _OPTION_COLORS[len(options) % len(_OPTION_COLORS)],
    }
    options.append(opt)
    return dict(opt)


def render_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A data source's properties in response form: each property and each select, status
    and multi-select option carries ``description`` (null unless set), as Notion answers."""
    out: dict[str, Any] = {}
    for name, prop in schema.items():
        rendered = {"description": None, **prop}
        config = prop.get(prop.get("type", ""))
        if isinstance(config, dict) and isinstance(config.get("options"), list):
            rendered[prop["type"]] = {
                **config,
                "options": [{"description": None, **opt} for opt in config["options"]],
            }
        out[name] = rendered
    return out


def render_value(prop: dict[str, Any], value: Any) -> dict[str, Any]:
    """A page property in response form: ``{"id", "type", <type>: value}``."""
    return {"id": prop["id"], "type": prop["type"], prop["type"]: value}


def plain_text(rich: list[dict[str, Any]]) -> str:
    """Concatenate the plain text of a rich text array."""
    return "".join(item.get("plain_text", "") for item in rich)


# ------------------------------------------------------------------ filters and sorts
def parse_time(value: str) -> datetime:
    """Parse an ISO date or date-time (``Z`` allowed); dates become midnight UTC."""
    text = value.replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise NotionValidationError(f"Invalid date: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


Row = dict[str, Any]  # {"values": {name: value}, "created_time": iso, "last_edited_time": iso}


def matches(row: Row, flt: Any, schema: dict[str, Any], path: str = "body.filter") -> bool:
    """Evaluate a Notion query filter against one row."""
    if not isinstance(flt, dict):
        raise fail(path, "an object", flt)
    if "and" in flt:
        return all(matches(row, f, schema, f"{path}.and[{i}]") for i, f in enumerate(flt["and"]))
    if "or" in flt:
        return any(matches(row, f, schema, f"{path}.or[{i}]") for i, f in enumerate(flt["or"]))
    if "timestamp" in flt:
        ts = flt["timestamp"]
        if ts not in ("created_time", "last_edited_time"):
            raise fail(f"{path}.timestamp", "`created_time` or `last_edited_time`", ts)
        cond = flt.get(ts)
        return _date_match(row[ts], cond, f"{path}.{ts}")
    key = flt.get("property")
    if not isinstance(key, str):
        raise fail(f"{path}.property", "a string", key)
    name = find_property_name(schema, key)
    if name is None:
        raise NotionValidationError(f"Could not find property with name or id: {key}")
    prop = schema[name]
    ptype = prop["type"]
    if ptype in ("created_time", "last_edited_time"):
        value: Any = row[ptype]
    else:
        value = row["values"].get(name, empty_value(prop))
    kinds = [k for k in flt if k != "property"]
    if len(kinds) != 1:
        raise fail(path, "a filter with exactly one condition type", flt)
    kind = kinds[0]
    cond = flt[kind]
    if not isinstance(cond, dict) or len(cond) != 1:
        raise fail(f"{path}.{kind}", "an object with one condition", cond)
    op, arg = next(iter(cond.items()))
    if kind in ("title", "rich_text", "url", "email", "phone_number"):
        text = plain_text(value) if isinstance(value, list) else (value or "")
        return _text_match(text, op, arg, f"{path}.{kind}")
    if kind in ("select", "status"):
        current = value["name"] if value else None
        return _equality(current, op, arg, f"{path}.{kind}")
    if kind in ("multi_select", "relation", "people"):
        field = "name" if kind == "multi_select" else "id"
        members = [v[field] for v in value]
        if op == "contains":
            return arg in members
        if op == "does_not_contain":
            return arg not in members
        if op == "is_empty":
            return not members
        if op == "is_not_empty":
            return bool(members)
        raise fail(f"{path}.{kind}.{op}", "a supported condition", arg)
    if kind == "checkbox":
        return _equality(value, op, arg, f"{path}.checkbox")
    if kind == "number":
        return _number_match(value, op, arg, f"{path}.number")
    if kind in ("date", "created_time", "last_edited_time"):
        start = value["start"] if isinstance(value, dict) else value
        return _date_match(start, cond, f"{path}.{kind}")
    raise fail(f"{path}.{kind}", "a supported filter type", cond)


def _text_match(text: str, op: str, arg: Any, path: str) -> bool:
    if op in ("is_empty", "is_not_empty"):
        return (text == "") == (op == "is_empty")
    if not isinstance(arg, str):
        raise fail(f"{path}.{op}", "a string", arg)
    ops: dict[str, Callable[[], bool]] = {
        "equals": lambda: text == arg,
        "does_not_equal": lambda: text != arg,
        "contains": lambda: arg.lower() in text.lower(),
        "does_not_contain": lambda: arg.lower() not in text.lower(),
        "starts_with": lambda: text.lower().startswith(arg.lower()),
        "ends_with": lambda: text.lower().endswith(arg.lower()),
    }
    if op not in ops:
        raise fail(f"{path}.{op}", "a supported condition", arg)
    return ops[op]()


def _equality(current: Any, op: str, arg: Any, path: str) -> bool:
    if op == "equals":
        return bool(current == arg)
    if op == "does_not_equal":
        return bool(current != arg)
    if op == "is_empty":
        return current is None
    if op == "is_not_empty":
        return current is not None
    raise fail(f"{path}.{op}", "a supported condition", arg)


def _number_match(value: Any, op: str, arg: Any, path: str) -> bool:
    if op in ("is_empty", "is_not_empty"):
        return (value is None) == (op == "is_empty")
    if value is None:
        return op == "does_not_equal"
    ops: dict[str, Callable[[], bool]] = {
        "equals": lambda: value == arg,
        "does_not_equal": lambda: value != arg,
        "greater_than": lambda: value > arg,
        "less_than": lambda: value < arg,
        "greater_than_or_equal_to": lambda: value >= arg,
        "less_than_or_equal_to": lambda: value <= arg,
    }
    if op not in ops:
        raise fail(f"{path}.{op}", "a supported condition", arg)
    return ops[op]()


def _date_match(value: str | None, cond: Any, path: str) -> bool:
    if not isinstance(cond, dict) or len(cond) != 1:
        raise fail(path, "an object with one condition", cond)
    op, arg = next(iter(cond.items()))
    if op in ("is_empty", "is_not_empty"):
        return (value is None) == (op == "is_empty")
    if value is None:
        return False
    if not isinstance(arg, str):
        raise fail(f"{path}.{op}", "an ISO 8601 date string", arg)
    left, right = parse_time(value), parse_time(arg)
    ops = {
        "equals": left == right,
        "before": left < right,
        "after": left > right,
        "on_or_before": left <= right,
        "on_or_after": left >= right,
    }
    if op not in ops:
        raise fail(f"{path}.{op}", "a supported condition", arg)
    return ops[op]


def sort_key(row: Row, sort: dict[str, Any], schema: dict[str, Any]) -> tuple[int, Any]:
    """Key for one sort criterion (empty values sort last)."""
    if "timestamp" in sort:
        return (0, row[sort["timestamp"]])
    name = find_property_name(schema, str(sort.get("property")))
    if name is None:
        raise NotionValidationError(
            f"Could not find sort property with name or id: {sort.get('property')}"
        )
    prop = schema[name]
    value = row["values"].get(name, empty_value(prop))
    if prop["type"] in ("title", "rich_text"):
        value = plain_text(value)
    elif prop["type"] in ("select", "status"):
        value = value["name"] if value else None
    elif prop["type"] == "date":
        value = value["start"] if value else None
    elif prop["type"] in ("multi_select", "relation", "people"):
        value = ",".join(str(v.get("name") or v.get("id")) for v in value)
    if value is None or value == "":
        return (1, "")
    return (0, value)
