"""Validation and normalisation of what clients send to the Notion stand-in.

Pure functions: they take request JSON and return the stored form, or raise
:class:`NotionValidationError` whose message mimics Notion's
``body failed validation: <path> should be ..., instead was ...`` wording.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MAX_RICH_TEXT_CHARS = 2000
MAX_RICH_TEXT_ITEMS = 100
MAX_BLOCKS_PER_ARRAY = 100
MAX_NESTING = 2  # levels of nesting below the top-level blocks of one request
MAX_URL_CHARS = 2000
MAX_EQUATION_CHARS = 1000

COLORS = frozenset(
    {"default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red"}
    | {
        f"{c}_background"
        for c in (
            "default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink",
            "red",
        )
    }
)
"""Notion's API colours; ``default_background`` is in the SDK's ``ApiColor`` type too."""
ANNOTATION_FLAGS = ("bold", "italic", "strikethrough", "underline", "code")

CODE_LANGUAGES = frozenset(
    """abap abc agda arduino ascii\u00a0art assembly bash basic bnf c c# c++ clojure coffeescript
    coq css dart dhall diff docker ebnf elixir elm erlang f# flow fortran gherkin glsl go graphql
    groovy haskell hcl html idris java javascript json julia kotlin latex less lisp livescript
    llvm\u00a0ir lua makefile markdown markup matlab mathematica mermaid nix notion\u00a0formula
    objective-c ocaml pascal perl php plain\u00a0text powershell prolog protobuf purescript python
    r racket reason ruby rust sass scala scheme scss shell smalltalk solidity sql swift toml
    typescript vb.net verilog vhdl visual\u00a0basic webassembly xml yaml java/c/c++/c#""".replace(
        "\n", " "
    ).split(" ")  # not split(): that also splits on the no-break spaces inside names
) - {""}
CODE_LANGUAGES = frozenset(lang.replace("\u00a0", " ") for lang in CODE_LANGUAGES)

_TEXT_BLOCK_KEYS = {"rich_text", "color", "children"}
# allowed keys inside each creatable block type's object
BLOCK_KEYS: dict[str, set[str]] = {
    "paragraph": _TEXT_BLOCK_KEYS,
    "heading_1": _TEXT_BLOCK_KEYS | {"is_toggleable"},
    "heading_2": _TEXT_BLOCK_KEYS | {"is_toggleable"},
    "heading_3": _TEXT_BLOCK_KEYS | {"is_toggleable"},
    "bulleted_list_item": _TEXT_BLOCK_KEYS,
    "numbered_list_item": _TEXT_BLOCK_KEYS,
    "quote": _TEXT_BLOCK_KEYS,
    "toggle": _TEXT_BLOCK_KEYS,
    "to_do": _TEXT_BLOCK_KEYS | {"checked"},
    "callout": _TEXT_BLOCK_KEYS | {"icon"},
    "code": {"rich_text", "language", "caption"},
    "equation": {"expression"},
    "divider": set(),
    "breadcrumb": set(),
    "table_of_contents": {"color"},
    "table": {"table_width", "has_column_header", "has_row_header", "children"},
    "table_row": {"cells"},
    "column_list": {"children"},
    "column": {"children", "width_ratio"},
    "image": {"type", "external", "file_upload", "caption"},
    "video": {"type", "external", "file_upload", "caption"},
    "pdf": {"type", "external", "file_upload", "caption"},
    "file": {"type", "external", "file_upload", "caption", "name"},
    "audio": {"type", "external", "file_upload", "caption"},
    "bookmark": {"url", "caption"},
    "embed": {"url", "caption"},
    "link_to_page": {"type", "page_id", "database_id"},
    "synced_block": {"synced_from", "children"},
}
READ_ONLY_BLOCK_TYPES = frozenset({"child_page", "child_database", "unsupported"})
CAN_HAVE_CHILDREN = frozenset(
    {
        "paragraph",
        "bulleted_list_item",
        "numbered_list_item",
        "quote",
        "toggle",
        "to_do",
        "callout",
        "table",
        "column_list",
        "column",
        "synced_block",
        "heading_1",
        "heading_2",
        "heading_3",
    }
)


class NotionValidationError(Exception):
    """A request that Notion would answer with 400 ``validation_error``."""


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def fail(path: str, expectation: str, value: Any) -> NotionValidationError:
    """Build an error in Notion's wording."""
    return NotionValidationError(
        f"body failed validation: {path} should be {expectation}, instead was `{_show(value)}`."
    )


def _require_dict(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(path, "an object", value)
    return value


# ------------------------------------------------------------------ rich text
def normalize_annotations(raw: Any, path: str) -> dict[str, Any]:
    """Complete an ``annotations`` object with Notion's defaults."""
    out: dict[str, Any] = {flag: False for flag in ANNOTATION_FLAGS}
    out["color"] = "default"
    if raw is None:
        return out
    raw = _require_dict(raw, path)
    for key, value in raw.items():
        if key in ANNOTATION_FLAGS:
            if not isinstance(value, bool):
                raise fail(f"{path}.{key}", "a boolean", value)
            out[key] = value
        elif key == "color":
            if value not in COLORS:
                raise fail(f"{path}.color", "a valid color", value)
            out["color"] = value
        else:
            raise fail(f"{path}.{key}", "not present", value)
    return out


def normalize_rich_text(
    items: Any, path: str, title_of: Callable[[str], str] | None = None
) -> list[dict[str, Any]]:
    """Validate a rich text array and return it in the full response form."""
    if not isinstance(items, list):
        raise fail(path, "an array", items)
    if len(items) > MAX_RICH_TEXT_ITEMS:
        raise _length(f"{path}.length", MAX_RICH_TEXT_ITEMS, len(items))
    out = []
    for i, item in enumerate(items):
        out.append(_rich_text_item(item, f"{path}[{i}]", title_of))
    return out


def _rich_text_item(item: Any, path: str, title_of: Callable[[str], str] | None) -> dict[str, Any]:
    item = _require_dict(item, path)
    kind = item.get("type") or next((k for k in ("text", "mention", "equation") if k in item), None)
    annotations = normalize_annotations(item.get("annotations"), f"{path}.annotations")
    if kind == "text":
        text = _require_dict(item.get("text"), f"{path}.text")
        content = text.get("content")
        if not isinstance(content, str):
            raise fail(f"{path}.text.content", "a string", content)
        if len(content) > MAX_RICH_TEXT_CHARS:
            raise _length(f"{path}.text.content.length", MAX_RICH_TEXT_CHARS, len(content))
        link = text.get("link")
        if link is not None:
            link = _require_dict(link, f"{path}.text.link")
            url = link.get("url")
            if not isinstance(url, str) or not url:
                raise fail(f"{path}.text.link.url", "a string", url)
            if len(url) > MAX_URL_CHARS:
                raise _length(f"{path}.text.link.url.length", MAX_URL_CHARS, len(url))
            link = {"url": url}
        return {
            "type": "text",
            "text": {"content": content, "link": link},
            "annotations": annotations,
            "plain_text": content,
            "href": link["url"] if link else None,
        }
    if kind == "equation":
        eq = _require_dict(item.get("equation"), f"{path}.equation")
        expression = eq.get("expression")
        if not isinstance(expression, str):
            raise fail(f"{path}.equation.expression", "a string", expression)
        if len(expression) > MAX_EQUATION_CHARS:
            raise _length(f"{path}.equation.expression.length", MAX_EQUATION_CHARS, len(expression))
        return {
            "type": "equation",
            "equation": {"expression": expression},
            "annotations": annotations,
            "plain_text": expression,
            "href": None,
        }
    if kind == "mention":
        mention = _require_dict(item.get("mention"), f"{path}.mention")
        mtype = mention.get("type") or next(
            (k for k in ("page", "database", "date", "user", "link_preview") if k in mention), None
        )
        if mtype in ("page", "database"):
            target = _require_dict(mention.get(mtype), f"{path}.mention.{mtype}")
            target_id = target.get("id")
            if not isinstance(target_id, str):
                raise fail(f"{path}.mention.{mtype}.id", "a string", target_id)
            plain = title_of(target_id) if title_of else "Untitled"
            href = f"https://www.notion.so/{target_id.replace('-', '')}"
            return {
                "type": "mention",
                "mention": {"type": mtype, mtype: {"id": target_id}},
                "annotations": annotations,
                "plain_text": plain,
                "href": href,
            }
        if mtype == "date":
            date = normalize_date(mention.get("date"), f"{path}.mention.date")
            return {
                "type": "mention",
                "mention": {"type": "date", "date": date},
                "annotations": annotations,
                "plain_text": date["start"] if date else "",
                "href": None,
            }
        if mtype == "user":
            user = _require_dict(mention.get("user"), f"{path}.mention.user")
            return {
                "type": "mention",
                "mention": {"type": "user", "user": {"object": "user", "id": user.get("id")}},
                "annotations": annotations,
                "plain_text": "@Anonymous",
                "href": None,
            }
        if mtype == "link_preview":
            preview = _require_dict(mention.get("link_preview"), f"{path}.mention.link_preview")
            return {
                "type": "mention",
                "mention": {"type": "link_preview", "link_preview": {"url": preview.get("url")}},
                "annotations": annotations,
                "plain_text": str(preview.get("url")),
                "href": preview.get("url"),
            }
        raise fail(
            f"{path}.mention", "a page, database, date, user or link_preview mention", mention
        )
    raise fail(f"{path}.type", '`"text"`, `"mention"` or `"equation"`', kind)


def count_block_elements(children: Any) -> int:
    """Blocks in a request's ``children`` array, nested children included (the 1,000
    block elements Notion takes per request)."""
    if not isinstance(children, list):
        return 0
    total = 0
    for block in children:
        total += 1
        if isinstance(block, dict):
            for value in block.values():
                if isinstance(value, dict):
                    total += count_block_elements(value.get("children"))
    return total


def _length(path: str, limit: int, actual: int) -> NotionValidationError:
    return NotionValidationError(
        f"body failed validation: {path} should be ≤ `{limit}`, instead was `{actual}`."
    )


def normalize_date(raw: Any, path: str) -> dict[str, Any] | None:
    """Validate a date value ``{"start": ..., "end": ..., "time_zone": ...}`` (or null)."""
    if raw is None:
        return None
    raw = _require_dict(raw, path)
    start = raw.get("start")
    if not isinstance(start, str) or len(start) < 10:
        raise fail(f"{path}.start", "an ISO 8601 date string", start)
    end = raw.get("end")
    if end is not None and not isinstance(end, str):
        raise fail(f"{path}.end", "an ISO 8601 date string or null", end)
    return {"start": start, "end": end, "time_zone": raw.get("time_zone")}


# ------------------------------------------------------------------ blocks
class BlockSpec:
    """A validated block from a request: its type, type object and nested children."""

    __slots__ = ("btype", "children", "data")

    def __init__(self, btype: str, data: dict[str, Any], children: list[BlockSpec]) -> None:
        self.btype = btype
        self.data = data
        self.children = children


def normalize_children(
    raw: Any, path: str, depth: int = 0, title_of: Callable[[str], str] | None = None
) -> list[BlockSpec]:
    """Validate a ``children`` array (Notion's limits: ≤100 items, ≤2 levels of nesting)."""
    if not isinstance(raw, list):
        raise fail(path, "an array", raw)
    if len(raw) > MAX_BLOCKS_PER_ARRAY:
        raise _length(f"{path}.length", MAX_BLOCKS_PER_ARRAY, len(raw))
    return [normalize_block(b, f"{path}[{i}]", depth, title_of) for i, b in enumerate(raw)]


def normalize_block(
    raw: Any, path: str, depth: int = 0, title_of: Callable[[str], str] | None = None
) -> BlockSpec:
    """Validate one block of a request; ``depth`` is 0 for the request's top-level blocks."""
    raw = _require_dict(raw, path)
    btype = raw.get("type")
    if btype is None:
        candidates = [k for k in raw if k in BLOCK_KEYS or k in READ_ONLY_BLOCK_TYPES]
        btype = candidates[0] if len(candidates) == 1 else None
    if btype in READ_ONLY_BLOCK_TYPES:
        raise fail(f"{path}.type", "a block type that can be created", btype)
    if btype not in BLOCK_KEYS:
        raise fail(f"{path}.type", "a known block type", btype)
    for key in raw:
        if key not in ("type", "object", btype):
            raise fail(f"{path}.{key}", "not present", raw[key])
    data = _require_dict(raw.get(btype, {}), f"{path}.{btype}")
    return _block_spec(btype, data, f"{path}.{btype}", depth, title_of)


def _block_spec(
    btype: str,
    data: dict[str, Any],
    path: str,
    depth: int,
    title_of: Callable[[str], str] | None,
) -> BlockSpec:
    allowed = BLOCK_KEYS[btype]
    for key in data:
        if key not in allowed:
            raise fail(f"{path}.{key}", "not present", data[key])
    out: dict[str, Any] = {}
    if "rich_text" in allowed:
        out["rich_text"] = normalize_rich_text(
            data.get("rich_text", []), f"{path}.rich_text", title_of
        )
    if "color" in allowed:
        color = data.get("color", "default")
        if color not in COLORS:
            raise fail(f"{path}.color", "a valid color", color)
        out["color"] = color
    if btype.startswith("heading_"):
        out["is_toggleable"] = bool(data.get("is_toggleable", False))
    if btype == "to_do":
        out["checked"] = bool(data.get("checked", False))
    if btype == "callout":
        out["icon"] = data.get("icon")
    if btype == "code":
        language = data.get("language", "plain text")
        if language not in CODE_LANGUAGES:
            raise fail(f"{path}.language", "a supported language", language)
        out["language"] = language
        out["caption"] = normalize_rich_text(data.get("caption", []), f"{path}.caption", title_of)
    if btype == "equation":
        expression = data.get("expression")
        if not isinstance(expression, str):
            raise fail(f"{path}.expression", "a string", expression)
        if len(expression) > MAX_EQUATION_CHARS:
            raise _length(f"{path}.expression.length", MAX_EQUATION_CHARS, len(expression))
        out["expression"] = expression
    if btype == "table":
        width = data.get("table_width")
        if not isinstance(width, int) or width < 1:
            raise fail(f"{path}.table_width", "a positive integer", width)
        out["table_width"] = width
        out["has_column_header"] = bool(data.get("has_column_header", False))
        out["has_row_header"] = bool(data.get("has_row_header", False))
    if btype == "table_row":
        cells = data.get("cells")
        if not isinstance(cells, list):
            raise fail(f"{path}.cells", "an array", cells)
        out["cells"] = [
            normalize_rich_text(cell, f"{path}.cells[{i}]", title_of)
            for i, cell in enumerate(cells)
        ]
    if btype in ("image", "video", "pdf", "file", "audio") and data.get("type") == "file_upload":
        upload = data.get("file_upload")
        if not isinstance(upload, dict) or not isinstance(upload.get("id"), str):
            raise fail(f"{path}.file_upload.id", "a string", upload)
        out["type"] = "file_upload"
        out["file_upload"] = {"id": upload["id"]}
        out["caption"] = normalize_rich_text(data.get("caption", []), f"{path}.caption", title_of)
        if btype == "file" and isinstance(data.get("name"), str):
            out["name"] = data["name"]
    elif btype in ("image", "video", "pdf", "file", "audio"):
        external = data.get("external")
        if not isinstance(external, dict) or not isinstance(external.get("url"), str):
            raise fail(f"{path}.external.url", "a string", external)
        if len(external["url"]) > MAX_URL_CHARS:
            raise _length(f"{path}.external.url.length", MAX_URL_CHARS, len(external["url"]))
        out["type"] = "external"
        out["external"] = {"url": external["url"]}
        out["caption"] = normalize_rich_text(data.get("caption", []), f"{path}.caption", title_of)
        if btype == "file":
            out["name"] = data.get("name", external["url"].rsplit("/", 1)[-1])
    if btype in ("bookmark", "embed"):
        url = data.get("url")
        if not isinstance(url, str):
            raise fail(f"{path}.url", "a string", url)
        out["url"] = url
        out["caption"] = normalize_rich_text(data.get("caption", []), f"{path}.caption", title_of)
    if btype == "link_to_page":
        ltype = data.get("type") or ("page_id" if "page_id" in data else "database_id")
        target = data.get(ltype)
        if ltype not in ("page_id", "database_id") or not isinstance(target, str):
            raise fail(f"{path}.{ltype}", "a string", target)
        out["type"] = ltype
        out[ltype] = target
    if btype == "synced_block":
        out["synced_from"] = data.get("synced_from")
    if btype == "column":
        out["width_ratio"] = data.get("width_ratio")
    children: list[BlockSpec] = []
    if "children" in data:
        if depth >= MAX_NESTING:
            raise fail(f"{path}.children", "not present", data["children"])
        children = normalize_children(data["children"], f"{path}.children", depth + 1, title_of)
    if btype == "table":
        if not children or any(c.btype != "table_row" for c in children):
            raise fail(f"{path}.children", "an array of table_row blocks", data.get("children"))
        for i, row in enumerate(children):
            if len(row.data["cells"]) != out["table_width"]:
                raise NotionValidationError(
                    f"Number of cells in table row {i} must match the table width of the parent."
                )
    if btype == "column_list" and (len(children) < 2 or any(c.btype != "column" for c in children)):
        raise fail(f"{path}.children", "an array of at least 2 column blocks", data.get("children"))
    return BlockSpec(btype, out, children)


def update_block_data(
    btype: str,
    current: dict[str, Any],
    patch: Any,
    path: str,
    title_of: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Apply a block update (the type object of ``PATCH /v1/blocks/{id}``) to stored data."""
    patch = _require_dict(patch, path)
    if "children" in patch:
        raise fail(f"{path}.children", "not present", patch["children"])
    merged = {k: v for k, v in current.items()}
    merged.update(patch)
    if btype == "table":
        merged["table_width"] = current["table_width"]  # width cannot change via update
    spec = _block_spec(btype, _strip_for_respec(btype, merged), path, 0, title_of)
    return spec.data


def _strip_for_respec(btype: str, data: dict[str, Any]) -> dict[str, Any]:
    """Turn stored (response-form) data back into request form for re-validation."""
    allowed = BLOCK_KEYS[btype]
    return {k: v for k, v in data.items() if k in allowed}
