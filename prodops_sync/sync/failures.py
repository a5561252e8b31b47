"""Which failures belong to one document, and which end the run.

One page a person broke (a non-JSON value typed into a structured cell, storage XHTML the
converter cannot read, an unsafe key, a page the API refuses to take) must not block every
other document: the engine skips that document, names it, and the run exits with code 4.
Failures that would hit every document alike (the network is down, the token is rejected,
the disk is full, a proxy answers instead of the API) end the run with one clear line.
"""

from __future__ import annotations

import yaml

from prodops_sync.remotes.base import ContainerGone, RemoteError, UnreadablePage
from prodops_sync.safety import UnsafePath, one_line
from prodops_sync.sync.assets import AssetError
from prodops_sync.sync.files import ChangedOnDisk

PER_DOCUMENT_STATUSES = frozenset({400, 403, 404, 409, 410, 413, 422})
"""HTTP statuses about one page or one request body (the rest concern every request)."""

_CONTENT_ERRORS = (
    ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
    UnicodeError, yaml.YAMLError, AssetError,
)


def document_failure(exc: Exception) -> str | None:
    """Why one document failed, on one line, when ``exc`` concerns that document alone;
    None when the run must stop (the caller re-raises)."""
    if isinstance(exc, ContainerGone):
        return None
    if isinstance(exc, UnreadablePage):
        return one_line(exc)[:500]
    if isinstance(exc, RemoteError):
        if exc.status in PER_DOCUMENT_STATUSES:
            return one_line(exc)[:500]
        return None
    if isinstance(exc, ChangedOnDisk):
        return str(exc)
    if isinstance(exc, UnsafePath):
        return f"unsafe path: {one_line(exc)}"
    if isinstance(exc, OSError):
        return None
    if isinstance(exc, _CONTENT_ERRORS):
        detail = one_line(exc)[:300] or "no detail"
        return f"cannot convert the page ({type(exc).__name__}: {detail})"
    return None
