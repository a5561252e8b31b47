"""The page tree of free pages (pure functions on keys, no I/O).

A free page's key is its path under the playbook without ``.md``; folders nest pages, and
``<folder>/index.md`` is the body of the folder's own page. So ``pages/guides/index`` is the
page "guides", parent of ``pages/guides/setup``; pages directly in ``pages/`` hang under the
wiki page "Pages" (the tree's root, which is no document).
"""

from __future__ import annotations

import posixpath

INDEX = "index"
"""File stem of a folder's own page."""


def folder_of(key: str, root: str) -> str:
    """The folder a page's children live in... no: the folder the page *sits in* as a child,
    i.e. the folder of its parent (``pages/guides/setup`` -> ``pages/guides``;
    ``pages/guides/index`` -> ``pages``). ``root`` is the pages directory."""
    folder = posixpath.dirname(key)
    if posixpath.basename(key) == INDEX and folder != root:
        folder = posixpath.dirname(folder)
    return folder


def parent_key(key: str, root: str) -> str | None:
    """The key of a page's parent page, or None for a page directly under the root."""
    folder = folder_of(key, root)
    return None if folder == root else f"{folder}/{INDEX}"


def children_folder(key: str, root: str) -> str:
    """The folder that holds the children of page ``key`` (``pages/guides/index`` ->
    ``pages/guides``; a leaf ``pages/setup`` -> ``pages/setup``, once it has children)."""
    if posixpath.basename(key) == INDEX and posixpath.dirname(key) != root:
        return posixpath.dirname(key)
    return key


def child_key(parent: str | None, stem: str, root: str, *, has_children: bool) -> str:
    """The key of a page named ``stem`` under ``parent`` (None: the root); a page with
    children of its own is a folder with an ``index``."""
    folder = root if parent is None else children_folder(parent, root)
    return f"{folder}/{stem}/{INDEX}" if has_children else f"{folder}/{stem}"


def page_depth(key: str, root: str) -> int:
    """How many pages lie above page ``key`` in the tree (0 directly under the root)."""
    depth, parent = 0, parent_key(key, root)
    while parent is not None:
        depth, parent = depth + 1, parent_key(parent, root)
    return depth


def stem_of(key: str, root: str) -> str:
    """The name of a page inside its parent folder (``pages/guides/index`` -> ``guides``)."""
    if posixpath.basename(key) == INDEX and posixpath.dirname(key) != root:
        return posixpath.basename(posixpath.dirname(key))
    return posixpath.basename(key)
