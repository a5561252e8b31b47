"""Identity: which page is which document, whatever people did on either side.

Pure functions over the state, the remote listing and the local playbook (no I/O):

* :func:`assign_entries` maps listing entries to document keys. The remote id recorded in
  the state comes first; the key a page carries is checked against it, so a key retyped in
  the wiki is reported (and repaired by push), never a new document. Pages the state does
  not know are matched by their key; a second page carrying a key that is already taken is
  a *duplicate* (a row restored from the trash after the tool re-created it, a concurrent
  first push), reported and never turned into a new file.
* :func:`detect_renames` pairs a file that disappeared with a new file of the same kind whose
  content is similar (git's rename detection: exact first, then a similarity of at least
  :data:`RENAME_SIMILARITY`), so ``git mv`` renames the page instead of archiving it and
  creating another.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from prodops_sync.model import Document, content_of
from prodops_sync.remotes.base import RemoteEntry
from prodops_sync.sync.state import DocState

RENAME_SIMILARITY = 0.5
"""Like git's default (``-M50%``): at least half of the content is the same."""


@dataclass
class Assignment:
    """The listing, keyed by document."""

    entries: dict[str, RemoteEntry] = field(default_factory=dict)
    unkeyed: list[RemoteEntry] = field(default_factory=list)
    """Pages that carry no key and that the state does not know (created in the wiki)."""
    duplicates: list[tuple[str, RemoteEntry]] = field(default_factory=list)
    """(key, page) for each extra page carrying a key another page already holds."""
    key_changes: dict[str, str] = field(default_factory=dict)
    """Document key -> the key its page now carries (retyped or cleared in the wiki)."""


def assign_entries(entries: Iterable[RemoteEntry], docs: Mapping[str, DocState]) -> Assignment:
    """Key every listed page: by the remote id the state recorded, then by the key it
    carries (see the module docstring)."""
    out = Assignment()
    by_id = {s.remote_id: k for k, s in docs.items() if s.remote_id}
    by_page_key = {s.remote_key: k for k, s in docs.items() if s.remote_key}
    rest: list[RemoteEntry] = []
    for entry in entries:
        key = by_id.get(entry.remote_id)
        if key is None:
            rest.append(entry)
            continue
        expected = docs[key].remote_key or key
        if entry.key != expected:
            out.key_changes[key] = entry.key or ""
        out.entries[key] = entry
    for entry in rest:
        if not entry.key:
            out.unkeyed.append(entry)
            continue
        # A document renamed in Git whose page still carries the old key owns that key.
        key = by_page_key.get(entry.key, entry.key)
        if key in out.entries:
            out.duplicates.append((key, entry))
            continue
        out.entries[key] = entry
    return out


def _text(doc: Document) -> list[str]:
    fields = json.dumps(doc.fields, sort_keys=True, ensure_ascii=False, indent=0)
    return [*fields.splitlines(), *doc.body.splitlines()]


def similarity(a: Document, b: Document) -> float:
    """How much of two documents' content is the same, 0..1 (fields and body lines)."""
    if content_of(a) | {"key": ""} == content_of(b) | {"key": ""}:
        return 1.0
    return SequenceMatcher(None, _text(a), _text(b), autojunk=False).ratio()


def detect_renames(
    gone: Mapping[str, Document], new: Mapping[str, Document]
) -> dict[str, str]:
    """Pair documents that went (old key -> base) with documents that came (new key ->
    local) of the same kind: ``{new key: old key}``, best matches first, each used once."""
    scored = []
    for new_key, doc in new.items():
        for old_key, old in gone.items():
            if old.kind != doc.kind:
                continue
            score = similarity(old, doc)
            if score >= RENAME_SIMILARITY:
                scored.append((-score, new_key, old_key))
    pairs: dict[str, str] = {}
    used: set[str] = set()
    for _score, new_key, old_key in sorted(scored):
        if new_key in pairs or old_key in used:
            continue
        pairs[new_key] = old_key
        used.add(old_key)
    return pairs


def rekeyed(doc: Document, key: str) -> Document:
    """``doc`` under another key (same content otherwise)."""
    return Document(key, doc.kind, doc.fields, doc.body, path=doc.path, extra=doc.extra)
