"""The Confluence remote: the playbook as a page tree in one space.

Layout: everything lives under one parent page (``parent_page`` in the target, default the
space's home page). Free documents (the singleton kinds, collection ``Playbook``) are its
child pages. Each record collection (``Rituals``, ``Templates``, ``Release tiers``,
``Decision log``) is a child page with that title holding a page-properties report
(``detailssummary``), and its records are that page's children. ``state.containers`` maps
each collection to the page records go under (``Playbook`` -> the parent page itself).

A document's page holds a page-properties (``details``) macro with its fields, then its
Markdown body as storage XHTML (:mod:`prodops_sync.formats.confluence`). The page title is
the document title, with a reversible `` (Collection)`` suffix when the title is taken in
the space (:mod:`.confluence_titles`). Identity is the ``prodops-sync`` content property
(``{"key": ...}``), set atomically when the page is created, never the title.

Client: atlassian-python-api's classic client with its own retries switched off, used
through its thin ``get``/``post``/``put``/``delete`` helpers with explicit paths. Two
deployments (``deployment`` in the target; by default detected once with ``GET
{url}/api/v2/spaces?keys=SPACE``, a 404 meaning Data Center, and remembered in the sync
state under ``containers["#deployment"]``):

* **Cloud** (``https://SITE.atlassian.net/wiki``): the v2 REST API (``api/v2/...``) for
  every page request: spaces, page create/read/update/trash/restore, children, ancestors,
  content properties and versions. v1 (``rest/api/...``) only where Cloud has no v2
  equivalent, each call marked "v1:" below: the CQL search, label writes and attachment
  uploads. A v2 create cannot set a content property or a label, so a new page costs three
  writes (the page, its key property, its label); pages created through v2 open in the
  current editor.
* **Data Center** (``https://HOST[/context]``): the v1 REST API (``rest/api/...``), with
  bearer tokens; a create sets the key property and label atomically.

Requests: listing is incremental (:mod:`.listing`): one CQL search for the pages of the tree
modified since the cached listing (per 200 such pages; content properties, versions and
ancestors expanded, so keys and markers need no request per page) and one page count (the
deletion signal); the whole tree (one search per 200 pages) when there is no cache, once a
day, or when the count differs. The version number is
an exact marker, so a page body is read only when its version moved; an update is one
``PUT`` with the version last seen + 1 (a 409 means someone saved in between: a conflict);
a create is one ``POST`` (three on Cloud, see above); archiving is one ``DELETE`` (to the
trash). The first push also looks up the parent page (1 read) and existing collection pages
(1 read), and creates the missing collection pages (1 write each).

Titles are unique per space including the trash, and a trashed page cannot be edited: a
document whose title is held by its own trashed page (archived, then added again) gets
that page back (restored, then updated), not a new one.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast
from urllib.parse import parse_qsl, quote, urlsplit

import requests
from atlassian import Confluence
from atlassian.errors import (
    ApiConflictError,
    ApiError,
    ApiNotFoundError,
    ApiPermissionError,
    ApiValueError,
)

from prodops_sync.assets import CONFLUENCE_MAX_BYTES, content_type
from prodops_sync.formats.confluence import StorageFormatError
from prodops_sync.formats.confluence.blocks import page_record, read_blocks, render_page
from prodops_sync.formats.confluence.properties import (
    collection_label,
    details_summary_macro,
    fields_from_storage,
    fields_to_storage,
    heading_for,
    split_page,
)
from prodops_sync.formats.splice import Block, join_markdown
from prodops_sync.kinds import KindSpec, active, collections
from prodops_sync.links import LinkResolver
from prodops_sync.model import Document
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
from prodops_sync.remotes.confluence_titles import (
    PageTitles,
    TitleResolver,
    doc_title,
    kind_of_key,
)
from prodops_sync.remotes.http import (
    BadAnswer,
    GuardedAdapter,
    Limits,
    PageGuard,
    confluence_error_object,
    limits_from_target,
)
from prodops_sync.remotes.listing import Listing
from prodops_sync.remotes.retry import (
    RETRYABLE_STATUSES,
    Failure,
    RateLimiter,
    RequestRunner,
    parse_retry_after,
)
from prodops_sync.safety import UnsafePath, check_relpath, one_line
from prodops_sync.schemas import load_schema
from prodops_sync.sync.config import Credentials, Target
from prodops_sync.sync.state import SyncState

PROPERTY_KEY = "prodops-sync"
"""The content property holding ``{"key": <document key>}``."""
ROOT_COLLECTION = "Playbook"
SEARCH_LIMIT = 200
"""Results per CQL content search: the most Confluence returns when the expansions do not
include a body (Atlassian KB "Searching for content with the REST API and CQL always limits
results to 50": 50 with ``body``, 200 with other expansions)."""
LIST_EXPAND = f"version,ancestors,metadata.properties.{PROPERTY_KEY}"
VERSION_MESSAGE = "Synced by prodops-sync"
REPORT_COLUMNS = 5  # fields shown in a collection's page-properties report
API = "rest/api"
V2 = "api/v2"
V2_LIMIT = 250
DEPLOYMENTS = ("cloud", "datacenter")
DEPLOYMENT_KEY = "#deployment"
"""Where the detected deployment is remembered (``state.containers``)."""


class HttpFailure(RemoteError):
    """A request failed with an HTTP status the caller may want to handle itself."""

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


def _response_of(exc: Exception) -> requests.Response | None:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return exc.response
    if isinstance(exc, ApiError) and isinstance(exc.reason, requests.HTTPError):
        return exc.reason.response
    return None


def _status_of(exc: Exception) -> int | None:
    response = _response_of(exc)
    if response is not None:
        return int(response.status_code)
    for cls, status in (
        (ApiNotFoundError, 404),
        (ApiPermissionError, 403),
        (ApiConflictError, 409),
        (ApiValueError, 400),
    ):
        if isinstance(exc, cls):
            return status
    return None


def _detail(exc: Exception) -> str:
    """The server's error message, on one short line (v2 errors: their titles)."""
    response = _response_of(exc)
    text = str(exc)
    if response is not None:
        try:
            data = response.json()
        except ValueError:
            data = None
        errors = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors):
            text = "; ".join(str(e.get("title") or e.get("code") or "") for e in errors)
    text = " ".join(text.split())
    return text[:300] or type(exc).__name__


def answer_error(data: Any) -> str | None:
    """Why a successful Confluence answer is not one: a v1 or v2 error body in a 200."""
    reason = confluence_error_object(data)
    if reason is None and isinstance(data, dict) and isinstance(data.get("errors"), list) \
            and data["errors"] and "id" not in data and "results" not in data:
        first = data["errors"][0] if isinstance(data["errors"][0], dict) else {}
        reason = (f"an error object with status 200 ({one_line(first.get('status'))}: "
                  f"{one_line(first.get('title'))[:200]})")
    return reason


def _session(limits: Limits) -> requests.Session:
    """A requests session with the answer guard on both APIs' paths (``/rest/api/`` and
    ``/api/v2/``; attachment downloads are not JSON)."""
    session = requests.Session()
    adapter = GuardedAdapter(limits, answer_error, api_marker="/api/")
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = 3
    return session


def is_title_clash(status: int | None, detail: str) -> bool:
    """True for Confluence's answer to a title another page in the space already has."""
    return status == 400 and "title already exists" in detail.lower()


def _is_connect_failure(exc: requests.ConnectionError) -> bool:
    """True when the request never reached the server (nothing can have been written)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    name = type(inner).__name__
    return name in ("NewConnectionError", "NameResolutionError") or "refused" in str(inner)


def make_classifier(
    hints: Mapping[int, str] | None = None,
) -> Callable[[Exception], Failure | None]:
    """A ``classify_error`` for the retry runner, with one-line hints for 401/403/404 that
    name the target's settings (environment variables, space, parent page)."""
    hints = dict(hints or DEFAULT_HINTS)

    def classify(exc: Exception) -> Failure | None:
        if isinstance(exc, BadAnswer):
            return Failure(False, message=str(exc))
        status = _status_of(exc)
        if status is not None:
            if status == 409:
                return None  # the caller reports a conflict
            response = _response_of(exc)
            retry_after = None
            if response is not None:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if status in RETRYABLE_STATUSES:
                return Failure(True, status, retry_after, ambiguous=status >= 500,
                               message=f"HTTP {status}")
            if is_title_clash(status, _detail(exc)):
                return None  # the caller picks another title
            if status in hints:
                return Failure(False, status, message=hints[status])
            return Failure(False, status, message=f"HTTP {status}: {_detail(exc)}")
        if isinstance(exc, requests.ConnectionError) and _is_connect_failure(exc):
            return Failure(True, message=f"cannot connect: {_detail(exc)}")
        if isinstance(exc, requests.Timeout):
            return Failure(True, ambiguous=True, message="request timed out")
        if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            return Failure(True, ambiguous=True, message="connection dropped")
        return None

    return classify


DEFAULT_HINTS: dict[int, str] = {
    401: "the credentials were rejected (401): check the environment variables named by "
         "user_env and token_env",
    403: "permission denied (403): the user needs view, add, edit and delete permission in "
         "the space",
    404: "not found (404): check the space key and parent_page, and that the user can see them",
}

classify_error = make_classifier()
"""Describe a requests/atlassian exception for the retry runner (generic hints)."""


def _hints(target: Target) -> dict[int, str]:
    space = target.get("space")
    parent = target.get("parent_page")
    user_env = target.get("user_env")
    token_env = target.get("token_env", "CONFLUENCE_TOKEN")
    names = f"{user_env} and {token_env}" if user_env else token_env
    where = f"space {space!r}" + (f" and parent_page {parent!r}" if parent else "")
    return {
        401: f"the credentials were rejected (401): check the environment variable(s) {names}"
             + ("" if user_env else " (a Data Center personal access token)"),
        403: f"permission denied (403): the user needs view, add, edit and delete permission "
             f"in space {space!r}",
        404: f"not found (404): check that {where} exist(s) and the user can see it",
    }


def _version_message(storage: str, title: str) -> str:
    digest = hashlib.sha256(f"{title}\n{storage}".encode()).hexdigest()[:12]
    return f"{VERSION_MESSAGE} ({digest})"


class ConfluenceRemote(HttpRemote):
    """Sync target backed by the Confluence REST API: v2 on Cloud, v1 on Data Center (or a
    stand-in speaking either)."""

    label = "confluence"

    def __init__(
        self,
        client: Confluence,
        space: str,
        *,
        parent_page: str | None = None,
        runner: RequestRunner | None = None,
        deployment: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if deployment is not None and deployment not in DEPLOYMENTS:
            raise RemoteError(f"confluence: deployment must be cloud or datacenter, not "
                              f"{deployment!r}")
        self.client = client
        self.space = space
        self.parent_page = parent_page or None
        self.runner = runner or RequestRunner(classify_error, service="confluence")
        self.deployment = deployment
        """``cloud`` or ``datacenter``; None until configured, remembered or detected."""
        self.configured_deployment = deployment
        self.clock = clock
        """The time the incremental listing measures elapsed time with (tests and
        benchmarks pass a stand-in's simulated clock)."""
        self._space_v2: dict[str, Any] | None = None  # the space as v2 answers it
        self.titles = PageTitles()
        self._parents: dict[str, str] = {}  # page id -> parent page id, from the listing
        self._unkeyed: dict[str, str] = {}  # page id -> title of listed pages with no key
        self.containers: dict[str, str] = {}  # collection -> page id (from the state)

    @classmethod
    def from_target(
        cls, target: Target, creds: Credentials, *, clock: Callable[[], float] = time.time
    ) -> ConfluenceRemote:
        """Build a remote for a configured ``confluence`` target: basic auth (Cloud e-mail +
        API token) when ``user_env`` is set, else a Data Center bearer token. ``clock`` as
        in :class:`ConfluenceRemote`."""
        url = str(target.get("url", "")).rstrip("/")
        limits = limits_from_target(target)
        common: dict[str, Any] = {
            "cloud": False,  # explicit paths (rest/api, api/v2) relative to url work for both
            "backoff_and_retry": False,  # RequestRunner owns retries
            "retry_with_header": False,
            "timeout": limits.total,
            "session": _session(limits),
        }
        if creds.user:
            client = Confluence(url=url, username=creds.user, password=creds.token, **common)
        else:
            client = Confluence(url=url, token=creds.token, **common)
        rate = float(target.get("requests_per_second", 10))
        runner = RequestRunner(
            make_classifier(_hints(target)), limiter=RateLimiter(rate), service="confluence"
        )
        deployment = target.get("deployment")
        return cls(
            client,
            str(target.get("space")),
            parent_page=target.get("parent_page"),
            runner=runner,
            deployment=str(deployment) if deployment else None,
            clock=clock,
        )

    # -- deployment ------------------------------------------------------------------------

    @property
    def cloud(self) -> bool:
        """True when the site is Confluence Cloud (v2), False for Data Center (v1)."""
        if self.deployment is None:
            self.deployment = self._detect()
        return self.deployment == "cloud"

    def _remember(self, state: SyncState) -> None:
        """Use the deployment the state remembers, else detect it once and remember it."""
        if self.configured_deployment is None:
            if self.deployment is None:
                known = state.containers.get(DEPLOYMENT_KEY)
                self.deployment = known if known in DEPLOYMENTS else None
            if self.deployment is None:
                self.deployment = self._detect()
        if state.containers.get(DEPLOYMENT_KEY) != self.deployment and self.deployment:
            state.containers[DEPLOYMENT_KEY] = self.deployment

    def _detect(self) -> str:
        """One probe: ``GET {url}/api/v2/spaces?keys=SPACE`` answers on Cloud; Data Center
        (which has no v2) answers 404."""
        try:
            data = self._get("detect the deployment (v2 space lookup)", f"{V2}/spaces",
                             keys=self.space, limit=1)
        except RemoteError as exc:
            if exc.status == 404:
                return "datacenter"
            raise
        results = (data or {}).get("results") if isinstance(data, dict) else None
        if isinstance(results, list) and results and isinstance(results[0], dict):
            self._space_v2 = results[0]
        return "cloud"

    # -- v2 helpers ------------------------------------------------------------------------

    def _v2_list(self, describe: str, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every result of a v2 listing, following the cursor in ``_links.next``."""
        params.setdefault("limit", V2_LIMIT)
        results: list[dict[str, Any]] = []
        guard = PageGuard("confluence", describe)
        while True:
            data = self._get(describe, path, **params)
            batch = data.get("results") if isinstance(data, dict) else None
            if not isinstance(batch, list) or not all(isinstance(r, dict) for r in batch):
                raise RemoteError(f"confluence: {describe}: unexpected answer from "
                                  f"{self.client.url} (not a v2 listing); nothing was changed")
            results.extend(batch)
            next_link = (data.get("_links") or {}).get("next")
            if not batch or not next_link:
                return results
            cursor = dict(parse_qsl(urlsplit(str(next_link)).query)).get("cursor", "")
            guard.next(cursor)
            params["cursor"] = cursor

    def _space(self) -> dict[str, Any]:
        """The space as v2 answers it (``id``, ``key``, ``homepageId``); one request, once."""
        if self._space_v2 is None:
            try:
                found = self._v2_list(f"read space {self.space!r}", f"{V2}/spaces",
                                      keys=self.space)
            except RemoteError as exc:
                raise self._not_found(exc, f"space {self.space!r}") from None
            match = [s for s in found if s.get("key") == self.space]
            if not match:
                missing = RemoteError(f"confluence: space {self.space!r} not found (404)")
                raise self._not_found(missing, f"space {self.space!r}")
            self._space_v2 = match[0]
        return self._space_v2

    def _space_id(self) -> str:
        return str(self._space().get("id"))

    def _v2_page(self, page_id: str, describe: str, **params: Any) -> dict[str, Any]:
        """``GET api/v2/pages/{id}`` as the v1-shaped content the rest of the adapter
        reads."""
        page = self._get(describe, f"{V2}/pages/{page_id}", **params) or {}
        return self._content(page)

    def _content(self, page: Mapping[str, Any], key: str | None = None) -> dict[str, Any]:
        """A v2 page in the shape of a v1 content object (id, title, status, version,
        body.storage, metadata.properties, _links) plus ``parentId`` and ``spaceId``."""
        out: dict[str, Any] = {
            "id": str(page.get("id", "")),
            "title": page.get("title", ""),
            "status": page.get("status", "current"),
            "version": page.get("version") or {},
            "parentId": page.get("parentId"),
            "spaceId": page.get("spaceId"),
            "_links": dict(page.get("_links") or {}),
        }
        storage = ((page.get("body") or {}).get("storage") or {})
        if "value" in storage:
            out["body"] = {"storage": {"value": storage["value"]}}
        props: dict[str, Any] = dict((page.get("metadata") or {}).get("properties") or {})
        for prop in ((page.get("properties") or {}).get("results") or []):
            if isinstance(prop, dict) and prop.get("key"):
                props[str(prop["key"])] = prop
        if key is not None:
            props[PROPERTY_KEY] = {"key": PROPERTY_KEY, "value": {"key": key}}
        if props:
            out["metadata"] = {"properties": props}
        return out

    def _v2_key_of(self, page_id: str, status: str = "current") -> str | None:
        """The ``prodops-sync`` key of a page, read through v2 (one request; a trashed
        page's properties come with the page, its properties endpoint answers 404)."""
        if status != "current":
            return _key_of(self._v2_page(page_id, "read page key", status=status,
                                         **{"include-properties": "true"}))
        props = self._v2_list("read page key", f"{V2}/pages/{page_id}/properties",
                              key=PROPERTY_KEY)
        return _key_of({"metadata": {"properties": {str(p.get("key")): p for p in props}}})

    def _add_label(self, page_id: str, label: str) -> None:
        # v1: Cloud's v2 API has no label writes.
        self._call(
            f"label page {page_id}",
            lambda: self.client.post(f"{API}/content/{page_id}/label",
                                     data=cast(Any, [{"prefix": "global", "name": label}])),
            write=True,
        )

    # -- requests -------------------------------------------------------------------------

    def _call(
        self,
        describe: str,
        send: Callable[[], Any],
        *,
        write: bool = False,
        before_retry: Callable[[], Any] | None = None,
    ) -> Any:
        try:
            return self.runner.call(send, write=write, describe=describe, before_retry=before_retry)
        except (requests.HTTPError, ApiError) as exc:
            # Statuses the classifier leaves to the caller (409, title clashes).
            status = _status_of(exc) or 0
            detail = _detail(exc)
            raise HttpFailure(
                f"confluence: {describe}: HTTP {status}: {detail}", status, detail
            ) from None

    def _get(self, describe: str, path: str, **params: Any) -> Any:
        return self._call(describe, lambda: self.client.get(path, params=params or None))

    # -- containers ------------------------------------------------------------------------

    def binding(self) -> dict[str, str]:
        """The space and parent page the tree lives under. (Not the site URL: a site is
        reached under several URLs, e.g. its atlassian.net name and a custom domain.)"""
        return {
            "type": "confluence",
            "space": self.space,
            "parent_page": self.parent_page or "(space home page)",
        }

    def prepare(self, state: SyncState, kinds: Sequence[KindSpec], *, create: bool) -> None:
        self._remember(state)
        groups = collections(kinds)
        records = [c for c, members in groups.items() if _is_record_collection(members)]
        # Free pages live in a tree under a plain page of their own ("Pages").
        trees = [k.collection for k in kinds if k.is_page]
        records += trees
        self.titles.reserved.update(records)
        if ROOT_COLLECTION not in state.containers:
            state.containers[ROOT_COLLECTION] = self._find_root()
        root = state.containers[ROOT_COLLECTION]
        missing = [c for c in records if c not in state.containers]
        existing = self._find_collection_pages(root, missing) if missing else {}
        for collection in missing:
            if collection in existing:
                state.containers[collection] = existing[collection]
            elif create and collection in trees:
                state.containers[collection] = self._create_tree_page(collection, root)
            elif create:
                state.containers[collection] = self._create_collection_page(
                    collection, groups[collection][0], root
                )
        self.containers = dict(state.containers)

    def _find_root(self) -> str:
        """The parent page's id: the configured one (checked), or the space home page."""
        if self.parent_page:
            try:
                if self.cloud:
                    page = self._v2_page(self.parent_page, f"read parent page {self.parent_page}")
                    space = self.space if str(page.get("spaceId")) == self._space_id() \
                        else f"(id {page.get('spaceId')})"
                else:
                    page = self._get(
                        f"read parent page {self.parent_page}",
                        f"{API}/content/{self.parent_page}",
                        expand="space",
                    ) or {}
                    space = str((page.get("space") or {}).get("key") or "")
            except RemoteError as exc:
                raise self._not_found(exc, f"parent_page {self.parent_page!r}") from None
            if space and space != self.space:
                raise RemoteError(
                    f"confluence: parent_page {self.parent_page} is in space {space!r}, not in "
                    f"space {self.space!r}"
                )
            return str(page["id"])
        if self.cloud:
            home_id = self._space().get("homepageId")
            home = {"id": home_id} if home_id else {}
        else:
            try:
                space = self._get(
                    f"read space {self.space!r}", f"{API}/space/{self.space}",
                    expand="homepage",
                )
            except RemoteError as exc:
                raise self._not_found(exc, f"space {self.space!r}") from None
            home = (space or {}).get("homepage") or {}
        if not home.get("id"):
            raise RemoteError(
                f"confluence: space {self.space!r} has no home page; set parent_page in the "
                f"target"
            )
        return str(home["id"])

    def _not_found(self, exc: RemoteError, what: str) -> RemoteError:
        """Tell a wrong ``url`` from a missing space or page. A 404 for the space (or the
        parent page) may mean either; one more request, the list of spaces, decides: when it
        is a 404 too, nothing under ``url`` is the Confluence REST API, and blaming the space
        would send the user to the wrong setting. Other errors pass through unchanged."""
        if "(404)" not in str(exc):  # the runner's 404 hint (see _hints): the only case here
            return exc
        url = str(self.client.url).rstrip("/")
        spaces = f"{V2}/spaces" if self.deployment == "cloud" else f"{API}/space"
        try:
            listing = self._get("list spaces", spaces, limit=100)
        except RemoteError as probe:
            if "(404)" not in str(probe):
                return exc
            return RemoteError(
                f"confluence: {url}/{spaces} answers 404 too, so url is not a Confluence REST "
                f"API (not the space): check url in the configuration (Cloud: "
                f"https://SITE.atlassian.net/wiki; Data Center: https://HOST[/context])"
            )
        keys = sorted(str(s.get("key")) for s in (listing or {}).get("results", [])
                      if isinstance(s, dict) and s.get("key"))
        if what.startswith("space "):
            from prodops_sync.sync.config import did_you_mean

            visible = ", ".join(keys[:20]) + (" ..." if len(keys) > 20 else "")
            return RemoteError(
                f"confluence: {what} not found (404) at {url}, or the user cannot see it"
                f"{did_you_mean(self.space, keys)}; spaces the user can see: "
                f"{visible or 'none'} (check space in the configuration and the space's "
                f"permissions)"
            )
        return RemoteError(
            f"confluence: {what} not found (404) in {url}, or the user cannot see it (check "
            f"parent_page in the configuration: the id is in the page's URL)"
        )

    def _find_collection_pages(self, root: str, titles: Sequence[str]) -> dict[str, str]:
        """Existing collection pages under the parent (a lost state file must not duplicate
        them): title -> page id. One request (Cloud: the v2 children of the parent, 250 a
        page)."""
        if self.cloud:
            wanted = set(titles)
            children = self._v2_list("list child pages", f"{V2}/pages/{root}/children")
            return {str(c["title"]): str(c["id"]) for c in children
                    if c.get("title") in wanted and c.get("id")}
        quoted = ", ".join(_cql_string(t) for t in titles)
        cql = f"space = {_cql_string(self.space)} and parent = {root} and type = page and " \
              f"title in ({quoted})"
        return {str(c["title"]): str(c["id"]) for c in self._search(cql, "version")}

    def _create_collection_page(self, collection: str, kind: KindSpec, root: str) -> str:
        schema = load_schema(kind.name)
        columns = [heading_for(n, p) for n, p in schema.get("properties", {}).items()
                   if n != kind.title_field]
        report = details_summary_macro(
            collection_label(kind.name),
            headings=columns[:REPORT_COLUMNS],
            space_key=self.space,
        )
        return self._create_container_page(collection, report, root)

    def _create_tree_page(self, title: str, root: str) -> str:
        """The page free pages nest under: it lists its children (the children macro)."""
        children = '<ac:structured-macro ac:name="children" ac:schema-version="2" />'
        return self._create_container_page(title, children, root)

    def _create_container_page(self, title: str, storage: str, root: str) -> str:
        """Create the container page ``title`` under ``root``; a retry after a lost answer
        looks for it first."""
        if self.cloud:
            space_id = self._space_id()
            created = self._call(
                f"create page {title!r}",
                lambda: self.client.post(f"{V2}/pages", data=_v2_create_body(
                    space_id, title, storage, root)),
                write=True,
                before_retry=lambda: self._find_collection_pages(root, [title]).get(title),
            )
            return str(created) if isinstance(created, str) else str(created["id"])
        body = {
            "type": "page",
            "title": title,
            "space": {"key": self.space},
            "ancestors": [{"id": root}],
            "body": {"storage": {"value": storage, "representation": "storage"}},
        }
        page = self._call(
            f"create page {title!r}",
            lambda: self.client.post(f"{API}/content", data=body),
            write=True,
            before_retry=lambda: self._find_collection_pages(root, [title]).get(title),
        )
        return str(page) if isinstance(page, str) else str(page["id"])

    # -- listing ---------------------------------------------------------------------------

    def _search(self, cql: str, expand: str) -> list[dict[str, Any]]:
        """Every result of a CQL content search, page by page (start/limit or cursor).
        v1 on Cloud too: v2 has no CQL search (nor properties expanded in a listing)."""
        params: dict[str, Any] = {"cql": cql, "expand": expand, "limit": SEARCH_LIMIT}
        results: list[dict[str, Any]] = []
        guard = PageGuard("confluence", "search pages")
        while True:
            data = self._get("search pages", f"{API}/content/search", **params)
            batch = data.get("results") if isinstance(data, dict) else None
            if not isinstance(batch, list) or not all(
                isinstance(c, dict) and "id" in c for c in batch
            ):
                # An answer of another shape (a proxy's page, an API change) must not read as
                # "no pages": every document would look deleted in the wiki.
                raise RemoteError(
                    f"confluence: search pages: unexpected answer from {self.client.url} "
                    "(not a content search result); nothing was changed"
                )
            results.extend(batch)
            next_link = (data.get("_links") or {}).get("next")
            if not batch or not next_link:
                return results
            following = dict(parse_qsl(urlsplit(str(next_link)).query))
            if "cursor" in following:
                params["cursor"] = following["cursor"]
                guard.next(f"cursor={following['cursor']}")
            else:
                start = following.get("start", "")
                guard.next(f"start={start}" if start.isdigit() else "")  # no position: error
                params["start"] = int(start)

    def list_entries(self, state: SyncState, kinds: Sequence[KindSpec]) -> list[RemoteEntry]:
        root = state.containers.get(ROOT_COLLECTION)
        if root:
            self._remember(state)
        if not root:
            return []
        groups = collections(kinds)
        self.containers = dict(state.containers)
        by_parent = {state.containers[c]: c for c in groups if c in state.containers}
        trees = {state.containers[k.collection]: k for k in kinds
                 if k.is_page and k.collection in state.containers}
        entries: list[RemoteEntry] = []
        found = self._tree_pages(state, root)
        self._check_containers(state, found, by_parent, root)
        for content in found:
            if str(content["id"]) in by_parent or str(content["id"]) in trees:
                continue  # a collection page
            ancestors = content.get("ancestors") or []
            parent = str(ancestors[-1]["id"]) if ancestors else ""
            tree = next((trees[str(a.get("id"))] for a in ancestors
                         if str(a.get("id")) in trees), None)
            if tree is not None:
                entries.append(self._tree_entry(content, tree, parent))
                continue
            collection = by_parent.get(parent)
            if collection is None:
                # Deeper in the tree: a sub-page of a record (not a document), or a
                # document someone moved under another page, which its key tells.
                moved = self._moved_entry(content, groups, ancestors)
                if moved is not None:
                    entries.append(moved)
                continue
            entry = self._entry(content, groups[collection])
            if entry is not None:
                self._parents[entry.remote_id] = parent
                entries.append(entry)
        return entries

    def _tree_pages(self, state: SyncState, root: str) -> list[dict[str, Any]]:
        """Every page under ``root``, as the listing search expands them.

        Incremental (see :mod:`.listing`): the pages modified since the cached listing
        (CQL ``lastmodified >= now("-Nm")``, relative to the site's clock, so neither a
        client clock set to another time nor the time zone CQL dates are read in matters;
        only the time elapsed does), and the number of pages under ``root`` as the deletion
        signal (``totalSize`` of a one-result search): 2 requests when fewer than
        :data:`SEARCH_LIMIT` pages changed. When the count differs from the cache's after
        merging (a page deleted, trashed, restored or moved in or out), or there is no
        cache, or it is due, the whole tree is listed again."""
        cql = f"space = {_cql_string(self.space)} and ancestor = {root} and type = page"
        started = self.clock()
        cache = Listing.load(state.listings.get(root))
        if cache is not None and not cache.stale(started):
            minutes = math.ceil((started - cache.since()) / 60)
            changed = self._search(f'{cql} and lastmodified >= now("-{minutes}m")',
                                   LIST_EXPAND)
            total = self._count(cql)
            cache.merge((_trimmed(c) for c in changed), started)
            if total == len(cache.items):
                state.set_listing(root, cache.dump())
                fresh = {str(c["id"]) for c in changed}
                return changed + [dict(c) for pid, c in cache.items.items() if pid not in fresh]
        found = self._search(cql, LIST_EXPAND)
        items = {str(c["id"]): _trimmed(c) for c in found}
        state.set_listing(root, Listing(started, started, items, len(items)).dump())
        return found

    def _count(self, cql: str) -> int | None:
        """How many pages match ``cql``: the ``totalSize`` of a one-result search (v1 on
        Cloud too); None when the answer carries no count (then the tree is listed)."""
        data = self._get("count pages", f"{API}/search", cql=cql, limit=1)
        total = data.get("totalSize") if isinstance(data, dict) else None
        return total if isinstance(total, int) and not isinstance(total, bool) else None

    def _moved_entry(
        self,
        content: Mapping[str, Any],
        groups: Mapping[str, Sequence[KindSpec]],
        ancestors: Sequence[Mapping[str, Any]],
    ) -> RemoteEntry | None:
        """The entry of a keyed document page found away from its collection page (moved
        in the wiki, e.g. under a sibling): still the same document, left where it is."""
        key = _key_of(content)
        kind = kind_of_key(key) if key else None
        if kind is None or kind.collection not in groups:
            return None
        entry = self._entry(content, groups[kind.collection])
        if entry is None:
            return None
        parent = ancestors[-1] if ancestors else {}
        entry.location = f"under {str(parent.get('title') or parent.get('id'))!r}"
        return entry

    def _check_containers(
        self,
        state: SyncState,
        found: Sequence[Mapping[str, Any]],
        by_parent: Mapping[str, str],
        root: str,
    ) -> None:
        """Raise :class:`ContainerGone` when a recorded collection page (or the parent page)
        that held documents is missing from the listing and is gone or elsewhere. Costs a
        read only in that suspicious case."""
        tracked = tracked_collections(state)
        seen = {str(c["id"]) for c in found}
        for page_id, collection in by_parent.items():
            if collection not in tracked:
                continue
            if page_id == root:
                if found or not state.docs:
                    continue
            elif page_id in seen:
                continue
            where = "parent page" if page_id == root else f"{collection!r} page"
            try:
                if self.cloud:
                    page = self._v2_page(page_id, f"read {where}")
                    ancestors = {str(a.get("id")) for a in self._v2_list(
                        f"read the ancestors of the {where}", f"{V2}/pages/{page_id}/ancestors")}
                    space = self.space if str(page.get("spaceId")) == self._space_id() \
                        else str(page.get("spaceId"))
                else:
                    page = self._get(
                        f"read {where}", f"{API}/content/{page_id}", expand="ancestors,space"
                    ) or {}
                    space = str((page.get("space") or {}).get("key", self.space))
                    ancestors = {str(a.get("id")) for a in page.get("ancestors") or []}
            except RemoteError as exc:
                if exc.status == 404:
                    raise ContainerGone(
                        f"the {where} {page_id} recorded in the state is gone or in the trash"
                    ) from None
                raise
            if space != self.space or (page_id != root and root not in ancestors):
                raise ContainerGone(
                    f"the {where} {page_id} recorded in the state is no longer under page "
                    f"{root} in space {self.space!r}"
                )

    def _entry(self, content: Mapping[str, Any], members: Sequence[KindSpec]) -> RemoteEntry | None:
        """A listing entry for ``content``; None for a page that is not a document."""
        key = _key_of(content)
        kind = kind_of_key(key) if key else None
        if kind is None or kind.name not in active():
            if not _is_record_collection(members):
                return None  # a page next to the free documents: not ours to manage
            if not (key and _hostile(key)):
                key = None  # e.g. the key of a kind no longer configured: a new document
            kind = members[0]  # a hostile key stays, for the engine to report and skip
        title = str(content.get("title", ""))
        page_id = str(content["id"])
        if key is None:
            self._unkeyed[page_id] = title
            self.titles.reserved.add(title)
        elif _hostile(key):
            self.titles.reserved.add(title)
        else:
            self.titles.pages[key] = title
        return RemoteEntry(
            remote_id=page_id,
            key=key,
            kind=kind.name,
            title=doc_title(title, kind.collection),
            marker=str((content.get("version") or {}).get("number", "")),
            url=self._url_of(content),
        )

    def _tree_entry(self, content: Mapping[str, Any], kind: KindSpec, parent: str) -> RemoteEntry:
        """A listing entry for a free page (any depth below the tree's page). The key it
        carries is a hint only: the engine keys free pages by their place in the tree."""
        key = _key_of(content)
        if key is not None and not (kind_of_key(key) or kind).is_page:
            key = None
        title = str(content.get("title", ""))
        page_id = str(content["id"])
        if key is None:
            self._unkeyed[page_id] = title
            self.titles.reserved.add(title)
        else:
            self.titles.pages[key] = title
        self._parents[page_id] = parent
        return RemoteEntry(
            remote_id=page_id,
            key=key,
            kind=kind.name,
            title=doc_title(title, kind.collection),
            marker=str((content.get("version") or {}).get("number", "")),
            url=self._url_of(content),
            parent=parent,
        )

    def _url_of(self, content: Mapping[str, Any]) -> str:
        links = content.get("_links") or {}
        webui = str(links.get("webui", ""))
        if not webui:
            return ""
        base = str(links.get("base") or self.client.url).rstrip("/")
        return base + webui

    # -- reading ---------------------------------------------------------------------------

    def _claim(self, page_id: str, key: str, title: str) -> None:
        """Record that page ``page_id`` (titled ``title``) is document ``key``'s."""
        if page_id in self._unkeyed:
            self.titles.reserved.discard(self._unkeyed.pop(page_id))
        self.titles.pages[key] = title

    def fetch(self, entry: RemoteEntry, key: str, resolver: LinkResolver) -> Document:
        if self.cloud:
            content = self._v2_page(entry.remote_id, f"read page {entry.title!r}",
                                    **{"body-format": "storage"})
        else:
            content = self._get(
                f"read page {entry.title!r}",
                f"{API}/content/{entry.remote_id}",
                expand="body.storage,version",
            )
        kind = active()[entry.kind]
        title = str(content.get("title", entry.title))
        self._claim(entry.remote_id, key, title)
        storage = str(((content.get("body") or {}).get("storage") or {}).get("value", ""))
        links = TitleResolver(resolver, self.titles)
        try:
            properties, rest = ("", storage) if kind.is_page else split_page(storage, page=title)
            fields = fields_from_storage(
                properties, load_schema(kind.name), resolver=links, page=title
            ) if properties else {}
            fields = {kind.title_field: doc_title(title, kind.collection), **fields}
            if kind.file_format == "markdown":
                blocks = read_blocks(rest, current_key=key, resolver=links, page=title)
            else:
                # A YAML kind has no body: what people added below the properties stays on
                # the page as one block with no Markdown.
                blocks = [Block("", rest)] if rest else []
            record = page_record(properties, self._properties(kind, fields, links), blocks)
        except StorageFormatError as exc:
            raise UnreadablePage(f"confluence: page {title!r} ({entry.url}): {exc}") from None
        body = join_markdown(b.markdown for b in blocks)
        version = int((content.get("version") or {}).get("number", 0))
        return Document(
            key, kind.name, fields, body,
            extra={"version": version, "storage": storage, "title": title, "splice": record},
        )

    # -- writing ---------------------------------------------------------------------------

    @staticmethod
    def _properties(kind: KindSpec, fields: Mapping[str, Any], links: LinkResolver) -> str:
        if kind.is_page:
            return ""  # a free page has no fields but its title: the body only
        return fields_to_storage(
            dict(fields),
            load_schema(kind.name),
            label=collection_label(kind.name),
            resolver=links,
            omit=(kind.title_field,),  # the page title holds it
        )

    def _render(self, doc: Document, links: LinkResolver) -> tuple[str, dict[str, Any]]:
        """The page's storage and its per-block record. With the base the engine passes in
        ``doc.extra["splice_base"]``, only blocks changed in Git are rendered; the rest is
        sent as the page stored it (:mod:`prodops_sync.formats.confluence.blocks`)."""
        kind = active()[doc.kind]
        properties = self._properties(kind, doc.fields, links)
        try:
            return render_page(
                properties,
                doc.body,
                doc.extra.get("splice_base"),
                current_key=doc.key,
                resolver=links,
                page=doc.key,
            )
        except StorageFormatError as exc:
            raise RemoteError(f"confluence: {doc.key}: {exc}") from None

    def _find_own(self, title: str, key: str, status: str = "current") -> dict[str, Any] | None:
        """The page titled ``title`` (``status``: current or trashed) if it carries ``key``
        (a create that landed although its answer was lost; a page of the document in the
        trash)."""
        if self.cloud:
            pages = self._v2_list("look up page by title", f"{V2}/pages",
                                  **{"space-id": self._space_id(), "title": title,
                                     "status": status})
            for page in pages:
                if page.get("title") == title and \
                        self._v2_key_of(str(page["id"]), status) == key:
                    return self._content(page, key)
            return None
        data = self._get(
            "look up page by title",
            f"{API}/content",
            spaceKey=self.space,
            title=title,
            type="page",
            status=status,
            expand=LIST_EXPAND,
        ) or {}
        for content in data.get("results") or []:
            if _key_of(content) == key:
                found: dict[str, Any] = content
                return found
        return None

    def _find_unkeyed(self, title: str, container: str) -> dict[str, Any] | None:
        """Cloud: the page titled ``title`` under ``container`` that has no key yet (a v2
        create that landed although its answer was lost, before its key was stored)."""
        pages = self._v2_list("look up page by title", f"{V2}/pages",
                              **{"space-id": self._space_id(), "title": title})
        for page in pages:
            if page.get("title") == title and str(page.get("parentId")) == container \
                    and self._v2_key_of(str(page["id"])) is None:
                return self._content(page)
        return None

    def _restore_own(
        self, title: str, doc: Document, resolver: LinkResolver
    ) -> RemoteEntry | None:
        """The document's own page, if it is in the trash holding ``title`` (archived, then
        added again): restored and updated, instead of a new page under another title."""
        trashed = self._find_own(title, doc.key, status="trashed")
        if trashed is None:
            return None
        entry = self.restore(str(trashed["id"]), doc)
        if entry is None:
            return None
        return self.update(entry, doc, None, resolver)

    def create(self, doc: Document, state: SyncState, resolver: LinkResolver) -> RemoteEntry:
        kind = active()[doc.kind]
        container = self._parent_for(doc, kind, state)
        links = TitleResolver(resolver, self.titles)
        storage, record = self._render(doc, links)
        for _ in range(2):
            title = self.titles.title_for(doc.key, doc.title, kind.collection)
            try:
                content = self._post_page(doc, title, storage, container)
            except HttpFailure as exc:
                if not is_title_clash(exc.status, exc.detail):
                    raise
                # Titles are unique in a space, so a page another run created for this
                # document meanwhile clashes: look before taking another title.
                found = self._find_own(title, doc.key)
                if found is not None:
                    entry = self._entry(found, [kind])
                    if entry is not None:
                        entry.existing = True
                        self._parents[entry.remote_id] = container
                        return entry
                # The trash counts too: the document's own trashed page comes back.
                restored = self._restore_own(title, doc, resolver)
                if restored is not None:
                    return restored
                # Another page in the space (outside the playbook) has this title.
                self._title_taken(title, doc)
                continue
            self._claim(str(content["id"]), doc.key, title)
            self._parents[str(content["id"])] = container
            written = self._written_entry(content, doc, title)
            written.splice = record
            return written
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_page(
        self, doc: Document, title: str, storage: str, container: str
    ) -> dict[str, Any]:
        """One create request; the identity key is set atomically with the page (Cloud:
        a v2 create, then the key property and the label)."""
        if self.cloud:
            return self._post_page_v2(doc, title, storage, container)
        body = {
            "type": "page",
            "title": title,
            "space": {"key": self.space},
            "ancestors": [{"id": container}],
            "body": {"storage": {"value": storage, "representation": "storage"}},
            "metadata": {
                "properties": {PROPERTY_KEY: {"key": PROPERTY_KEY, "value": {"key": doc.key}}},
                "labels": [{"prefix": "global", "name": collection_label(doc.kind)}],
            },
        }
        content: dict[str, Any] = self._call(
            f"create page {title!r}",
            lambda: self.client.post(f"{API}/content", data=body),
            write=True,
            before_retry=lambda: self._find_own(title, doc.key),
        )
        return content

    def _post_page_v2(
        self, doc: Document, title: str, storage: str, container: str
    ) -> dict[str, Any]:
        """``POST api/v2/pages`` (the current editor), then the key and the label. A retry
        after a lost answer looks for the page first, keyed or not yet keyed."""
        space_id = self._space_id()
        page = self._call(
            f"create page {title!r}",
            lambda: self.client.post(f"{V2}/pages", data=_v2_create_body(
                space_id, title, storage, container)),
            write=True,
            before_retry=lambda: self._find_own(title, doc.key)
            or self._find_unkeyed(title, container),
        )
        content = self._content(page)
        if _key_of(content) != doc.key:
            self._store_key_on(str(content["id"]), title, doc.key)
        self._add_label(str(content["id"]), collection_label(doc.kind))
        return content

    def _title_taken(self, title: str, doc: Document) -> None:
        kind = active()[doc.kind]
        if self.titles.title_for(doc.key, doc.title, kind.collection) != title:
            return
        if title in self.titles.reserved:
            raise RemoteError(
                f"confluence: cannot give {doc.key} a page: the titles {doc.title!r} and "
                f"{title!r} are both taken in space {self.space!r}; rename one of the pages"
            )
        self.titles.reserved.add(title)

    def _written_entry(self, content: Mapping[str, Any], doc: Document, title: str) -> RemoteEntry:
        kind = active()[doc.kind]
        return RemoteEntry(
            remote_id=str(content["id"]),
            key=doc.key,
            kind=doc.kind,
            title=doc_title(title, kind.collection),
            marker=str((content.get("version") or {}).get("number", 1)),
            url=self._url_of(content),
        )

    def update(
        self, entry: RemoteEntry, doc: Document, current: Document | None, resolver: LinkResolver
    ) -> RemoteEntry:
        kind = active()[doc.kind]
        container = self._expected_parent(kind)
        links = TitleResolver(resolver, self.titles)
        storage, record = self._render(doc, links)
        if entry.key != doc.key:
            self._store_key(entry, doc.key)
        for _ in range(2):
            title = self.titles.title_for(doc.key, doc.title, kind.collection)
            if (
                current is not None
                and current.extra.get("storage") == storage
                and current.extra.get("title") == title
                and str(current.extra.get("version")) == entry.marker
            ):
                entry.splice = record
                return entry  # the page already holds exactly this
            try:
                content = self._put(entry, title, storage, container)
            except HttpFailure as exc:
                if exc.status == 409:
                    raise RemoteConflict(
                        f"confluence: {entry.title!r} was saved in the wiki after version "
                        f"{entry.marker} was read"
                    ) from None
                if not is_title_clash(exc.status, exc.detail):
                    raise
                self._title_taken(title, doc)
                continue
            self._claim(entry.remote_id, doc.key, title)
            if container:
                self._parents[entry.remote_id] = container
            written = self._written_entry(content, doc, title)
            written.splice = record
            return written
        raise AssertionError("unreachable")  # pragma: no cover

    def _expected_parent(self, kind: KindSpec) -> str | None:
        if kind.is_page:
            return None  # a free page moved in the wiki stays there; pull moves its file
        return self.containers.get(kind.collection)

    def _parent_for(self, doc: Document, kind: KindSpec, state: SyncState) -> str:
        """The page a new page goes under: its collection page, or for a free page its
        parent page (created first: the engine pushes parents before children)."""
        parent = parent_key(doc.key, kind.directory) if kind.is_page else None
        if parent is None:
            return state.containers[kind.collection]
        recorded = state.docs.get(parent)
        if recorded is None or not recorded.remote_id:
            raise RemoteError(f"confluence: the parent page of {doc.key} has no page yet")
        return recorded.remote_id

    def _put(
        self, entry: RemoteEntry, title: str, storage: str, container: str | None
    ) -> dict[str, Any]:
        number = int(entry.marker) + 1
        message = _version_message(storage, title)
        if self.cloud:
            return self._put_v2(entry, title, storage, container, number, message)
        body: dict[str, Any] = {
            "id": entry.remote_id,
            "type": "page",
            "title": title,
            "space": {"key": self.space},
            "body": {"storage": {"value": storage, "representation": "storage"}},
            "version": {"number": number, "message": message},
        }
        if container and self._parents.get(entry.remote_id, container) != container:
            body["ancestors"] = [{"id": container}]  # a wiki user moved it: move it back

        def landed() -> dict[str, Any] | None:
            # A PUT whose answer was lost may have been applied: if the page is at our
            # version with our message, it was; retrying would only get a 409.
            page = self._get(
                f"read page {entry.title!r}", f"{API}/content/{entry.remote_id}", expand="version"
            ) or {}
            version = page.get("version") or {}
            if version.get("number") == number and version.get("message") == message:
                return dict(page)
            return None

        result: dict[str, Any] = self._call(
            f"update page {entry.title!r}",
            lambda: self.client.put(f"{API}/content/{entry.remote_id}", data=body),
            write=True,
            before_retry=landed,
        )
        return result

    def _put_v2(
        self, entry: RemoteEntry, title: str, storage: str, container: str | None,
        number: int, message: str,
    ) -> dict[str, Any]:
        """``PUT api/v2/pages/{id}`` with the next version (and ``parentId`` to move a page a
        wiki user moved back under its collection page)."""
        body: dict[str, Any] = {
            "id": entry.remote_id,
            "status": "current",
            "title": title,
            "body": {"representation": "storage", "value": storage},
            "version": {"number": number, "message": message},
        }
        if container and self._parents.get(entry.remote_id, container) != container:
            body["parentId"] = container

        def landed() -> dict[str, Any] | None:
            page = self._v2_page(entry.remote_id, f"read page {entry.title!r}")
            version = page.get("version") or {}
            if version.get("number") == number and version.get("message") == message:
                return page
            return None

        result = self._call(
            f"update page {entry.title!r}",
            lambda: self.client.put(f"{V2}/pages/{entry.remote_id}", data=body),
            write=True,
            before_retry=landed,
        )
        return self._content(result)

    def _store_key(self, entry: RemoteEntry, key: str) -> None:
        """Set the ``prodops-sync`` property of a page to ``key`` (create or replace)."""
        self._store_key_on(entry.remote_id, entry.title, key)

    def _store_key_on(self, page_id: str, title: str, key: str) -> None:
        """Set the ``prodops-sync`` property of page ``page_id`` (create or replace). Cloud:
        ``POST api/v2/pages/{id}/properties``, and when it exists ``PUT
        .../properties/{property-id}``; Data Center: the v1 ``content/{id}/property`` pair."""
        value = {"key": key}
        path = (f"{V2}/pages/{page_id}/properties" if self.cloud
                else f"{API}/content/{page_id}/property")

        def post() -> bool:
            try:
                self.client.post(path, data={"key": PROPERTY_KEY, "value": value})
            except requests.HTTPError as exc:
                if _status_of(exc) in (400, 409):
                    return False  # it exists already
                raise
            return True

        if self._call(f"store key on {title!r}", post, write=True):
            return
        # The property exists (a copied page carries its original's key): replace it.
        if self.cloud:
            found = self._v2_list(f"read key of {title!r}", path, key=PROPERTY_KEY)
            prop = found[0] if found else {}
            if prop.get("value") != value and not prop.get("id"):
                raise RemoteError(f"confluence: store key on {title!r}: the property could "
                                  "be neither created nor found")
            target = f"{path}/{prop.get('id')}"
        else:
            prop = self._get(f"read key of {title!r}", f"{path}/{PROPERTY_KEY}") or {}
            target = f"{path}/{PROPERTY_KEY}"
        if prop.get("value") == value:
            return  # an earlier attempt landed
        number = int((prop.get("version") or {}).get("number", 0)) + 1
        self._call(
            f"store key on {title!r}",
            lambda: self.client.put(
                target,
                data={"key": PROPERTY_KEY, "value": value, "version": {"number": number}},
            ),
            write=True,
        )

    # -- attachments -------------------------------------------------------------------------

    max_asset_bytes = CONFLUENCE_MAX_BYTES
    assets_on_page = True

    def upload_asset(self, entry: RemoteEntry | None, filename: str, data: bytes) -> str:
        """One ``PUT .../child/attachment`` (v1; Cloud has no v2 upload): creates the
        attachment, or a new version of one with the same file name."""
        if entry is None:
            raise RemoteError("confluence: attachments need their page to exist first")
        page = entry.remote_id
        # v1: Cloud's v2 API has no attachment upload.
        answer = self._call(
            f"upload attachment {filename}",
            lambda: self.client.put(
                f"{API}/content/{page}/child/attachment",
                data={"minorEdit": "true", "comment": VERSION_MESSAGE},
                files={"file": (filename, data, content_type(filename))},
                headers={"X-Atlassian-Token": "no-check", "Accept": "application/json"},
            ),
            write=True,
        )
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or not results:
            raise RemoteError(
                f"confluence: upload attachment {filename}: unexpected answer from "
                f"{self.client.url}"
            )
        return str(results[0].get("title") or filename)

    def download_asset(self, entry: RemoteEntry, ref: str, limit: int) -> bytes:
        """The attachment ``ref`` (a file name) of the entry's page."""
        path = f"download/attachments/{entry.remote_id}/{quote(ref, safe='')}"
        body = self._call(
            f"download attachment {ref}",
            lambda: self.client.get(path, not_json_response=True),
        )
        if not isinstance(body, bytes):
            raise RemoteError(f"confluence: download attachment {ref}: no file in the answer")
        if len(body) > limit:
            raise RemoteError(f"confluence: attachment {ref} is larger than {limit} bytes")
        return body

    def restore(self, remote_id: str, doc: Document) -> RemoteEntry | None:
        """Restore a trashed page (a ``PUT`` with ``status: current`` and the next version,
        as Confluence restores from the trash), back under its collection page."""
        kind = active()[doc.kind]
        container = self.containers.get(kind.collection)
        if self.cloud:
            return self._restore_v2(remote_id, doc, container)
        try:
            page = self._get(
                f"read trashed page {remote_id}", f"{API}/content/{remote_id}",
                status="trashed", expand=LIST_EXPAND,
            ) or {}
        except RemoteError as exc:
            if exc.status == 404:
                return None  # not in the trash (purged, or restored and deleted again)
            raise
        if _key_of(page) not in (doc.key, None) or not container:
            return None
        number = int((page.get("version") or {}).get("number", 0)) + 1
        body = {
            "id": remote_id,
            "type": "page",
            "status": "current",
            "title": str(page.get("title", doc.title)),
            "space": {"key": self.space},
            "ancestors": [{"id": container}],
            "version": {"number": number, "message": VERSION_MESSAGE},
        }
        try:
            content = self._call(
                f"restore {doc.title!r} from the trash",
                lambda: self.client.put(f"{API}/content/{remote_id}", data=body),
                write=True,
            )
        except HttpFailure as exc:
            if is_title_clash(exc.status, exc.detail):
                return None  # its title went to another page meanwhile: create anew
            raise
        title = str(content.get("title", doc.title))
        self._claim(remote_id, doc.key, title)
        self._parents[remote_id] = container
        entry = self._written_entry(content, doc, title)
        entry.key = _key_of(page) or ""
        return entry

    def _restore_v2(
        self, remote_id: str, doc: Document, container: str | None
    ) -> RemoteEntry | None:
        """``PUT api/v2/pages/{id}`` with ``status: current`` and the next version: v2
        restores the page as it was (to its old parent); the update that follows moves it
        back under its collection page and writes the document."""
        try:
            page = self._v2_page(remote_id, f"read trashed page {remote_id}", status="trashed",
                                 **{"body-format": "storage", "include-properties": "true"})
        except RemoteError as exc:
            if exc.status == 404:
                return None  # not in the trash (purged, or restored and deleted again)
            raise
        if _key_of(page) not in (doc.key, None) or not container:
            return None
        number = int((page.get("version") or {}).get("number", 0)) + 1
        body = {
            "id": remote_id,
            "status": "current",
            "title": str(page.get("title", doc.title)),
            "body": {"representation": "storage",
                     "value": str(((page.get("body") or {}).get("storage") or {})
                                  .get("value", ""))},
            "version": {"number": number, "message": VERSION_MESSAGE},
        }
        try:
            answer = self._call(
                f"restore {doc.title!r} from the trash",
                lambda: self.client.put(f"{V2}/pages/{remote_id}", data=body),
                write=True,
            )
        except HttpFailure as exc:
            if is_title_clash(exc.status, exc.detail):
                return None  # its title went to another page meanwhile: create anew
            raise
        content = self._content(answer)
        title = str(content.get("title", doc.title))
        self._claim(remote_id, doc.key, title)
        self._parents[remote_id] = str(content.get("parentId") or "")
        entry = self._written_entry(content, doc, title)
        entry.key = _key_of(page) or ""
        return entry

    def archive(self, entry: RemoteEntry) -> None:
        path = f"{V2}/pages/{entry.remote_id}" if self.cloud else \
            f"{API}/content/{entry.remote_id}"

        def send() -> Any:
            try:
                return self.client.delete(path)
            except requests.HTTPError as exc:
                if _status_of(exc) == 404:
                    return None  # already in the trash (a retried delete that had landed)
                raise

        self._call(f"archive {entry.title!r}", send, write=True)

    def adopt(self, entry: RemoteEntry, key: str) -> RemoteEntry:
        self._store_key(entry, key)
        kind = active()[entry.kind]
        if self.cloud and kind.is_record:
            # A v2 create whose key or label write failed is adopted here: label it too.
            self._add_label(entry.remote_id, collection_label(kind.name))
        page_title = self._unkeyed.get(entry.remote_id) or entry.title
        self._claim(entry.remote_id, key, page_title)
        return RemoteEntry(
            remote_id=entry.remote_id,
            key=key,
            kind=kind.name,
            title=entry.title,
            marker=entry.marker,
            url=entry.url,
        )


def _v2_create_body(space_id: str, title: str, storage: str, parent: str) -> dict[str, Any]:
    """A v2 ``POST /pages`` body: a published page in the storage representation."""
    return {
        "spaceId": space_id,
        "status": "current",
        "title": title,
        "parentId": parent,
        "body": {"representation": "storage", "value": storage},
    }


def _is_record_collection(members: Sequence[KindSpec]) -> bool:
    return len(members) == 1 and members[0].is_record


def _key_of(content: Mapping[str, Any]) -> str | None:
    """The document key in a content object's expanded ``prodops-sync`` property."""
    props = ((content.get("metadata") or {}).get("properties") or {})
    prop = props.get(PROPERTY_KEY) or {}
    value = prop.get("value") if isinstance(prop, Mapping) else None
    key = value.get("key") if isinstance(value, Mapping) else None
    return key if isinstance(key, str) and key else None


def _hostile(key: str) -> bool:
    """True for a key no document can have (``../x``, an absolute path...)."""
    try:
        check_relpath(key)
    except UnsafePath:
        return True
    return False


def _trimmed(content: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a listed page holding what the listing reads from it (identity, title,
    status, version number, ancestors, the key property and links), for the cache."""
    out: dict[str, Any] = {"id": str(content["id"]), "title": content.get("title", "")}
    for name in ("type", "status"):
        if name in content:
            out[name] = content[name]
    version = content.get("version") or {}
    out["version"] = {"number": version.get("number")}
    out["ancestors"] = [
        {"id": str(a.get("id")), "title": a.get("title", "")}
        for a in content.get("ancestors") or [] if isinstance(a, dict)
    ]
    prop = ((content.get("metadata") or {}).get("properties") or {}).get(PROPERTY_KEY)
    if isinstance(prop, dict):
        out["metadata"] = {"properties": {PROPERTY_KEY: {
            "key": PROPERTY_KEY, "value": prop.get("value")}}}
    links = content.get("_links") or {}
    out["_links"] = {k: links[k] for k in ("webui", "base") if k in links}
    return out


def _cql_string(value: str) -> str:
    """A CQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


__all__ = [
    "PROPERTY_KEY",
    "ConfluenceRemote",
    "classify_error",
    "is_title_clash",
    "make_classifier",
]
