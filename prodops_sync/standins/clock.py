"""A controllable time source shared by a stand-in and its wiki user.

Real time by default; tests and benchmarks can move it forward (``advance``) or pin it
(``freeze``) so that edit times and ``lastmodified`` queries are deterministic.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock time plus an adjustable offset, optionally frozen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen: float | None = None

    def time(self) -> float:
        """Seconds since the epoch as the stand-in sees them."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return time.time() + self._offset

    def now(self) -> datetime:
        """The current stand-in time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative value) by ``seconds``."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def freeze(self, at: datetime | None = None) -> None:
        """Stop the clock at ``at`` (default: now) until ``unfreeze``."""
        moment = at.timestamp() if at is not None else self.time()
        with self._lock:
            self._frozen = moment

    def unfreeze(self) -> None:
        """Let the clock run again from where it was frozen."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - time.time()
                self._frozen = None
