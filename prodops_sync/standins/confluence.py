"""The Confluence stand-in, in two flavours (``flavor=``):

* ``cloud`` (the default): Confluence Cloud at ``{root}/wiki``: the v2 REST API under
  ``/wiki/api/v2`` (:mod:`.confluence_v2`) and what is left of v1 under ``/wiki/rest/api``:
  CQL search, labels and attachments. The v1 page endpoints Atlassian removed on Cloud
  (``/content``, ``/content/{id}``, its children, descendants, properties, versions and
  history, ``/space``) answer ``410 Gone`` in the v1 error shape, so a client that still
  sends one fails loudly (and :meth:`ConfluenceStandin.v1_page_requests` counts them).
* ``datacenter``: Confluence Data Center at ``{root}``: the v1 REST API under ``/rest/api``
  only (v2 paths are 404, as on a real Data Center).

``url`` is the site URL a client is configured with (``.../wiki`` on cloud). Content ids are
numeric strings; every page keeps its version history; titles are unique per space,
trashed pages included; a trashed page cannot be changed, only restored; storage bodies
must be well-formed XHTML.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.routing import Rule
from werkzeug.wrappers import Request

from prodops_sync.standins.clock import Clock
from prodops_sync.standins.confluence_cql import CqlError, parse
from prodops_sync.standins.confluence_files import ConfluenceFiles
from prodops_sync.standins.confluence_storage import StorageFormatError, check_storage
from prodops_sync.standins.confluence_v2 import ConfluenceV2, v2_error
from prodops_sync.standins.confluence_view import ConfluenceView
from prodops_sync.standins.requestlog import LoggedRequest
from prodops_sync.standins.server import (
    ApiError,
    Reply,
    Route,
    StandinServer,
    display_template,
)

MAX_LIMIT = 200
MAX_PROPERTY_CHARS = 32768
MAX_TITLE = 255
FLAVORS = ("cloud", "datacenter")
CLOUD_CONTEXT = "/wiki"
V1_GONE_ON_CLOUD = frozenset({
    "list_content", "create_content", "get_content", "update_content", "delete_content",
    "get_history", "list_versions", "get_child_map", "get_children", "get_descendants",
    "list_attachments", "list_properties", "create_property", "get_property",
    "update_property", "delete_property", "list_spaces", "get_space",
})
"""v1 handlers answered with 410 on cloud: pages, spaces and their parts have v2
equivalents there. CQL search, label writes and attachment uploads stay on v1."""


def conf_error(status: int, message: str, reason: str) -> ApiError:
    """An error in Confluence's v1 body shape."""
    return ApiError(
        status,
        {
            "statusCode": status,
            "data": {
                "authorized": False,
                "valid": True,
                "allowedInReadOnlyMode": True,
                "errors": [],
                "successful": False,
            },
            "message": message,
            "reason": reason,
        },
    )


def bad_request(message: str) -> ApiError:
    """400 Bad Request."""
    return conf_error(400, message, "Bad Request")


def not_found(content_id: str) -> ApiError:
    """404 for an unknown (or trashed, unless asked for) content id."""
    return conf_error(404, f"No content found with id: ContentId{{id={content_id}}}", "Not Found")


def iso(epoch: float) -> str:
    """Confluence timestamp (``2025-01-01T10:31:07.123Z``)."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ConfluenceStandin(ConfluenceFiles, ConfluenceV2, ConfluenceView, StandinServer):
    """A local Confluence. See docs/standins.md for what it implements."""

    name = "confluence"

    def __init__(
        self,
        *,
        space: str = "PLAY",
        space_name: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: Any = None,
        token: str | None = None,
        rate: float | None = None,
        burst: float | None = None,
        clock: Clock | None = None,
        flavor: str = "cloud",
    ) -> None:
        if flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {', '.join(FLAVORS)}, not {flavor!r}")
        self.flavor = flavor
        self._local = threading.local()
        self.space_key = space
        self._space_name = space_name or f"{space} playground"
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
        if self.space_key not in self.state["spaces"]:
            self.add_space(self.space_key, self._space_name)
            self.persist()
        from prodops_sync.standins.confluence_wiki import ConfluenceWikiUser

        self.wiki_user = ConfluenceWikiUser(self)

    # ------------------------------------------------------------------ state
    def reset_state(self) -> None:
        """A fresh site with one space and its home page."""
        self.state = {"spaces": {}, "contents": {}, "next_id": 65537, "next_space_id": 98305}
        self.add_space(self.space_key, self._space_name)

    def dump(self) -> dict[str, Any]:
        return self.state

    def load(self, state: dict[str, Any]) -> None:
        self.state = state

    def add_space(self, key: str, name: str) -> dict[str, Any]:
        """Create a space with a home page."""
        space = {"id": self.state["next_space_id"], "key": key, "name": name, "homepage": None}
        self.state["next_space_id"] += 1
        self.state["spaces"][key] = space
        home = self.insert_content(
            key, f"{name} Home", "<p>Welcome to the space.</p>", None, by="admin"
        )
        space["homepage"] = home["id"]
        return space

    @property
    def homepage_id(self) -> str:
        """The home page id of the default space."""
        return str(self.state["spaces"][self.space_key]["homepage"])

    def insert_content(
        self,
        space: str,
        title: str,
        body: str,
        parent: str | None,
        *,
        by: str,
        properties: dict[str, Any] | None = None,
        message: str = "",
    ) -> dict[str, Any]:
        """Store a validated new page at version 1."""
        now = self.clock.time()
        content_id = str(self.state["next_id"])
        self.state["next_id"] += 1
        record: dict[str, Any] = {
            "id": content_id,
            "type": "page",
            "status": "current",
            "title": title,
            "space": space,
            "parent": parent,
            "body": body,
            "created": now,
            "created_by": by,
            "versions": [
                {"number": 1, "when": now, "by": by, "message": message, "minorEdit": False}
            ],
            "labels": [],
            "properties": {},
            "position": self.next_sequence(),
        }
        for key, value in (properties or {}).items():
            record["properties"][key] = self._new_property(key, value, now)
        self.state["contents"][content_id] = record
        return record

    def _new_property(self, key: str, value: Any, now: float) -> dict[str, Any]:
        prop_id = str(self.state["next_id"])
        self.state["next_id"] += 1
        return {"id": prop_id, "key": key, "value": value, "version": 1, "when": now}

    def new_version(
        self, record: dict[str, Any], *, by: str, message: str = "", minor: bool = False
    ) -> None:
        """Record a new version of a page (the caller has changed it)."""
        record["versions"].append(
            {
                "number": record["versions"][-1]["number"] + 1,
                "when": self.clock.time(),
                "by": by,
                "message": message,
                "minorEdit": minor,
            }
        )

    def title_taken(
        self, space: str, title: str, except_id: str | None = None, *, trashed: bool = True
    ) -> bool:
        """True if another page in ``space`` has ``title``: titles are unique per space
        including the trash (``trashed=False`` looks at current pages only)."""
        statuses = ("current", "trashed") if trashed else ("current",)
        return any(
            c["space"] == space
            and c["title"] == title
            and c["status"] in statuses
            and c["id"] != except_id
            for c in self.state["contents"].values()
        )

    def restore_parent(self, record: dict[str, Any]) -> str | None:
        """Where a restored page goes: its old parent if that is still a current page,
        else the space home page."""
        parent = self.state["contents"].get(record["parent"] or "")
        if parent is not None and parent["status"] == "current":
            return str(parent["id"])
        home = self.state["spaces"][record["space"]]["homepage"]
        return None if home == record["id"] else str(home)

    def title_error(self, space: str, title: str) -> ApiError:
        """Confluence's answer for a duplicate title."""
        return bad_request(
            f"A page with this title already exists: A page already exists with the title "
            f"{title} in the space with key {space}"
        )

    def ancestors(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Root-first list of ancestor records."""
        out = []
        parent = record["parent"]
        while parent is not None and parent in self.state["contents"]:
            out.append(self.state["contents"][parent])
            parent = self.state["contents"][parent]["parent"]
        return list(reversed(out))

    # ------------------------------------------------------------------ plumbing
    def routes(self) -> list[Route]:
        r = Route
        base = "/rest/api"
        return [
            r("/", "GET", "view_index", False, public=True),
            r("/view/<vid>", "GET", "view_page", False, public=True),
            r(f"{base}/content", "GET", "list_content", False),
            r(f"{base}/content", "POST", "create_content", True),
            r(f"{base}/content/search", "GET", "content_search", False),
            r(f"{base}/search", "GET", "search", False),
            r(f"{base}/content/<cid>", "GET", "get_content", False),
            r(f"{base}/content/<cid>", "PUT", "update_content", True),
            r(f"{base}/content/<cid>", "DELETE", "delete_content", True),
            r(f"{base}/content/<cid>/history", "GET", "get_history", False),
            r(f"{base}/content/<cid>/version", "GET", "list_versions", False),
            r(f"{base}/content/<cid>/child", "GET", "get_child_map", False),
            r(f"{base}/content/<cid>/child/attachment", "GET", "list_attachments", False),
            r(f"{base}/content/<cid>/child/attachment", "POST", "create_attachment", True),
            r(f"{base}/content/<cid>/child/attachment", "PUT", "put_attachment", True),
            r("/download/attachments/<cid>/<path:name>", "GET", "download_attachment", False),
            r(f"{base}/content/<cid>/child/<ctype>", "GET", "get_children", False),
            r(f"{base}/content/<cid>/descendant/<ctype>", "GET", "get_descendants", False),
            r(f"{base}/content/<cid>/property", "GET", "list_properties", False),
            r(f"{base}/content/<cid>/property", "POST", "create_property", True),
            r(f"{base}/content/<cid>/property/<key>", "GET", "get_property", False),
            r(f"{base}/content/<cid>/property/<key>", "PUT", "update_property", True),
            r(f"{base}/content/<cid>/property/<key>", "DELETE", "delete_property", True),
            r(f"{base}/content/<cid>/label", "GET", "list_labels", False),
            r(f"{base}/content/<cid>/label", "POST", "add_labels", True),
            r(f"{base}/content/<cid>/label", "DELETE", "remove_label_query", True),
            r(f"{base}/content/<cid>/label/<label>", "DELETE", "remove_label", True),
            r(f"{base}/space", "GET", "list_spaces", False),
            r(f"{base}/space/<key>", "GET", "get_space", False),
            r(f"{base}/user/current", "GET", "current_user", False),
        ]

    def url_rules(self) -> list[Rule]:
        """Data Center: v1 at the root. Cloud: v1 under ``/wiki`` with its page endpoints
        gone (410), and v2 under ``/wiki/api/v2``."""
        if self.flavor == "datacenter":
            return [Rule(r.template, endpoint=r, methods=[r.method]) for r in self.routes()]
        rules = []
        for r in self.routes():
            if r.handler in V1_GONE_ON_CLOUD:
                r = Route(r.template, r.method, "v1_gone", r.write)
            rules.append(Rule(CLOUD_CONTEXT + r.template, endpoint=r, methods=[r.method]))
        rules += [Rule(CLOUD_CONTEXT + r.template, endpoint=r, methods=[r.method])
                  for r in self.v2_routes()]
        return rules

    def v1_gone(self, request: Request, **_: Any) -> Reply:
        """Cloud's answer to a v1 endpoint it removed in favour of v2."""
        raise conf_error(
            410,
            "This v1 REST API endpoint has been removed from Confluence Cloud; use the v2 "
            "REST API (/wiki/api/v2) instead",
            "Gone",
        )

    def v1_page_endpoints(self) -> set[str]:
        """The request-log endpoints (``"GET /rest/api/content/{cid}"``) of the v1 page
        API that cloud answers with 410."""
        return {f"{r.method} {display_template(r.template)}" for r in self.routes()
                if r.handler in V1_GONE_ON_CLOUD}

    def v1_page_requests(self) -> list[LoggedRequest]:
        """Every logged request to a v1 page endpoint (see :meth:`v1_page_endpoints`)."""
        gone = self.v1_page_endpoints()
        return [e for e in self.request_log if e.endpoint in gone]

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``: where the server listens."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The site URL a client is configured with: ``{root}/wiki`` on cloud, the root on
        Data Center (valid after :meth:`start`)."""
        return self.root_url + (CLOUD_CONTEXT if self.flavor == "cloud" else "")

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        # Errors raised before a handler runs (faults, rate limit) take the shape of the
        # API the request was for.
        self._local.v2 = "/api/v2/" in str(environ.get("PATH_INFO", ""))
        return super().wsgi_app(environ, start_response)

    def _v2_request(self) -> bool:
        return self.flavor == "cloud" and bool(getattr(self._local, "v2", False))

    def _user_name(self, request: Request) -> str:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                user = base64.b64decode(header[6:]).decode().split(":", 1)[0]
            except ValueError:
                return "anonymous"
            return user or "anonymous"
        return "pat-user"

    def _files_error(self, status: int, message: str) -> ApiError:
        reasons = {400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                   413: "Request Entity Too Large"}
        return conf_error(status, message, reasons.get(status, "Error"))

    def authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        secret: str | None = None
        if header.startswith("Basic "):
            try:
                _, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                secret = None
        elif header.startswith("Bearer "):
            secret = header[7:].strip()
        if not secret or (self.token is not None and secret != self.token):
            err = self._error(
                401, "Client must be authenticated to access this resource.", "Unauthorized"
            )
            err.reply.headers["WWW-Authenticate"] = 'Basic realm="Protected"'
            raise err

    def _error(self, status: int, message: str, reason: str) -> ApiError:
        """An error in the shape of the API the current request is for (v1 or v2)."""
        if self._v2_request():
            return v2_error(status, message)
        return conf_error(status, message, reason)

    def not_found_error(self, request: Request) -> ApiError:
        return self._error(404, f"null for uri: {request.url}", "Not Found")

    def rate_limited_error(self, retry_after: str) -> ApiError:
        err = self._error(429, "Rate limit exceeded.", "Too Many Requests")
        err.reply.headers["Retry-After"] = retry_after
        return err

    def server_error(self, status: int) -> ApiError:
        reasons = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return self._error(status, "Injected server error", reasons.get(status, "Error"))

    def client_error(self, status: int, message: str) -> ApiError:
        return self._error(status, message, "Bad Request")

    def conflict_error(self) -> ApiError:
        return self._error(409, "Version must be incremented on update (injected conflict)",
                           "Conflict")

    def endless_page(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        if "results" not in body or not isinstance(body.get("_links"), dict):
            return body
        # The same "next" link as this page's own: a server stuck on one page.
        return {**body, "_links": {**body["_links"], "next": request.full_path}}

    def _json(self, request: Request) -> Any:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise bad_request(f"Could not parse JSON: {exc}") from exc

    def _obj(self, request: Request) -> dict[str, Any]:
        body = self._json(request)
        if not isinstance(body, dict):
            raise bad_request("Expected a JSON object")
        return body

    def _context(self, request: Request) -> str:
        return CLOUD_CONTEXT if self.flavor == "cloud" else ""

    def _base(self, request: Request) -> str:
        return self.root_url + self._context(request)

    def _record(self, cid: str, status: str = "current") -> dict[str, Any]:
        record = self.state["contents"].get(cid)
        if record is None or (status != "any" and record["status"] != status):
            raise not_found(cid)
        found: dict[str, Any] = record
        return found

    def _page_args(self, request: Request, default: int = 25) -> tuple[int, int]:
        try:
            start = int(request.args.get("start", 0))
            limit = int(request.args.get("limit", default))
        except ValueError as exc:
            raise bad_request("start and limit must be integers") from exc
        if start < 0 or limit < 0:
            raise bad_request("start and limit must not be negative")
        return start, min(limit, MAX_LIMIT)

    def _listing(
        self,
        request: Request,
        items: list[Any],
        extra: dict[str, Any] | None = None,
        default: int = 25,
    ) -> dict[str, Any]:
        start, limit = self._page_args(request, default)
        chunk = items[start : start + limit]
        links: dict[str, Any] = {
            "base": self._base(request),
            "context": self._context(request),
            "self": self._base(request) + request.path[len(self._context(request)) :],
        }
        if start + limit < len(items):
            params = dict(request.args.items())
            params.update({"start": str(start + limit), "limit": str(limit)})
            links["next"] = request.path[len(self._context(request)) :] + "?" + urlencode(params)
        out: dict[str, Any] = {
            "results": chunk,
            "start": start,
            "limit": limit,
            "size": len(chunk),
            "_links": links,
        }
        out.update(extra or {})
        return out

    # ------------------------------------------------------------------ rendering
    def _user(self, name: str) -> dict[str, Any]:
        return {
            "type": "known",
            "username": name,
            "userKey": f"key-{name}",
            "accountId": f"acc-{name}",
            "displayName": name.title(),
        }

    def render(self, request: Request, record: dict[str, Any], expand: set[str]) -> dict[str, Any]:
        """A content object, expanding what ``expand`` asks for."""
        base = self._base(request)
        version = record["versions"][-1]
        out: dict[str, Any] = {
            "id": record["id"],
            "type": record["type"],
            "status": record["status"],
            "title": record["title"],
            "space": self.render_space(request, self.state["spaces"][record["space"]], set()),
            "history": {
                "latest": True,
                "createdBy": self._user(record["created_by"]),
                "createdDate": iso(record["created"]),
            },
            "version": {
                "by": self._user(version["by"]),
                "when": iso(version["when"]),
                "number": version["number"],
                "message": version["message"],
                "minorEdit": version["minorEdit"],
            },
            "extensions": {"position": record["position"]},
            "_links": {
                "webui": f"/spaces/{record['space']}/pages/{record['id']}",
                "tinyui": f"/x/{record['id']}",
                "self": f"{base}/rest/api/content/{record['id']}",
            },
            "_expandable": {},
        }
        if "ancestors" in expand:
            out["ancestors"] = [self.render(request, a, set()) for a in self.ancestors(record)]
        else:
            out["_expandable"]["ancestors"] = ""
        if "body.storage" in expand or "body" in expand:
            out["body"] = {
                "storage": {
                    "value": record["body"],
                    "representation": "storage",
                    "embeddedContent": [],
                    "_expandable": {"content": ""},
                }
            }
            if "body" in expand and "body.storage" not in expand:
                out["body"] = {"_expandable": {"storage": ""}}
        else:
            out["_expandable"]["body"] = ""
        metadata: dict[str, Any] = {}
        if "metadata.properties" in expand:
            metadata["properties"] = {
                k: self.render_property(request, record, p) for k, p in record["properties"].items()
            }
        for item in expand:
            if item.startswith("metadata.properties.") and item.count(".") == 2:
                key = item.split(".", 2)[2]
                if key in record["properties"]:
                    metadata.setdefault("properties", {})[key] = self.render_property(
                        request, record, record["properties"][key]
                    )
        if "metadata.labels" in expand:
            labels = [self.render_label(name) for name in record["labels"]]
            metadata["labels"] = {"results": labels, "start": 0, "limit": 200, "size": len(labels)}
        if metadata:
            out["metadata"] = metadata
        else:
            out["_expandable"]["metadata"] = ""
        if "children.page" in expand:
            kids = [self.render(request, c, set()) for c in self.children(record["id"])]
            out["children"] = {
                "page": {"results": kids, "start": 0, "limit": len(kids), "size": len(kids)}
            }
        else:
            out["_expandable"]["children"] = ""
        return out

    def render_space(
        self, request: Request, space: dict[str, Any], expand: set[str]
    ) -> dict[str, Any]:
        """A space object."""
        out: dict[str, Any] = {
            "id": space["id"],
            "key": space["key"],
            "name": space["name"],
            "type": "global",
            "status": "current",
            "_links": {
                "webui": f"/spaces/{space['key']}",
                "self": f"{self._base(request)}/rest/api/space/{space['key']}",
            },
            "_expandable": {},
        }
        if "homepage" in expand and space["homepage"] in self.state["contents"]:
            out["homepage"] = self.render(request, self.state["contents"][space["homepage"]], set())
        else:
            out["_expandable"]["homepage"] = f"/rest/api/content/{space['homepage']}"
        return out

    def render_property(
        self, request: Request, record: dict[str, Any], prop: dict[str, Any]
    ) -> dict[str, Any]:
        """A content property object."""
        return {
            "id": prop["id"],
            "key": prop["key"],
            "value": prop["value"],
            "version": {
                "when": iso(prop["when"]),
                "message": "",
                "number": prop["version"],
                "minorEdit": False,
            },
            "_links": {
                "self": f"{self._base(request)}/rest/api/content/{record['id']}"
                f"/property/{prop['key']}"
            },
            "_expandable": {"content": f"/rest/api/content/{record['id']}"},
        }

    @staticmethod
    def render_label(name: str) -> dict[str, Any]:
        """A label object."""
        return {"prefix": "global", "name": name, "id": str(abs(hash(name)) % 10**9), "label": name}

    def children(self, cid: str) -> list[dict[str, Any]]:
        """Current child pages, in position order."""
        kids = [
            c
            for c in self.state["contents"].values()
            if c["parent"] == cid and c["status"] == "current"
        ]
        return sorted(kids, key=lambda c: c["position"])

    @staticmethod
    def _expand(request: Request) -> set[str]:
        raw = request.args.get("expand", "")
        return {e.strip() for e in raw.split(",") if e.strip()}

    # ------------------------------------------------------------------ validation
    def _storage(self, body: Any) -> str:
        if not isinstance(body, dict) or not isinstance(body.get("storage"), dict):
            raise bad_request("Content body must be supplied in storage representation.")
        storage = body["storage"]
        if storage.get("representation", "storage") != "storage":
            raise bad_request(f"Unsupported representation: {storage.get('representation')}")
        value = storage.get("value")
        if not isinstance(value, str):
            raise bad_request("Content body value must be a string.")
        try:
            check_storage(value)
        except StorageFormatError as exc:
            raise bad_request(str(exc)) from exc
        return value

    def _title(self, title: Any) -> str:
        if not isinstance(title, str) or not title.strip():
            raise bad_request("Title cannot be empty")
        if len(title) > MAX_TITLE:
            raise bad_request(f"Title cannot be longer than {MAX_TITLE} characters.")
        return title

    def _parent_from(self, body: dict[str, Any], space: str) -> str | None:
        ancestors = body.get("ancestors")
        if not ancestors:
            return None
        if not isinstance(ancestors, list) or not isinstance(ancestors[-1], dict):
            raise bad_request("ancestors must be a list of objects with an id")
        parent_id = str(ancestors[-1].get("id"))
        parent = self.state["contents"].get(parent_id)
        if parent is None or parent["status"] != "current":
            raise bad_request(f"Could not find parent page with id {parent_id}")
        if parent["space"] != space:
            raise bad_request("Parent page must be in the same space")
        return parent_id

    @staticmethod
    def _metadata_properties(body: dict[str, Any]) -> dict[str, Any]:
        props = (body.get("metadata") or {}).get("properties") or {}
        if not isinstance(props, dict):
            raise bad_request("metadata.properties must be an object")
        out = {}
        for key, item in props.items():
            if not isinstance(item, dict) or "value" not in item:
                raise bad_request(f"metadata.properties.{key} must have a value")
            out[str(item.get("key", key))] = item["value"]
        return out

    # ------------------------------------------------------------------ endpoints: content
    def list_content(self, request: Request) -> Reply:
        """``GET /rest/api/content?spaceKey=&title=&type=``."""
        space = request.args.get("spaceKey")
        title = request.args.get("title")
        ctype = request.args.get("type", "page")
        status = request.args.get("status", "current")
        items = [
            c
            for c in self.state["contents"].values()
            if (space is None or c["space"] == space)
            and (title is None or c["title"] == title)
            and c["type"] == ctype
            and (status == "any" or c["status"] == status)
        ]
        items.sort(key=lambda c: c["position"])
        expand = self._expand(request)
        return Reply(200, self._listing(request, [self.render(request, c, expand) for c in items]))

    def create_content(self, request: Request) -> Reply:
        """``POST /rest/api/content``: a page (with ``metadata.properties`` set atomically)."""
        body = self._obj(request)
        if body.get("type", "page") != "page":
            raise bad_request(f"Unsupported content type: {body.get('type')}")
        if body.get("status", "current") != "current":
            raise bad_request("Only current content can be created by the stand-in")
        space = str((body.get("space") or {}).get("key"))
        if space not in self.state["spaces"]:
            raise conf_error(404, f"No space with key : {space}", "Not Found")
        title = self._title(body.get("title"))
        value = self._storage(body.get("body"))
        parent = self._parent_from(body, space)
        props = self._metadata_properties(body)
        for key, prop_value in props.items():
            self._check_property_size(key, prop_value)
        if self.title_taken(space, title):
            raise self.title_error(space, title)
        message = str((body.get("version") or {}).get("message", ""))
        record = self.insert_content(
            space,
            title,
            value,
            parent,
            by=self._user_name(request),
            properties=props,
            message=message,
        )
        for label in (body.get("metadata") or {}).get("labels") or []:
            if isinstance(label, dict) and label.get("name"):
                record["labels"].append(str(label["name"]).lower())
        expand = {"body.storage", "ancestors", "metadata.properties"}
        return Reply(200, self.render(request, record, expand | self._expand(request)))

    def get_content(self, request: Request, cid: str) -> Reply:
        """``GET /rest/api/content/{id}?expand=...&status=``."""
        status = request.args.get("status", "current")
        record = self._record(cid, "any" if status in ("any", "trashed") else status)
        if status == "trashed" and record["status"] != "trashed":
            raise not_found(cid)
        version = request.args.get("version")
        rendered = self.render(request, record, self._expand(request))
        if version is not None:
            match = [v for v in record["versions"] if str(v["number"]) == version]
            if not match:
                raise not_found(cid)
            rendered["version"]["number"] = match[0]["number"]
        return Reply(200, rendered)

    def update_content(self, request: Request, cid: str) -> Reply:
        """``PUT /rest/api/content/{id}``: version.number must be current + 1 (else 409)."""
        record = self._record(cid, "any")
        body = self._obj(request)
        number = (body.get("version") or {}).get("number")
        if number is None:
            raise bad_request(
                "Must supply an incremented version when updating Content. No version supplied."
            )
        current = record["versions"][-1]["number"]
        if not isinstance(number, int) or number != current + 1:
            raise conf_error(
                409,
                f"Version must be incremented on update. Current version is: {current}",
                "Conflict",
            )
        if body.get("type", record["type"]) != record["type"]:
            raise bad_request("Content type cannot be changed")
        if record["status"] == "trashed":
            return self._restore_v1(request, record, body)
        title = self._title(body.get("title"))
        value = self._storage(body["body"]) if "body" in body else record["body"]
        parent = (
            self._parent_from(body, record["space"]) if body.get("ancestors") else record["parent"]
        )
        if parent is not None and (
            parent == cid
            or any(a["id"] == cid for a in self.ancestors(self.state["contents"][parent]))
        ):
            raise bad_request("A page cannot be moved under itself or its descendants")
        status = body.get("status", "current")
        if status not in ("current", "trashed"):
            raise bad_request(f"Unsupported status {status}")
        if status == "current" and self.title_taken(record["space"], title, except_id=cid):
            raise self.title_error(record["space"], title)
        props = self._metadata_properties(body)
        now = self.clock.time()
        for key, prop_value in props.items():
            self._check_property_size(key, prop_value)
            existing = record["properties"].get(key)
            if existing is None:
                record["properties"][key] = self._new_property(key, prop_value, now)
            elif existing["value"] != prop_value:
                existing.update(value=prop_value, version=existing["version"] + 1, when=now)
        record.update(title=title, body=value, parent=parent, status=status)
        version = body.get("version") or {}
        self.new_version(
            record,
            by=self._user_name(request),
            message=str(version.get("message", "")),
            minor=bool(version.get("minorEdit", False)),
        )
        return Reply(
            200, self.render(request, record, {"body.storage", "ancestors"} | self._expand(request))
        )

    def _restore_v1(self, request: Request, record: dict[str, Any], body: dict[str, Any]) -> Reply:
        """A ``PUT`` on a trashed page: only ``status: current`` (a restore) is allowed, and
        it cannot change the title or the body at the same time."""
        cid = record["id"]
        if body.get("status", "current") != "current":
            raise bad_request(f"Cannot update trashed content {cid}; restore it first")
        if body.get("title", record["title"]) != record["title"] or (
            "body" in body and self._storage(body["body"]) != record["body"]
        ):
            raise bad_request(
                f"Cannot change the title or body of trashed content {cid}: restore it "
                "first, then update it"
            )
        if self.title_taken(record["space"], record["title"], except_id=cid):
            raise self.title_error(record["space"], record["title"])
        parent = (self._parent_from(body, record["space"]) if body.get("ancestors")
                  else self.restore_parent(record))
        record.update(status="current", parent=parent)
        version = body.get("version") or {}
        self.new_version(record, by=self._user_name(request),
                         message=str(version.get("message", "")))
        return Reply(200, self.render(request, record, {"ancestors"} | self._expand(request)))

    def delete_content(self, request: Request, cid: str) -> Reply:
        """``DELETE /rest/api/content/{id}``: trash; with ``status=trashed``, purge."""
        record = self._record(cid, "any")
        if request.args.get("status") == "trashed":
            if record["status"] != "trashed":
                raise not_found(cid)
            del self.state["contents"][cid]
            return Reply(204)
        if record["status"] != "current":
            raise not_found(cid)
        self.trash(record)
        return Reply(204)

    def trash(self, record: dict[str, Any]) -> None:
        """Move a page to the trash; its children move up to its parent (as in Confluence)."""
        for child in self.children(record["id"]):
            child["parent"] = record["parent"]
        record["status"] = "trashed"

    def get_history(self, request: Request, cid: str) -> Reply:
        """``GET /rest/api/content/{id}/history``."""
        record = self._record(cid, "any")
        last = record["versions"][-1]
        return Reply(
            200,
            {
                "latest": True,
                "createdBy": self._user(record["created_by"]),
                "createdDate": iso(record["created"]),
                "lastUpdated": {
                    "by": self._user(last["by"]),
                    "when": iso(last["when"]),
                    "number": last["number"],
                    "message": last["message"],
                    "minorEdit": last["minorEdit"],
                },
                "_links": {"self": f"{self._base(request)}/rest/api/content/{cid}/history"},
            },
        )

    def list_versions(self, request: Request, cid: str) -> Reply:
        """``GET /rest/api/content/{id}/version``: newest first."""
        record = self._record(cid, "any")
        versions = [
            {
                "by": self._user(v["by"]),
                "when": iso(v["when"]),
                "number": v["number"],
                "message": v["message"],
                "minorEdit": v["minorEdit"],
            }
            for v in reversed(record["versions"])
        ]
        return Reply(200, self._listing(request, versions, default=200))

    def get_child_map(self, request: Request, cid: str) -> Reply:
        """``GET /rest/api/content/{id}/child?expand=page``."""
        self._record(cid)
        out: dict[str, Any] = {"_links": {"base": self._base(request)}, "_expandable": {}}
        if "page" in self._expand(request):
            kids = [self.render(request, c, set()) for c in self.children(cid)]
            out["page"] = {"results": kids, "start": 0, "limit": len(kids), "size": len(kids)}
        else:
            out["_expandable"]["page"] = f"/rest/api/content/{cid}/child/page"
        return Reply(200, out)

    def get_children(self, request: Request, cid: str, ctype: str) -> Reply:
        """``GET /rest/api/content/{id}/child/page``: paginated, in position order."""
        self._record(cid)
        if ctype != "page":
            return Reply(200, self._listing(request, []))
        expand = self._expand(request)
        return Reply(
            200,
            self._listing(request, [self.render(request, c, expand) for c in self.children(cid)]),
        )

    def get_descendants(self, request: Request, cid: str, ctype: str) -> Reply:
        """``GET /rest/api/content/{id}/descendant/page``: depth first."""
        self._record(cid)
        out: list[dict[str, Any]] = []

        def walk(parent: str) -> None:
            for child in self.children(parent):
                out.append(child)
                walk(child["id"])

        if ctype == "page":
            walk(cid)
        expand = self._expand(request)
        return Reply(200, self._listing(request, [self.render(request, c, expand) for c in out]))

    # ------------------------------------------------------------------ endpoints: CQL
    def _facts(self, field: str, record: dict[str, Any]) -> Any:
        if field in ("space", "space.key"):
            return record["space"]
        if field in ("id", "content"):
            return record["id"]
        if field == "type":
            return record["type"]
        if field == "title":
            return record["title"]
        if field == "parent":
            return record["parent"] or ""
        if field == "ancestor":
            return [a["id"] for a in self.ancestors(record)]
        if field == "label":
            return record["labels"]
        if field == "text":
            return record["title"] + " " + re.sub(r"<[^>]+>", " ", record["body"])
        if field == "lastmodified":
            return datetime.fromtimestamp(record["versions"][-1]["when"], tz=UTC)
        if field == "created":
            return datetime.fromtimestamp(record["created"], tz=UTC)
        raise CqlError(f"unsupported field {field}")

    def _cql(self, request: Request) -> tuple[str, list[dict[str, Any]]]:
        cql = request.args.get("cql", "")
        try:
            query = parse(cql, self._facts, self.clock.now())
            hits = [
                c
                for c in self.state["contents"].values()
                if c["status"] == "current" and query.predicate(c)
            ]
        except CqlError as exc:
            raise bad_request(f"Could not parse cql : {cql} ({exc})") from exc
        order = query.order_field
        keys = {
            "lastmodified": lambda c: c["versions"][-1]["when"],
            "created": lambda c: c["created"],
            "title": lambda c: c["title"],
            "id": lambda c: int(c["id"]),
        }
        if order is not None and order not in keys:
            raise bad_request(f"Could not parse cql : {cql} (cannot order by {order})")
        hits.sort(key=keys[order or "id"], reverse=query.descending)
        return cql, hits

    def content_search(self, request: Request) -> Reply:
        """``GET /rest/api/content/search?cql=``: content objects."""
        _, hits = self._cql(request)
        expand = self._expand(request)
        return Reply(200, self._listing(request, [self.render(request, c, expand) for c in hits]))

    def search(self, request: Request) -> Reply:
        """``GET /rest/api/search?cql=``: search results wrapping content."""
        cql, hits = self._cql(request)
        expand = {e[len("content.") :] for e in self._expand(request) if e.startswith("content.")}
        results = []
        for c in hits:
            results.append(
                {
                    "content": self.render(request, c, expand),
                    "title": c["title"],
                    "excerpt": "",
                    "url": f"/spaces/{c['space']}/pages/{c['id']}",
                    "resultGlobalContainer": {
                        "title": self.state["spaces"][c["space"]]["name"],
                        "displayUrl": f"/spaces/{c['space']}",
                    },
                    "breadcrumbs": [],
                    "entityType": "content",
                    "iconCssClass": "aui-icon content-type-page",
                    "lastModified": iso(c["versions"][-1]["when"]),
                    "score": 0.0,
                }
            )
        return Reply(
            200,
            self._listing(
                request, results, {"totalSize": len(hits), "cqlQuery": cql, "searchDuration": 1}
            ),
        )

    # ------------------------------------------------------------------ endpoints: properties
    def _check_property_size(self, key: str, value: Any) -> None:
        if len(json.dumps(value)) > MAX_PROPERTY_CHARS:
            raise conf_error(
                413, f"The value of property {key} is too long", "Request Entity Too Large"
            )

    def list_properties(self, request: Request, cid: str) -> Reply:
        """``GET /rest/api/content/{id}/property``."""
        record = self._record(cid)
        props = [self.render_property(request, record, p) for p in record["properties"].values()]
        return Reply(200, self._listing(request, props, default=10))

    def create_property(self, request: Request, cid: str) -> Reply:
        """``POST /rest/api/content/{id}/property`` with ``{"key", "value"}``."""
        record = self._record(cid)
        body = self._obj(request)
        key = body.get("key")
        if not isinstance(key, str) or not key or "value" not in body:
            raise bad_request("A content property needs a key and a value")
        if key in record["properties"]:
            raise bad_request(f"Cannot add a new property with key '{key}', it already exists.")
        self._check_property_size(key, body["value"])
        prop = record["properties"][key] = self._new_property(key, body["value"], self.clock.time())
        return Reply(200, self.render_property(request, record, prop))

    def get_property(self, request: Request, cid: str, key: str) -> Reply:
        """``GET /rest/api/content/{id}/property/{key}``."""
        record = self._record(cid)
        if key not in record["properties"]:
            raise conf_error(404, f"Cannot find property with key: {key}", "Not Found")
        return Reply(200, self.render_property(request, record, record["properties"][key]))

    def update_property(self, request: Request, cid: str, key: str) -> Reply:
        """``PUT .../property/{key}``: version.number = current + 1 (creates it at version 1)."""
        record = self._record(cid)
        body = self._obj(request)
        if "value" not in body:
            raise bad_request("A content property needs a value")
        if body.get("key", key) != key:
            raise bad_request("The property key in the body does not match the path")
        number = (body.get("version") or {}).get("number")
        self._check_property_size(key, body["value"])
        existing = record["properties"].get(key)
        now = self.clock.time()
        if existing is None:
            if number not in (None, 1):
                raise conf_error(404, f"Cannot find property with key: {key}", "Not Found")
            prop = record["properties"][key] = self._new_property(key, body["value"], now)
            return Reply(200, self.render_property(request, record, prop))
        if number != existing["version"] + 1:
            raise conf_error(
                409,
                f"Version must be incremented on update. Current version is: {existing['version']}",
                "Conflict",
            )
        existing.update(value=body["value"], version=number, when=now)
        return Reply(200, self.render_property(request, record, existing))

    def delete_property(self, request: Request, cid: str, key: str) -> Reply:
        """``DELETE .../property/{key}``."""
        record = self._record(cid)
        if record["properties"].pop(key, None) is None:
            raise conf_error(404, f"Cannot find property with key: {key}", "Not Found")
        return Reply(204)

    # ------------------------------------------------------------------ endpoints: labels
    def list_labels(self, request: Request, cid: str) -> Reply:
        """``GET /rest/api/content/{id}/label``."""
        record = self._record(cid)
        return Reply(
            200,
            self._listing(request, [self.render_label(n) for n in record["labels"]], default=200),
        )

    def add_labels(self, request: Request, cid: str) -> Reply:
        """``POST /rest/api/content/{id}/label`` with one label or a list."""
        record = self._record(cid)
        body = self._json(request)
        items = body if isinstance(body, list) else [body]
        for item in items:
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name or any(ch.isspace() for ch in name):
                raise bad_request(f"Invalid label: {name!r}")
            name = name.lower()
            if name not in record["labels"]:
                record["labels"].append(name)
        labels = [self.render_label(n) for n in record["labels"]]
        return Reply(
            200, {"results": labels, "start": 0, "limit": len(labels), "size": len(labels)}
        )

    def _remove_label(self, cid: str, name: str | None) -> Reply:
        record = self._record(cid)
        if not name or name.lower() not in record["labels"]:
            raise conf_error(404, f"Label {name} not found on content {cid}", "Not Found")
        record["labels"].remove(name.lower())
        return Reply(204)

    def remove_label_query(self, request: Request, cid: str) -> Reply:
        """``DELETE /rest/api/content/{id}/label?name=``."""
        return self._remove_label(cid, request.args.get("name"))

    def remove_label(self, request: Request, cid: str, label: str) -> Reply:
        """``DELETE /rest/api/content/{id}/label/{label}``."""
        return self._remove_label(cid, label)

    # ------------------------------------------------------------------ endpoints: spaces, users
    def list_spaces(self, request: Request) -> Reply:
        """``GET /rest/api/space``."""
        expand = self._expand(request)
        spaces = [self.render_space(request, s, expand) for s in self.state["spaces"].values()]
        return Reply(200, self._listing(request, spaces))

    def get_space(self, request: Request, key: str) -> Reply:
        """``GET /rest/api/space/{key}?expand=homepage``."""
        space = self.state["spaces"].get(key)
        if space is None:
            raise conf_error(404, f"No space with key : {key}", "Not Found")
        return Reply(200, self.render_space(request, space, self._expand(request)))

    def current_user(self, request: Request) -> Reply:
        """``GET /rest/api/user/current``."""
        return Reply(200, self._user(self._user_name(request)))
