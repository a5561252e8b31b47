"""Three-way merge of documents: field by field, list item by item, table cell by cell.

Fields merge recursively: a field (or a key of a nested mapping, or an item of a list)
changed on one side only takes that side's value; only the same field changed both ways to
different values is a conflict, reported by its path (``raci[2].accountable``). Lists merge
by item (an item added in Git and another removed in the wiki both survive).

The body is merged with merge3 (the algorithm of bzr/git's diff3): edits to different
paragraphs merge cleanly. Markdown tables merge by cell: the canonical form pads cells to
align columns, so before merging every table row is written unpadded, and a region where
both sides changed rows of one table is merged cell by cell; edits to different cells of one
row never conflict. What still conflicts is left as git-style markers that
``prodops-sync validate`` reports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import merge3

from prodops_sync.markdown import canonical
from prodops_sync.model import Document

Prefer = Literal["local", "remote"] | None
"""Which side wins where both changed the same thing (None: report a conflict)."""


@dataclass
class FieldConflict:
    """One top-level field changed differently on both sides."""

    name: str
    local: Any
    remote: Any
    local_present: bool = True
    remote_present: bool = True
    paths: list[str] = field(default_factory=list)
    """Where inside the field the sides disagree (``name`` itself for a scalar field,
    ``raci[2].accountable`` for one cell of a list of objects)."""


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

    @property
    def conflict_paths(self) -> list[str]:
        """Every conflicting field path, for messages."""
        return [p for c in self.field_conflicts for p in (c.paths or [c.name])]


class _Missing:
    """A value absent on one side (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def merge_value(
    base: Any, local: Any, remote: Any, path: str, prefer: Prefer = None
) -> tuple[Any, list[str]]:
    """Merge one value three ways; returns (merged value, conflicting paths).

    Mappings merge key by key and lists item by item, recursively; any other value
    changed differently on both sides conflicts at ``path`` and keeps the local value,
    unless ``prefer`` names the side that wins such conflicts (then nothing conflicts).
    """
    if local == remote or remote == base:
        return local, []
    if local == base:
        return remote, []
    if all(isinstance(v, dict) for v in (base, local, remote)):
        return _merge_mappings(base, local, remote, path, prefer)
    if all(isinstance(v, list) for v in (base, local, remote)):
        return _merge_lists(base, local, remote, path, prefer)
    if prefer is not None:
        return (remote if prefer == "remote" else local), []
    return local, [path]


def _merge_mappings(
    base: dict[str, Any], local: dict[str, Any], remote: dict[str, Any], path: str,
    prefer: Prefer,
) -> tuple[dict[str, Any], list[str]]:
    merged: dict[str, Any] = {}
    conflicts: list[str] = []
    names = list(local) + [k for k in remote if k not in local]
    for name in names:
        value, where = merge_value(
            base.get(name, _MISSING),
            local.get(name, _MISSING),
            remote.get(name, _MISSING),
            f"{path}.{name}" if path else name,
            prefer,
        )
        conflicts += where
        if value is not _MISSING:
            merged[name] = value
    return merged, conflicts


def _item_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


def _merge_lists(
    base: list[Any], local: list[Any], remote: list[Any], path: str, prefer: Prefer
) -> tuple[list[Any], list[str]]:
    if len(base) == len(local) == len(remote):
        return _merge_items(base, local, remote, path, 0, prefer)
    # Items as the "lines" of merge3: insertions and removals on either side merge.
    m = merge3.Merge3(
        [_item_key(v) for v in base], [_item_key(v) for v in local],
        [_item_key(v) for v in remote],
    )
    merged: list[Any] = []
    conflicts: list[str] = []
    for region in m.merge_regions():
        kind = region[0]
        if kind == "unchanged":
            merged += base[region[1] : region[2]]
        elif kind in ("a", "same"):
            merged += local[region[1] : region[2]]
        elif kind == "b":
            merged += remote[region[1] : region[2]]
        else:
            bs, be, ls, le, rs, re_ = cast("tuple[int, ...]", region[1:])
            b, lo, r = base[bs:be], local[ls:le], remote[rs:re_]
            if len(b) == len(lo) == len(r):
                items, where = _merge_items(b, lo, r, path, len(merged), prefer)
                merged += items
                conflicts += where
            elif prefer is not None:
                merged += r if prefer == "remote" else lo
            else:
                merged += lo
                conflicts.append(f"{path}[{len(merged) - len(lo)}]")
    return merged, conflicts


def _merge_items(
    base: list[Any], local: list[Any], remote: list[Any], path: str, offset: int,
    prefer: Prefer,
) -> tuple[list[Any], list[str]]:
    """Merge lists of the same length position by position."""
    merged: list[Any] = []
    conflicts: list[str] = []
    for i, (b, lo, r) in enumerate(zip(base, local, remote, strict=True)):
        value, where = merge_value(b, lo, r, f"{path}[{offset + i}]", prefer)
        merged.append(value)
        conflicts += where
    return merged, conflicts


def merge_fields(
    base: dict[str, Any], local: dict[str, Any], remote: dict[str, Any],
    prefer: Prefer = None,
) -> tuple[dict[str, Any], list[FieldConflict]]:
    """Merge top-level fields three ways, keeping the local key order first. A field whose
    parts conflict keeps its local value whole and is reported with the conflicting paths."""
    merged: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    names = list(local) + [k for k in remote if k not in local] + [
        k for k in base if k not in local and k not in remote
    ]
    for name in names:
        b = base.get(name, _MISSING)
        loc = local.get(name, _MISSING)
        rem = remote.get(name, _MISSING)
        value, where = merge_value(b, loc, rem, name, prefer)
        if where:
            conflicts.append(
                FieldConflict(
                    name,
                    None if loc is _MISSING else loc,
                    None if rem is _MISSING else rem,
                    loc is not _MISSING,
                    rem is not _MISSING,
                    where,
                )
            )
            value = loc
        if value is not _MISSING:
            merged[name] = value
    return merged, conflicts


# -- body ---------------------------------------------------------------------------------

_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_DELIMITER_CELL = re.compile(r"^:?-+:?$")


def _split_cells(row: str) -> list[str]:
    """The cells of a pipe-table row, stripped (escaped pipes stay inside their cell)."""
    inner = row.strip()[1:-1]
    cells = re.split(r"(?<!\\)\|", inner)
    return [c.strip() for c in cells]


def _unpad_row(line: str) -> str:
    """A table row without alignment padding; delimiter rows keep only their colons."""
    cells = _split_cells(line)
    if cells and all(_DELIMITER_CELL.match(c) for c in cells):
        cells = [(":" if c.startswith(":") else "") + "-" + (":" if c.endswith(":") else "")
                 for c in cells]
    return "| " + " | ".join(cells) + " |\n"


def unpad_tables(lines: Sequence[str]) -> list[str]:
    """``lines`` with every pipe-table row unpadded (outside fenced code)."""
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        stripped = line.lstrip()
        marker = stripped[:3]
        if fence is None and marker in ("```", "~~~"):
            fence = marker
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and _TABLE_ROW.match(line):
            out.append(_unpad_row(line))
            continue
        out.append(line)
    return out


def _merge_rows(base: list[str], local: list[str], remote: list[str]) -> list[str] | None:
    """Merge equally long runs of table rows cell by cell; None if a cell conflicts or
    the runs are not all table rows of matching widths."""
    merged: list[str] = []
    for b, lo, r in zip(base, local, remote, strict=True):
        if not all(_TABLE_ROW.match(x) for x in (b, lo, r)):
            if lo == r or r == b:
                merged.append(lo)
            elif lo == b:
                merged.append(r)
            else:
                return None
            continue
        cells_b, cells_l, cells_r = (_split_cells(x) for x in (b, lo, r))
        if not len(cells_b) == len(cells_l) == len(cells_r):
            return None
        cells: list[str] = []
        for cb, cl, cr in zip(cells_b, cells_l, cells_r, strict=True):
            if cl == cr or cr == cb:
                cells.append(cl)
            elif cl == cb:
                cells.append(cr)
            else:
                return None
        merged.append("| " + " | ".join(cells) + " |\n")
    return merged


def merge_text(
    base: str, local: str, remote: str, *, local_label: str = "local",
    remote_label: str = "remote", prefer: Prefer = None,
) -> tuple[str, bool]:
    """Merge three versions of a Markdown text; returns (merged text, whether it
    conflicted). Table rows merge cell by cell; a region that still conflicts takes the
    ``prefer``red side's lines, or gets git-style markers when there is no preference."""
    if local == remote or remote == base:
        return local, False
    if local == base:
        return remote, False
    b_lines, l_lines, r_lines = (
        unpad_tables(t.splitlines(keepends=True)) for t in (base, local, remote)
    )
    if l_lines == r_lines or r_lines == b_lines:
        return local, False  # the sides differ only in table padding
    if l_lines == b_lines:
        return remote, False
    m = merge3.Merge3(b_lines, l_lines, r_lines)
    out: list[str] = []
    conflicted = False
    for region in m.merge_regions():
        kind = region[0]
        if kind == "unchanged":
            out += b_lines[region[1] : region[2]]
        elif kind in ("a", "same"):
            out += l_lines[region[1] : region[2]]
        elif kind == "b":
            out += r_lines[region[1] : region[2]]
        else:
            bs, be, ls, le, rs, re_ = cast("tuple[int, ...]", region[1:])
            b, lo, r = b_lines[bs:be], l_lines[ls:le], r_lines[rs:re_]
            rows = _merge_rows(b, lo, r) if len(b) == len(lo) == len(r) else None
            if rows is not None:
                out += rows
                continue
            if prefer is not None:
                out += r if prefer == "remote" else lo
                continue
            conflicted = True
            out += [f"<<<<<<< {local_label}\n", *_ended(lo), "=======\n", *_ended(r),
                    f">>>>>>> {remote_label}\n"]
    text = "".join(out)
    if text and not text.endswith("\n"):
        text += "\n"
    return text, conflicted


def _ended(lines: list[str]) -> list[str]:
    """``lines`` with a newline after the last one (so a marker starts its own line)."""
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


def merge_documents(
    base: Document | None, local: Document, remote: Document, *,
    remote_label: str = "remote", prefer: Prefer = None,
) -> MergeResult:
    """Three-way merge ``local`` and ``remote`` against ``base`` (an empty base when the
    document has no recorded base: every difference is then a conflict). With ``prefer``
    (``"local"`` or ``"remote"``) whatever both sides changed differently takes that
    side's version, so the result is always clean; everything else still merges."""
    base_fields = base.fields if base else {}
    base_body = base.body if base else ""
    fields, conflicts = merge_fields(base_fields, local.fields, remote.fields, prefer)
    body, body_conflict = merge_text(
        base_body, local.body, remote.body, remote_label=remote_label, prefer=prefer
    )
    if not body_conflict and body not in (local.body, remote.body):
        body = canonical(body)  # merged tables were unpadded; give them back their form
    merged = Document(
        key=local.key, kind=local.kind, fields=fields, body=body, path=local.path
    )
    return MergeResult(merged, conflicts, body_conflict)


_START, _MID, _END = "<<<<<<< ", "=======", ">>>>>>> "


def has_markers(text: str) -> bool:
    """True when ``text`` holds a git-style conflict block."""
    lines = text.splitlines()
    return any(line.startswith(_START) for line in lines) and any(
        line.startswith(_END) for line in lines
    )


def take_side(text: str, side: Literal["local", "remote"]) -> str:
    """``text`` with every git-style conflict block replaced by one side's lines (the part
    before ``=======`` is the local side, as this tool and git write them)."""
    out: list[str] = []
    part: str | None = None  # None outside a block, else "local" or "remote"
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if part is None and bare.startswith(_START):
            part = "local"
        elif part == "local" and bare == _MID:
            part = "remote"
        elif part == "remote" and bare.startswith(_END):
            part = None
        elif part is None or part == side:
            out.append(line)
    return "".join(out)
