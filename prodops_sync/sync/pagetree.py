"""Keys for the wiki's free pages, from the page tree (pure, no I/O).

A free page in the wiki carries no key the engine can trust everywhere (a Notion page that
is not a database row has no properties to hold one), so a page's identity is its page id
in the state, and its key (its file) follows from where it sits in the tree:

- a page the state knows keeps its file name; with ``follow_moves`` (pull), its folder
  follows its parent in the wiki, so a page moved in the wiki moves its file;
- a page the state does not know is first looked up among the local pages by title under
  the same parent (the state was lost: the page is the file's own, not a new one);
- otherwise it is new: it gets a readable name from its title (:func:`page_stem`), unique
  among its siblings.

A page with children is a folder page (``<folder>/index``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from prodops_sync.model import Document
from prodops_sync.pages import INDEX, child_key, folder_of, parent_key, stem_of
from prodops_sync.remotes.base import RemoteEntry
from prodops_sync.sync.files import page_stem, unique_stem


@dataclass
class TreeKeys:
    """The outcome of :func:`assign_page_keys`."""

    keys: dict[str, str] = field(default_factory=dict)
    """Page id -> key."""
    moves: dict[str, str] = field(default_factory=dict)
    """New key -> old key, for known pages the wiki moved (only with ``follow_moves``)."""


def assign_page_keys(
    entries: Iterable[RemoteEntry],
    *,
    root_id: str,
    root: str,
    known: Mapping[str, str],
    local: Mapping[str, Document],
    follow_moves: bool,
) -> TreeKeys:
    """Keys for the page entries below the page ``root_id`` (the "Pages" page).

    ``root`` is the pages folder (``pages``), ``known`` maps page ids to the keys the state
    holds, ``local`` holds the local free pages by key. Entries whose parent is not in the
    tree (a listing that raced a move) are left out.
    """
    by_id = {e.remote_id: e for e in entries}
    has_children = {e.parent for e in by_id.values()}
    result = TreeKeys()
    taken = {*local, *known.values()}
    claimed: set[str] = set()
    visiting: set[str] = set()

    def key_of(page_id: str) -> str | None:
        if page_id in result.keys:
            return result.keys[page_id]
        entry = by_id.get(page_id)
        if entry is None or page_id in visiting:
            return None  # outside the tree, or a cycle in a broken listing
        visiting.add(page_id)
        try:
            if entry.parent == root_id:
                parent: str | None = None
            else:
                found = key_of(entry.parent)
                if found is None:
                    return None
                parent = found
            key = _key_for(entry, parent, page_id in has_children)
        finally:
            visiting.discard(page_id)
        result.keys[page_id] = key
        taken.add(key)
        return key

    def _key_for(entry: RemoteEntry, parent: str | None, children: bool) -> str:
        old = known.get(entry.remote_id)
        if old is not None:
            if not follow_moves:
                return old
            folder_page = children or posixpath.basename(old) == INDEX
            new = child_key(parent, stem_of(old, root), root, has_children=folder_page)
            if new != old and (new in taken or new in local):
                new = _unique(parent, stem_of(old, root), folder_page)
            if new != old:
                result.moves[new] = old
            return new
        for key, doc in sorted(local.items()):
            if key not in claimed and key not in known.values() and \
                    parent_key(key, root) == parent and doc.title == entry.title:
                claimed.add(key)
                return key
        return _unique(parent, page_stem(entry.title), children)

    def _unique(parent: str | None, stem: str, children: bool) -> str:
        folder = posixpath.dirname(child_key(parent, "x", root, has_children=False))
        siblings = {stem_of(k, root) for k in taken if folder_of(k, root) == folder}
        return child_key(parent, unique_stem(stem, siblings), root, has_children=children)

    for page_id in list(by_id):
        key_of(page_id)
    return result
