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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any


@dataclass(frozen=True)
class KindSpec:
    """One kind of playbook file: where its files live and how they map to the wiki."""

    name: str
    """Kind name used in schemas, messages and JSON output, e.g. ``ritual``."""
    schema: str
    """File name of the kind's JSON Schema under ``schemas/``."""
    pattern: str
    """Path pattern relative to the playbook directory (``rituals/*.md`` or ``charter.md``)."""
    collection: str
    """Collection the kind syncs into: a Notion database / Confluence parent page title."""
    file_format: str
    """``markdown`` (YAML front matter + Markdown body) or ``yaml`` (fields only)."""

    @property
    def is_record(self) -> bool:
        """True for kinds with one file per record (``rituals/*.md``), false for singletons."""
        return "*" in self.pattern


# The single table of playbook kinds. Everything else (loader, validator, converters, sync)
# looks kinds up here, so adding a kind is one line plus its schema.
KINDS: tuple[KindSpec, ...] = (
    KindSpec("charter", "charter.schema.json", "charter.md", "Playbook", "markdown"),
    KindSpec(
        "operating-model", "operating-model.schema.json", "operating-model.md", "Playbook",
        "markdown",
    ),
    KindSpec(
        "insights-pipeline", "insights-pipeline.schema.json", "insights-pipeline.md", "Playbook",
        "markdown",
    ),
    KindSpec(
        "rollout-plan", "rollout-plan.schema.json", "rollout-plan.md", "Playbook", "markdown"
    ),
    KindSpec("risks", "risks.schema.json", "risks.yaml", "Playbook", "yaml"),
    KindSpec("ritual", "ritual.schema.json", "rituals/*.md", "Rituals", "markdown"),
    KindSpec("template", "template.schema.json", "templates/*.md", "Templates", "markdown"),
    KindSpec(
        "release-tier", "release-tier.schema.json", "release-tiers/*.yaml", "Release tiers",
        "yaml",
    ),
    KindSpec("decision", "decision.schema.json", "decisions/*.md", "Decision log", "markdown"),
)

KINDS_BY_NAME: dict[str, KindSpec] = {k.name: k for k in KINDS}


def collections(kinds: Iterable[KindSpec]) -> dict[str, list[KindSpec]]:
    """Kinds grouped by the collection (Notion database, Confluence parent page) they sync
    into, in ``KINDS`` order."""
    groups: dict[str, list[KindSpec]] = {}
    for kind in kinds:
        groups.setdefault(kind.collection, []).append(kind)
    return groups


def kind_for_path(relative: str) -> KindSpec | None:
    """Return the kind whose pattern matches ``relative`` (a POSIX path inside the playbook)."""
    path = PurePosixPath(relative)
    for kind in KINDS:
        if path.match(kind.pattern) and len(path.parts) == len(PurePosixPath(kind.pattern).parts):
            return kind
    return None


def key_for_path(relative: str) -> str:
    """The stable document key for a playbook file: its path without the suffix.

    ``rituals/weekly-product-update.md`` -> ``rituals/weekly-product-update``.
    """
    path = PurePosixPath(relative)
    return str(path.with_suffix(""))


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
        """The document's title (every kind has a required ``title`` field)."""
        return str(self.fields.get("title", self.key))


def content_of(doc: Document) -> dict[str, Any]:
    """The part of a document that sync compares and stores as the base."""
    return {"key": doc.key, "kind": doc.kind, "fields": doc.fields, "body": doc.body}


def content_hash(doc: Document) -> str:
    """A stable hash of the document's canonical content (fields and body)."""
    data = json.dumps(content_of(doc), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()
