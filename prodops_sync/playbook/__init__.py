"""Reading (and, in :mod:`prodops_sync.playbook.writer`, writing) playbook files.

Public entry points: :func:`load_playbook`, :func:`load_document`, :func:`parse_document_text`,
:class:`Problem`, :class:`PlaybookError`.
"""

from __future__ import annotations

from prodops_sync.playbook.loader import (
    MAX_FILE_BYTES,
    LoadResult,
    load_document,
    load_playbook,
    parse_document_text,
    positions_of,
)
from prodops_sync.playbook.problems import PlaybookError, Problem, json_path
from prodops_sync.playbook.yamlpos import Positions, parse_yaml

__all__ = [
    "MAX_FILE_BYTES",
    "LoadResult",
    "PlaybookError",
    "Positions",
    "Problem",
    "json_path",
    "load_document",
    "load_playbook",
    "parse_document_text",
    "parse_yaml",
    "positions_of",
]
