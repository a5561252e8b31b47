"""Request-shaped Notion blocks -> the blocks the API answers with (test helper).

The request is validated by the stand-in's request schema (so what we send is what Notion
accepts) and comes back as the API returns it: ids, ``has_children``, full annotations,
``plain_text``/``href`` on every rich-text item, children attached as ``block[type]``.
"""

from __future__ import annotations

import itertools
from typing import Any

from prodops_sync.formats.notion.blocks import for_request
from prodops_sync.standins.notion_schema import BlockSpec, normalize_children

_ids = itertools.count(1)


def _new_id() -> str:
    n = next(_ids)
    return f"{n:08x}-0000-4000-8000-{n:012x}"


def _api(spec: BlockSpec) -> dict[str, Any]:
    children = [_api(c) for c in spec.children]
    body = dict(spec.data)
    if children:
        body["children"] = children
    return {"object": "block", "id": _new_id(), "type": spec.btype,
            "created_time": "2025-06-01T10:00:00.000Z", "has_children": bool(children),
            "in_trash": False, spec.btype: body}


def as_api(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a page holds after appending ``blocks`` (request shape), as the API reads it
    (nesting is not limited here: the request planner splits deep trees into steps)."""
    out: list[dict[str, Any]] = []
    request = for_request(blocks)
    for start in range(0, len(request), 100):
        out.extend(_api(s) for s in normalize_children(request[start:start + 100], "children", -99,
                                                        title_of=lambda _id: "Untitled"))
    return out
