"""The Notion stand-in: the parts of Notion's REST API (version 2025-09-03) a sync tool uses.

State lives in plain dicts (pages, blocks, databases, data sources, ordered children lists)
so it persists as JSON. Child pages and child databases appear in their parent's children
list as ``child_page`` / ``child_database`` blocks with the same id, as in Notion.
"""

from __future__ import annotations

import copy
import json
import math
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request

from prodops_sync.standins.clock import Clock
from prodops_sync.standins.notion_files import MAX_SINGLE_PART_BYTES, MEDIA_TYPES, NotionFiles
from prodops_sync.standins.notion_props import (
    empty_value,
    find_property_name,
    matches,
    normalize_schema,
    normalize_values,
    plain_text,
    render_schema,
    render_value,
    sort_key,
)
from prodops_sync.standins.notion_schema import (
    CAN_HAVE_CHILDREN,
    MAX_BLOCKS_PER_ARRAY,
    BlockSpec,
    NotionValidationError,
    count_block_elements,
    normalize_children,
    normalize_rich_text,
    update_block_data,
)
from prodops_sync.standins.notion_view import NotionView
from prodops_sync.standins.server import ApiError, Reply, Route, StandinServer

API_VERSION = "2025-09-03"
VERSION_2026 = "2026-03-11"
KNOWN_VERSIONS = frozenset({API_VERSION, VERSION_2026})
"""Notion-Version values this stand-in serves. Notion refuses an unknown version with a 400;
the stand-in also refuses versions it does not emulate (their shapes differ: databases
without data sources before 2025-09-03), rather than answering in the wrong shape.
2026-03-11 differs from 2025-09-03 in three ways (Notion's upgrade guide): no ``archived``
field in requests or answers (``in_trash`` only), ``position`` instead of ``after`` on append,
and the ``transcription`` block type is called ``meeting_notes``."""
REMOVED_IN_2026 = ("archived", "after")
DEVELOPER_SURVEY = "https://notionup.typeform.com/to/bllBsoI4?utm_source=postman"
MAX_REQUEST_BYTES = 500_000
MAX_BLOCK_ELEMENTS = 1000
"""Notion's payload limits: 1,000 block elements and 500KB per request ("Request limits")."""
PAGE_SCHEMA: dict[str, Any] = {
    "title": {"id": "title", "name": "title", "type": "title", "title": {}}
}
ARCHIVED_MESSAGE = "Can't edit block that is archived. You must unarchive the block before editing."


def notion_error(status: int, code: str, message: str) -> ApiError:
    """An error in Notion's body shape."""
    return ApiError(
        status,
        {
            "object": "error",
            "status": status,
            "code": code,
            "message": message,
            "request_id": str(uuid.uuid4()),
        },
    )


def _shape_2026(value: Any) -> Any:
    """An answer as version 2026-03-11 shapes it: no ``archived``, ``meeting_notes`` blocks."""
    if isinstance(value, list):
        return [_shape_2026(v) for v in value]
    if not isinstance(value, dict):
        return value
    # Only API objects lose the field: a property may be named "archived" by a person.
    out = {k: _shape_2026(v) for k, v in value.items() if k != "archived" or "object" not in value}
    if out.get("object") == "block" and out.get("type") == "transcription":
        out["type"] = "meeting_notes"
        out["meeting_notes"] = out.pop("transcription", {})
    return out


def validation_error(message: str) -> ApiError:
    """400 ``validation_error``."""
    return notion_error(400, "validation_error", message)


def iso_minute(epoch: float) -> str:
    """Notion's timestamp format, rounded down to the minute (``2025-01-01T10:31:00.000Z``)."""
    moment = datetime.fromtimestamp(math.floor(epoch / 60) * 60, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:00.000Z")


class NotionStandin(NotionFiles, NotionView, StandinServer):
    """A local Notion API. See docs/standins.md for what it implements.

    ``root_page_id`` is the one page shared with the integration at start (``search`` finds
    it); objects outside it answer 404 as unshared content does.
    """

    name = "notion"

    def __init__(
        self,
        *,
        root_page_id: str | None = None,
        root_title: str = "Playbook",
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: Any = None,
        token: str | None = None,
        rate: float | None = None,
        burst: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        try:
            self._requested_root = str(uuid.UUID(root_page_id)) if root_page_id else None
        except ValueError as exc:
            raise ValueError(
                f"--root-page {root_page_id!r} is not a Notion page id (a UUID)"
            ) from exc
        self._root_title = root_title
        self.versions_seen: set[str] = set()  # Notion-Version headers received, for tests
        self.state: dict[str, Any] = {}
        super().__init__(
            host=host,
            port=port,
            data_dir=data_dir,
            token=token,
            rate=rate,
            burst=burst,
            clock=clock,
        )
        from prodops_sync.standins.notion_wiki import NotionWikiUser

        self.wiki_user = NotionWikiUser(self)
        self._caller = threading.local()

    # ------------------------------------------------------------------ state
    def reset_state(self) -> None:
        """A fresh workspace with one shared root page."""
        self.state = {
            "bot_id": str(uuid.uuid4()),
            "user_id": str(uuid.uuid4()),
            "root_page_id": None,
            "pages": {},
            "blocks": {},
            "databases": {},
            "data_sources": {},
            "children": {},
            "file_uploads": {},
        }
        root = self._requested_root or str(uuid.uuid4())
        self.state["root_page_id"] = root
        self.insert_page(
            root,
            {"type": "workspace", "workspace": True},
            {"title": [text_item(self._root_title)]},
            by=self.state["user_id"],
        )

    def dump(self) -> dict[str, Any]:
        return self.state

    def load(self, state: dict[str, Any]) -> None:
        if self._requested_root and state.get("root_page_id") != self._requested_root:
            raise ValueError(
                f"the data directory holds root page {state.get('root_page_id')}, "
                f"not {self._requested_root}"
            )
        self.state = state

    @property
    def root_page_id(self) -> str:
        """The id of the page shared with the integration."""
        return str(self.state["root_page_id"])

    # ------------------------------------------------------------------ plumbing
    def routes(self) -> list[Route]:
        r = Route
        return [
            r("/", "GET", "view_index", False, public=True),
            r("/view/<vid>", "GET", "view_page", False, public=True),
            r("/v1/search", "POST", "search", False),
            r("/v1/users/me", "GET", "users_me", False),
            r("/v1/pages", "POST", "create_page", True),
            r("/v1/pages/<page_id>", "GET", "get_page", False),
            r("/v1/pages/<page_id>", "PATCH", "update_page", True),
            r("/v1/pages/<page_id>/properties/<prop_id>", "GET", "get_page_property", False),
            r("/v1/pages/<page_id>/move", "POST", "move_page", True),
            r("/v1/blocks/<block_id>", "GET", "get_block", False),
            r("/v1/blocks/<block_id>", "PATCH", "update_block", True),
            r("/v1/blocks/<block_id>", "DELETE", "delete_block", True),
            r("/v1/blocks/<block_id>/children", "GET", "list_children", False),
            r("/v1/blocks/<block_id>/children", "PATCH", "append_children", True),
            r("/v1/databases", "POST", "create_database", True),
            r("/v1/databases/<database_id>", "GET", "get_database", False),
            r("/v1/databases/<database_id>", "PATCH", "update_database", True),
            r("/v1/data_sources/<ds_id>", "GET", "get_data_source", False),
            r("/v1/data_sources/<ds_id>", "PATCH", "update_data_source", True),
            r("/v1/data_sources/<ds_id>/query", "POST", "query_data_source", False),
            r("/v1/file_uploads", "POST", "create_file_upload", True),
            r("/v1/file_uploads/<upload_id>", "GET", "get_file_upload", False),
            r("/v1/file_uploads/<upload_id>/send", "POST", "send_file_upload", True),
            r("/files/<upload_id>/<path:name>", "GET", "download_file", False),
        ]

    def authenticate(self, request: Request) -> None:
        if request.path.startswith("/files/"):
            return  # Notion-hosted files: signed URLs, no token (S3 in real Notion)
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        if not token or (self.token is not None and token != self.token):
            raise notion_error(401, "unauthorized", "API token is invalid.")
        # Each integration token is its own bot user, as in Notion: edits made through
        # another integration (or a script with another token) show a different
        # last_edited_by. With --token fixed there is one integration.
        self._caller.bot = (
            self.state["bot_id"]
            if self.token is not None
            else str(uuid.uuid5(uuid.NAMESPACE_URL, f"prodops-sync-standin:{token}"))
        )
        version = request.headers.get("Notion-Version")
        if not version:
            raise notion_error(
                400,
                "missing_version",
                "Notion-Version header failed validation: Notion-Version header should be "
                "defined, instead was `undefined`.",
            )
        if version not in KNOWN_VERSIONS:
            raise validation_error(
                f"Notion-Version header failed validation: Notion-Version header should be "
                f"one of `{', '.join(sorted(KNOWN_VERSIONS))}` (the versions this stand-in "
                f"serves), instead was `{version[:60]}`."
            )
        self.versions_seen.add(version)  # known ones only: the set stays bounded

    def not_found_error(self, request: Request) -> ApiError:
        return notion_error(400, "invalid_request_url", "Invalid request URL.")

    def rate_limited_error(self, retry_after: str) -> ApiError:
        err = notion_error(
            429, "rate_limited", "You have been rate limited. Please try again in a few minutes."
        )
        err.reply.headers["Retry-After"] = retry_after
        return err

    def server_error(self, status: int) -> ApiError:
        codes = {500: "internal_server_error", 502: "bad_gateway", 503: "service_unavailable"}
        return notion_error(
            status, codes.get(status, "internal_server_error"), "Unexpected error occurred."
        )

    def client_error(self, status: int, message: str) -> ApiError:
        return notion_error(status, "validation_error", message)

    def conflict_error(self) -> ApiError:
        # Notion's documented answer when a transaction collided: retry after re-reading.
        return notion_error(
            409, "conflict_error",
            "Transaction could not be completed, potentially due to a data collision. Make "
            "sure the parameters are up to date and try again.",
        )

    def adapt_reply(self, reply: Reply, request: Request) -> Reply:
        if not isinstance(reply.body, dict):
            return reply
        body = reply.body
        if request.headers.get("Notion-Version") == VERSION_2026:
            body = _shape_2026(body)
        # Every Notion answer carries a request id, and lists a survey link (clients log
        # the first; both are in the API reference's examples).
        body = {**body, "request_id": body.get("request_id") or str(uuid.uuid4())}
        if body.get("object") == "list":
            body.setdefault("developer_survey", DEVELOPER_SURVEY)
        return Reply(reply.status, body, reply.headers)

    def endless_page(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        results = body.get("results")
        if "has_more" not in body or not results or not isinstance(results[0], dict):
            return body
        # The cursor of this page's own first item: the same page, over and over.
        return {**body, "has_more": True, "next_cursor": results[0].get("id")}

    def _body(self, request: Request) -> dict[str, Any]:
        raw = request.get_data(cache=True)
        if len(raw) > MAX_REQUEST_BYTES:
            raise validation_error(
                f"body failed validation: the request body should be ≤ 500KB, instead was "
                f"`{len(raw) // 1000}KB`."
            )
        body = self.json_body(request, lambda m: notion_error(400, "invalid_json", m))
        if request.headers.get("Notion-Version") == VERSION_2026:
            for key in REMOVED_IN_2026:
                if key in body:
                    raise validation_error(
                        f"body failed validation: body.{key} should be not present, instead "
                        f"was `{json.dumps(body[key])[:60]}`."
                    )
        blocks = count_block_elements(body.get("children"))
        if blocks > MAX_BLOCK_ELEMENTS:
            raise validation_error(
                f"body failed validation: body.children should hold ≤ `{MAX_BLOCK_ELEMENTS}` "
                f"block elements in all, instead was `{blocks}`."
            )
        return body

    def _now(self) -> float:
        return self.clock.time()

    @staticmethod
    def _uuid(raw: str, label: str) -> str:
        try:
            return str(uuid.UUID(raw))
        except ValueError as exc:
            raise validation_error(
                f"path failed validation: path.{label} should be a valid uuid, "
                f'instead was `"{raw}"`.'
            ) from exc

    def _rich_text(self, raw: Any, path: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._validated(
            lambda: normalize_rich_text(raw, path, self.title_of)
        )
        return result

    def _matches(self, row: dict[str, Any], flt: Any, schema: dict[str, Any]) -> bool:
        return bool(self._validated(lambda: matches(row, flt, schema)))

    @staticmethod
    def _validated(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except NotionValidationError as exc:
            raise validation_error(str(exc)) from exc

    # ------------------------------------------------------------------ lookup
    def kind_of(self, obj_id: str) -> str | None:
        """``"page"``, ``"block"``, ``"database"``, ``"data_source"`` or None."""
        for kind in ("pages", "blocks", "databases", "data_sources"):
            if obj_id in self.state[kind]:
                return kind[:-1]
        return None

    def _parent_of(self, obj_id: str) -> str | None:
        kind = self.kind_of(obj_id)
        if kind == "page":
            parent = self.state["pages"][obj_id]["parent"]
        elif kind == "block":
            return str(self.state["blocks"][obj_id]["parent_id"])
        elif kind == "database":
            parent = self.state["databases"][obj_id]["parent"]
        elif kind == "data_source":
            return str(self.state["data_sources"][obj_id]["database_id"])
        else:
            return None
        ptype = parent["type"]
        return None if ptype == "workspace" else str(parent[ptype])

    def is_shared(self, obj_id: str) -> bool:
        """True when the object is the root page or lives under it."""
        seen = 0
        current: str | None = obj_id
        while current is not None and seen < 1000:
            if current == self.state["root_page_id"]:
                return True
            current = self._parent_of(current)
            seen += 1
        return False

    def _get(self, kind: str, obj_id: str, label: str) -> dict[str, Any]:
        obj_id = self._uuid(obj_id, label)
        table = self.state[kind + "s"]
        if obj_id not in table or not self.is_shared(obj_id):
            raise notion_error(
                404,
                "object_not_found",
                f"Could not find {kind.replace('_', ' ')} with ID: {obj_id}. Make sure the "
                "relevant pages and databases are shared with your integration.",
            )
        found: dict[str, Any] = table[obj_id]
        return found

    def containing_page(self, obj_id: str) -> str | None:
        """The page a block belongs to (the block itself if it is a page)."""
        current: str | None = obj_id
        while current is not None:
            if current in self.state["pages"]:
                return current
            current = self._parent_of(current)
        return None

    def title_of(self, obj_id: str) -> str:
        """Plain title of a page or database (for mentions and child_page blocks)."""
        obj_id = str(obj_id)
        try:
            obj_id = str(uuid.UUID(obj_id))
        except ValueError:
            return "Untitled"
        page = self.state["pages"].get(obj_id)
        if page is not None:
            schema = self.page_schema(page)
            for name, prop in schema.items():
                if prop["type"] == "title":
                    return plain_text(page["values"].get(name, [])) or "Untitled"
        db = self.state["databases"].get(obj_id)
        if db is not None:
            return plain_text(db["title"]) or "Untitled"
        return "Untitled"

    def page_schema(self, page: dict[str, Any]) -> dict[str, Any]:
        """The property schema a page's values follow."""
        ds_id = page["parent"].get("data_source_id")
        if ds_id:
            schema: dict[str, Any] = self.state["data_sources"][ds_id]["properties"]
            return schema
        return PAGE_SCHEMA

    def touch(self, obj_id: str, by: str | None = None) -> None:
        """Bump the edit time of an object and of the page that contains it."""
        now = self._now()
        for kind in ("pages", "blocks", "databases", "data_sources"):
            if obj_id in self.state[kind]:
                self.state[kind][obj_id]["edited"] = now
                self.state[kind][obj_id]["edited_by"] = by or self.current_bot()
        page_id = self.containing_page(obj_id)
        if page_id and page_id != obj_id:
            self.state["pages"][page_id]["edited"] = now
            self.state["pages"][page_id]["edited_by"] = by or self.current_bot()

    def current_bot(self) -> str:
        """The bot user of the integration making the current request."""
        return str(getattr(self._caller, "bot", None) or self.state["bot_id"])

    # ------------------------------------------------------------------ rendering
    def _user(self, user_id: str | None) -> dict[str, Any]:
        return {"object": "user", "id": user_id or self.state["bot_id"]}

    def render_page(self, page: dict[str, Any]) -> dict[str, Any]:
        """A page object as Notion returns it."""
        schema = self.page_schema(page)
        props: dict[str, Any] = {}
        for name, prop in schema.items():
            if prop["type"] == "created_time":
                value: Any = iso_minute(page["created"])
            elif prop["type"] == "last_edited_time":
                value = iso_minute(page["edited"])
            else:
                value = page["values"].get(name, empty_value(prop))
            props[name] = render_value(prop, value)
        slug = "-".join(self.title_of(page["id"]).split()[:6])
        return {
            "object": "page",
            "id": page["id"],
            "created_time": iso_minute(page["created"]),
            "last_edited_time": iso_minute(page["edited"]),
            "created_by": self._user(page.get("created_by")),
            "last_edited_by": self._user(page.get("edited_by")),
            "cover": page.get("cover"),
            "icon": page.get("icon"),
            "parent": page["parent"],
            "archived": page["in_trash"],
            "in_trash": page["in_trash"],
            "is_locked": False,
            "properties": props,
            "url": f"https://www.notion.so/{slug}-{page['id'].replace('-', '')}",
            "public_url": None,
        }

    def _visible_children(self, parent_id: str) -> list[str]:
        out = []
        for child in self.state["children"].get(parent_id, []):
            kind = self.kind_of(child)
            table = self.state[f"{kind}s"] if kind else {}
            if kind and not table[child]["in_trash"]:
                out.append(child)
        return out

    def render_block(self, block_id: str) -> dict[str, Any]:
        """A block object; pages and databases render as child_page / child_database."""
        kind = self.kind_of(block_id)
        if kind == "block":
            block = self.state["blocks"][block_id]
            btype, data = block["type"], block["data"]
        elif kind == "page":
            block = self.state["pages"][block_id]
            btype, data = "child_page", {"title": self.title_of(block_id)}
        else:
            block = self.state["databases"][block_id]
            btype, data = "child_database", {"title": self.title_of(block_id)}
        parent_id = self._parent_of(block_id)
        parent_type = "page_id" if parent_id in self.state["pages"] else "block_id"
        return {
            "object": "block",
            "id": block_id,
            "parent": {"type": parent_type, parent_type: parent_id},
            "created_time": iso_minute(block["created"]),
            "last_edited_time": iso_minute(block["edited"]),
            "created_by": self._user(block.get("created_by")),
            "last_edited_by": self._user(block.get("edited_by")),
            "has_children": bool(self._visible_children(block_id))
            if kind == "block"
            else kind == "page" and bool(self._visible_children(block_id)),
            "archived": block["in_trash"],
            "in_trash": block["in_trash"],
            "type": btype,
            btype: self.render_media(data) if btype in MEDIA_TYPES else data,
        }

    def render_database(self, db: dict[str, Any]) -> dict[str, Any]:
        """A database object (2025-09-03: it lists its data sources)."""
        return {
            "object": "database",
            "id": db["id"],
            "title": db["title"],
            "description": db["description"],
            "parent": db["parent"],
            "is_inline": db["is_inline"],
            "in_trash": db["in_trash"],
            "archived": db["in_trash"],
            "is_locked": False,
            "created_time": iso_minute(db["created"]),
            "last_edited_time": iso_minute(db["edited"]),
            "data_sources": [
                {"id": ds, "name": plain_text(self.state["data_sources"][ds]["title"])}
                for ds in db["data_sources"]
            ],
            "icon": db.get("icon"),
            "cover": db.get("cover"),
            "url": f"https://www.notion.so/{db['id'].replace('-', '')}",
            "public_url": None,
        }

    def _related(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Relation columns point at a data source that exists; their config names its
        database too (``database_id``, as Notion answers)."""
        for prop in schema.values():
            config = prop.get("relation") if prop.get("type") == "relation" else None
            if not isinstance(config, dict):
                continue
            target = self.state["data_sources"].get(str(config.get("data_source_id")))
            if target is None:
                raise validation_error(
                    f"Could not find data source with ID: {config.get('data_source_id')}.")
            prop["relation"] = {"database_id": target["database_id"], **config}
        return schema

    def render_data_source(self, ds: dict[str, Any]) -> dict[str, Any]:
        """A data source object: the schema lives here in 2025-09-03."""
        db = self.state["databases"][ds["database_id"]]
        return {
            "object": "data_source",
            "id": ds["id"],
            "created_time": iso_minute(ds["created"]),
            "last_edited_time": iso_minute(ds["edited"]),
            "created_by": self._user(ds.get("created_by")),
            "last_edited_by": self._user(ds.get("edited_by")),
            "properties": render_schema(ds["properties"]),
            "parent": {"type": "database_id", "database_id": ds["database_id"]},
            "database_parent": db["parent"],
            "title": ds["title"],
            "description": [],
            "icon": db.get("icon"),
            "cover": None,
            "archived": ds["in_trash"],
            "in_trash": ds["in_trash"],
            "is_inline": db["is_inline"],
            "url": f"https://www.notion.so/{ds['id'].replace('-', '')}",
            "public_url": None,
        }

    def _paginate(
        self,
        items: list[tuple[str, Any]],
        start_cursor: Any,
        page_size: Any,
        kind: str,
        where: str,
    ) -> dict[str, Any]:
        size = 100 if page_size is None else page_size
        if isinstance(size, str) and size.isdigit():
            size = int(size)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise validation_error(
                f"{where} failed validation: {where}.page_size should be a positive number, "
                f"instead was `{page_size}`."
            )
        if size > 100:
            raise validation_error(
                f"{where} failed validation: {where}.page_size should be ≤ `100`, "
                f"instead was `{size}`."
            )
        start = 0
        if start_cursor:
            ids = [i for i, _ in items]
            if start_cursor not in ids:
                raise validation_error(f"start_cursor provided is invalid: {start_cursor}")
            start = ids.index(start_cursor)
        chunk = items[start : start + size]
        has_more = start + size < len(items)
        return {
            "object": "list",
            "results": [obj for _, obj in chunk],
            "next_cursor": items[start + size][0] if has_more else None,
            "has_more": has_more,
            "type": kind,
            kind: {},
        }

    # ------------------------------------------------------------------ mutations (also wiki user)
    def insert_page(
        self,
        page_id: str,
        parent: dict[str, Any],
        values: dict[str, Any],
        *,
        by: str | None = None,
        icon: Any = None,
        cover: Any = None,
        position: tuple[str, str | None] | None = None,
    ) -> dict[str, Any]:
        """Store a page with already validated values and link it into its parent."""
        now = self._now()
        page = {
            "id": page_id,
            "parent": parent,
            "values": values,
            "icon": icon,
            "cover": cover,
            "in_trash": False,
            "created": now,
            "edited": now,
            "created_by": by or self.current_bot(),
            "edited_by": by or self.current_bot(),
        }
        self.state["pages"][page_id] = page
        ptype = parent["type"]
        if ptype in ("page_id", "block_id"):
            self._link_child(parent[ptype], page_id, position)
            self.touch(parent[ptype], by)
        return page

    def _link_child(
        self, parent_id: str, child_id: str, position: tuple[str, str | None] | None
    ) -> None:
        siblings: list[str] = self.state["children"].setdefault(parent_id, [])
        if position is None or position[0] == "end":
            siblings.append(child_id)
        elif position[0] == "start":
            siblings.insert(0, child_id)
        else:
            siblings.insert(siblings.index(str(position[1])) + 1, child_id)

    def insert_blocks(
        self,
        parent_id: str,
        specs: list[BlockSpec],
        after: str | None = None,
        *,
        at_start: bool = False,
        by: str | None = None,
    ) -> list[str]:
        """Store validated blocks under ``parent_id`` (after ``after``/at start/at end)."""
        siblings: list[str] = self.state["children"].setdefault(parent_id, [])
        index = siblings.index(after) + 1 if after else (0 if at_start else len(siblings))
        new_ids: list[str] = []
        now = self._now()
        stored = [self._stored_data(spec) for spec in specs]  # refuse before storing any
        for spec, data in zip(specs, stored, strict=True):
            block_id = str(uuid.uuid4())
            self.state["blocks"][block_id] = {
                "id": block_id,
                "type": spec.btype,
                "data": data,
                "parent_id": parent_id,
                "in_trash": False,
                "created": now,
                "edited": now,
                "created_by": by or self.current_bot(),
                "edited_by": by or self.current_bot(),
            }
            if spec.children:
                self.insert_blocks(block_id, spec.children, by=by)
            new_ids.append(block_id)
        siblings[index:index] = new_ids
        self.touch(parent_id, by)
        return new_ids

    def _stored_data(self, spec: BlockSpec) -> dict[str, Any]:
        """A block's data as stored; media referencing a file upload must be uploaded
        (children are checked when they are stored)."""
        if spec.btype in MEDIA_TYPES:
            return self.attach_media(spec.data, spec.btype)
        return spec.data

    def _unlink(self, obj_id: str) -> None:
        for siblings in self.state["children"].values():
            if obj_id in siblings:
                siblings.remove(obj_id)

    def trash(self, obj_id: str, in_trash: bool, by: str | None = None) -> None:
        """Move a page, block or database to (or out of) the trash."""
        kind = self.kind_of(obj_id)
        if kind is None:
            return
        self.state[f"{kind}s"][obj_id]["in_trash"] = in_trash
        if kind == "database":
            for ds in self.state["databases"][obj_id]["data_sources"]:
                self.state["data_sources"][ds]["in_trash"] = in_trash
        self.touch(obj_id, by)

    # ------------------------------------------------------------------ endpoints: misc
    def users_me(self, request: Request) -> Reply:
        """``GET /v1/users/me``: the integration's bot user."""
        return Reply(
            200,
            {
                "object": "user",
                "id": self.current_bot(),
                "type": "bot",
                "name": "prodops-sync stand-in",
                "avatar_url": None,
                "bot": {
                    "owner": {"type": "workspace", "workspace": True},
                    "workspace_name": "Stand-in workspace",
                    "workspace_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "prodops-sync-workspace")),
                    "workspace_limits": {"max_file_upload_size_in_bytes": MAX_SINGLE_PART_BYTES},
                },
            },
        )

    def search(self, request: Request) -> Reply:
        """``POST /v1/search``: shared pages and data sources whose title contains ``query``."""
        body = self._body(request)
        query = str(body.get("query") or "").lower()
        flt = body.get("filter")
        wanted: set[str] = {"page", "data_source"}
        if flt is not None:
            if (
                not isinstance(flt, dict)
                or flt.get("property") != "object"
                or flt.get("value") not in ("page", "data_source")
            ):
                raise validation_error(
                    'body failed validation: body.filter.value should be `"page"` or '
                    '`"data_source"`, '
                    f"instead was `{flt.get('value') if isinstance(flt, dict) else flt}`."
                )
            wanted = {flt["value"]}
        found: list[tuple[float, str, dict[str, Any]]] = []
        if "page" in wanted:
            for page in self.state["pages"].values():
                if (
                    not page["in_trash"]
                    and self.is_shared(page["id"])
                    and query in self.title_of(page["id"]).lower()
                ):
                    found.append((page["edited"], page["id"], self.render_page(page)))
        if "data_source" in wanted:
            for ds in self.state["data_sources"].values():
                if (
                    not ds["in_trash"]
                    and self.is_shared(ds["id"])
                    and query in plain_text(ds["title"]).lower()
                ):
                    found.append((ds["edited"], ds["id"], self.render_data_source(ds)))
        sort = body.get("sort") or {"direction": "descending", "timestamp": "last_edited_time"}
        found.sort(key=lambda f: (f[0], f[1]), reverse=sort.get("direction") != "ascending")
        return Reply(
            200,
            self._paginate(
                [(i, obj) for _, i, obj in found],
                body.get("start_cursor"),
                body.get("page_size"),
                "page_or_data_source",
                "body",
            ),
        )

    # ------------------------------------------------------------------ endpoints: pages
    def _parse_parent(self, parent: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Resolve a page's requested parent into (stored parent, schema)."""
        if not isinstance(parent, dict):
            raise validation_error(
                "body failed validation: body.parent should be defined, instead was `undefined`."
            )
        ptype = parent.get("type") or next(
            (
                k
                for k in ("page_id", "data_source_id", "database_id", "block_id", "workspace")
                if k in parent
            ),
            None,
        )
        if ptype == "page_id":
            page = self._get("page", str(parent.get("page_id")), "parent.page_id")
            if page["in_trash"]:
                raise validation_error(ARCHIVED_MESSAGE)
            return {"type": "page_id", "page_id": page["id"]}, PAGE_SCHEMA
        if ptype in ("data_source_id", "database_id"):
            if ptype == "database_id":
                db = self._get("database", str(parent.get("database_id")), "parent.database_id")
                if len(db["data_sources"]) != 1:
                    raise validation_error(
                        "Database has multiple data sources; use a data_source_id parent."
                    )
                ds = self.state["data_sources"][db["data_sources"][0]]
            else:
                ds = self._get(
                    "data_source", str(parent.get("data_source_id")), "parent.data_source_id"
                )
            if ds["in_trash"]:
                raise validation_error(ARCHIVED_MESSAGE)
            return (
                {
                    "type": "data_source_id",
                    "data_source_id": ds["id"],
                    "database_id": ds["database_id"],
                },
                ds["properties"],
            )
        if ptype == "workspace":
            raise validation_error("Internal integrations can't create workspace-level pages.")
        raise validation_error(
            "body failed validation. Fix one: "
            "body.parent.page_id should be defined, instead was `undefined`. "
            "body.parent.database_id should be defined, instead was `undefined`. "
            "body.parent.data_source_id should be defined, instead was `undefined`."
        )

    def create_page(self, request: Request) -> Reply:
        """``POST /v1/pages``."""
        body = self._body(request)
        for key in body:
            if key not in (
                "parent",
                "properties",
                "icon",
                "cover",
                "children",
                "content",
                "position",
                "template",
                "markdown",
            ):
                raise validation_error(
                    f"body failed validation: body.{key} should be not present, instead was `...`."
                )
        if "markdown" in body or "template" in body or "position" in body:
            raise validation_error(
                "The stand-in does not implement markdown, template or position on page creation."
            )
        parent, schema = self._parse_parent(body.get("parent"))
        schema_copy = copy.deepcopy(schema)
        values = self._validated(
            lambda: normalize_values(
                body.get("properties", {}), schema_copy, "body.properties", self.title_of
            )
        )
        children_raw = body.get("children", body.get("content"))
        specs = (
            self._validated(
                lambda: normalize_children(children_raw, "body.children", 0, self.title_of)
            )
            if children_raw is not None
            else []
        )
        if parent["type"] == "data_source_id":
            self.state["data_sources"][parent["data_source_id"]]["properties"].update(schema_copy)
        page_id = str(uuid.uuid4())
        page = self.insert_page(
            page_id, parent, values, icon=body.get("icon"), cover=body.get("cover")
        )
        if specs:
            self.insert_blocks(page_id, specs)
        return Reply(200, self.render_page(page))

    def get_page(self, request: Request, page_id: str) -> Reply:
        """``GET /v1/pages/{id}`` (archived pages are returned with ``in_trash: true``)."""
        return Reply(200, self.render_page(self._get("page", page_id, "page_id")))

    def update_page(self, request: Request, page_id: str) -> Reply:
        """``PATCH /v1/pages/{id}``: properties, icon, cover, archived / in_trash."""
        page = self._get("page", page_id, "page_id")
        body = self._body(request)
        for key in body:
            if key not in (
                "properties",
                "icon",
                "cover",
                "archived",
                "in_trash",
                "is_locked",
                "erase_content",
                "template",
            ):
                raise validation_error(
                    f"body failed validation: body.{key} should be not present, instead was `...`."
                )
        trash_flag = body.get("in_trash", body.get("archived"))
        if page["in_trash"] and trash_flag is not False:
            raise validation_error(ARCHIVED_MESSAGE)
        if page["id"] == self.state["root_page_id"] and trash_flag:
            raise notion_error(
                403, "restricted_resource", "Insufficient permissions for this endpoint."
            )
        if "properties" in body:
            schema = copy.deepcopy(self.page_schema(page))
            values = self._validated(
                lambda: normalize_values(
                    body["properties"], schema, "body.properties", self.title_of
                )
            )
            if page["parent"].get("data_source_id"):
                self.state["data_sources"][page["parent"]["data_source_id"]]["properties"].update(
                    schema
                )
            page["values"].update(values)
        for key in ("icon", "cover"):
            if key in body:
                page[key] = body[key]
        if trash_flag is not None:
            self.trash(page["id"], bool(trash_flag))
        self.touch(page["id"])
        return Reply(200, self.render_page(page))

    def get_page_property(self, request: Request, page_id: str, prop_id: str) -> Reply:
        """``GET /v1/pages/{id}/properties/{property_id}`` (property item form)."""
        page = self._get("page", page_id, "page_id")
        schema = self.page_schema(page)
        name = find_property_name(schema, prop_id)
        if name is None:
            raise notion_error(
                404, "object_not_found", f"Could not find property with ID: {prop_id}."
            )
        prop = schema[name]
        rendered = self.render_page(page)["properties"][name]
        ptype = prop["type"]
        if ptype in ("title", "rich_text", "relation", "people"):
            items = [
                (str(i), {"object": "property_item", "id": prop["id"], "type": ptype, ptype: item})
                for i, item in enumerate(rendered[ptype])
            ]
            listing = self._paginate(
                items,
                request.args.get("start_cursor"),
                request.args.get("page_size"),
                "property_item",
                "query",
            )
            listing["property_item"] = {
                "id": prop["id"],
                "next_url": None,
                "type": ptype,
                ptype: {},
            }
            return Reply(200, listing)
        return Reply(
            200,
            {"object": "property_item", "id": prop["id"], "type": ptype, ptype: rendered[ptype]},
        )

    def move_page(self, request: Request, page_id: str) -> Reply:
        """``POST /v1/pages/{id}/move``: re-parent under a page or data source."""
        page = self._get("page", page_id, "page_id")
        if page["in_trash"]:
            raise validation_error(ARCHIVED_MESSAGE)
        body = self._body(request)
        parent, _ = self._parse_parent(body.get("parent"))
        if parent.get("page_id") and (
            parent["page_id"] == page["id"] or self._is_descendant(parent["page_id"], page["id"])
        ):
            raise validation_error("Cannot move a page into itself or one of its descendants.")
        self.relocate(page["id"], parent)
        return Reply(200, self.render_page(page))

    def relocate(self, page_id: str, parent: dict[str, Any], by: str | None = None) -> None:
        """Move a page under a new parent. Across a change of schema the title survives,
        and so do values whose property has the same name and type in the new schema (as
        Notion keeps them when a row is moved to another database); the rest is dropped."""
        page = self.state["pages"][page_id]
        old_schema = self.page_schema(page)
        title_name = next(n for n, p in old_schema.items() if p["type"] == "title")
        title = page["values"].get(title_name, [])
        self._unlink(page_id)
        page["parent"] = parent
        new_schema = self.page_schema(page)
        if new_schema is not old_schema:
            new_title = next(n for n, p in new_schema.items() if p["type"] == "title")
            kept = {
                name: value for name, value in page["values"].items()
                if name != title_name and name in new_schema and name in old_schema
                and new_schema[name].get("type") == old_schema[name].get("type")
                and new_schema[name].get("type") != "title"
            }
            page["values"] = {new_title: title, **kept}
        if parent["type"] == "page_id":
            self._link_child(parent["page_id"], page_id, None)
        self.touch(page_id, by)

    def _is_descendant(self, obj_id: str, ancestor: str) -> bool:
        current = self._parent_of(obj_id)
        while current is not None:
            if current == ancestor:
                return True
            current = self._parent_of(current)
        return False

    # ------------------------------------------------------------------ endpoints: blocks
    def _get_any_block(self, block_id: str) -> tuple[str, dict[str, Any]]:
        obj_id = self._uuid(block_id, "block_id")
        kind = self.kind_of(obj_id)
        if kind not in ("block", "page", "database") or not self.is_shared(obj_id):
            raise notion_error(
                404,
                "object_not_found",
                f"Could not find block with ID: {obj_id}. Make sure the relevant pages and "
                "databases are shared with your integration.",
            )
        return str(kind), self.state[f"{kind}s"][obj_id]

    def get_block(self, request: Request, block_id: str) -> Reply:
        """``GET /v1/blocks/{id}`` (a page id answers as a child_page block)."""
        _, block = self._get_any_block(block_id)
        return Reply(200, self.render_block(block["id"]))

    def update_block(self, request: Request, block_id: str) -> Reply:
        """``PATCH /v1/blocks/{id}``: new content for the block's type, or in_trash/archived."""
        kind, block = self._get_any_block(block_id)
        body = self._body(request)
        trash_flag = body.get("in_trash", body.get("archived"))
        if block["in_trash"] and trash_flag is not False:
            raise validation_error(ARCHIVED_MESSAGE)
        content_keys = [k for k in body if k not in ("type", "archived", "in_trash")]
        if content_keys:
            if kind != "block":
                raise validation_error("Use the pages or databases endpoints to update this block.")
            btype = block["type"]
            if (
                len(content_keys) != 1
                or content_keys[0] != btype
                or body.get("type", btype) != btype
            ):
                raise validation_error(
                    f"body failed validation: body.{content_keys[0]} should be not present, "
                    "instead was `...`. "
                    f"Block type `{btype}` cannot be changed."
                )
            data = self._validated(
                lambda: update_block_data(
                    btype, block["data"], body[btype], f"body.{btype}", self.title_of
                )
            )
            block["data"] = self.attach_media(data, btype) if btype in MEDIA_TYPES else data
        if trash_flag is not None:
            self.trash(block["id"], bool(trash_flag))
        self.touch(block["id"])
        return Reply(200, self.render_block(block["id"]))

    def delete_block(self, request: Request, block_id: str) -> Reply:
        """``DELETE /v1/blocks/{id}``: moves the block (or page) to the trash."""
        _, block = self._get_any_block(block_id)
        if block["id"] == self.state["root_page_id"]:
            raise notion_error(
                403, "restricted_resource", "Insufficient permissions for this endpoint."
            )
        if block["in_trash"]:
            raise validation_error(ARCHIVED_MESSAGE)
        self.trash(block["id"], True)
        return Reply(200, self.render_block(block["id"]))

    def list_children(self, request: Request, block_id: str) -> Reply:
        """``GET /v1/blocks/{id}/children``: paginated, ``page_size`` ≤ 100."""
        _, block = self._get_any_block(block_id)
        items = [(c, self.render_block(c)) for c in self._visible_children(block["id"])]
        return Reply(
            200,
            self._paginate(
                items,
                request.args.get("start_cursor"),
                request.args.get("page_size"),
                "block",
                "query",
            ),
        )

    def append_children(self, request: Request, block_id: str) -> Reply:
        """``PATCH /v1/blocks/{id}/children``: ≤100 blocks, ≤2 nesting levels, after/position."""
        kind, block = self._get_any_block(block_id)
        if block["in_trash"]:
            raise validation_error(ARCHIVED_MESSAGE)
        if kind == "database":
            raise validation_error("Cannot append children to a database.")
        if kind == "block" and block["type"] not in CAN_HAVE_CHILDREN:
            raise validation_error(f"Block type {block['type']} does not support children.")
        body = self._body(request)
        if "children" not in body:
            raise validation_error(
                "body failed validation: body.children should be defined, instead was `undefined`."
            )
        specs = self._validated(
            lambda: normalize_children(body["children"], "body.children", 0, self.title_of)
        )
        if len(specs) > MAX_BLOCKS_PER_ARRAY:  # normalize_children enforces it; kept explicit
            raise validation_error("body.children.length should be ≤ `100`")
        after, at_start = self._insert_position(block["id"], body)
        new_ids = self.insert_blocks(block["id"], specs, after, at_start=at_start)
        return Reply(
            200,
            {
                "object": "list",
                "results": [self.render_block(i) for i in new_ids],
                "next_cursor": None,
                "has_more": False,
                "type": "block",
                "block": {},
            },
        )

    def _insert_position(self, parent_id: str, body: dict[str, Any]) -> tuple[str | None, bool]:
        after: Any = body.get("after")
        at_start = False
        position = body.get("position")
        if position is not None:
            if after is not None:
                raise validation_error("Provide either after or position, not both.")
            if not isinstance(position, dict) or position.get("type") not in (
                "after_block",
                "start",
                "end",
            ):
                raise validation_error(
                    'body failed validation: body.position.type should be `"after_block"`, '
                    '`"start"` or `"end"`.'
                )
            if position["type"] == "after_block":
                after = (position.get("after_block") or {}).get("id")
            at_start = position["type"] == "start"
        if after is not None:
            after = self._uuid(str(after), "after")
            if after not in self._visible_children(parent_id):
                raise validation_error(f"Block with ID {after} is not a child of {parent_id}.")
        return after, at_start

    # ------------------------------------------------------------------ endpoints: databases
    def create_database(self, request: Request) -> Reply:
        """``POST /v1/databases`` with ``initial_data_source.properties``."""
        body = self._body(request)
        parent = body.get("parent")
        if not isinstance(parent, dict) or "page_id" not in parent:
            raise validation_error(
                "body failed validation: body.parent.page_id should be defined, "
                "instead was `undefined`."
            )
        page = self._get("page", str(parent["page_id"]), "parent.page_id")
        if page["in_trash"]:
            raise validation_error(ARCHIVED_MESSAGE)
        if page["parent"].get("data_source_id"):
            raise validation_error("Can't create databases parented by a database row page.")
        title = self._validated(
            lambda: normalize_rich_text(body.get("title", []), "body.title", self.title_of)
        )
        description = self._validated(
            lambda: normalize_rich_text(
                body.get("description", []), "body.description", self.title_of
            )
        )
        initial = body.get("initial_data_source") or {}
        raw_schema = initial.get("properties") if isinstance(initial, dict) else None
        if raw_schema is None:
            raw_schema = {"Name": {"title": {}}}
        schema = self._related(self._validated(
            lambda: normalize_schema(raw_schema, "body.initial_data_source.properties")
        ))
        now = self._now()
        db_id, ds_id = str(uuid.uuid4()), str(uuid.uuid4())
        bot = self.current_bot()
        self.state["databases"][db_id] = {
            "id": db_id,
            "parent": {"type": "page_id", "page_id": page["id"]},
            "title": title,
            "description": description,
            "is_inline": bool(body.get("is_inline", False)),
            "icon": body.get("icon"),
            "cover": body.get("cover"),
            "in_trash": False,
            "created": now,
            "edited": now,
            "created_by": bot,
            "edited_by": bot,
            "data_sources": [ds_id],
        }
        self.state["data_sources"][ds_id] = {
            "id": ds_id,
            "database_id": db_id,
            "title": title,
            "properties": schema,
            "in_trash": False,
            "created": now,
            "edited": now,
            "created_by": bot,
            "edited_by": bot,
        }
        self._link_child(page["id"], db_id, None)
        self.touch(page["id"])
        return Reply(200, self.render_database(self.state["databases"][db_id]))

    def get_database(self, request: Request, database_id: str) -> Reply:
        """``GET /v1/databases/{id}``."""
        return Reply(200, self.render_database(self._get("database", database_id, "database_id")))

    def update_database(self, request: Request, database_id: str) -> Reply:
        """``PATCH /v1/databases/{id}``: title, description, icon, cover, in_trash, is_inline."""
        db = self._get("database", database_id, "database_id")
        body = self._body(request)
        if "properties" in body:
            raise validation_error(
                "body failed validation: body.properties should be not present; "
                "update the schema on the data source."
            )
        trash_flag = body.get("in_trash", body.get("archived"))
        if db["in_trash"] and trash_flag is not False:
            raise validation_error(ARCHIVED_MESSAGE)
        for key in ("title", "description"):
            if key in body:
                db[key] = self._rich_text(body[key], f"body.{key}")
        for key in ("icon", "cover"):
            if key in body:
                db[key] = body[key]
        if "is_inline" in body:
            db["is_inline"] = bool(body["is_inline"])
        if trash_flag is not None:
            self.trash(db["id"], bool(trash_flag))
        self.touch(db["id"])
        return Reply(200, self.render_database(db))

    def get_data_source(self, request: Request, ds_id: str) -> Reply:
        """``GET /v1/data_sources/{id}``."""
        return Reply(
            200, self.render_data_source(self._get("data_source", ds_id, "data_source_id"))
        )

    def update_data_source(self, request: Request, ds_id: str) -> Reply:
        """``PATCH /v1/data_sources/{id}``: title and schema (add, rename, remove properties)."""
        ds = self._get("data_source", ds_id, "data_source_id")
        body = self._body(request)
        trash_flag = body.get("in_trash", body.get("archived"))
        if ds["in_trash"] and trash_flag is not False:
            raise validation_error(ARCHIVED_MESSAGE)
        if "title" in body:
            ds["title"] = self._validated(
                lambda: normalize_rich_text(body["title"], "body.title", self.title_of)
            )
        if "properties" in body:
            old = ds["properties"]
            new = self._related(self._validated(
                lambda: normalize_schema(body["properties"], "body.properties", old)
            ))
            renamed = {p["id"]: n for n, p in new.items()}
            for page in self.state["pages"].values():
                if page["parent"].get("data_source_id") == ds["id"]:
                    page["values"] = {
                        renamed[old[n]["id"]]: v
                        for n, v in page["values"].items()
                        if n in old and old[n]["id"] in renamed
                    }
            ds["properties"] = new
        if trash_flag is not None:
            ds["in_trash"] = bool(trash_flag)
        self.touch(ds["id"])
        return Reply(200, self.render_data_source(ds))

    def query_data_source(self, request: Request, ds_id: str) -> Reply:
        """``POST /v1/data_sources/{id}/query``: filter, sorts, cursor pagination."""
        ds = self._get("data_source", ds_id, "data_source_id")
        body = self._body(request)
        schema = ds["properties"]
        # As Notion documents the parameter: ``in_trash: true`` lists only the trashed rows,
        # false (or no parameter) only the live ones.
        trashed = bool(body.get("in_trash") or body.get("archived"))
        if body.get("filter") is not None:  # validate even when there are no rows to test
            probe = {
                "values": {},
                "created_time": iso_minute(self._now()),
                "last_edited_time": iso_minute(self._now()),
            }
            self._validated(lambda: matches(probe, body["filter"], schema))
        rows = []
        for page in self.state["pages"].values():
            if page["parent"].get("data_source_id") != ds["id"] or (
                bool(page["in_trash"]) != trashed
            ):
                continue
            row = {
                "values": page["values"],
                "created_time": iso_minute(page["created"]),
                "last_edited_time": iso_minute(page["edited"]),
                "page": page,
            }
            if body.get("filter") is None or self._matches(row, body["filter"], schema):
                rows.append(row)
        sorts = body.get("sorts") or []
        if not isinstance(sorts, list):
            raise validation_error("body failed validation: body.sorts should be an array.")
        for sort in reversed(sorts):
            if not isinstance(sort, dict):
                raise validation_error("body failed validation: body.sorts[] should be an object.")
            try:
                rows.sort(
                    key=lambda r, s=sort: sort_key(r, s, schema),  # type: ignore[misc]
                    reverse=sort.get("direction") == "descending",
                )
            except NotionValidationError as exc:
                raise validation_error(str(exc)) from exc
        items = [(r["page"]["id"], self.render_page(r["page"])) for r in rows]
        return Reply(
            200,
            self._paginate(
                items,
                body.get("start_cursor"),
                body.get("page_size"),
                "page_or_data_source",
                "body",
            ),
        )


def text_item(content: str) -> dict[str, Any]:
    """A rich text item in stored (response) form."""
    return {
        "type": "text",
        "text": {"content": content, "link": None},
        "annotations": {
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "code": False,
            "color": "default",
        },
        "plain_text": content,
        "href": None,
    }
