"""Notion format: Markdown ⇄ blocks, fields ⇄ properties, request planning (no I/O)."""

from prodops_sync.formats.notion.blocks import (
    block_fingerprint,
    from_blocks,
    is_placeholder,
    placeholder_id,
    to_blocks,
)

__all__ = ["block_fingerprint", "from_blocks", "is_placeholder", "placeholder_id", "to_blocks"]
