"""Incremental listing: a cached mirror of a container's listing, refreshed by what changed.

A no-op sync must cost a constant number of requests per collection (issue #21), but a
complete listing costs one request per 100 (Notion) or 200 (Confluence) pages. Both wikis can
list only what was edited since a moment (Notion: a ``last_edited_time`` filter; Confluence:
CQL ``lastmodified``), so a remote keeps, per container, a :class:`Listing`: the objects the
last listing returned (trimmed to what a listing entry needs) and the moment that listing
started. The next run lists what changed since that moment (minus :data:`MARGIN_SECONDS`) and
merges it in.

A filtered listing cannot show what left: a page deleted, trashed, moved away or no longer
visible. So every incremental listing comes with one more cheap request, a *deletion
signal*, compared with the one recorded with the cache (Notion: the set of trashed rows of
the data source; Confluence: the number of pages under the parent page). When it differs, or
the cache is missing, or the last complete listing is older than :data:`FULL_EVERY_SECONDS`,
the remote lists everything again. The periodic complete listing catches what no cheap
signal shows (on Notion: a row moved out of the database, or trashed and purged between two
runs; on Confluence: a page deleted while another one was moved in unchanged).

The cache is a pure mirror of the wiki at a moment: it never depends on what the engine did
with it, so it can be saved at any time (the state's sidecar file, see
:meth:`SyncState.set_listing`) and losing it costs one complete listing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MARGIN_SECONDS = 15 * 60
"""How far before the last listing's start an incremental listing reaches back. It covers
Notion's minute-rounded ``last_edited_time`` (up to 60 s early), a client clock that differs
from the wiki's between two runs (up to 10 minutes, as ``CLOCK_SLACK_SECONDS`` in the Notion
remote allows), and a search index that shows an edit a few seconds late (Confluence CQL).
Re-listing a page that did not change costs nothing but its bytes: its marker is unchanged."""

FULL_EVERY_SECONDS = 24 * 3600
"""A complete listing is made at least this often (by the client's clock), whatever the
deletion signal says: it bounds how long a removal no cheap signal shows stays unnoticed."""


@dataclass
class Listing:
    """The cached listing of one container."""

    at: float
    """The client's clock when the listing this cache mirrors started."""
    full_at: float
    """The client's clock when the last complete listing started."""
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Listed objects by id, trimmed to what a listing entry needs."""
    signal: Any = None
    """The deletion signal seen with the listing (JSON data)."""

    @classmethod
    def load(cls, data: Any) -> Listing | None:
        """The cache from its saved form; None when it is missing or malformed."""
        if not isinstance(data, dict):
            return None
        at, full_at, items = data.get("at"), data.get("full_at"), data.get("items")
        if not isinstance(at, int | float) or not isinstance(full_at, int | float):
            return None
        if not isinstance(items, dict) or not all(isinstance(v, dict) for v in items.values()):
            return None
        return cls(float(at), float(full_at), items, data.get("signal"))

    def dump(self) -> dict[str, Any]:
        """The saved form (JSON data)."""
        return {"at": self.at, "full_at": self.full_at, "items": self.items,
                "signal": self.signal}

    def since(self) -> float:
        """The moment an incremental listing lists changes from."""
        return self.at - MARGIN_SECONDS

    def stale(self, now: float) -> bool:
        """True when a complete listing is due: the last one is too old, or the clock went
        back before it (the cursor would then be in the future)."""
        return not (self.full_at <= now < self.full_at + FULL_EVERY_SECONDS) or self.at > now

    def merge(self, changed: Iterable[dict[str, Any]], at: float) -> None:
        """Add or replace the objects an incremental listing started at ``at`` returned."""
        for item in changed:
            self.items[str(item["id"])] = item
        self.at = at
