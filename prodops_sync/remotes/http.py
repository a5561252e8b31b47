"""Bounded, validated HTTP for both remotes: what a request may cost and what an answer
must look like before anyone parses it.

The network answers anything: a proxy's HTML sign-in page with status 200, JSON cut off
half-way, an error object dressed as success, a server that trickles a byte every few
seconds, pagination that never ends. Both clients (notion-client on httpx, atlassian-python-api
on requests) send through a guard from this module:

* a connect timeout, a read timeout per chunk, and a **total deadline** per request (a
  trickling server is cut off; the read timeout alone never fires);
* a size cap on every answer;
* a shape check on every successful API answer: JSON, not HTML, not truncated, not an error
  object. A bad answer raises :class:`BadAnswer`: one line naming the URL (without query
  string or credentials), never retried (the same proxy answers the same way);
* :class:`PageGuard` for pagination: a cursor seen twice, or more pages than any real
  collection has, ends the listing with an error instead of looping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import requests
from requests.adapters import HTTPAdapter

from prodops_sync.remotes.base import RemoteError
from prodops_sync.safety import one_line, shown_url


@dataclass(frozen=True)
class Limits:
    """What one request may cost."""

    connect: float = 10.0
    read: float = 30.0
    """Seconds to wait for the next chunk of an answer."""
    total: float = 120.0
    """Seconds for the whole answer, however it trickles in."""
    max_bytes: int = 64 * 1024 * 1024


DEFAULT_LIMITS = Limits()
MAX_PAGES = 10_000
"""More pages of one listing than this (a million rows at 100 per page) is a loop."""


class BadAnswer(Exception):
    """The server answered, but not with what its API answers (see the module docstring)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"unexpected answer from {shown_url(url)}: {reason}")
        self.url = url
        self.reason = reason


class TotalTimeout(httpx.ReadTimeout):
    """An answer that did not complete within the total deadline (httpx flavour)."""


def notion_error_object(data: Any) -> str | None:
    """Why a successful Notion answer is not one: an error object in a 200."""
    if isinstance(data, dict) and data.get("object") == "error":
        code = one_line(data.get("code", "error"))[:80]
        message = one_line(data.get("message", ""))[:200]
        return f"an error object with status 200 ({code}: {message})"
    if not isinstance(data, dict):
        return "not a JSON object"
    return None


def confluence_error_object(data: Any) -> str | None:
    """Why a successful Confluence answer is not one: an error body in a 200."""
    if isinstance(data, dict) and "statusCode" in data and "message" in data \
            and "id" not in data and "results" not in data:
        return (f"an error object with status 200 ({one_line(data.get('statusCode'))}: "
                f"{one_line(data.get('message'))[:200]})")
    return None


def check_answer(
    status: int, content_type: str, body: bytes, url: str,
    error_object: Callable[[Any], str | None] | None = None, location: str = "",
) -> None:
    """Raise :class:`BadAnswer` unless a successful (2xx) answer is a complete JSON value
    (an empty body is fine: 204 and some DELETEs). A redirect is refused too: the APIs
    never redirect, a proxy or a captive portal does (and it must not get the token)."""
    if 300 <= status < 400:
        raise BadAnswer(url, f"a redirect (HTTP {status}) to {shown_url(location)}: the API "
                             "never redirects; check the URL, a proxy or a sign-in portal")
    if not 200 <= status < 300 or not body.strip():
        return
    head = body.lstrip()[:200].lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<")):
        raise BadAnswer(url, f"an HTML page with status {status}, not an API answer (a "
                             "sign-in page of a proxy or single sign-on?)")
    try:
        data = json.loads(body)
    except ValueError:
        raise BadAnswer(url, f"malformed or truncated JSON ({len(body)} bytes)") from None
    if error_object is not None:
        reason = error_object(data)
        if reason:
            raise BadAnswer(url, reason)


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that enforces :class:`Limits` and :func:`check_answer`."""

    def __init__(
        self,
        limits: Limits = DEFAULT_LIMITS,
        error_object: Callable[[Any], str | None] | None = None,
        inner: httpx.BaseTransport | None = None,
    ) -> None:
        self.limits = limits
        self.error_object = error_object
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.limits.total
        raw = self.inner.handle_request(request)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in raw.stream:  # type: ignore[union-attr]
                size += len(chunk)
                if size > self.limits.max_bytes:
                    raise BadAnswer(str(request.url), f"larger than {self.limits.max_bytes} "
                                                      "bytes")
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise TotalTimeout(
                        f"no complete answer within {self.limits.total:g} s", request=request
                    )
        finally:
            raw.close()
        response = httpx.Response(
            raw.status_code, headers=raw.headers, content=b"".join(chunks), request=request,
            extensions=raw.extensions,
        )
        body = response.read()  # decoded (gzip) for the check; the client reads it again
        check_answer(response.status_code, response.headers.get("content-type", ""), body,
                     str(request.url), self.error_object, response.headers.get("location", ""))
        return response

    def close(self) -> None:
        self.inner.close()


def guarded_httpx_client(
    limits: Limits = DEFAULT_LIMITS, error_object: Callable[[Any], str | None] | None = None
) -> httpx.Client:
    """An httpx client for notion-client: guarded transport, no redirects followed (the
    API never redirects; a redirect is a proxy, and answers with a clear error)."""
    return httpx.Client(
        transport=GuardedTransport(limits, error_object),
        timeout=httpx.Timeout(limits.read, connect=limits.connect),
        follow_redirects=False,
    )


class GuardedAdapter(HTTPAdapter):
    """A requests adapter that enforces :class:`Limits` and, for API paths, the answer
    check (file downloads are not JSON)."""

    def __init__(
        self,
        limits: Limits = DEFAULT_LIMITS,
        error_object: Callable[[Any], str | None] | None = None,
        api_marker: str = "/rest/api/",
    ) -> None:
        super().__init__(max_retries=0)
        self.limits = limits
        self.error_object = error_object
        self.api_marker = api_marker

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
        **kwargs: Any,
    ) -> requests.Response:
        deadline = time.monotonic() + self.limits.total
        response = super().send(
            request, stream=True, timeout=(self.limits.connect, self.limits.read), **kwargs
        )
        chunks: list[bytes] = []
        size = 0
        url = str(request.url)
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.limits.max_bytes:
                    raise BadAnswer(url, f"larger than {self.limits.max_bytes} bytes")
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise requests.exceptions.ReadTimeout(
                        f"no complete answer from {shown_url(url)} within "
                        f"{self.limits.total:g} s"
                    )
        finally:
            response.close()
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]
        if self.api_marker in (request.path_url or ""):
            check_answer(response.status_code, response.headers.get("content-type", ""),
                         response._content, url, self.error_object,
                         response.headers.get("location", ""))
        return response


def guarded_session(
    limits: Limits = DEFAULT_LIMITS, error_object: Callable[[Any], str | None] | None = None
) -> requests.Session:
    """A requests session for atlassian-python-api with :class:`GuardedAdapter` mounted."""
    session = requests.Session()
    adapter = GuardedAdapter(limits, error_object)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = 3
    return session


def limits_from_target(target: Any) -> Limits:
    """The target's ``timeout`` setting (seconds for a whole answer), if any."""
    total = target.get("timeout") if hasattr(target, "get") else None
    if total is None:
        return DEFAULT_LIMITS
    total = float(total)
    return Limits(connect=min(10.0, total), read=min(30.0, total), total=total)


class PageGuard:
    """Bounds one paginated listing: every cursor (or offset) at most once, and at most
    :data:`MAX_PAGES` pages."""

    def __init__(self, service: str, describe: str, max_pages: int = MAX_PAGES) -> None:
        self.service = service
        self.describe = describe
        self.max_pages = max_pages
        self.seen: set[str] = set()

    def next(self, cursor: object) -> None:
        """Record that the listing continues at ``cursor``; raise :class:`RemoteError` when
        it comes round again or runs past the bound."""
        token = str(cursor)
        if not cursor:
            raise RemoteError(f"{self.service}: {self.describe}: the server said there is "
                              "more but gave no cursor; nothing was changed")
        if token in self.seen:
            raise RemoteError(f"{self.service}: {self.describe}: the server returned the "
                              "same page cursor twice (endless pagination); nothing was "
                              "changed")
        if len(self.seen) >= self.max_pages:
            raise RemoteError(f"{self.service}: {self.describe}: more than "
                              f"{self.max_pages} pages; nothing was changed")
        self.seen.add(token)
