"""Atomic JSON persistence for a stand-in's state (``--data DIR``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def load_state(directory: Path, name: str) -> dict[str, Any] | None:
    """Read ``DIR/<name>.json`` if it exists; None for a fresh directory."""
    path = directory / f"{name}.json"
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def save_state(directory: Path, name: str, state: dict[str, Any]) -> None:
    """Write ``DIR/<name>.json`` atomically: a temp file in the same directory, then rename."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, ensure_ascii=False, separators=(",", ":"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, directory / f"{name}.json")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
