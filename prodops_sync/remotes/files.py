"""Downloading wiki-hosted files (Notion's signed file URLs, Confluence attachments)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from prodops_sync.remotes.base import RemoteError

DOWNLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def download(url: str, limit: int, *, headers: dict[str, str] | None = None) -> bytes:
    """GET ``url`` and return its body, refusing more than ``limit`` bytes. Errors are one
    line naming the URL without its query string (Notion's signatures) or credentials."""
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.hostname or ''}{parts.path}"
    if parts.scheme not in ("http", "https"):
        raise RemoteError(f"cannot download {shown!r}: not an http(s) URL")
    chunks: list[bytes] = []
    size = 0
    try:
        with httpx.stream("GET", url, headers=headers, timeout=DOWNLOAD_TIMEOUT,
                          follow_redirects=True) as response:
            if response.status_code != 200:
                hint = " (the signed URL may have expired; pull again)" if (
                    response.status_code == 403) else ""
                raise RemoteError(
                    f"download of {shown} failed: HTTP {response.status_code}{hint}"
                )
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise RemoteError(
                        f"download of {shown} refused: larger than {limit} bytes"
                    )
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise RemoteError(f"download of {shown} failed: {type(exc).__name__}") from None
    return b"".join(chunks)
