"""Retries, backoff and a client-side rate limit for every remote request.

Both adapters send each request through :class:`RequestRunner`. It owns retries (the
clients' own retry layers are switched off, so there is exactly one): 429, 529 and 5xx
answers, timeouts and dropped connections are retried with exponential backoff and full
jitter, honouring ``Retry-After``, within a per-run retry budget. A token bucket keeps the
request rate under the target's limit so bulk runs are not throttled in the first place.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

from prodops_sync.remotes.base import RemoteError
from prodops_sync.safety import scrub

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})


@dataclass
class Failure:
    """How an adapter describes a failed request to the runner."""

    retryable: bool
    status: int | None = None
    retry_after: float | None = None
    ambiguous: bool = False
    """True when a write may have landed although it failed (timeout, dropped connection,
    5xx): before retrying a create, the adapter must check whether it exists already."""
    message: str = ""


@dataclass
class RetryPolicy:
    """How hard to try. ``budget`` caps retries across a whole run."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    budget: int = 200
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return self.rng.uniform(0, ceiling)


class RateLimiter:
    """A token bucket: at most ``rate`` requests per second on average, bursts of ``burst``."""

    def __init__(self, rate: float, burst: int = 3, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self.tokens = float(burst)
        self.updated = clock()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until a request may be sent."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens < 1:
                wait = (1 - self.tokens) / self.rate
                self.sleep(wait)
                self.tokens = 0.0
                self.updated = self.clock()
            else:
                self.tokens -= 1


class RequestRunner:
    """Sends requests with rate limiting and retries, and counts them."""

    def __init__(
        self,
        classify: Callable[[Exception], Failure | None],
        *,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        service: str = "remote",
    ) -> None:
        self.classify = classify
        self.policy = policy or RetryPolicy()
        self.limiter = limiter
        self.service = service
        self.requests = 0
        self.writes = 0
        self.retries = 0

    def call(
        self,
        send: Callable[[], T],
        *,
        write: bool = False,
        describe: str = "request",
        before_retry: Callable[[], T | None] | None = None,
    ) -> T:
        """Send one request. ``before_retry`` runs before retrying an ambiguous failure (for
        creates: look the object up; if it exists, its result is returned instead)."""
        attempt = 0
        while True:
            attempt += 1
            if self.limiter is not None:
                self.limiter.acquire()
            self.requests += 1
            if write:
                self.writes += 1
            try:
                return send()
            except Exception as exc:
                failure = self.classify(exc)
                if failure is None:
                    raise
                if not failure.retryable:
                    raise RemoteError(
                        scrub(f"{self.service}: {describe}: {failure.message}"), failure.status
                    ) from None
                if attempt >= self.policy.max_attempts or self.retries >= self.policy.budget:
                    raise RemoteError(scrub(
                        f"{self.service}: {describe}: gave up after {attempt} attempts "
                        f"({failure.message}); completed steps are saved, rerun to resume"
                    )) from None
                self.retries += 1
                self.policy.sleep(self.policy.delay(attempt, failure.retry_after))
                if failure.ambiguous and before_retry is not None:
                    found = before_retry()
                    if found is not None:
                        return found


MAX_RETRY_AFTER = 60.0
"""A server asking for a longer wait than this is waited on for this long: a hostile or
broken ``Retry-After: 999999`` must not hang a CI job for days."""


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP-date (RFC 9110),
    capped at :data:`MAX_RETRY_AFTER`; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now()
    if seconds != seconds:  # NaN
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)
