"""Sync state: the base of three-way sync, one JSON file per target.

For every document the state records what both sides held after the last successful sync
(the *base*: canonical fields and body), the remote page id, and the remote's version marker
at that time (Confluence version number, Notion ``last_edited_time``). The engine saves the
state after every completed step, so an interrupted run resumes where it stopped; before a
remote write it records the content being written as ``pending`` (a journal entry), so a
rerun recognises a half-finished write of its own and completes it instead of reporting a
conflict. See docs/architecture.md for where the state lives in CI.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from prodops_sync.sync.files import atomic_write_text

STATE_VERSION = 1


class StateError(Exception):
    """The state file is unreadable or locked by another run."""


@dataclass
class DocState:
    """What the last sync left for one document."""

    remote_id: str
    marker: str = ""
    """The remote's version marker after the last sync (opaque to the engine)."""
    base: dict[str, Any] | None = None
    """``model.content_of(document)`` as both sides held it after the last sync."""
    base_hash: str | None = None
    url: str = ""
    pending: str | None = None
    """Hash of content a push started writing and has not confirmed (journal)."""
    relink: bool = False
    """The page was written with links to pages that did not exist yet (placeholder
    URLs); push rewrites it once they exist, even if a run was interrupted meanwhile."""


@dataclass
class SyncState:
    """The whole state of one target."""

    target: str
    containers: dict[str, str] = field(default_factory=dict)
    """Remote containers by collection name (Notion data source ids, Confluence page ids)."""
    docs: dict[str, DocState] = field(default_factory=dict)
    synced_at: str | None = None
    """When the last push or pull finished (UTC, ISO 8601); informational."""

    def to_json(self) -> str:
        """Serialise (stable key order, so the file diffs well in git)."""
        data = {
            "version": STATE_VERSION,
            "target": self.target,
            "synced_at": self.synced_at,
            "containers": dict(sorted(self.containers.items())),
            "docs": {k: asdict(v) for k, v in sorted(self.docs.items())},
        }
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str, target: str) -> SyncState:
        """Parse a state file's text."""
        data = json.loads(text)
        if data.get("version") != STATE_VERSION:
            raise StateError(f"unsupported state version {data.get('version')!r}")
        docs = {key: DocState(**value) for key, value in data.get("docs", {}).items()}
        return cls(
            target=data.get("target", target),
            containers=dict(data.get("containers", {})),
            docs=docs,
            synced_at=data.get("synced_at"),
        )


class StateStore:
    """Reads, locks and atomically saves one target's state file."""

    def __init__(self, directory: Path, target: str) -> None:
        self.path = directory / f"{target}.json"
        self.target = target
        self._lock = FileLock(str(directory / f"{target}.lock"))

    def load(self) -> SyncState:
        """The saved state, or an empty one on the first run."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return SyncState(target=self.target)
        try:
            return SyncState.from_json(text, self.target)
        except (ValueError, TypeError, KeyError, StateError) as exc:
            raise StateError(f"{self.path}: unreadable sync state: {exc}") from None

    def save(self, state: SyncState) -> None:
        """Write the state atomically."""
        atomic_write_text(self.path, state.to_json())

    def lock(self, timeout: float = 0) -> FileLock:
        """Take the target's lock so two runs never sync one target at once."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=timeout)
        except Timeout:
            raise StateError(
                f"another prodops-sync run is syncing target {self.target!r} "
                f"(lock {self._lock.lock_file}); wait for it to finish"
            ) from None
        return self._lock
