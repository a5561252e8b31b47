"""The Confluence Cloud REST API v2 in the stand-in (``/wiki/api/v2``), as Atlassian's
OpenAPI spec ("The Confluence Cloud REST API v2", 2.0.0) describes the parts prodops-sync
uses: spaces, pages (create, read, update, trash, restore), children, ancestors, content
properties, versions and attachment listing.

Shapes: ids are strings; a page is ``{id, status, title, spaceId, parentId, parentType,
position, authorId, ownerId, createdAt, version: {number, message, minorEdit, authorId,
createdAt}, body, _links: {webui, editui, tinyui}}`` and single answers carry
``_links.base`` (the site URL ending in ``/wiki``). Listings are ``{results, _links: {next,
base}}`` with an opaque ``cursor`` in ``next`` (a relative URL starting at ``/wiki``) and the
same link in the ``Link`` header; ``limit`` is 1..250 (more is capped at 250). Errors are
``{"errors": [{"status", "code", "title", "detail"}]}``.

Pages created through v2 open in the current editor: the stand-in records that as the
``editor`` content property with value ``"v2"`` (what Confluence Cloud stores); a page
created through v1 without that property is a legacy-editor page.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request

from prodops_sync.standins.confluence_storage import StorageFormatError, check_storage
from prodops_sync.standins.server import ApiError, Reply, Route

V2 = "/api/v2"
V2_MAX_LIMIT = 250
EDITOR_PROPERTY = "editor"
CODES = {400: "INVALID_REQUEST_PARAMETER", 401: "UNAUTHORIZED", 403: "FORBIDDEN",
         404: "NOT_FOUND", 409: "CONFLICT", 410: "GONE", 413: "REQUEST_ENTITY_TOO_LARGE",
         429: "TOO_MANY_REQUESTS", 500: "INTERNAL_SERVER_ERROR", 502: "BAD_GATEWAY",
         503: "SERVICE_UNAVAILABLE"}


def v2_error(status: int, title: str, code: str | None = None) -> ApiError:
    """An error in the v2 body shape."""
    return ApiError(status, {"errors": [
        {"status": status, "code": code or CODES.get(status, "ERROR"), "title": title,
         "detail": None}
    ]})


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    kind, _, number = raw.partition(":")
    if kind != "offset" or not number.isdigit():
        raise v2_error(400, f"Invalid cursor: {cursor}")
    return int(number)


def _ids(request: Request, name: str) -> list[str]:
    """An array query parameter (``keys=A&keys=B`` or ``keys=A,B``)."""
    out: list[str] = []
    for value in request.args.getlist(name):
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


class ConfluenceV2:
    """Mixed into :class:`~prodops_sync.standins.confluence.ConfluenceStandin`."""

    state: dict[str, Any]
    clock: Any

    # provided by ConfluenceStandin
    def _base(self, request: Request) -> str:
        raise NotImplementedError

    def _user_name(self, request: Request) -> str:
        raise NotImplementedError

    def _record(self, cid: str, status: str = "current") -> dict[str, Any]:
        raise NotImplementedError

    def _attachments(self, cid: str) -> dict[str, Any]:
        raise NotImplementedError

    def insert_content(self, space: str, title: str, body: str, parent: str | None, *,
                       by: str, properties: dict[str, Any] | None = None,
                       message: str = "") -> dict[str, Any]:
        raise NotImplementedError

    def new_version(self, record: dict[str, Any], *, by: str, message: str = "",
                    minor: bool = False) -> None:
        raise NotImplementedError

    def title_taken(self, space: str, title: str, except_id: str | None = None,
                    *, trashed: bool = True) -> bool:
        raise NotImplementedError

    def children(self, cid: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def ancestors(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def trash(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def restore_parent(self, record: dict[str, Any]) -> str | None:
        raise NotImplementedError

    def _new_property(self, key: str, value: Any, now: float) -> dict[str, Any]:
        raise NotImplementedError

    def _check_property_size(self, key: str, value: Any) -> None:
        raise NotImplementedError

    def _title(self, title: Any) -> str:
        raise NotImplementedError

    # ------------------------------------------------------------------ plumbing
    def v2_routes(self) -> list[Route]:
        """The v2 endpoints (served under ``/wiki`` by the cloud flavour only)."""
        r = Route
        return [
            r(f"{V2}/spaces", "GET", "v2_list_spaces", False),
            r(f"{V2}/spaces/<sid>", "GET", "v2_get_space", False),
            r(f"{V2}/pages", "GET", "v2_list_pages", False),
            r(f"{V2}/pages", "POST", "v2_create_page", True),
            r(f"{V2}/pages/<pid>", "GET", "v2_get_page", False),
            r(f"{V2}/pages/<pid>", "PUT", "v2_update_page", True),
            r(f"{V2}/pages/<pid>", "DELETE", "v2_delete_page", True),
            r(f"{V2}/pages/<pid>/children", "GET", "v2_children", False),
            r(f"{V2}/pages/<pid>/ancestors", "GET", "v2_ancestors", False),
            r(f"{V2}/pages/<pid>/versions", "GET", "v2_versions", False),
            r(f"{V2}/pages/<pid>/attachments", "GET", "v2_attachments", False),
            r(f"{V2}/pages/<pid>/properties", "GET", "v2_list_properties", False),
            r(f"{V2}/pages/<pid>/properties", "POST", "v2_create_property", True),
            r(f"{V2}/pages/<pid>/properties/<prop_id>", "GET", "v2_get_property", False),
            r(f"{V2}/pages/<pid>/properties/<prop_id>", "PUT", "v2_update_property", True),
            r(f"{V2}/pages/<pid>/properties/<prop_id>", "DELETE", "v2_delete_property",
              True),
        ]

    def _v2_body(self, request: Request) -> dict[str, Any]:
        raw = request.get_data(cache=True)
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise v2_error(400, f"Could not parse JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise v2_error(400, "Expected a JSON object")
        return body

    def _v2_page(self, pid: str, statuses: tuple[str, ...] = ("current",)) -> dict[str, Any]:
        record = self.state["contents"].get(pid)
        if record is None or record["type"] != "page" or record["status"] not in statuses:
            raise v2_error(404, f"Page {pid} not found")
        found: dict[str, Any] = record
        return found

    def _v2_listing(self, request: Request, items: list[Any], default: int = 25) -> Reply:
        """Cursor pagination: ``_links.next`` and the ``Link`` header."""
        try:
            limit = int(request.args.get("limit", default))
        except ValueError as exc:
            raise v2_error(400, "limit must be an integer") from exc
        if limit < 1:
            raise v2_error(400, "limit must be at least 1")
        limit = min(limit, V2_MAX_LIMIT)
        cursor = request.args.get("cursor")
        offset = _offset(cursor) if cursor else 0
        base = self._base(request)
        links: dict[str, Any] = {"base": base}
        headers: dict[str, str] = {}
        if offset + limit < len(items):
            params = [(k, v) for k, v in request.args.items(multi=True)
                      if k not in ("cursor", "limit")]
            params += [("cursor", _cursor(offset + limit)), ("limit", str(limit))]
            links["next"] = f"{request.path}?{urlencode(params)}"
            headers["Link"] = f'<{links["next"]}>; rel="next", <{base}>; rel="base"'
        return Reply(200, {"results": items[offset:offset + limit], "_links": links}, headers)

    # ------------------------------------------------------------------ rendering
    @staticmethod
    def _account(name: str) -> str:
        return f"acc-{name}"

    def _v2_version(self, version: dict[str, Any]) -> dict[str, Any]:
        from prodops_sync.standins.confluence import iso

        return {
            "createdAt": iso(version["when"]),
            "message": version["message"],
            "number": version["number"],
            "minorEdit": version["minorEdit"],
            "authorId": self._account(version["by"]),
        }

    def render_v2_page(
        self, request: Request, record: dict[str, Any], *, body_format: str | None = None,
        include_properties: bool = False, single: bool = True,
    ) -> dict[str, Any]:
        """A page object (``PageSingle``, or ``PageBulk`` with ``single=False``)."""
        from prodops_sync.standins.confluence import iso

        space = self.state["spaces"][record["space"]]
        out: dict[str, Any] = {
            "id": record["id"],
            "status": record["status"],
            "title": record["title"],
            "spaceId": str(space["id"]),
            "parentId": record["parent"],
            "parentType": "page" if record["parent"] else None,
            "position": record["position"],
            "authorId": self._account(record["created_by"]),
            "ownerId": self._account(record["created_by"]),
            "lastOwnerId": None,
            "createdAt": iso(record["created"]),
            "version": self._v2_version(record["versions"][-1]),
            "body": {},
            "_links": {
                "webui": f"/spaces/{record['space']}/pages/{record['id']}",
                "editui": f"/pages/resumedraft.action?draftId={record['id']}",
                "tinyui": f"/x/{record['id']}",
            },
        }
        if body_format == "storage":
            out["body"] = {"storage": {"representation": "storage", "value": record["body"]}}
        if include_properties:
            props = [self.render_v2_property(p) for p in record["properties"].values()]
            out["properties"] = {
                "results": props[:50],
                # the cursor is a string when there are more; absent (not null) otherwise
                "meta": {"hasMore": len(props) > 50, **(
                    {"cursor": _cursor(50)} if len(props) > 50 else {})},
                "_links": {"self": f"{V2}/pages/{record['id']}/properties"},
            }
        if single:
            out["_links"]["base"] = self._base(request)
        return out

    def render_v2_property(self, prop: dict[str, Any]) -> dict[str, Any]:
        """A ``ContentProperty``."""
        from prodops_sync.standins.confluence import iso

        return {
            "id": prop["id"],
            "key": prop["key"],
            "value": prop["value"],
            "version": {"createdAt": iso(prop["when"]), "message": "",
                        "number": prop["version"], "minorEdit": False,
                        "authorId": self._account("api")},
        }

    def render_v2_space(self, space: dict[str, Any]) -> dict[str, Any]:
        """A ``SpaceBulk``."""
        return {
            "id": str(space["id"]),
            "key": space["key"],
            "name": space["name"],
            "type": "global",
            "status": "current",
            "authorId": self._account("admin"),
            "homepageId": str(space["homepage"]) if space["homepage"] else None,
            "description": None,
            "icon": None,
            "_links": {"webui": f"/spaces/{space['key']}"},
        }

    def _space_by_id(self, sid: Any) -> dict[str, Any] | None:
        for space in self.state["spaces"].values():
            if str(space["id"]) == str(sid):
                found: dict[str, Any] = space
                return found
        return None

    def _v2_storage(self, body: Any) -> str:
        if isinstance(body, dict) and isinstance(body.get("storage"), dict):
            body = body["storage"]  # the nested form {storage: {representation, value}}
        if not isinstance(body, dict) or body.get("representation") != "storage":
            raise v2_error(400, "The page body must be given in the storage representation")
        value = body.get("value")
        if not isinstance(value, str):
            raise v2_error(400, "The page body value must be a string")
        try:
            check_storage(value)
        except StorageFormatError as exc:
            raise v2_error(400, str(exc)) from exc
        return value

    def _v2_title(self, title: Any) -> str:
        try:
            return self._title(title)
        except ApiError as exc:
            raise v2_error(400, str(exc.reply.body.get("message"))) from None

    def v2_title_error(self) -> ApiError:
        """Confluence's v2 answer for a title another page in the space (also in the
        trash) has."""
        return v2_error(400, "A page with this title already exists: A page already exists "
                             "with the same TITLE in this space")

    # ------------------------------------------------------------------ spaces
    def v2_list_spaces(self, request: Request) -> Reply:
        """``GET /spaces?keys=&ids=``."""
        keys = set(_ids(request, "keys"))
        ids = set(_ids(request, "ids"))
        spaces = [self.render_v2_space(s) for s in self.state["spaces"].values()
                  if (not keys or s["key"] in keys) and (not ids or str(s["id"]) in ids)]
        return self._v2_listing(request, spaces)

    def v2_get_space(self, request: Request, sid: str) -> Reply:
        """``GET /spaces/{id}``."""
        space = self._space_by_id(sid)
        if space is None:
            raise v2_error(404, f"Space {sid} not found")
        out = self.render_v2_space(space)
        out["_links"]["base"] = self._base(request)
        return Reply(200, out)

    # ------------------------------------------------------------------ pages
    def _statuses(self, request: Request, default: tuple[str, ...]) -> tuple[str, ...]:
        wanted = tuple(_ids(request, "status")) or default
        if "any" in wanted:
            return ("current", "trashed", "archived", "draft")
        return wanted

    def v2_list_pages(self, request: Request) -> Reply:
        """``GET /pages?space-id=&title=&status=&body-format=``."""
        spaces = set(_ids(request, "space-id"))
        ids = set(_ids(request, "id"))
        title = request.args.get("title")
        statuses = self._statuses(request, ("current", "archived"))
        body_format = request.args.get("body-format")
        items = [
            c for c in self.state["contents"].values()
            if c["type"] == "page" and c["status"] in statuses
            and (not spaces or str(self.state["spaces"][c["space"]]["id"]) in spaces)
            and (not ids or c["id"] in ids)
            and (title is None or c["title"] == title)
        ]
        items.sort(key=lambda c: int(c["id"]))
        pages = [self.render_v2_page(request, c, body_format=body_format, single=False)
                 for c in items]
        return self._v2_listing(request, pages)

    def v2_create_page(self, request: Request) -> Reply:
        """``POST /pages`` with ``spaceId``, ``status``, ``title``, ``parentId``, ``body``."""
        body = self._v2_body(request)
        space = self._space_by_id(body.get("spaceId")) if body.get("spaceId") else None
        if space is None:
            raise v2_error(400 if not body.get("spaceId") else 404,
                           "spaceId is required" if not body.get("spaceId")
                           else f"Space {body.get('spaceId')} not found")
        if body.get("status", "current") != "current":
            raise v2_error(400, "Only published (current) pages can be created by the stand-in")
        title = self._v2_title(body.get("title"))
        value = self._v2_storage(body.get("body"))
        root_level = request.args.get("root-level") == "true"
        parent_id = body.get("parentId")
        if root_level and parent_id:
            raise v2_error(400, "parentId may not be given with root-level=true")
        if parent_id is None and not root_level:
            parent_id = space["homepage"]
        if parent_id is not None:
            parent = self.state["contents"].get(str(parent_id))
            if parent is None or parent["status"] != "current":
                raise v2_error(404, f"Parent page {parent_id} not found")
            if parent["space"] != space["key"]:
                raise v2_error(400, "The parent page must be in the same space")
            parent_id = str(parent_id)
        if self.title_taken(space["key"], title):
            raise self.v2_title_error()
        record = self.insert_content(
            space["key"], title, value, parent_id, by=self._user_name(request),
            properties={EDITOR_PROPERTY: "v2"},
        )
        return Reply(200, self.render_v2_page(request, record, body_format="storage"))

    def v2_get_page(self, request: Request, pid: str) -> Reply:
        """``GET /pages/{id}?body-format=&status=&include-properties=``."""
        record = self._v2_page(pid, self._statuses(request, ("current", "archived")))
        out = self.render_v2_page(
            request, record, body_format=request.args.get("body-format"),
            include_properties=request.args.get("include-properties") == "true",
        )
        version = request.args.get("version")
        if version is not None:
            match = [v for v in record["versions"] if str(v["number"]) == version]
            if not match:
                raise v2_error(404, f"Version {version} of page {pid} not found")
            out["version"] = self._v2_version(match[0])
        return Reply(200, out)

    def v2_update_page(self, request: Request, pid: str) -> Reply:
        """``PUT /pages/{id}``: ``id``, ``status``, ``title``, ``body`` and ``version`` (the
        current number + 1, else 409). A trashed page only changes with ``status:
        current``, which restores it (its contents are not updated)."""
        record = self._v2_page(pid, ("current", "trashed"))
        body = self._v2_body(request)
        missing = [f for f in ("id", "status", "title", "body", "version") if f not in body]
        if missing:
            raise v2_error(400, f"Missing required field(s): {', '.join(missing)}")
        if str(body["id"]) != pid:
            raise v2_error(400, "The id in the body does not match the path")
        number = (body.get("version") or {}).get("number")
        current = record["versions"][-1]["number"]
        if not isinstance(number, int) or number != current + 1:
            raise v2_error(409, f"Version must be incremented on update. Current version "
                                f"is: {current}")
        status = body["status"]
        message = str((body.get("version") or {}).get("message", ""))
        by = self._user_name(request)
        if record["status"] == "trashed":
            if status != "current":
                raise v2_error(400, "A trashed page cannot be updated; restore it first "
                                    "(status: current)")
            if self.title_taken(record["space"], record["title"], except_id=pid):
                raise self.v2_title_error()
            record.update(status="current", parent=self.restore_parent(record))
            self.new_version(record, by=by, message=message)
            return Reply(200, self.render_v2_page(request, record, body_format="storage"))
        if status != "current":
            raise v2_error(400, f"Unsupported status {status} for the stand-in")
        if body.get("spaceId") not in (None, str(self.state["spaces"][record["space"]]["id"])):
            raise v2_error(400, "Moving a page to a different space is not supported")
        title = self._v2_title(body.get("title"))
        value = self._v2_storage(body.get("body"))
        parent = record["parent"]
        if body.get("parentId") not in (None, parent):
            parent = str(body["parentId"])
            target = self.state["contents"].get(parent)
            if target is None or target["status"] != "current":
                raise v2_error(404, f"Parent page {parent} not found")
            if target["space"] != record["space"]:
                raise v2_error(400, "The parent page must be in the same space")
            if parent == pid or any(a["id"] == pid for a in self.ancestors(target)):
                raise v2_error(400, "A page cannot be moved under itself or its descendants")
        if self.title_taken(record["space"], title, except_id=pid):
            raise self.v2_title_error()
        record.update(title=title, body=value, parent=parent)
        self.new_version(record, by=by, message=message)
        return Reply(200, self.render_v2_page(request, record, body_format="storage"))

    def v2_delete_page(self, request: Request, pid: str) -> Reply:
        """``DELETE /pages/{id}``: to the trash; ``purge=true`` on a trashed page deletes
        it for good."""
        if request.args.get("purge") == "true":
            self._v2_page(pid, ("trashed",))
            del self.state["contents"][pid]
            return Reply(204)
        self.trash(self._v2_page(pid))
        return Reply(204)

    def v2_children(self, request: Request, pid: str) -> Reply:
        """``GET /pages/{id}/children``: ``ChildPage`` objects in position order."""
        record = self._v2_page(pid)
        space_id = str(self.state["spaces"][record["space"]]["id"])
        kids = [{"id": c["id"], "status": c["status"], "title": c["title"],
                 "spaceId": space_id, "childPosition": c["position"]}
                for c in self.children(pid)]
        return self._v2_listing(request, kids)

    def v2_ancestors(self, request: Request, pid: str) -> Reply:
        """``GET /pages/{id}/ancestors``: top to bottom."""
        record = self._v2_page(pid, ("current", "trashed", "archived"))
        return self._v2_listing(
            request, [{"id": a["id"], "type": "page"} for a in self.ancestors(record)]
        )

    def v2_versions(self, request: Request, pid: str) -> Reply:
        """``GET /pages/{id}/versions``: newest first."""
        record = self._v2_page(pid, ("current", "trashed", "archived"))
        versions = [{**self._v2_version(v), "page": {"id": pid, "title": record["title"]}}
                    for v in reversed(record["versions"])]
        return self._v2_listing(request, versions)

    def v2_attachments(self, request: Request, pid: str) -> Reply:
        """``GET /pages/{id}/attachments?filename=``."""
        from prodops_sync.standins.confluence import iso

        self._v2_page(pid)
        wanted = request.args.get("filename")
        found = []
        for name, att in sorted(self._attachments(pid).items()):
            if wanted is not None and name != wanted:
                continue
            download = f"/download/attachments/{pid}/{name}?version={att['version']}"
            found.append({
                "id": att["id"], "status": "current", "title": name,
                "createdAt": iso(att.get("when", 0)), "pageId": pid,
                "mediaType": att["media_type"], "mediaTypeDescription": att["media_type"],
                "comment": att.get("comment", ""), "fileId": att["id"],
                "fileSize": att["size"], "webuiLink": f"/pages/viewpageattachments.action"
                f"?pageId={pid}", "downloadLink": download,
                "version": {"number": att["version"], "minorEdit": True, "message": "",
                            "createdAt": iso(att.get("when", 0)),
                            "authorId": self._account("api")},
                "_links": {"download": download, "webui": f"/pages/viewpageattachments"
                           f".action?pageId={pid}"},
            })
        return self._v2_listing(request, found, default=50)

    # ------------------------------------------------------------------ properties
    def _v2_prop(self, record: dict[str, Any], prop_id: str) -> dict[str, Any]:
        for prop in record["properties"].values():
            if str(prop["id"]) == prop_id:
                found: dict[str, Any] = prop
                return found
        raise v2_error(404, f"Content property {prop_id} not found")

    def v2_list_properties(self, request: Request, pid: str) -> Reply:
        """``GET /pages/{id}/properties?key=``."""
        record = self._v2_page(pid)
        key = request.args.get("key")
        props = [self.render_v2_property(p) for k, p in record["properties"].items()
                 if key is None or k == key]
        return self._v2_listing(request, props)

    def v2_create_property(self, request: Request, pid: str) -> Reply:
        """``POST /pages/{id}/properties`` with ``{key, value}``."""
        record = self._v2_page(pid)
        body = self._v2_body(request)
        key = body.get("key")
        if not isinstance(key, str) or not key or "value" not in body:
            raise v2_error(400, "A content property needs a key and a value")
        if key in record["properties"]:
            raise v2_error(400, f"Cannot add a new property with key '{key}', it already "
                                "exists.")
        self._check_v2_size(key, body["value"])
        prop = record["properties"][key] = self._new_property(key, body["value"],
                                                              self.clock.time())
        return Reply(200, self.render_v2_property(prop))

    def _check_v2_size(self, key: str, value: Any) -> None:
        try:
            self._check_property_size(key, value)
        except ApiError as exc:
            raise v2_error(413, str(exc.reply.body.get("message"))) from None

    def v2_get_property(self, request: Request, pid: str, prop_id: str) -> Reply:
        """``GET /pages/{id}/properties/{property-id}``."""
        return Reply(200, self.render_v2_property(self._v2_prop(self._v2_page(pid), prop_id)))

    def v2_update_property(self, request: Request, pid: str, prop_id: str) -> Reply:
        """``PUT /pages/{id}/properties/{property-id}``: ``version.number`` = current + 1."""
        prop = self._v2_prop(self._v2_page(pid), prop_id)
        body = self._v2_body(request)
        if "value" not in body:
            raise v2_error(400, "A content property needs a value")
        if body.get("key", prop["key"]) != prop["key"]:
            raise v2_error(400, "The property key cannot be changed")
        number = (body.get("version") or {}).get("number")
        if number != prop["version"] + 1:
            raise v2_error(409, f"Version must be incremented on update. Current version "
                                f"is: {prop['version']}")
        self._check_v2_size(prop["key"], body["value"])
        prop.update(value=body["value"], version=number, when=self.clock.time())
        return Reply(200, self.render_v2_property(prop))

    def v2_delete_property(self, request: Request, pid: str, prop_id: str) -> Reply:
        """``DELETE /pages/{id}/properties/{property-id}``."""
        record = self._v2_page(pid)
        prop = self._v2_prop(record, prop_id)
        del record["properties"][prop["key"]]
        return Reply(204)
