"""The interface every remote (Notion, Confluence) implements for the sync engine.

A remote is a thin adapter: it lists the pages it manages cheaply (a constant number of
requests per collection), fetches a page's content as a :class:`Document`, and creates,
updates, archives and adopts pages. It knows the wiki's API and the format module; it knows
nothing about three-way sync, which is the engine's job.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prodops_sync.kinds import KindSpec, active
from prodops_sync.links import LinkResolver
from prodops_sync.model import Document
from prodops_sync.sync.state import SyncState

if TYPE_CHECKING:
    from prodops_sync.remotes.retry import RequestRunner


class RemoteError(Exception):
    """A remote request failed for good (after retries), with a one-line explanation."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status of the failed request, when there was one."""


class ContainerGone(RemoteError):
    """A container the state records (a database, a collection or parent page) is gone,
    in the trash or elsewhere: the engine refuses to sync against it."""


class UnreadablePage(RemoteError):
    """One page's content cannot be read or converted (broken storage XHTML, say): that
    document is skipped, the others sync."""


class RemoteConflict(RemoteError):
    """Someone changed the page between our read and our write (e.g. Confluence 409)."""


@dataclass
class RemoteEntry:
    """One managed page as the cheap listing sees it."""

    remote_id: str
    key: str | None
    """The identity key stored on the page; None for a page someone created in the wiki."""
    kind: str
    """The kind of the collection the page is in."""
    title: str
    marker: str
    """An opaque version marker (Confluence version number, Notion last_edited_time)."""
    url: str = ""
    maybe_changed: bool = False
    """True when the marker alone cannot prove the page unchanged (Notion's minute-rounded
    timestamps): the engine then fetches it and compares content."""
    splice: dict[str, Any] | None = None
    """After a write: the per-block base of what the page now holds (see
    ``DocState.splice``), when the remote splices bodies block by block."""
    parent: str = ""
    """For free pages: the id of the page this one sits under (the page tree)."""
    location: str = ""
    """Where a person moved the page when it is no longer where the tool put it (e.g.
    ``under 'Quarterly Planning'``); empty otherwise."""
    existing: bool = False
    """Set by ``create`` when a page carrying the key was already there (made by a
    concurrent run): nothing was created, and the engine compares before adopting it."""
    written_body: str | None = None
    """Set by ``create`` when the page holds only the start of the document's body, because
    the rest links to pages that do not exist yet: the Markdown the page does hold. The
    engine records that as the base, and writes the rest once the targets exist (an update
    that appends it: no placeholder links to patch and read back)."""


class Remote(ABC):
    """A wiki the engine syncs with."""

    label: str = "remote"
    """Short name used in conflict markers and messages (``notion``, ``confluence``)."""

    def binding(self) -> dict[str, str]:
        """Where this remote's containers live, as configured (e.g. the Notion root page;
        the Confluence site, space and parent page). The engine records it in the state
        and refuses a configuration that names another place."""
        return {}

    @abstractmethod
    def prepare(self, state: SyncState, kinds: Sequence[KindSpec], *, create: bool) -> None:
        """Find (and with ``create``, create) the containers the playbook lives in, recording
        their ids in ``state.containers``."""

    @abstractmethod
    def list_entries(self, state: SyncState, kinds: Sequence[KindSpec]) -> list[RemoteEntry]:
        """Every page in the managed containers (cheap: no page bodies)."""

    @abstractmethod
    def fetch(self, entry: RemoteEntry, key: str, resolver: LinkResolver) -> Document:
        """The page's full content as a document with ``key``."""

    @abstractmethod
    def create(self, doc: Document, state: SyncState, resolver: LinkResolver) -> RemoteEntry:
        """Create a page for ``doc`` carrying its identity key; return its entry."""

    @abstractmethod
    def update(
        self,
        entry: RemoteEntry,
        doc: Document,
        current: Document | None,
        resolver: LinkResolver,
    ) -> RemoteEntry:
        """Make the page hold ``doc``, changing as little as the API allows. ``current`` is
        the page's content if the engine fetched it (None: fetch as needed)."""

    def will_write(self, docs: Sequence[Document]) -> None:
        """The documents this run is about to create or update, in the order it will: a
        remote may check them in batches instead of one request each (the default does
        nothing)."""
        return None

    def drift(self) -> list[tuple[str, str]]:
        """Schema drift seen while listing and reading: (collection or key, message), e.g.
        a column renamed or added in the wiki."""
        return []

    def restore(self, remote_id: str, doc: Document) -> RemoteEntry | None:
        """Bring page ``remote_id`` back from the trash (it was ``doc``'s page); None when
        it cannot be (purged, no longer shared, not a page of ours): the engine then
        creates a new page."""
        return None

    @abstractmethod
    def archive(self, entry: RemoteEntry) -> None:
        """Archive (move to trash) the page; recoverable in the wiki."""

    @abstractmethod
    def adopt(self, entry: RemoteEntry, key: str) -> RemoteEntry:
        """Store identity ``key`` on a page created in the wiki."""

    max_asset_bytes: int = 0
    """The largest file :meth:`upload_asset` takes (0: this remote stores no files)."""
    assets_on_page: bool = False
    """True when files belong to one page and are uploaded once the page exists
    (Confluence attachments); False when an upload is referenced by id (Notion)."""

    def upload_asset(self, entry: RemoteEntry | None, filename: str, data: bytes) -> str:
        """Upload a file (for ``entry``'s page where files belong to pages); returns the
        reference the format module writes (Notion: file upload id; Confluence: the
        attachment file name)."""
        raise RemoteError(f"{self.label} does not store files")

    def download_asset(self, entry: RemoteEntry, ref: str, limit: int) -> bytes:
        """The content of a wiki file (Notion: its URL; Confluence: the attachment file name
        on ``entry``'s page), at most ``limit`` bytes."""
        raise RemoteError(f"{self.label} does not store files")

    @property
    @abstractmethod
    def requests_made(self) -> int:
        """HTTP requests made so far (reads and writes)."""

    @property
    @abstractmethod
    def writes_made(self) -> int:
        """Write requests made so far."""

    @property
    def retries_made(self) -> int:
        """Requests retried so far (after 429, 5xx, timeouts, dropped connections)."""
        return 0


class HttpRemote(Remote, ABC):
    """A remote whose requests all go through one :class:`RequestRunner`, which counts them."""

    runner: RequestRunner

    @property
    def requests_made(self) -> int:
        return self.runner.requests

    @property
    def writes_made(self) -> int:
        return self.runner.writes

    @property
    def retries_made(self) -> int:
        return self.runner.retries


def tracked_collections(state: SyncState) -> set[str]:
    """Collections the state has documents in (by each base's kind): an empty listing of
    one of them is suspicious, and a remote checks the container before trusting it."""
    found = set()
    for recorded in state.docs.values():
        kind = active().get(str((recorded.base or {}).get("kind", "")))
        if kind is not None:
            found.add(kind.collection)
    return found
