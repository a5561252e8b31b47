"""The Notion remote: the playbook as databases under one shared root page.

Layout: one database per collection (``Rituals``, ``Templates``, ``Release tiers``,
``Decision log``, and ``Playbook`` for the free documents) under the root page the user
shared with the integration. Each document is a row page: its fields are the row's
properties (derived from the kind's JSON Schema), its Markdown body the page's blocks. Two
extra properties carry sync metadata: ``Sync key`` (the document's stable key, so identity
never depends on the title) and, in the ``Playbook`` database, ``Kind``.

API version: :data:`NOTION_VERSION` (2026-03-11) unless the target's ``notion_version`` names
2025-09-03; both have databases that hold data sources. Everything version-specific (data
source parents, ``archived`` vs ``in_trash``, ``after`` vs ``position``) is in this module:
the client writes ``in_trash`` only (both versions take it), reads either, and positions
appended blocks with ``position`` on 2026-03-11 and ``after`` on 2025-09-03.

Requests: listing is incremental (:mod:`.listing`): per collection, one data-source query
for the rows edited since the cached listing (per 100 such rows) and one for the trashed
rows (the deletion signal); a complete listing (one query per 100 rows) when there is no
cache, once a day, or when the trash changed. A page body is read only when its
``last_edited_time`` moved (or is too recent to prove anything, since
Notion rounds it down to the minute); a body update is a block-level diff.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
from notion_client import APIResponseError, Client
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from prodops_sync.assets import NOTION_MAX_BYTES, content_type
from prodops_sync.formats.notion import fieldblocks
from prodops_sync.formats.notion import properties as notion_props
from prodops_sync.formats.notion.blocks import (
    block_fingerprint,
    for_request,
)
from prodops_sync.formats.notion.blocksplice import (
    from_state,
    pull_body,
    push_body,
    stored,
    to_state,
)
from prodops_sync.formats.notion.requests import (
    AppendStep,
    ResultRef,
    plan_append_requests,
    resolve,
)
from prodops_sync.formats.splice import Block, join_markdown, record_matches
from prodops_sync.kinds import KindSpec, active, collections
from prodops_sync.links import PENDING_URL, LinkResolver
from prodops_sync.model import Document, content_hash
from prodops_sync.pages import parent_key
from prodops_sync.remotes.base import (
    ContainerGone,
    HttpRemote,
    RemoteConflict,
    RemoteEntry,
    RemoteError,
    UnreadablePage,
    tracked_collections,
)
from prodops_sync.remotes.files import download
from prodops_sync.remotes.http import (
    BadAnswer,
    PageGuard,
    guarded_httpx_client,
    limits_from_target,
    notion_error_object,
)
from prodops_sync.remotes.listing import Listing
from prodops_sync.remotes.notion_columns import Columns
from prodops_sync.remotes.notion_diff import (
    Delete,
    Insert,
    Op,
    Update,
    cheapest_ops,
    own_fingerprint,
)
from prodops_sync.remotes.retry import (
    RETRYABLE_STATUSES,
    Failure,
    RateLimiter,
    RequestRunner,
    parse_retry_after,
)
from prodops_sync.schemas import load_schema
from prodops_sync.sync.config import ConfigError, Credentials, Target
from prodops_sync.sync.state import SyncState

NOTION_VERSION = "2026-03-11"
SUPPORTED_VERSIONS = ("2026-03-11", "2025-09-03")
DEFAULT_BASE_URL = "https://api.notion.com"
KEY_PROPERTY = notion_props.KEY_PROPERTY
KIND_PROPERTY = notion_props.KIND_PROPERTY
PENDING_PROPERTY = notion_props.PENDING_PROPERTY
SINGLETON_COLLECTION = "Playbook"
BOT_KEY = "#bot"
"""Where ``state.containers`` remembers the integration's user id (see ``_bot_id``)."""
# A page whose last_edited_time is this close to "now" may have been edited again within the
# same minute (Notion rounds the timestamp down), so its marker proves nothing. The slack
# covers a client clock that runs ahead of Notion's (a clock 5 minutes fast would otherwise
# take a fresh timestamp for a settled one and miss the next edit in that minute).
CLOCK_SLACK_SECONDS = 600
AMBIGUOUS_SECONDS = 120 + CLOCK_SLACK_SECONDS
# Suffix of a marker read while its minute may still have been open (see _entry).
PROVISIONAL = "~"
_START = "__start__"  # insert position: before the first child
# Block types that are separate pages, not content: never descend into them.
_NOT_CONTENT = frozenset({"child_page", "child_database"})
# Sync keys per look-up query (an "or" of "equals" filters; Notion documents no limit on
# their number, this stays well below any request size limit).
PROBE_KEYS = 25
# How long a look-up vouches for a page: a write later than this looks again. The page can
# change between the look-up and the write (Notion has no compare-and-set); this bounds that
# window the way reading the page right before each write used to, at 1/25 of the requests.
PROBE_SECONDS = 30.0
# Id given to a block the state knows by content only (written by a create, whose answer
# lists no block ids): a diff that must address such a block lists the page's blocks first.
_UNKNOWN = "unknown:"


def _iso_to_epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def classify_error(exc: Exception, token_env: str = "NOTION_TOKEN") -> Failure | None:
    """Describe a notion-client/httpx exception for the retry runner (a 401 message names
    ``token_env``, the variable the token came from).

    ``HTTPResponseError`` covers both Notion-shaped errors (``APIResponseError``) and the
    ``UnknownHTTPResponseError`` notion-client raises for a non-JSON answer, e.g. a 502 or
    503 page from a gateway in front of the API: those are retried like any other 5xx."""
    if isinstance(exc, BadAnswer):
        return Failure(False, message=str(exc))
    if isinstance(exc, APIResponseError | HTTPResponseError):
        status = exc.status
        retry_after = parse_retry_after(exc.headers.get("retry-after")) if exc.headers else None
        if status in RETRYABLE_STATUSES:
            return Failure(True, status, retry_after, ambiguous=status >= 500,
                           message=f"HTTP {status} {exc.code}")
        if status == 409:
            # conflict_error: the transaction collided with another and was not applied;
            # Notion documents it as retryable ("make sure the parameters are up to date").
            return Failure(True, status, retry_after, message=f"HTTP 409 {exc.code}")
        hints = {
            401: f"the token was rejected (401): check the environment variable {token_env}",
            403: "the integration lacks a capability (403): give it read, update and insert "
                 "content capabilities",
            404: "not found (404): the page or database does not exist or is not shared with "
                 "the integration (Share -> Connections in Notion)",
        }
        return Failure(False, status, message=hints.get(status, f"HTTP {status} {exc.code}: {exc}"))
    if isinstance(exc, RequestTimeoutError | httpx.TimeoutException):
        return Failure(True, ambiguous=True, message="request timed out")
    if isinstance(exc, httpx.ConnectError):
        return Failure(True, message=f"cannot connect: {exc}")
    if isinstance(exc, httpx.TransportError):
        return Failure(True, ambiguous=True, message=f"connection dropped: {exc}")
    return None


def _plain(rich_text: Sequence[dict[str, Any]]) -> str:
    return "".join(
        str(item.get("plain_text", (item.get("text") or {}).get("content", "")))
        for item in rich_text
    )


def _rich(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": text}}]


class NotionRemote(HttpRemote):
    """Sync target backed by the Notion API (or a stand-in speaking it)."""

    label = "notion"

    def __init__(
        self,
        client: Client,
        root_page: str,
        *,
        runner: RequestRunner | None = None,
        clock: Callable[[], float] = time.time,
        version: str = NOTION_VERSION,
    ) -> None:
        self.client = client
        self.root_page = root_page
        self.version = version  # the Notion-Version the client sends
        self.runner = runner or RequestRunner(classify_error, service="notion")
        self.clock = clock
        self._pages: dict[str, dict[str, Any]] = {}
        self._containers: dict[str, str] = {}  # collection -> data source id (from the state)
        self._kinds: Sequence[KindSpec] = ()
        self._property_ids: dict[str, dict[str, str]] = {}  # the state's, updated in place
        self._columns: dict[str, Columns] = {}
        self._column_types: dict[str, dict[str, str]] = {}  # collection -> column -> type
        self._bot: str | None = None
        self._page_blocks: dict[str, list[dict[str, Any]]] = {}  # free page -> its blocks
        self._state: SyncState | None = None
        self._container_drift: list[tuple[str, str]] = []  # e.g. two databases, one title
        # Look-ups by sync key (see _probe): key -> (when, page or None), and the keys this
        # run will write, per collection in order, so that one query covers the next ones.
        self._probes: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._upcoming: dict[str, list[str]] = {}
        self._upcoming_at: dict[str, int] = {}

    @classmethod
    def from_target(
        cls, target: Target, creds: Credentials, *, clock: Callable[[], float] = time.time
    ) -> NotionRemote:
        """Build a remote for a configured ``notion`` target. ``clock`` tells the time that
        minute-rounded ``last_edited_time`` values are compared with (tests and benchmarks
        pass a stand-in's simulated clock)."""
        base_url = str(target.get("base_url", DEFAULT_BASE_URL)).rstrip("/")
        # notion-client logs every failed request at WARNING on stderr; our runner reports
        # failures itself, in one line.
        logging.getLogger("notion_client").setLevel(logging.CRITICAL)
        limits = limits_from_target(target)
        version = str(target.get("notion_version", NOTION_VERSION))
        if version not in SUPPORTED_VERSIONS:
            raise ConfigError(
                f"notion_version {version!r} is not one this tool speaks: use one of "
                f"{', '.join(SUPPORTED_VERSIONS)}"
            )
        client = Client(
            client=guarded_httpx_client(limits, notion_error_object),
            auth=creds.token,
            log_level=logging.CRITICAL,
            base_url=base_url,
            notion_version=version,
            retry=False,  # RequestRunner owns retries
            timeout_ms=int(limits.read * 1000),
        )
        rate = float(target.get("requests_per_second", 3))
        classify = partial(classify_error, token_env=str(target.get("token_env", "NOTION_TOKEN")))
        runner = RequestRunner(classify, limiter=RateLimiter(rate), service="notion")
        return cls(
            client, str(target.get("root_page")), runner=runner, clock=clock, version=version
        )

    # -- requests -------------------------------------------------------------------------

    def _read(self, describe: str, send: Callable[[], Any]) -> Any:
        return self.runner.call(send, describe=describe)

    def _write(
        self, describe: str, send: Callable[[], Any], before_retry: Callable[[], Any] | None = None
    ) -> Any:
        return self.runner.call(send, write=True, describe=describe, before_retry=before_retry)

    def _now(self) -> float:
        return self.clock()

    # -- containers ------------------------------------------------------------------------

    def binding(self) -> dict[str, str]:
        """The root page the databases live under (its id without dashes, lower case)."""
        return {"type": "notion", "root_page": self.root_page.replace("-", "").lower()}

    def database_properties(
        self, collection: str, kinds: Sequence[KindSpec],
        relations: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The data source's properties: the union of its kinds' schema-derived properties,
        the identity key and, for the shared ``Playbook`` database, the kind.

        A reference (``x-ref``) to a kind that has a database is a ``relation`` to it when
        ``relations`` (kind -> data source id, default: the databases the state knows)
        names it; when that database does not exist yet, the column is left out (it is
        added once it does, never made rich text first)."""
        relations = self._relations() if relations is None else relations
        props: dict[str, Any] = {}
        for kind in kinds:
            schema = load_schema(kind.name)
            later = _refs_to_create_later(schema, relations)
            for name, spec in notion_props.database_properties(schema, relations=relations).items():
                if name in later:
                    continue
                if name in props and props[name] != spec:
                    raise RemoteError(
                        f"notion: property {name!r} of collection {collection!r} has "
                        f"different types in different kinds"
                    )
                props[name] = spec
        props[KEY_PROPERTY] = {"rich_text": {}}
        if len(kinds) > 1 or not kinds[0].is_record:
            props[KIND_PROPERTY] = {
                "select": {"options": [{"name": k.name} for k in kinds]}
            }
        return props

    def _relations(self, containers: dict[str, str] | None = None) -> dict[str, str]:
        """Kind -> data source id of every kind whose database exists (the targets a
        reference column can be a relation to)."""
        known = self._containers if containers is None else containers
        return {
            kind.name: known[kind.collection] for kind in active().collection_kinds
            if not kind.is_page and known.get(kind.collection)
        }

    def _cols(self, collection: str) -> Columns:
        """The columns of ``collection`` (tool names, recorded property ids)."""
        if collection not in self._columns:
            members = collections(self._kinds).get(collection) or []
            every = {k.name: "-" for k in active().collection_kinds if not k.is_page}
            names = self.database_properties(collection, members, every) if members else {}
            ids = self._property_ids.setdefault(collection, {})
            self._columns[collection] = Columns(
                collection, names, ids, _earlier_names(members)
            )
        return self._columns[collection]

    def _by_tool_names(self, page: dict[str, Any], kind_name: str) -> dict[str, Any]:
        """``page`` with its properties keyed by the tool's column names."""
        kind = active().get(kind_name)
        if kind is not None and isinstance(page.get("properties"), dict):
            page["properties"] = self._cols(kind.collection).to_tool_names(page["properties"])
        return page

    def drift(self) -> list[tuple[str, str]]:
        columns = [m for cols in self._columns.values() for m in cols.messages()]
        return [*self._container_drift, *columns]

    def prepare(self, state: SyncState, kinds: Sequence[KindSpec], *, create: bool) -> None:
        for kind in kinds:
            if kind.is_page and kind.collection not in state.containers:
                self._prepare_pages_root(state, kind.collection, create=create)
        self._kinds = tuple(kinds)
        self._property_ids = state.property_ids
        self._columns = {}
        self._container_drift = []
        missing = [c for c in collections(kinds) if c not in state.containers]
        existing = self._find_databases() if missing else {}
        grouped = collections(kinds)
        for collection in grouped:  # found again (a lost state, --rebind): known up front,
            if collection not in state.containers and collection in existing:
                state.containers[collection] = existing[collection]  # so are relations
        # Referenced databases first, so a reference column can be a relation from the
        # start; a cycle or a self-reference gets its column in the second round.
        for _round in (1, 2):
            for collection in _by_references(grouped):
                members = grouped[collection]
                props = self.database_properties(
                    collection, members, self._relations(state.containers))
                self._prepare_database(state, collection, props, existing, create=create)
        self._containers = dict(state.containers)

    def _prepare_database(
        self, state: SyncState, collection: str, props: dict[str, Any],
        existing: dict[str, str], *, create: bool,
    ) -> None:
        """Find or create one database and bring its schema to ``props``."""
        digest = hashlib.sha256(json.dumps(props, sort_keys=True).encode()).hexdigest()[:16]
        if collection not in state.containers:
            if collection in existing:
                state.containers[collection] = existing[collection]
            elif create:
                state.containers[collection] = self._create_database(collection, props)
                state.containers[f"{collection}#schema"] = digest
                self._column_types[collection] = {n: next(iter(v)) for n, v in props.items()}
                return
            else:
                return
        if create and state.containers.get(f"{collection}#schema") != digest:
            ds_id = state.containers[collection]
            update = self._schema_update(collection, ds_id, props)
            self._write(
                f"update database {collection!r}",
                partial(self.client.data_sources.update, ds_id, properties=update),
            )
            state.containers[f"{collection}#schema"] = digest

    def _schema_update(
        self, collection: str, ds_id: str, props: dict[str, Any]
    ) -> dict[str, Any]:
        """The ``properties`` of a data-source update bringing an existing database to
        ``props`` without losing a value or a person's change (one read):

        - a column an earlier version named like its field (``duration_minutes``) is renamed
          to its label, by property id, so its values stay;
        - a column a person renamed or retyped in Notion keeps its name and type (it is
          addressed by id; only the tool's option lists are sent where the type matches);
        - a column that is missing is added.
        """
        source = self._read(
            f"read database {collection!r}",
            partial(self.client.data_sources.retrieve, ds_id),
        )
        current = {
            name: value for name, value in (source.get("properties") or {}).items()
            if isinstance(value, dict)
        }
        name_of_id = {str(value.get("id")): name for name, value in current.items()}
        columns = self._cols(collection)
        types = self._column_types.setdefault(collection, {})
        update: dict[str, Any] = {}
        for label, spec in props.items():
            ptype = next(iter(spec))
            now = name_of_id.get(columns.ids.get(label, "")) or (
                label if label in current else None)
            old = columns.aliases.get(label)
            if now is None and old in current:
                now = old
            if now is None:
                update[label] = spec
                types[label] = ptype
                continue
            column = current[now]
            same_type = column.get("type") == ptype
            change: dict[str, Any] = dict(spec) if same_type else {}
            if now == old and now != label:
                change["name"] = label
            if change:
                update[str(column.get("id") or now)] = change
            types[label] = str(column.get("type"))  # kept as it is when a person retyped it
            if column.get("id"):
                columns.ids[label] = str(column["id"])
            if old is not None:
                columns.ids.pop(old, None)
        return update

    def _find_databases(self) -> dict[str, str]:
        """Databases already under the root page (a lost state file must not duplicate
        them): title -> data source id."""
        found: dict[str, str] = {}
        for block in self._list_children(self.root_page):
            if block.get("type") != "child_database":
                continue
            title = block["child_database"].get("title", "")
            database = self._read(
                f"read database {title!r}",
                partial(self.client.databases.retrieve, block["id"]),
            )
            sources = database.get("data_sources") or []
            if not sources:
                continue
            if title in found:
                # Two runs racing on an empty root page can both create a database (Notion
                # has no unique titles); the first one is used, the other is reported.
                self._container_drift.append((title, (
                    f"two databases titled {title!r} under the root page; using the first "
                    f"(data source {found[title]}), the other ({sources[0]['id']}) is "
                    "ignored: move its rows into the first and delete it")))
                continue
            found[title] = sources[0]["id"]
        return found

    def _create_database(self, title: str, props: dict[str, Any]) -> str:
        def existing() -> dict[str, Any] | None:
            # The answer to a create that landed can be lost (timeout, dropped connection):
            # look before creating a second database with the same title.
            ds_id = self._find_databases().get(title)
            return {"data_sources": [{"id": ds_id}]} if ds_id else None

        database = self._write(
            f"create database {title!r}",
            lambda: self.client.databases.create(
                parent={"type": "page_id", "page_id": self.root_page},
                title=_rich(title),
                initial_data_source={"properties": props},
            ),
            before_retry=existing,
        )
        return str(database["data_sources"][0]["id"])

    # -- listing ---------------------------------------------------------------------------

    def list_entries(self, state: SyncState, kinds: Sequence[KindSpec]) -> list[RemoteEntry]:
        self._state = state  # its per-block bases splice the pages fetched next
        entries: list[RemoteEntry] = []
        for kind in kinds:
            root = state.containers.get(kind.collection) if kind.is_page else None
            if root:
                entries.extend(self._list_page_tree(root, kind))
        tracked = tracked_collections(state)
        self._containers = dict(state.containers)
        listed: list[tuple[Sequence[KindSpec], list[dict[str, Any]], set[str]]] = []
        for collection, members in collections(kinds).items():
            ds_id = state.containers.get(collection)
            if not ds_id:
                continue
            try:
                pages, cached = self._list_rows(state, collection, ds_id)
            except RemoteError as exc:
                if exc.status == 404:
                    raise ContainerGone(
                        f"the {collection!r} database (data source {ds_id}) recorded in the "
                        f"state is gone or no longer shared with the integration"
                    ) from None
                raise
            if not pages and collection in tracked:
                # An empty listing of a collection that had documents: make sure the
                # database is still ours before calling every one of them deleted.
                self._check_container(collection, ds_id)
            listed.append((members, pages, cached))
        # A row moved to another of our databases is listed (as changed) there while the
        # cache of its old database still holds it: the fresh copy wins.
        fresh = {str(p["id"]) for _, pages, cached in listed for p in pages
                 if str(p["id"]) not in cached}
        for kinds_of, pages, cached in listed:
            for page in pages:
                page_id = str(page["id"])
                if page_id in cached and page_id in fresh:
                    continue
                entry = self._entry(page, kinds_of, full=page_id not in cached)
                if entry is not None:
                    entries.append(entry)
        return entries

    def _list_rows(
        self, state: SyncState, collection: str, ds_id: str
    ) -> tuple[list[dict[str, Any]], set[str]]:
        """The rows of data source ``ds_id`` and the ids of those taken from the cached
        listing (trimmed copies: :meth:`fetch` reads such a page when it needs it).

        Incremental (see :mod:`.listing`): the rows edited since the cached listing, plus
        the data source's trashed rows as the deletion signal, 2 requests when fewer than
        100 rows changed. A complete listing (plus the trash) when there is no cache, it is
        due, or the trash changed (a row trashed, restored or purged)."""
        describe = f"list {collection!r}"
        started = self._now()
        cache = Listing.load(state.listings.get(ds_id))
        if cache is not None and not cache.stale(started):
            since = datetime.fromtimestamp(cache.since(), UTC).isoformat(timespec="seconds")
            changed = self._query(ds_id, describe, filter={
                "timestamp": "last_edited_time", "last_edited_time": {"on_or_after": since},
            })
            trash: list[str] | None = self._trash_signal(ds_id, collection)
            if trash == cache.signal:
                cache.merge((self._trimmed(p, collection) for p in changed), started)
                state.set_listing(ds_id, cache.dump())
                fresh = {str(p["id"]) for p in changed}
                kept = [dict(item) for pid, item in cache.items.items() if pid not in fresh]
                return changed + kept, {str(p["id"]) for p in kept}
        else:
            trash = None
        pages = self._query(ds_id, describe)
        if trash is None:
            trash = self._trash_signal(ds_id, collection)
        items = {str(p["id"]): self._trimmed(p, collection) for p in pages}
        state.set_listing(ds_id, Listing(started, started, items, trash).dump())
        return pages, set()

    def _trash_signal(self, ds_id: str, collection: str) -> list[str]:
        """The ids of the data source's rows in the trash, sorted (one query per 100): a
        row trashed, restored or purged since the last listing changes it."""
        trashed = self._query(ds_id, f"list trashed rows of {collection!r}", in_trash=True)
        return sorted(str(p["id"]) for p in trashed)

    def _trimmed(self, page: dict[str, Any], collection: str) -> dict[str, Any]:
        """A copy of a listed row holding what :meth:`_entry` reads (and what drift
        reporting needs): identity, timestamps, url, and each property's id and type, with
        the value only of the title, key and kind properties."""
        raw = {n: v for n, v in (page.get("properties") or {}).items() if isinstance(v, dict)}
        # Which of the page's columns are the key and kind, however they are named in
        # Notion now (renamed by a person, or an earlier version's name): ask the mapping.
        tool = self._cols(collection).to_tool_names(dict(raw))
        keep = {id(tool[n]) for n in (KEY_PROPERTY, KIND_PROPERTY) if n in tool}
        props: dict[str, Any] = {}
        for name, value in raw.items():
            if id(value) in keep or value.get("type") == "title":
                props[name] = value
            else:
                props[name] = {"id": value.get("id"), "type": value.get("type")}
        return {
            "id": page["id"],
            "url": page.get("url", ""),
            "last_edited_time": page.get("last_edited_time", ""),
            "last_edited_by": {"id": str((page.get("last_edited_by") or {}).get("id", ""))},
            "properties": props,
        }

    def _check_container(self, collection: str, ds_id: str) -> None:
        """Raise :class:`ContainerGone` if data source ``ds_id`` is in the trash or its
        database is no longer under the root page. One read."""
        source = self._read(
            f"read database {collection!r}",
            partial(self.client.data_sources.retrieve, ds_id),
        )
        parent = source.get("database_parent") or {}
        where = str(parent.get("page_id", "")).replace("-", "").lower()
        if source.get("in_trash") or source.get("archived"):
            raise ContainerGone(
                f"the {collection!r} database (data source {ds_id}) is in the trash"
            )
        if where and where != self.binding()["root_page"]:
            raise ContainerGone(
                f"the {collection!r} database (data source {ds_id}) is no longer under root "
                f"page {self.root_page} (it is under {where})"
            )

    def _query(self, ds_id: str, describe: str, **filters: Any) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        cursor: str | None = None
        guard = PageGuard("notion", describe)
        while True:
            kwargs: dict[str, Any] = {"page_size": 100, **filters}
            if cursor:
                kwargs["start_cursor"] = cursor
            result = self._read(
                describe, partial(self.client.data_sources.query, ds_id, **kwargs)
            )
            pages.extend(_results(result, describe))
            if not result.get("has_more"):
                return pages
            cursor = result.get("next_cursor")
            guard.next(cursor)

    def _entry(
        self, page: dict[str, Any], members: Sequence[KindSpec], *, full: bool = True
    ) -> RemoteEntry | None:
        """The listing entry of row ``page``; ``full`` is False for a trimmed copy from the
        cached listing, which :meth:`fetch` must not take for the page."""
        if members and isinstance(page.get("properties"), dict):
            page["properties"] = self._cols(members[0].collection).to_tool_names(
                page["properties"]
            )
        props = page.get("properties", {})
        key = _plain(props.get(KEY_PROPERTY, {}).get("rich_text", [])) or None
        if KIND_PROPERTY in props:
            kind_name = ((props[KIND_PROPERTY].get("select") or {}).get("name")) or ""
        else:
            kind_name = members[0].name
        if kind_name not in active():
            return None  # a row nobody can map to a playbook kind is left alone
        title = ""
        for value in props.values():
            if value.get("type") == "title":
                title = _plain(value.get("title", []))
        if full:
            self._pages[page["id"]] = page
        marker, unsettled = self._marker(page)
        return RemoteEntry(
            remote_id=page["id"],
            key=key,
            kind=kind_name,
            title=title,
            marker=marker,
            url=str(page.get("url", "")),
            maybe_changed=unsettled,
        )

    def _marker(self, page: dict[str, Any]) -> tuple[str, bool]:
        """The page's version marker, and whether it is too recent to prove anything.

        Notion rounds ``last_edited_time`` down to the minute, so the marker pairs it with
        ``last_edited_by``: a person editing in the same minute as our own write changes the
        editor even though the minute stays. A recent timestamp whose last editor is not
        this integration may still move within its minute: such a marker is provisional
        (it never equals the settled value), so the page is read again on the next run.
        """
        edited = str(page.get("last_edited_time", ""))
        editor = str((page.get("last_edited_by") or {}).get("id", ""))
        unsettled = self._recent(edited) and editor != self._bot_id()
        marker = f"{edited}|{editor}"
        return (marker + PROVISIONAL if unsettled else marker), unsettled

    def _bot_id(self) -> str:
        """The integration's own user id: one request, once, then remembered in the state
        (``containers["#bot"]``). A remembered id that is no longer this integration's (the
        token was changed) is safe: this integration's own writes then look like a
        person's, so recent ones are read once more, never taken as settled."""
        if self._bot is None:
            known = self._state.containers.get(BOT_KEY) if self._state is not None else None
            if known:
                self._bot = known
            else:
                me = self._read("read integration user", self.client.users.me)
                self._bot = str(me.get("id", ""))
                if self._state is not None and self._bot:
                    self._state.containers[BOT_KEY] = self._bot
        return self._bot

    def _recent(self, edited: str) -> bool:
        return bool(edited) and self._now() - _iso_to_epoch(edited) < AMBIGUOUS_SECONDS

    # -- reading ---------------------------------------------------------------------------

    def _list_children(self, block_id: str) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        cursor: str | None = None
        guard = PageGuard("notion", "read blocks")
        while True:
            kwargs: dict[str, Any] = {"page_size": 100}
            if cursor:
                kwargs["start_cursor"] = cursor
            result = self._read(
                "read blocks",
                partial(self.client.blocks.children.list, block_id, **kwargs),
            )
            blocks.extend(_results(result, "read blocks"))
            if not result.get("has_more"):
                return blocks
            cursor = result.get("next_cursor")
            guard.next(cursor)

    def read_tree(self, block_id: str) -> list[dict[str, Any]]:
        """The block tree under ``block_id``, children attached as ``block[type]["children"]``."""
        blocks = self._list_children(block_id)
        for block in blocks:
            kind = block.get("type", "")
            if block.get("has_children") and kind not in _NOT_CONTENT:
                block.setdefault(kind, {})["children"] = self.read_tree(block["id"])
        return blocks

    def _schema(self, kind: str) -> dict[str, Any]:
        return load_schema(kind)

    def fetch(self, entry: RemoteEntry, key: str, resolver: LinkResolver) -> Document:
        if active()[entry.kind].is_page:
            return self._fetch_free_page(entry, key, resolver)
        page = self._pages.get(entry.remote_id) or self._by_tool_names(self._read(
            "read page", lambda: self.client.pages.retrieve(entry.remote_id)
        ), entry.kind)
        properties = self._full_properties(page)
        problems: list[str] = []
        fields = notion_props.properties_to_fields(
            properties, self._schema(entry.kind), problems=problems,
            relations=self._relations(), key_for_page_id=resolver.key_for_url,
        )
        where = f"notion: page {entry.title!r} ({entry.url})"
        try:
            blocks = self.read_tree(entry.remote_id)
            schema = self._schema(entry.kind)
            tables, body_blocks = fieldblocks.split_section(blocks, schema)
            if tables:  # the page's tables hold these fields (not an old JSON column)
                for name in fieldblocks.table_fields(schema):
                    fields.pop(name, None)
                fields.update(fieldblocks.read_section(tables, schema, problems))
            # Blocks the wiki did not change since the last sync keep their Git Markdown.
            body, spliced = pull_body(self._base_of(entry, key), body_blocks, current_key=key,
                                      resolver=resolver)
        except ValueError as exc:  # this page's content alone: skip it, sync the others
            raise UnreadablePage(f"{where}: {exc}") from None
        except RecursionError:  # reading and converting recurse once per nesting level
            raise UnreadablePage(
                f"{where}: blocks are nested too deeply to convert; flatten the page in Notion"
            ) from None
        return Document(key, entry.kind, fields, body, extra={
            "blocks": blocks, "property_problems": problems,
            "splice": {"blocks": to_state(spliced)},
        })

    def _base_of(self, entry: RemoteEntry, key: str) -> list[Block] | None:
        """The per-block base of the last sync of this page (``DocState.splice``), from the
        state the listing was made with; None when there is none for this page."""
        recorded = self._state.docs.get(key) if self._state is not None else None
        if recorded is None or recorded.remote_id != entry.remote_id:
            return None
        record = recorded.splice
        return from_state(record.get("blocks")) if isinstance(record, dict) else None

    def _full_properties(self, page: dict[str, Any]) -> dict[str, Any]:
        """The page's properties with every item: a page object holds at most 25 items of
        a title, rich text, people or relation value (``has_more``); the rest are read
        from the page property endpoint, 100 per request."""
        properties = dict(page.get("properties") or {})
        for name, value in properties.items():
            if not isinstance(value, dict) or not notion_props.needs_paging(value):
                continue
            items: list[dict[str, Any]] = []
            cursor: str | None = None
            guard = PageGuard("notion", f"read property {name!r}")
            while True:
                kwargs: dict[str, Any] = {"page_size": 100}
                if cursor:
                    kwargs["start_cursor"] = cursor
                result = self._read(
                    f"read property {name!r}",
                    partial(self.client.pages.properties.retrieve, page["id"], value["id"],
                            **kwargs),
                )
                found = result.get("results") if isinstance(result, dict) else None
                items.extend(found if isinstance(found, list) else [])
                if not result.get("has_more"):
                    break
                cursor = result.get("next_cursor")
                guard.next(cursor)
            properties[name] = notion_props.with_items(value, items)
        return properties

    # -- writing ---------------------------------------------------------------------------

    def _page_properties(
        self, doc: Document, resolver: LinkResolver, existing: dict[str, str] | None = None
    ) -> dict[str, Any]:
        collection = active()[doc.kind].collection
        if existing is None:  # a new page: the columns as this run found or made them
            existing = self._column_types.get(collection)
        props = dict(notion_props.fields_to_properties(
            doc.fields, self._schema(doc.kind), existing=existing,
            relations=self._relations(), page_id_for=partial(_page_id_for, resolver),
        ))
        props[KEY_PROPERTY] = {"rich_text": _rich(doc.key)}
        if not active()[doc.kind].is_record:
            props[KIND_PROPERTY] = {"select": {"name": doc.kind}}
        return self._cols(active()[doc.kind].collection).to_wiki_keys(props)

    def _waiting(self, entry: RemoteEntry) -> bool:
        """Whether the page holds references waiting for their targets' pages."""
        props = (self._pages.get(entry.remote_id) or {}).get("properties") or {}
        value = props.get(PENDING_PROPERTY)
        return isinstance(value, dict) and bool(value.get("rich_text"))

    def _field_section(self, doc: Document) -> list[dict[str, Any]]:
        """The tables of the document's lists of objects, above its body (see
        :mod:`~prodops_sync.formats.notion.fieldblocks`)."""
        return fieldblocks.render_section(doc.fields, self._schema(doc.kind))

    def _find_by_key(self, ds_id: str, key: str, kind: KindSpec) -> dict[str, Any] | None:
        column = self._cols(kind.collection).key_of(KEY_PROPERTY)
        pages = self._query(
            ds_id,
            "look up page by key",
            filter={"property": column, "rich_text": {"equals": key}},
        )
        return pages[0] if pages else None

    def will_write(self, docs: Sequence[Document]) -> None:
        self._upcoming = {}
        for doc in docs:
            kind = active().get(doc.kind)
            if kind is not None and not kind.is_page:
                self._upcoming.setdefault(kind.collection, []).append(doc.key)
        self._upcoming_at = {
            key: n for keys in self._upcoming.values() for n, key in enumerate(keys)
        }

    def _probe(self, ds_id: str, kind: KindSpec, key: str) -> dict[str, Any] | None:
        """The page carrying sync key ``key`` in ``kind``'s database as it is now (None:
        there is none), from a look-up at most :data:`PROBE_SECONDS` old. One query looks
        up this key and the next :data:`PROBE_KEYS` - 1 keys this run will write in the
        collection (announced by :meth:`will_write`), so a run costs one query per 25
        documents instead of a look-up or page read before each write."""
        known = self._probes.get(key)
        if known is not None and self._now() - known[0] <= PROBE_SECONDS:
            return known[1]
        keys = self._probe_batch(kind.collection, key)
        cols = self._cols(kind.collection)
        column = cols.key_of(KEY_PROPERTY)
        conditions = [{"property": column, "rich_text": {"equals": k}} for k in keys]
        found = self._query(
            ds_id, "look up pages by key",
            filter=conditions[0] if len(conditions) == 1 else {"or": conditions},
        )
        now = self._now()
        by_key: dict[str, dict[str, Any]] = {}
        for page in found:
            named = cols.to_tool_names(dict(page.get("properties") or {}))
            page_key = _plain((named.get(KEY_PROPERTY) or {}).get("rich_text", []))
            by_key.setdefault(page_key, page)  # like a look-up by key: the first one
        for k in keys:
            self._probes[k] = (now, by_key.get(k))
        return by_key.get(key)

    def _probe_batch(self, collection: str, key: str) -> list[str]:
        """``key`` and the next keys to write in ``collection`` whose look-up is not
        fresh, at most :data:`PROBE_KEYS` in all."""
        keys = [key]
        upcoming = self._upcoming.get(collection, [])
        start = self._upcoming_at.get(key)
        if start is None or start >= len(upcoming) or upcoming[start] != key:
            return keys
        now = self._now()
        for other in upcoming[start + 1:]:
            if len(keys) >= PROBE_KEYS:
                break
            known = self._probes.get(other)
            if other != key and (known is None or now - known[0] > PROBE_SECONDS):
                keys.append(other)
        return keys

    def _written(self, key: str, page: dict[str, Any], times: Sequence[str]) -> dict[str, Any]:
        """``page`` (carrying ``key``) after our own writes to it, whose answers gave edit
        ``times``: we were its last editor then, so no read-back is needed. The look-up of
        ``key`` is forgotten: a later write in this run looks again, because our own
        write proves nothing about a wiki edit made after it (say, to the start of a new
        page whose end is written once its link targets exist)."""
        self._probes.pop(key, None)
        if not times:
            return page
        return {**page, "last_edited_time": max(times),
                "last_edited_by": {"object": "user", "id": self._bot_id()}}

    def create(self, doc: Document, state: SyncState, resolver: LinkResolver) -> RemoteEntry:
        kind = active()[doc.kind]
        _, base = push_body(None, doc.body, current_key=doc.key, resolver=resolver,
                            refresh=_links_pending)
        # A page that links to a page not created yet is created with its properties only;
        # its body follows in one append once the targets exist: no placeholder to patch
        # and read back, and the append's answer gives the ids of its blocks (a create's
        # answer gives none), so a later edit of the page needs no listing to find them.
        partial = any(_links_pending(unit.remote) for unit in base)
        written = [] if partial else list(base)
        blocks = [block for unit in written for block in unit.remote]
        if kind.is_page:
            entry = self._create_free_page(doc, kind, state, blocks)
        else:
            entry = self._create_row(doc, kind, state.containers[kind.collection], blocks,
                                     resolver)
        if partial and not entry.existing:
            entry.written_body = join_markdown(unit.markdown for unit in written)
        return entry if entry.existing else _with_blocks(entry, written)

    def _create_row(
        self, doc: Document, kind: KindSpec, ds_id: str, body: list[dict[str, Any]],
        resolver: LinkResolver,
    ) -> RemoteEntry:
        """A row page for ``doc`` holding its field section and ``body``, unless a look-up
        finds a page with its key (made by another run since this one listed the
        collection)."""
        blocks = [*self._field_section(doc), *body]
        first, steps = _first_step(plan_append_requests(blocks, "root"))
        found = self._probe(ds_id, kind, doc.key)
        if found is not None:
            entry = self._entry(copy.deepcopy(found), [kind]) or _fail(doc)
            entry.existing = True
            return entry
        page = self._write(
            f"create page {doc.title!r}",
            lambda: self.client.pages.create(
                parent={"type": "data_source_id", "data_source_id": ds_id},
                properties=self._page_properties(doc, resolver),
                children=for_request(first),
            ),
            before_retry=lambda: self._find_by_key(ds_id, doc.key, kind),
        )
        # The first step went with the create (nothing refers to its ids); the rest keep
        # their original step numbers, so seed the results with an empty first entry.
        # Blocks past the create's first 100 are appended: their answers give their ids.
        times = self._run_steps(steps, page["id"], [[]] if first else [],
                                blocks[len(first):]) if steps else []
        # The create's answer is the page: nothing to read back.
        return self._entry(self._written(doc.key, page, times), [kind]) or _fail(doc)

    def _run_steps(
        self, steps: Sequence[AppendStep], root: str, results: list[list[str]],
        blocks: Sequence[dict[str, Any]] = (),
    ) -> list[str]:
        """Execute append steps in order, resolving references to earlier results; the
        edit times the answers gave. ``blocks``, when given, are the blocks the steps that
        append under ``root`` itself create, in order: each gets the id the answer gave
        (recorded in the base, so a later edit needs no listing)."""
        times: list[str] = []
        top: list[str] = []
        for step in steps:
            parent_id = resolve(step.parent, results, root)
            after = resolve(step.after, results, root) if step.after is not None else None
            kwargs: dict[str, Any] = {"children": for_request(step.children)}
            if after == _START:
                kwargs["position"] = {"type": "start"}
            elif after is not None and self.version == "2025-09-03":
                kwargs["after"] = after
            elif after is not None:
                kwargs["position"] = {"type": "after_block", "after_block": {"id": after}}
            result = self._write(
                "append blocks",
                partial(self.client.blocks.children.append, parent_id, **kwargs),
                before_retry=_append_may_have_landed,
            )
            created = _results(result, "append blocks")
            results.append([b["id"] for b in created])
            times.extend(str(b["last_edited_time"]) for b in created
                         if b.get("last_edited_time"))
            if not isinstance(step.parent, ResultRef):
                top.extend(results[-1])
        if blocks and len(top) == len(blocks):
            for block, block_id in zip(blocks, top, strict=True):
                block["id"] = block_id
        return times

    def update(
        self, entry: RemoteEntry, doc: Document, current: Document | None, resolver: LinkResolver
    ) -> RemoteEntry:
        current, page = self._recheck(entry, doc, current, resolver)
        kind = active()[doc.kind]
        times = self._update_properties(entry, doc, current, kind, resolver)
        # Row pages hold the tables of their lists of objects above the body.
        section = [] if kind.is_page else self._field_section(doc)
        # Blocks Git did not change go out as the JSON the base stored for them, so the
        # diff leaves them alone even where Markdown cannot say everything they hold.
        record = doc.extra.get("splice_base")
        units = from_state(record.get("blocks") if isinstance(record, dict) else None)
        body, base = push_body(units, doc.body, current_key=doc.key, resolver=resolver,
                               refresh=_links_pending)
        old = current.extra["blocks"]
        ops = cheapest_ops(entry.remote_id, old, [*section, *body])
        for deep in (False, True):  # blocks known from the state may lack their ids
            if _needs_ids(ops, old):
                old = self._with_ids(entry, old, deep=deep)
                # The ids go into the base too, so the next edit needs no listing.
                held = 0 if kind.is_page else len(self._field_section(current))
                units = _units_with_ids(units, old[held:])
                body, base = push_body(units, doc.body, current_key=doc.key,
                                       resolver=resolver, refresh=_links_pending)
                ops = cheapest_ops(entry.remote_id, old, [*section, *body])
        end = str(old[-1].get("id", "")) if old else ""
        for op in ops:
            times.extend(self._apply(op, end))
        # No read-back: the answers said when we wrote, and we were the last editor.
        page = self._written(doc.key, page, times)
        if kind.is_page:
            written = self._free_page_entry(page, kind, entry.parent, doc.key)
            written.title = doc.title
        else:
            marker, unsettled = self._marker(page)
            written = replace(entry, key=doc.key, title=doc.title, marker=marker,
                              maybe_changed=unsettled, existing=False, written_body=None)
        return _with_blocks(written, base)

    def _update_properties(
        self, entry: RemoteEntry, doc: Document, current: Document, kind: KindSpec,
        resolver: LinkResolver,
    ) -> list[str]:
        """Write the title (free page) or the changed properties (row page); the edit times
        the answers gave."""
        answer: Any = None
        if kind.is_page:
            if current.title != doc.title:
                answer = self._write(
                    f"rename page {current.title!r}",
                    lambda: self.client.pages.update(
                        entry.remote_id, properties={"title": {"title": _rich(doc.title)}}
                    ),
                )
        elif current.fields != doc.fields or entry.key != doc.key or self._waiting(entry):
            # What the page's properties are in Notion now: read-only ones (formulas,
            # rollups...) and properties retyped in Notion are never written.
            page_props = (self._pages.get(entry.remote_id) or {}).get("properties") or {}
            existing = {
                name: str(value.get("type")) for name, value in page_props.items()
                if isinstance(value, dict) and value.get("type")
            }
            new_props = self._page_properties(doc, resolver, existing)
            old_props = self._page_properties(
                Document(entry.key or "", doc.kind, current.fields), resolver, existing
            )
            changed = {k: v for k, v in new_props.items() if old_props.get(k) != v}
            if self._waiting(entry):
                # references that waited for their targets: the page's relations lack them
                changed.update({k: v for k, v in new_props.items() if "relation" in v})
                changed[PENDING_PROPERTY] = new_props.get(PENDING_PROPERTY, {"rich_text": []})
            if changed:
                answer = self._write(
                    f"update properties of {doc.title!r}",
                    lambda: self.client.pages.update(entry.remote_id, properties=changed),
                )
        edited = answer.get("last_edited_time") if isinstance(answer, dict) else None
        return [str(edited)] if edited else []

    def _recheck(
        self, entry: RemoteEntry, doc: Document, expected: Document | None, resolver: LinkResolver
    ) -> tuple[Document, dict[str, Any]]:
        """The page's content to diff against, checked right before writing, and the page
        object. Notion has no compare-and-set, so a wiki edit made since the engine read
        the page (``expected``) would be overwritten by a diff against stale blocks: if the
        page's timestamp moved, or is too recent to prove anything, its content is read
        again and compared, and a difference raises :class:`RemoteConflict`.

        The timestamp comes from a look-up by key (:meth:`_probe`: one query for 25
        documents; free pages, which carry no key: one page read). When it has not moved
        since the last sync, the blocks are those the state recorded for the page (its
        per-block base): nothing else is read."""
        page = self._current_page(entry, doc)
        marker, unsettled = self._marker(page)
        settled = marker == entry.marker.removesuffix(PROVISIONAL) and not unsettled
        if expected is not None and settled:
            if "blocks" in expected.extra:
                return expected, page
            known = self._recorded_blocks(entry, doc, expected, marker)
            if known is not None:
                return replace(expected, extra={**expected.extra, "blocks": known}), page
        current = self.fetch(entry, doc.key, resolver)
        if expected is not None and not _same_content(current, expected):
            raise RemoteConflict(
                f"notion: {doc.title!r} was edited in Notion after this run read it"
            )
        return current, self._pages.get(entry.remote_id) or page

    def _current_page(self, entry: RemoteEntry, doc: Document) -> dict[str, Any]:
        """The page object as it is now: from a fresh look-up by key when the page carries
        the document's key, else read."""
        kind = active()[entry.kind]
        ds_id = self._containers.get(kind.collection, "")
        if not kind.is_page and ds_id and entry.key == doc.key:
            found = self._probe(ds_id, kind, doc.key)
            if found is not None and str(found.get("id")) == entry.remote_id:
                page = self._by_tool_names(copy.deepcopy(found), entry.kind)
                self._pages[entry.remote_id] = page
                return page
        page = self._read("read page", lambda: self.client.pages.retrieve(entry.remote_id))
        page = self._by_tool_names(page, entry.kind)
        self._pages[entry.remote_id] = page
        return page

    def _recorded_blocks(
        self, entry: RemoteEntry, doc: Document, expected: Document, marker: str
    ) -> list[dict[str, Any]] | None:
        """The page's blocks as the state recorded them at the last sync (ids where known,
        :data:`_UNKNOWN` ones otherwise), when that record describes the page as it is: the
        state's marker is the page's, and the record's Markdown is ``expected``'s body. A
        row page's field section (tables of lists of objects) is rendered from
        ``expected``'s fields, as the last write made it."""
        recorded = self._state.docs.get(doc.key) if self._state is not None else None
        record = doc.extra.get("splice_base")
        if (
            recorded is None or recorded.remote_id != entry.remote_id or recorded.refetch
            or recorded.marker != marker or not isinstance(record, dict)
            or not record_matches(record, expected.body)
        ):
            return None
        body: list[dict[str, Any]] = []
        if record.get("blocks") != []:  # [] : created with its properties only, body to come
            units = from_state(record.get("blocks"))
            if units is None:
                return None
            body = [block for unit in units for block in unit.remote]
        section = [] if active()[entry.kind].is_page else self._field_section(expected)
        blocks = copy.deepcopy([*section, *body])
        _name_unknown(blocks, iter(range(1_000_000)))
        return blocks

    def _with_ids(
        self, entry: RemoteEntry, known: list[dict[str, Any]], *, deep: bool
    ) -> list[dict[str, Any]]:
        """``known`` (blocks from the state) with the ids the page's blocks have: one
        listing of its top-level blocks, or with ``deep`` of the whole tree (a nested block
        must be addressed). What is listed must be the recorded content (it is, unless
        someone edited the page in the very minute of our last write, which its timestamp
        cannot show): else :class:`RemoteConflict`, and nothing is written."""
        if deep:
            listed = [b for b in self.read_tree(entry.remote_id)
                      if b.get("type") not in _NOT_CONTENT]
            same = [block_fingerprint(b) for b in listed] == [
                block_fingerprint(b) for b in known]
        else:
            listed = [b for b in self._list_children(entry.remote_id)
                      if b.get("type") not in _NOT_CONTENT]
            same = [own_fingerprint(b) for b in listed] == [own_fingerprint(b) for b in known]
        if not same:
            raise RemoteConflict(
                f"notion: {entry.title!r} does not hold what the last sync recorded; pull "
                "to bring its edits in"
            )
        if deep:
            return listed
        return [{**block, "id": found["id"], "has_children": found.get("has_children")}
                for block, found in zip(known, listed, strict=True)]

    def _apply(self, op: Op, end: str) -> list[str]:
        """Send one diff operation; the edit times the answers gave. An insert after the
        page's last block (``end``) appends without a position, so it needs no block id."""
        if isinstance(op, Update):
            answer = self._write(
                "update block",
                lambda: self.client.blocks.update(
                    op.block_id, **{op.type: for_request(op.payload)}
                ),
            )
        elif isinstance(op, Delete):
            answer = self._write("delete block", lambda: self.client.blocks.delete(op.block_id))
        else:
            at_end = op.after is not None and op.after == end
            steps = plan_append_requests(
                op.blocks, op.parent_id, after=None if at_end else (op.after or _START)
            )
            return self._run_steps(steps, op.parent_id, [], op.blocks)
        if isinstance(op, Update) and op.block is not None:
            op.block["id"] = op.block_id  # the base records it: the next edit lists nothing
        edited = answer.get("last_edited_time") if isinstance(answer, dict) else None
        return [str(edited)] if edited else []

    # -- files -------------------------------------------------------------------------------

    max_asset_bytes = NOTION_MAX_BYTES

    def upload_asset(self, entry: RemoteEntry | None, filename: str, data: bytes) -> str:
        """Notion's File Upload API (single part): create, then send the content; the
        returned id is what image and file blocks reference."""
        kind = content_type(filename)
        created = self._write(
            "create file upload",
            lambda: self.client.file_uploads.create(filename=filename, content_type=kind),
        )
        upload_id = str(created["id"])
        sent = self._write(
            f"upload {filename}",
            lambda: self.client.file_uploads.send(upload_id, file=(filename, data, kind)),
        )
        if sent.get("status") != "uploaded":
            raise RemoteError(f"upload of {filename} was not accepted (status "
                              f"{sent.get('status')!r})")
        return upload_id

    def download_asset(self, entry: RemoteEntry, ref: str, limit: int) -> bytes:
        # Notion-hosted files are signed URLs: sent without the integration's token.
        return download(ref, limit)

    def restore(self, remote_id: str, doc: Document) -> RemoteEntry | None:
        """Take the row out of the trash, if it is still a row of the document's database."""
        kind = active()[doc.kind]
        try:
            page = self._read("read page", lambda: self.client.pages.retrieve(remote_id))
        except RemoteError as exc:
            if exc.status == 404:
                return None  # purged, or no longer shared with the integration
            raise
        parent = str((page.get("parent") or {}).get("data_source_id", "")).replace("-", "")
        expected = self._containers.get(kind.collection, "").replace("-", "")
        if not parent or parent != expected:
            return None
        if page.get("in_trash") or page.get("archived"):
            page = self._write(
                f"restore {doc.title!r} from the trash",
                lambda: self.client.pages.update(remote_id, in_trash=False),
            )
        return self._entry(page, [kind])

    def archive(self, entry: RemoteEntry) -> None:
        self._write(
            f"archive {entry.title!r}",
            lambda: self.client.pages.update(entry.remote_id, in_trash=True),
        )

    def adopt(self, entry: RemoteEntry, key: str) -> RemoteEntry:
        if active()[entry.kind].is_page:
            # A free page is a plain page: no property to hold a key. Its identity is its
            # page id in the state (see prodops_sync/sync/pagetree.py).
            entry.key = key
            return entry
        page = self._write(
            f"store key on {entry.title!r}",
            lambda: self.client.pages.update(
                entry.remote_id, properties={KEY_PROPERTY: {"rich_text": _rich(key)}}
            ),
        )
        return self._entry(page, [active()[entry.kind]]) or entry

    # -- free pages ------------------------------------------------------------------------
    # Free pages are ordinary pages (not database rows) in a tree under the page "Pages"
    # below the root page. They have no properties besides the title, so no sync key: the
    # engine identifies them by page id (state) and by title under their parent.

    def _prepare_pages_root(self, state: SyncState, title: str, *, create: bool) -> None:
        """Find (or with ``create``, create) the page ``title`` under the root page."""
        found = self._find_child_page(self.root_page, title)
        if found is None and create:
            page = self._write(
                f"create page {title!r}",
                lambda: self.client.pages.create(
                    parent={"type": "page_id", "page_id": self.root_page},
                    properties={"title": {"title": _rich(title)}},
                ),
                before_retry=lambda: self._find_child_page(self.root_page, title),
            )
            found = str(page["id"])
        if found is not None:
            state.containers[title] = found

    def _find_child_page(self, parent_id: str, title: str) -> str | None:
        """The id of the first live sub-page of ``parent_id`` titled ``title`` (one listing
        of the parent's children): how a create whose answer was lost, or a lost state
        file, finds the page instead of making a second one."""
        for block in self._list_children(parent_id):
            if block.get("type") == "child_page" and not block.get("in_trash") and \
                    (block.get("child_page") or {}).get("title") == title:
                return str(block["id"])
        return None

    def _list_page_tree(self, root: str, kind: KindSpec) -> list[RemoteEntry]:
        """Every page below ``root``, breadth first: one children listing per page that has
        content (which also gives its top-level blocks, kept for :meth:`fetch`)."""
        entries: list[RemoteEntry] = []
        queue = [root]
        seen = {root}
        while queue:
            parent = queue.pop(0)
            children = self._list_children(parent)
            if parent != root:
                self._page_blocks[parent] = [
                    b for b in children if b.get("type") not in _NOT_CONTENT
                ]
            for block in children:
                if block.get("type") != "child_page" or block.get("in_trash"):
                    continue
                page_id = str(block["id"])
                if page_id in seen:
                    continue
                seen.add(page_id)
                marker, unsettled = self._marker(block)
                entries.append(RemoteEntry(
                    remote_id=page_id,
                    key=None,
                    kind=kind.name,
                    title=str((block.get("child_page") or {}).get("title", "")),
                    marker=marker,
                    url=_page_url(page_id),
                    maybe_changed=unsettled,
                    parent=parent,
                ))
                if block.get("has_children"):
                    queue.append(page_id)
                else:
                    self._page_blocks[page_id] = []
        return entries

    def _fetch_free_page(self, entry: RemoteEntry, key: str, resolver: LinkResolver) -> Document:
        page = self._pages.get(entry.remote_id)
        title = _title_of(page) if page is not None else entry.title
        where = f"notion: page {title!r} ({entry.url})"
        try:
            blocks = self._page_blocks.pop(entry.remote_id, None)
            if blocks is None:
                blocks = [b for b in self._list_children(entry.remote_id)
                          if b.get("type") not in _NOT_CONTENT]
            for block in blocks:
                kind = block.get("type", "")
                if block.get("has_children") and kind not in _NOT_CONTENT and \
                        "children" not in block.get(kind, {}):
                    block.setdefault(kind, {})["children"] = self.read_tree(block["id"])
            body, spliced = pull_body(self._base_of(entry, key), blocks, current_key=key,
                                      resolver=resolver)
        except ValueError as exc:
            raise UnreadablePage(f"{where}: {exc}") from None
        except RecursionError:
            raise UnreadablePage(
                f"{where}: blocks are nested too deeply to convert; flatten the page in Notion"
            ) from None
        return Document(key, entry.kind, {"title": title}, body, extra={
            "blocks": blocks, "splice": {"blocks": to_state(spliced)},
        })

    def _create_free_page(
        self, doc: Document, kind: KindSpec, state: SyncState, blocks: list[dict[str, Any]]
    ) -> RemoteEntry:
        parent = parent_key(doc.key, kind.directory)
        recorded = state.docs.get(parent) if parent else None
        parent_id = recorded.remote_id if recorded is not None else \
            state.containers.get(kind.collection, "") if parent is None else ""
        if not parent_id:
            raise RemoteError(f"notion: the parent page of {doc.key} has no page yet")
        first, steps = _first_step(plan_append_requests(blocks, "root"))

        def existing() -> dict[str, Any] | None:
            found = self._find_child_page(parent_id, doc.title)
            return {"id": found} if found else None

        page = self._write(
            f"create page {doc.title!r}",
            lambda: self.client.pages.create(
                parent={"type": "page_id", "page_id": parent_id},
                properties={"title": {"title": _rich(doc.title)}},
                children=first,
            ),
            before_retry=existing,
        )
        if "last_edited_time" not in page:  # found after a lost answer: only its id
            page = self._read("read page", lambda: self.client.pages.retrieve(page["id"]))
        # Blocks past the create's first 100 are appended: their answers give their ids.
        times = self._run_steps(steps, page["id"], [[]] if first else [],
                                blocks[len(first):]) if steps else []
        # The create's answer is the page (no read-back); appends moved its edit time.
        return self._free_page_entry(self._written(doc.key, page, times), kind, parent_id,
                                     doc.key)

    def _free_page_entry(
        self, page: dict[str, Any], kind: KindSpec, parent: str, key: str
    ) -> RemoteEntry:
        marker, unsettled = self._marker(page)
        return RemoteEntry(
            remote_id=str(page["id"]),
            key=key,
            kind=kind.name,
            title=_title_of(page),
            marker=marker,
            url=str(page.get("url") or _page_url(str(page["id"]))),
            maybe_changed=unsettled,
            parent=parent,
        )


def _page_id_for(resolver: LinkResolver, key: str) -> str | None:
    """The page id of document ``key`` (None while it has no page: the resolver then
    records the miss, so the engine rewrites the reference once the page exists)."""
    url = resolver.url_for(key)
    if not url or url.startswith(PENDING_URL):
        return None
    match = re.search(r"([0-9a-f]{32})(?:[?#].*)?$", url.replace("-", "").lower())
    return str(uuid.UUID(match.group(1))) if match else None


def _refs_to_create_later(schema: dict[str, Any], relations: dict[str, str]) -> set[str]:
    """Column labels of references to a kind with a database not created yet: left out of
    a new database until that one exists (they would be made rich text otherwise)."""
    labels = notion_props.column_names(schema)
    out = set()
    for name, prop in schema.get("properties", {}).items():
        target = active().get(str(prop.get("x-ref", ""))) if isinstance(prop, dict) else None
        if target is not None and not target.is_page and target.name not in relations:
            out.add(labels.get(name, name))
    return out


def _by_references(grouped: dict[str, list[KindSpec]]) -> list[str]:
    """Collections ordered so that one comes after the collections its kinds reference
    (where references do not form a cycle)."""
    of_kind = {k.name: c for c, kinds in grouped.items() for k in kinds}
    needs = {
        collection: {
            of_kind[str(p["x-ref"])]
            for kind in kinds for p in load_schema(kind.name).get("properties", {}).values()
            if isinstance(p, dict) and of_kind.get(str(p.get("x-ref", ""))) not in (
                None, collection)
        }
        for collection, kinds in grouped.items()
    }
    ordered: list[str] = []
    while len(ordered) < len(needs):
        ready = [c for c in needs if c not in ordered and needs[c] <= set(ordered)]
        # a cycle: take the first remaining one; its column comes in the second round
        ordered.append(ready[0] if ready else next(c for c in needs if c not in ordered))
    return ordered


def _earlier_names(kinds: Sequence[KindSpec]) -> dict[str, str]:
    """Column label -> the name earlier versions gave the column (the field name), for the
    fields whose label differs from it."""
    out: dict[str, str] = {}
    for kind in kinds:
        for field, label in notion_props.column_names(load_schema(kind.name)).items():
            if label != field and label != notion_props.TITLE_PROPERTY:
                out.setdefault(label, field)
    return out


def _first_step(
    steps: list[AppendStep],
) -> tuple[list[dict[str, Any]], list[AppendStep]]:
    """Split off the blocks that can go with the page create itself: the first append
    step, when it appends at the top and no later step refers to its results."""
    refers_to_first = any(
        getattr(s.parent, "step", None) == 0 or getattr(s.after, "step", None) == 0
        for s in steps[1:]
    )
    if steps and steps[0].parent == "root" and steps[0].after is None and not refers_to_first:
        return steps[0].children, steps[1:]
    return [], steps


def _name_unknown(blocks: list[dict[str, Any]], numbers: Iterator[int]) -> None:
    """Give every block without an id (and its children, recursively) an :data:`_UNKNOWN`
    one, so the diff can refer to it and :func:`_needs_ids` can tell."""
    for block in blocks:
        if not block.get("id"):
            block["id"] = f"{_UNKNOWN}{next(numbers)}"
        body = block.get(str(block.get("type", "")))
        children = body.get("children") if isinstance(body, dict) else None
        if isinstance(children, list):
            _name_unknown(children, numbers)


def _units_with_ids(
    units: list[Block] | None, blocks: Sequence[dict[str, Any]]
) -> list[Block] | None:
    """The state's per-block base ``units`` with the ids of ``blocks``, the page's blocks
    listed in the same order and with the same content (else ``units`` unchanged)."""
    flat = [block for unit in units or [] for block in unit.remote]
    if units is None or len(flat) != len(blocks) or any(
        block_fingerprint(a) != block_fingerprint(b) for a, b in zip(flat, blocks, strict=True)
    ):
        return units
    out: list[Block] = []
    position = 0
    for unit in units:
        size = len(unit.remote)
        kept = [stored(b) for b in blocks[position:position + size]]
        _forget_unknown(kept)
        out.append(Block(unit.markdown, kept))
        position += size
    return out


def _forget_unknown(blocks: list[dict[str, Any]]) -> None:
    """Remove the :data:`_UNKNOWN` ids :func:`_name_unknown` gave (they never go into the
    state)."""
    for block in blocks:
        if str(block.get("id", "")).startswith(_UNKNOWN):
            del block["id"]
        body = block.get(str(block.get("type", "")))
        children = body.get("children") if isinstance(body, dict) else None
        if isinstance(children, list):
            _forget_unknown(children)


def _needs_ids(ops: Sequence[Op], old: Sequence[dict[str, Any]]) -> bool:
    """Whether ``ops`` address a block by an id the state did not know (an insert after
    the last top-level block does not: it appends)."""
    end = str(old[-1].get("id", "")) if old else ""
    for op in ops:
        if isinstance(op, Update | Delete) and op.block_id.startswith(_UNKNOWN):
            return True
        if isinstance(op, Insert) and (
            op.parent_id.startswith(_UNKNOWN)
            or (op.after is not None and op.after.startswith(_UNKNOWN) and op.after != end)
        ):
            return True
    return False


def _results(answer: Any, describe: str) -> list[dict[str, Any]]:
    """The ``results`` of a list answer, checked: a list of objects with ids (any other
    shape must not read as "no pages", or every document would look deleted)."""
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or not all(
        isinstance(r, dict) and isinstance(r.get("id"), str) for r in results
    ):
        raise RemoteError(f"notion: {describe}: the answer is not a list of pages or blocks; "
                          "nothing was changed")
    return results


def _title_of(page: dict[str, Any]) -> str:
    """The title of a page object (its one property of type title)."""
    for value in (page.get("properties") or {}).values():
        if isinstance(value, dict) and value.get("type") == "title":
            return _plain(value.get("title", []))
    return ""


def _page_url(page_id: str) -> str:
    """A page's URL from its id (child_page blocks carry no URL; the id is what links use)."""
    return "https://www.notion.so/" + page_id.replace("-", "")


def _with_blocks(entry: RemoteEntry, base: Sequence[Block]) -> RemoteEntry:
    return replace(entry, splice={"blocks": to_state(base)})


def _links_pending(blocks: Any) -> bool:
    """Whether stored blocks link to a page that did not exist when they were written
    (a placeholder URL): they are rendered again, now that the target may exist."""
    return PENDING_URL in json.dumps(blocks, ensure_ascii=False)


def _same_content(current: Document, expected: Document) -> bool:
    """Whether a page re-read before writing still holds what the engine read. Blocks are
    compared as the API returned them (fingerprints), not as converted Markdown: links
    convert through a resolver that learns new pages during a run, so the same blocks can
    convert differently and would look like someone else's edit."""
    if "blocks" not in expected.extra:
        return content_hash(current) == content_hash(expected)
    fingerprints = [block_fingerprint(b) for b in current.extra.get("blocks", [])]
    return current.fields == expected.fields and fingerprints == [
        block_fingerprint(b) for b in expected.extra["blocks"]
    ]


def _append_may_have_landed() -> Any:
    """Appending is not idempotent: after a dropped connection, timeout or 5xx the blocks may
    have been added, and a blind retry would add them twice. Stop instead; the journal makes
    the rerun diff the page as it really is and repair it."""
    raise RemoteError(
        "notion: append blocks: the answer was lost and the blocks may have been added; "
        "completed steps are saved, rerun to resume (the rerun repairs the page)"
    )


def _fail(doc: Document) -> RemoteEntry:
    raise RemoteError(f"notion: page for {doc.key} has no kind after writing")


__all__ = ["NOTION_VERSION", "NotionRemote"]
