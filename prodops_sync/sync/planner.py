"""Three-way classification of every document, and the actions push and pull take.

Pure: the planner sees, per document key, the local document (or None), the remote document
(or None) and the base recorded by the last sync (or None), and decides. Comparisons use
:func:`prodops_sync.model.content_hash` of canonical content, never timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from prodops_sync.model import Document, content_hash
from prodops_sync.sync.merge import merge_documents


class Status(StrEnum):
    """How a document differs between local, remote and base."""

    IN_SYNC = "in-sync"
    LOCAL_CHANGED = "local-changed"
    REMOTE_CHANGED = "remote-changed"
    BOTH_SAME = "both-changed-same"
    BOTH_MERGE = "both-changed-merge"
    """Both sides changed different things (fields, list items, table cells, paragraphs):
    pull merges them with no conflict."""
    CONFLICT = "conflict"
    NEW_LOCAL = "new-local"
    NEW_REMOTE = "new-remote"
    DELETED_LOCAL = "deleted-local"
    DELETED_REMOTE = "deleted-remote"
    LOCAL_EDIT_REMOTE_DELETE = "local-edit-remote-delete"
    REMOTE_EDIT_LOCAL_DELETE = "remote-edit-local-delete"
    BOTH_DELETED = "both-deleted"
    UNREADABLE = "unreadable"
    """The wiki page could not be read or converted, or carries an unsafe key: the document
    is skipped this run (named in the report), everything else syncs."""


class PushAction(StrEnum):
    """What `push` does with a document."""

    NONE = "none"
    CREATE = "create"
    UPDATE = "update"
    ARCHIVE = "archive"
    RECORD = "record-base"
    SKIP_CONFLICT = "skip-conflict"
    SKIP_MERGE = "skip-merge"
    """Both sides changed without overlap: left for pull to merge (or --on-conflict)."""
    FORGET = "forget"
    RENAME = "rename"
    """The page holds the document but carries another key (the file was renamed in Git,
    or the key was retyped in the wiki): write the document's key onto the same page."""


class PullAction(StrEnum):
    """What `pull` does with a document."""

    NONE = "none"
    WRITE = "write"
    CREATE = "create"
    MERGE = "merge"
    REPORT_DELETED = "report-deleted"
    RECORD = "record-base"
    FORGET = "forget"


PUSH_ACTIONS: dict[Status, PushAction] = {
    Status.IN_SYNC: PushAction.NONE,
    Status.LOCAL_CHANGED: PushAction.UPDATE,
    Status.REMOTE_CHANGED: PushAction.NONE,
    Status.BOTH_SAME: PushAction.RECORD,
    Status.BOTH_MERGE: PushAction.SKIP_MERGE,
    Status.CONFLICT: PushAction.SKIP_CONFLICT,
    Status.NEW_LOCAL: PushAction.CREATE,
    Status.NEW_REMOTE: PushAction.NONE,
    Status.DELETED_LOCAL: PushAction.ARCHIVE,
    Status.DELETED_REMOTE: PushAction.NONE,
    # The edit survives: the page someone deleted comes back with the local edit.
    Status.LOCAL_EDIT_REMOTE_DELETE: PushAction.CREATE,
    Status.REMOTE_EDIT_LOCAL_DELETE: PushAction.NONE,
    Status.BOTH_DELETED: PushAction.FORGET,
}

PULL_ACTIONS: dict[Status, PullAction] = {
    Status.IN_SYNC: PullAction.NONE,
    Status.LOCAL_CHANGED: PullAction.NONE,
    Status.REMOTE_CHANGED: PullAction.WRITE,
    Status.BOTH_SAME: PullAction.RECORD,
    Status.BOTH_MERGE: PullAction.MERGE,
    Status.CONFLICT: PullAction.MERGE,
    Status.NEW_LOCAL: PullAction.NONE,
    Status.NEW_REMOTE: PullAction.CREATE,
    Status.DELETED_LOCAL: PullAction.NONE,
    Status.DELETED_REMOTE: PullAction.REPORT_DELETED,
    Status.LOCAL_EDIT_REMOTE_DELETE: PullAction.NONE,
    # The edit survives: the file someone deleted comes back with the wiki edit.
    Status.REMOTE_EDIT_LOCAL_DELETE: PullAction.CREATE,
    Status.BOTH_DELETED: PullAction.FORGET,
}


@dataclass
class PlanItem:
    """One document's classification and the actions push and pull would take."""

    key: str
    status: Status
    local: Document | None
    remote: Document | None
    base: Document | None
    page_key: str | None = None
    """The key the document's page carries when it is not ``key`` (renamed in Git and not
    pushed yet, or retyped / cleared in the wiki); None when it matches."""
    renamed_from: str | None = None
    """The key the document had at the last sync when its file was renamed in Git."""

    @property
    def push(self) -> PushAction:
        """The push action for this document."""
        # Only a page that holds the document gets its key rewritten on its own; other
        # updates write the key with the content, and a wiki edit waits for pull.
        if self.status is Status.IN_SYNC and self.page_key is not None:
            return PushAction.RENAME
        return PUSH_ACTIONS[self.status]

    @property
    def pull(self) -> PullAction:
        """The pull action for this document."""
        return PULL_ACTIONS[self.status]

    @property
    def title(self) -> str:
        """A title to show (local first, then remote, then base)."""
        for doc in (self.local, self.remote, self.base):
            if doc is not None:
                return doc.title
        return self.key


def _hash(doc: Document | None) -> str | None:
    return None if doc is None else content_hash(doc)


def classify(
    local: Document | None,
    remote: Document | None,
    base: Document | None,
    pending: str | None = None,
) -> Status:
    """Classify one document from its three versions.

    ``pending`` is the hash of content an interrupted push had started writing; when local
    still holds exactly that content, the remote's half-written state is ours and the
    document is treated as changed locally (the push is completed), not as a conflict.
    """
    lh, rh, bh = _hash(local), _hash(remote), _hash(base)
    if bh is None:
        if lh is not None and rh is not None:
            if lh == rh:
                return Status.BOTH_SAME
            return Status.LOCAL_CHANGED if pending == lh else Status.CONFLICT
        if lh is not None:
            return Status.NEW_LOCAL
        if rh is not None:
            return Status.NEW_REMOTE
        return Status.BOTH_DELETED
    if lh is not None and rh is not None:
        if lh == bh and rh == bh:
            return Status.IN_SYNC
        if rh == bh:
            return Status.LOCAL_CHANGED
        if lh == bh:
            return Status.REMOTE_CHANGED
        if lh == rh:
            return Status.BOTH_SAME
        if pending == lh:
            return Status.LOCAL_CHANGED
        return _incorporated(local, remote, base)
    if lh is not None:
        return Status.DELETED_REMOTE if lh == bh else Status.LOCAL_EDIT_REMOTE_DELETE
    if rh is not None:
        return Status.DELETED_LOCAL if rh == bh else Status.REMOTE_EDIT_LOCAL_DELETE
    return Status.BOTH_DELETED


def _incorporated(local: Document | None, remote: Document | None, base: Document | None) -> Status:
    """Both sides changed. If one side already contains the other's changes (for example a
    merged pull request that brought the wiki edit in and added to it), that side simply
    moves ahead; otherwise it is a conflict."""
    assert local is not None and remote is not None
    result = merge_documents(base, local, remote)
    if result.clean:
        merged = content_hash(result.document)
        if merged == content_hash(local):
            return Status.LOCAL_CHANGED
        if merged == content_hash(remote):
            return Status.REMOTE_CHANGED
        return Status.BOTH_MERGE
    return Status.CONFLICT


def plan(
    local: dict[str, Document],
    remote: dict[str, Document],
    base: dict[str, Document],
    pending: dict[str, str] | None = None,
) -> list[PlanItem]:
    """Classify every key seen on any side, in key order."""
    pending = pending or {}
    keys = sorted(set(local) | set(remote) | set(base))
    items = []
    for key in keys:
        status = classify(local.get(key), remote.get(key), base.get(key), pending.get(key))
        items.append(PlanItem(key, status, local.get(key), remote.get(key), base.get(key)))
    return items
