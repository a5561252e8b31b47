"""Validation of a playbook: JSON Schemas, the playbook's quality rules, report formats.

Public entry points: :func:`validate_playbook` (a directory) and :func:`validate_documents`
(documents from anywhere, e.g. pulled from a wiki before they are written).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from prodops_sync.kinds import active
from prodops_sync.model import Document
from prodops_sync.playbook.bodycache import BodyCache
from prodops_sync.playbook.loader import UNREADABLE_CODES, load_playbook
from prodops_sync.playbook.problems import Problem
from prodops_sync.validate.rules import RULES, rule_problems
from prodops_sync.validate.schema import schema_problems

__all__ = [
    "RULES",
    "UNREADABLE_CODES",
    "Problem",
    "Report",
    "check_playbook",
    "has_errors",
    "schema_problems",
    "validate_documents",
    "validate_playbook",
]


def validate_documents(
    documents: list[Document], *, whole_playbook: bool = True, unloaded: Iterable[str] = ()
) -> list[Problem]:
    """Schema and rule problems of ``documents``, sorted by file, line and column.

    Pass ``whole_playbook=False`` when ``documents`` is only part of a playbook: rules that
    need every document (references, links, required documents) are then skipped.
    ``unloaded`` names keys of files that exist but failed to load (not reported as missing).
    """
    problems: list[Problem] = []
    for doc in documents:
        problems.extend(schema_problems(doc))
    problems.extend(rule_problems(documents, whole_playbook=whole_playbook, unloaded=unloaded))
    return sorted(set(problems))


@dataclass
class Report:
    """The outcome of validating one playbook directory."""

    root: Path
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def counts_by_kind(self) -> dict[str, int]:
        """Number of documents per kind, in registry order (kinds with none omitted)."""
        counts = Counter(doc.kind for doc in self.documents)
        return {k.name: counts[k.name] for k in active().kinds if counts[k.name]}

    @property
    def errors(self) -> int:
        """Number of error-severity problems."""
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        """Number of warning-severity problems."""
        return sum(1 for p in self.problems if p.severity == "warning")

    @property
    def unreadable(self) -> bool:
        """True when the input could not be read at all (the CLI exits 2)."""
        return any(p.code in UNREADABLE_CODES for p in self.problems)


def check_playbook(root: Path, *, cache_dir: Path | None = None) -> Report:
    """Load and validate the playbook at ``root``; the documents and every problem found.

    File-level problems (unreadable, unknown, malformed YAML) come from the loader; schema
    and rule problems are checked on the documents that loaded. ``cache_dir`` keeps the
    canonical form of every body between runs (:mod:`prodops_sync.playbook.bodycache`), so
    only the files that changed are parsed again; the result is the same without it.
    """
    cache = BodyCache(cache_dir)
    memo = cache.load()
    # Several processes for a large playbook.
    result = load_playbook(root, workers=None, memo=memo)
    if root.is_dir():
        cache.save(memo)
    report = Report(root=root, documents=result.documents)
    if any(p.code == "playbook-missing" for p in result.problems):
        report.problems = list(result.problems)
    else:
        report.problems = sorted(set(result.problems) | set(
            validate_documents(result.documents, unloaded=result.failed_keys)))
    return report


def validate_playbook(root: Path) -> list[Problem]:
    """Load the playbook at ``root`` and return every problem found, sorted by position."""
    return check_playbook(root).problems


def has_errors(problems: list[Problem], *, strict: bool = False) -> bool:
    """True when ``problems`` contains an error (or, with ``strict``, any warning)."""
    return any(p.severity == "error" or strict for p in problems)
