"""Progress output for long runs: a live line on a terminal, plain lines in CI logs.

A run of thousands of documents is a long job at the wikis' rate limits (Notion allows about
3 requests per second: a 5,000-document first push takes about half an hour), so each line
says how long the rest of the step should take, from the pace so far. In a log (not a
terminal) a long step prints a line every :data:`LOG_EVERY` seconds rather than one per
document, so a CI log of a 5,000-document push stays readable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

import click

from prodops_sync.safety import one_line

ETA_AFTER_ITEMS = 3
"""No estimate before this many items of a step are done (the first ones set up caches)."""
ETA_AFTER_SECONDS = 2.0
"""Nor before the step has run this long: a quick step needs no estimate."""
LOG_EVERY = 5.0
"""In a log, a step of more than :data:`LOG_ALL_UP_TO` items prints at most one line per this
many seconds (plus its first and last item)."""
LOG_ALL_UP_TO = 50


def format_duration(seconds: float) -> str:
    """``seconds`` as people say it: ``40 s``, ``3 min 20 s``, ``1 h 05 min``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s" if minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """A progress callback for the sync engine (``progress(done, total, message)``).

    A *step* is a run of calls with the same ``total`` starting at ``done == 1`` (the engine
    reads pages, then writes them); the estimate is the step's pace so far times what is
    left. ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        quiet: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.live = self.stream.isatty()
        self.clock = clock
        self._width = 0
        self._started = 0.0
        self._total = -1
        self._logged = float("-inf")

    def __call__(self, done: int, total: int, message: str) -> None:
        if self.quiet:
            return
        now = self.clock()
        if done <= 1 or total != self._total:
            # A new step: its pace is measured from here (item 1 is being started now).
            self._started, self._total, self._logged = now, total, float("-inf")
        line = f"[{done}/{total}] {one_line(message)}"
        left = self.remaining(done, total, now)
        if left is not None:
            line += f" (about {format_duration(left)} left)"
        if self.live:
            pad = max(0, self._width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._width = len(line)
            if done == total:
                self.stream.write("\n")
                self._width = 0
        elif self._should_log(done, total, now):
            click.echo(line, file=self.stream)
            self._logged = now
        self.stream.flush()

    def remaining(self, done: int, total: int, now: float) -> float | None:
        """Seconds the rest of the step should take, or None while too early to say.

        ``done`` counts the item now starting, so ``done - 1`` items are finished."""
        finished = done - 1
        elapsed = now - self._started
        if finished < ETA_AFTER_ITEMS or elapsed < ETA_AFTER_SECONDS or done > total:
            return None
        return elapsed / finished * (total - finished)

    def _should_log(self, done: int, total: int, now: float) -> bool:
        if total <= LOG_ALL_UP_TO or done in (1, total):
            return True
        return now - self._logged >= LOG_EVERY
