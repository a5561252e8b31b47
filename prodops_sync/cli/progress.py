"""Progress output for long runs: a live line on a terminal, plain lines in CI logs."""

from __future__ import annotations

import sys
from typing import TextIO

import click

from prodops_sync.safety import one_line


class Progress:
    """A progress callback for the sync engine (``progress(done, total, message)``)."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.live = self.stream.isatty()
        self._width = 0

    def __call__(self, done: int, total: int, message: str) -> None:
        if self.quiet:
            return
        line = f"[{done}/{total}] {one_line(message)}"
        if self.live:
            pad = max(0, self._width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._width = len(line)
            if done == total:
                self.stream.write("\n")
                self._width = 0
        else:
            click.echo(line, file=self.stream)
        self.stream.flush()
