"""Links between playbook documents.

In the playbook, a document links to another with a relative link to its file, exactly as
GitHub renders it: ``[the template](../templates/weekly-product-update.md#sections)``.
Converters turn such links into wiki links through a :class:`LinkResolver` the caller passes
in (key -> Notion page URL, or key -> Confluence page title), and back again on the way in.
These helpers convert between relative hrefs and document keys, in one canonical spelling so
that the round trip is byte-exact.
"""

from __future__ import annotations

import posixpath
from typing import Protocol
from urllib.parse import urlsplit

from prodops_sync.kinds import active, kind_for_path

PLAYBOOK_SUFFIXES = (".md", ".yaml")
PENDING_URL = "https://prodops-sync.invalid/pending/"
"""Prefix of the placeholder URL a link to a document without a page yet is written as
(``PENDING_URL + key``); the sync engine rewrites such links once the page exists."""


class LinkResolver(Protocol):
    """Maps document keys to wiki locations and back. Implemented by the sync engine."""

    def url_for(self, key: str) -> str | None:
        """Notion: the page URL of the document ``key`` (None when it has no page yet)."""
        ...

    def key_for_url(self, url: str) -> str | None:
        """Notion: the document key whose page has this URL or id (None if not ours)."""
        ...

    def title_for(self, key: str) -> str | None:
        """Confluence: the page title of the document ``key``."""
        ...

    def key_for_title(self, title: str) -> str | None:
        """Confluence: the document key whose page has this title."""
        ...


class AssetResolver(Protocol):
    """Maps playbook assets (``assets/flow.png``) to what the wiki calls them and back.
    Converters use it when the resolver they are given has these methods."""

    def asset_ref(self, asset_key: str) -> str | None:
        """Notion: the file upload id of an uploaded asset; Confluence: its attachment file
        name on the page. None when the asset has not been uploaded."""
        ...

    def asset_for_remote(self, ref: str, name: str) -> str | None:
        """The asset key of a wiki file (Notion: its URL; Confluence: the attachment file
        name), ``name`` being the file name the wiki shows. None: leave it as it is."""
        ...


class MappingResolver:
    """A resolver backed by plain dictionaries; handy for tests and the ``convert`` CLI."""

    def __init__(
        self, urls: dict[str, str] | None = None, titles: dict[str, str] | None = None
    ) -> None:
        self.urls = dict(urls or {})
        self.titles = dict(titles or {})
        self.paths: dict[str, str] = {}
        """Key -> file path of the local documents, so that a link read back from the wiki
        names the file as it is (``okrs/x.yaml`` for a kind that allows .md and .yaml)."""
        self.assets: dict[str, str] = {}
        """Asset key -> wiki reference (upload id / attachment file name)."""
        self.remote_assets: dict[str, str] = {}
        """Wiki reference (file URL without its signature / attachment name) -> asset key."""

    def asset_ref(self, asset_key: str) -> str | None:
        return self.assets.get(asset_key)

    def asset_for_remote(self, ref: str, name: str) -> str | None:
        return self.remote_assets.get(stable_file_ref(ref))

    def url_for(self, key: str) -> str | None:
        return self.urls.get(key)

    def key_for_url(self, url: str) -> str | None:
        for key, known in self.urls.items():
            if known == url:
                return key
        return None

    def title_for(self, key: str) -> str | None:
        return self.titles.get(key)

    def key_for_title(self, title: str) -> str | None:
        for key, known in self.titles.items():
            if known == title:
                return key
        return None


def split_href(current_key: str, href: str) -> tuple[str, str, str] | None:
    """If ``href`` (written in document ``current_key``) points at a playbook document, return
    ``(target_key, suffix, fragment)``; otherwise None.

    >>> split_href("rituals/weekly-update", "../templates/update.md#agenda")
    ('templates/update', '.md', 'agenda')
    """
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path or parts.query:
        return None
    suffix = posixpath.splitext(parts.path)[1]
    if suffix not in PLAYBOOK_SUFFIXES or parts.path.startswith("/"):
        return None
    base_dir = posixpath.dirname(current_key)
    joined = posixpath.normpath(posixpath.join(base_dir, parts.path))
    if joined.startswith("../") or joined == "..":
        return None
    if kind_for_path(joined) is None:
        return None
    return joined[: -len(suffix)], suffix, parts.fragment


def suffix_for(key: str, resolver: object | None = None) -> str:
    """The file suffix a link to document ``key`` uses: that of its file when the resolver
    (or the resolver it wraps) knows the local files, else that of a new file of its kind."""
    seen = 0
    while resolver is not None and seen < 8:  # wrappers (TitleResolver) hold the engine's
        paths = getattr(resolver, "paths", None)
        if isinstance(paths, dict) and key in paths:
            return posixpath.splitext(paths[key])[1]
        resolver, seen = getattr(resolver, "inner", None), seen + 1
    path = active().path_for_key(key)
    return posixpath.splitext(path)[1] if path else ".md"


def href_for(current_key: str, target_key: str, suffix: str = ".md", fragment: str = "") -> str:
    """The canonical relative href from document ``current_key`` to ``target_key``."""
    base_dir = posixpath.dirname(current_key) or "."
    rel = posixpath.relpath(target_key + suffix, base_dir)
    return rel + (f"#{fragment}" if fragment else "")


def stable_file_ref(ref: str) -> str:
    """A wiki file reference without what changes on every read: Notion-hosted file URLs
    are signed and expire within about an hour, so their query string is dropped."""
    parts = urlsplit(ref)
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}{parts.path}"
    return ref
