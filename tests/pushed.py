"""Shared set-up for tests that start from the example playbook pushed to a stand-in, and
the two checks they repeat: the YAML lines a pull changed, and the writes the next push made."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

from tests.reliability.harness import World, open_world
from tests.reliability.test_concurrency import _engine


def pushed_world(kind: str, tmp_path: Path) -> Iterator[World]:
    """A world (``"notion"`` or ``"confluence"``) whose playbook has been pushed; the stand-in
    stops afterwards. Use as a fixture body: ``yield from pushed_world("notion", tmp_path)``."""
    world = open_world(kind, tmp_path)
    try:
        _engine(world).push()
        yield world
    finally:
        world.standin.stop()


def pull_diff(world: World, relpath: str) -> list[str]:
    """Pull in process; the ``+``/``-`` lines it changed in the playbook file ``relpath``."""
    before = world.read(relpath)
    _engine(world).pull()
    after = world.read(relpath)
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def next_push_writes(world: World) -> int:
    """Push in process; how many writes the stand-in received."""
    world.standin.request_log.clear()
    _engine(world).push()
    return world.standin.request_log.writes()
