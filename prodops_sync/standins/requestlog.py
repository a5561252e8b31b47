"""The request log every stand-in keeps: what was asked, and what was answered."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import NamedTuple


class LoggedRequest(NamedTuple):
    """One request as the stand-in saw it.

    ``endpoint`` is the route template (``"PATCH /v1/blocks/{id}/children"``) so counts group
    requests per endpoint; ``write`` says whether the endpoint changes state (a POST search or
    query is a read). ``status`` is 0 when an injected fault dropped the connection.
    """

    method: str
    path: str
    status: int
    endpoint: str
    write: bool
    fault: str | None = None


class RequestLog:
    """A thread-safe, append-only list of :class:`LoggedRequest`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    @property
    def entries(self) -> list[LoggedRequest]:
        """A snapshot copy of the log."""
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.entries)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __getitem__(self, index: int) -> LoggedRequest:
        with self._lock:
            return self._entries[index]

    def clear(self) -> None:
        """Forget everything logged so far (e.g. between the phases of a benchmark)."""
        with self._lock:
            self._entries.clear()

    def counts(self) -> Counter[str]:
        """Number of requests per endpoint template, e.g. ``{"GET /v1/pages/{id}": 3}``."""
        return Counter(e.endpoint for e in self.entries)

    def writes(self, *, ok_only: bool = False) -> int:
        """How many requests went to state-changing endpoints (optionally only successful)."""
        return sum(1 for e in self.entries if e.write and (not ok_only or e.status < 400))

    def reads(self, *, ok_only: bool = False) -> int:
        """How many requests went to read-only endpoints (optionally only successful)."""
        return sum(1 for e in self.entries if not e.write and (not ok_only or 0 < e.status < 400))

    def statuses(self) -> Counter[int]:
        """Number of requests per answered status code (0 = dropped / timed out)."""
        return Counter(e.status for e in self.entries)
