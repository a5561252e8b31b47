"""The Confluence format: Markdown ⇄ storage XHTML, fields ⇄ page-properties macro."""

from prodops_sync.formats.confluence.storage import (
    MAX_STORAGE_CHARS,
    StorageFormatError,
    from_storage,
    to_storage,
)

__all__ = ["MAX_STORAGE_CHARS", "StorageFormatError", "from_storage", "to_storage"]
