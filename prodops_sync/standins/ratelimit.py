"""A token-bucket rate limiter, as both wikis apply per integration / per user."""

from __future__ import annotations

import math
import threading
import time


class TokenBucket:
    """Allow ``rate`` requests per second on average with bursts up to ``burst``.

    ``acquire`` never blocks: it either takes a token or says how many seconds the caller
    should wait (the value the stand-in puts in ``Retry-After``).
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token; return 0.0 on success or the seconds to wait before retrying."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate

    @staticmethod
    def retry_after_header(wait: float) -> str:
        """``Retry-After`` carries whole seconds; round up so a polite client succeeds."""
        return str(max(1, math.ceil(wait)))
