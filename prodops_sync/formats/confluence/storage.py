"""Markdown ⇄ Confluence storage XHTML: the public entry points.

:func:`to_storage` lives in :mod:`.writer`, :func:`from_storage` in :mod:`.reader`; both are
pure functions. See docs/formats/confluence.md for every construct and the placeholders.
"""

from __future__ import annotations

from prodops_sync.formats.confluence.reader import from_storage
from prodops_sync.formats.confluence.writer import to_storage
from prodops_sync.formats.confluence.xml import MAX_STORAGE_CHARS, StorageFormatError

__all__ = ["MAX_STORAGE_CHARS", "StorageFormatError", "from_storage", "to_storage"]
