"""Three-way merge of documents: per field for fields, per line for the Markdown body.

A field changed on one side only takes that side's value; a field changed on both sides to
different values is a conflict. The body is merged with merge3 (the algorithm of bzr/git's
diff3): edits to different paragraphs merge cleanly, edits to the same lines conflict and
are left as git-style markers that `prodops-sync validate` reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import merge3

from prodops_sync.model import Document


@dataclass
class FieldConflict:
    """One top-level field changed differently on both sides."""

    name: str
    local: Any
    remote: Any
    local_present: bool = True
    remote_present: bool = True


@dataclass
class MergeResult:
    """The outcome of :func:`merge_documents`."""

    document: Document
    """Merged fields (conflicting fields keep the local value) and merged body (with
    conflict markers where the body conflicts)."""
    field_conflicts: list[FieldConflict] = field(default_factory=list)
    body_conflict: bool = False

    @property
    def clean(self) -> bool:
        """True when nothing conflicted."""
        return not self.field_conflicts and not self.body_conflict


_MISSING = object()


def merge_fields(
    base: dict[str, Any], local: dict[str, Any], remote: dict[str, Any]
) -> tuple[dict[str, Any], list[FieldConflict]]:
    """Merge top-level fields three ways, keeping the local key order first."""
    merged: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    names = list(local) + [k for k in remote if k not in local] + [
        k for k in base if k not in local and k not in remote
    ]
    for name in names:
        b = base.get(name, _MISSING)
        loc = local.get(name, _MISSING)
        rem = remote.get(name, _MISSING)
        if loc == rem or rem == b:
            value = loc
        elif loc == b:
            value = rem
        else:
            conflicts.append(
                FieldConflict(
                    name,
                    None if loc is _MISSING else loc,
                    None if rem is _MISSING else rem,
                    loc is not _MISSING,
                    rem is not _MISSING,
                )
            )
            value = loc
        if value is not _MISSING:
            merged[name] = value
    return merged, conflicts


def merge_text(
    base: str, local: str, remote: str, *, local_label: str = "local", remote_label: str = "remote"
) -> tuple[str, bool]:
    """Merge three versions of a text; returns (merged text, whether it conflicted)."""
    if local == remote or remote == base:
        return local, False
    if local == base:
        return remote, False
    m = merge3.Merge3(
        base.splitlines(keepends=True),
        local.splitlines(keepends=True),
        remote.splitlines(keepends=True),
    )
    conflicted = any(region[0] == "conflict" for region in m.merge_regions())
    lines = m.merge_lines(
        name_a=local_label,
        name_b=remote_label,
        start_marker="<<<<<<<",
        mid_marker="=======",
        end_marker=">>>>>>>",
    )
    text = "".join(lines)
    if text and not text.endswith("\n"):
        text += "\n"
    return text, conflicted


def merge_documents(
    base: Document | None, local: Document, remote: Document, *, remote_label: str = "remote"
) -> MergeResult:
    """Three-way merge ``local`` and ``remote`` against ``base`` (an empty base when the
    document has no recorded base: every difference is then a conflict)."""
    base_fields = base.fields if base else {}
    base_body = base.body if base else ""
    fields, conflicts = merge_fields(base_fields, local.fields, remote.fields)
    body, body_conflict = merge_text(
        base_body, local.body, remote.body, remote_label=remote_label
    )
    merged = Document(
        key=local.key, kind=local.kind, fields=fields, body=body, path=local.path
    )
    return MergeResult(merged, conflicts, body_conflict)
