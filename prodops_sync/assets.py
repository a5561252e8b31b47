"""Images and files a document links to: ``![flow](../assets/flow.png)``,
``[spec](../assets/spec.pdf)``.

An *asset* is a file inside the playbook that is not a document (conventionally under
``playbook/assets/``, which the loader skips). Its key is its playbook-relative POSIX path
(``assets/flow.png``). Push uploads an asset once per content hash (Notion: the File Upload
API; Confluence: a page attachment); pull saves images and files a person added in the wiki
under ``assets/`` with a safe name. These helpers are pure: they find asset links in
Markdown, map hrefs to asset keys and back, and derive safe file names from remote text.
"""

from __future__ import annotations

import hashlib
import mimetypes
import posixpath
import re
import unicodedata
from urllib.parse import unquote, urlsplit

from prodops_sync.markdown import parser
from prodops_sync.safety import WINDOWS_RESERVED

ASSETS_DIR = "assets"
"""Where pulled images and files go, and the folder the loader does not read as documents."""

NOTION_MAX_BYTES = 20 * 1024 * 1024
"""Notion's single-part upload limit (20 MB; Free workspaces allow 5 MiB per file)."""
CONFLUENCE_MAX_BYTES = 100 * 1024 * 1024
"""Confluence's default attachment size limit (100 MB; site admins can lower it)."""
DOWNLOAD_MAX_BYTES = 50 * 1024 * 1024
"""Pull refuses to save a wiki file larger than this (one bad page cannot fill the disk)."""

_DOC_SUFFIXES = (".md", ".yaml", ".yml")
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def asset_key_for_href(current_key: str, href: str) -> str | None:
    """The asset key a relative ``href`` written in document ``current_key`` points at, or
    None (a URL, an anchor, a document, or a path leaving the playbook)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or parts.query or not parts.path:
        return None
    path = unquote(parts.path)
    if path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    if posixpath.splitext(path)[1].lower() in _DOC_SUFFIXES:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(current_key), path))
    if joined in (".", "..") or joined.startswith("../") or joined.startswith("."):
        return None
    return joined


def href_for_asset(current_key: str, asset_key: str) -> str:
    """The canonical relative href from document ``current_key`` to ``asset_key``."""
    return posixpath.relpath(asset_key, posixpath.dirname(current_key) or ".")


def asset_links(current_key: str, markdown: str) -> list[str]:
    """Asset keys the Markdown body links to (images and links), in order, once each."""
    found: list[str] = []
    for token in parser().parse(markdown):
        for child in token.children or ():
            attr = "src" if child.type == "image" else "href" if child.type == "link_open" else ""
            target = str(child.attrs.get(attr, "")) if attr else ""
            key = asset_key_for_href(current_key, target) if target else None
            if key is not None and key not in found:
                found.append(key)
    return found


def content_hash(data: bytes) -> str:
    """The content hash recorded per uploaded asset (sha256, hex)."""
    return hashlib.sha256(data).hexdigest()


def content_type(name: str) -> str:
    """The MIME type to announce for a file name (application/octet-stream if unknown)."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def is_image(name: str) -> bool:
    """True when ``name`` looks like an image the wikis display inline."""
    return content_type(name).startswith("image/")


def safe_file_name(raw: str, fallback: str = "file") -> str:
    """A readable, portable file name from untrusted remote text (a Notion URL's last path
    segment, a Confluence attachment title): no directories, no control or shell-special
    characters, no dot-files, no reserved device names, at most 100 characters; Unicode
    letters are kept (NFC)."""
    name = unicodedata.normalize("NFC", unquote(raw)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("-", name).strip(" .-")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = re.sub(r"-{2,}", "-", stem)[:90].strip(" .-") or fallback
    if stem.lower() in WINDOWS_RESERVED:
        stem = f"{stem}-file"
    suffix = re.sub(r"[^\w]", "", suffix)[:10].lower()
    return f"{stem}.{suffix}" if suffix else stem


def unique_asset_key(name: str, taken: set[str]) -> str:
    """``assets/<name>``, numbered (``name-2.png``) while it is in ``taken``."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate = f"{ASSETS_DIR}/{name}"
    n = 2
    while candidate in taken:
        candidate = f"{ASSETS_DIR}/{stem}-{n}" + (f".{suffix}" if suffix else "")
        n += 1
    return candidate
