"""Where the JSON Schemas (and the example playbook) live, in a checkout or an installed wheel.

The schemas are kept at the top of the repository (``schemas/``) so that editors and CI find
them next to the playbook. The package reaches them through ``prodops_sync/data/``, which in a
source checkout holds symlinks to ``../../schemas`` and ``../../playbook`` and in a built wheel
holds real copies (setuptools copies symlinked package data as files). The repository root is
the fallback when the symlinks are missing (for example a checkout made without symlinks).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from prodops_sync.kinds import active

_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE_DIR.parent


def _data_dir(name: str, probe: str) -> Path:
    for candidate in (_PACKAGE_DIR / "data" / name, _REPO_ROOT / name):
        if (candidate / probe).is_file():
            return candidate
    raise FileNotFoundError(f"prodops-sync data directory {name!r} not found (broken install?)")


def schema_dir() -> Path:
    """The directory holding ``<kind>.schema.json`` for every built-in kind."""
    return _data_dir("schemas", "charter.schema.json")


def example_playbook_dir() -> Path:
    """The directory holding the example playbook (what ``prodops-sync init --example`` copies)."""
    return _data_dir("playbook", "charter.md")


@cache
def builtin_schema_text(file_name: str) -> str:
    """The text of the built-in schema ``file_name`` under :func:`schema_dir`."""
    return (schema_dir() / file_name).read_text(encoding="utf-8")


def load_schema(kind: str) -> dict[str, Any]:
    """Return the JSON Schema (2020-12) of ``kind`` in the current kinds registry as a fresh
    dict (safe to mutate). Raises ``KeyError`` for an unknown kind."""
    return active().schema(kind)


def ref_fields(kind: str) -> dict[str, str]:
    """Top-level fields of ``kind`` that reference other documents: field -> referenced kind.

    Read from the custom ``x-ref`` annotation; for list fields the annotation sits on the
    array and every item is a key of the referenced kind.
    """
    return active().ref_fields(kind)
