"""The document model every part of prodops-sync shares.

A playbook is a set of :class:`Document` objects. A document is one syncable unit: one file
in the playbook, one page (or database row) in the wiki. Readers (the playbook loader, the
Notion and Confluence parsers) produce documents; writers (the file writer, the Notion and
Confluence renderers) consume them. The sync engine compares documents by
:func:`content_hash`, never by timestamps or raw text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from prodops_sync.kinds import active, key_for_path

__all__ = ["Document", "content_hash", "content_of", "key_for_path"]


@dataclass
class Document:
    """One syncable unit of the playbook.

    ``fields`` holds the typed fields exactly as the kind's JSON Schema describes them (YAML
    front matter or the YAML file), with dates kept as ISO strings. ``body`` is the Markdown
    body in canonical form (empty for YAML kinds).
    """

    key: str
    kind: str
    fields: dict[str, Any]
    body: str = ""
    path: str | None = None
    """Path relative to the playbook directory (POSIX), when the document has a file."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Reader-specific data (positions, remote ids) that never takes part in comparisons."""

    @property
    def title(self) -> str:
        """The document's title: the field its kind names as title (``title`` unless a
        team kind says otherwise), else the key."""
        return active().title_of(self.kind, self.fields, self.key)


def content_of(doc: Document) -> dict[str, Any]:
    """The part of a document that sync compares and stores as the base."""
    return {"key": doc.key, "kind": doc.kind, "fields": doc.fields, "body": doc.body}


def content_hash(doc: Document) -> str:
    """A stable hash of the document's canonical content (fields and body)."""
    data = json.dumps(content_of(doc), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()
