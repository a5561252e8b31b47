"""The playbook's own quality rules: checks that span fields, files or the Markdown body.

Each rule is a function ``(Playbook) -> Iterable[Problem]`` registered in :data:`RULES`.
Rules read only the documents, never the disk, so they run the same on documents loaded
from files and on documents pulled from a wiki.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from prodops_sync.kinds import active
from prodops_sync.links import PLAYBOOK_SUFFIXES, split_href
from prodops_sync.markdown import Outline, outline, parse
from prodops_sync.model import Document, key_for_path
from prodops_sync.pages import folder_of
from prodops_sync.playbook.bodycache import decode_outline
from prodops_sync.playbook.loader import positions_of
from prodops_sync.playbook.problems import Problem, Severity, json_path
from prodops_sync.schemas import ref_fields

Path_ = tuple[str | int, ...]


@dataclass
class Playbook:
    """The documents under validation, indexed for the rules."""

    documents: list[Document]
    complete: bool = True
    """False when validating a subset: rules that need every document are skipped."""
    unloaded: frozenset[str] = frozenset()
    """Keys of files that exist but failed to load: references to them are not reported."""

    def __post_init__(self) -> None:
        self.by_key = {doc.key: doc for doc in self.documents}

    def of_kind(self, kind: str) -> list[Document]:
        """Documents of ``kind`` in key order."""
        return sorted((d for d in self.documents if d.kind == kind), key=lambda d: d.key)


def _file(doc: Document) -> str:
    return doc.path or doc.key


def at_value(doc: Document, path: Path_, message: str, code: str,
             severity: Severity = "error") -> Problem:
    """A problem positioned at the value of ``path`` in ``doc``."""
    line, col = positions_of(doc).of_value(path)
    return Problem(_file(doc), line, col, json_path(path), message, severity, code)


def at_key(doc: Document, path: Path_, message: str, code: str,
           severity: Severity = "error") -> Problem:
    """A problem positioned at the key of ``path`` in ``doc`` (the line a reader looks at)."""
    line, col = positions_of(doc).of_key(path)
    return Problem(_file(doc), line, col, json_path(path), message, severity, code)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --- rules ------------------------------------------------------------------------------


def unique_keys_and_titles(pb: Playbook) -> Iterator[Problem]:
    """Keys must be unique ignoring case (wikis and some file systems fold case), and titles
    unique within a collection (they become page titles); free pages' titles are unique
    among the pages of one folder (siblings in the wiki)."""
    seen_keys: dict[str, Document] = {}
    seen_titles: dict[tuple[str, str], Document] = {}
    registry = active()
    collection = {k.name: k.collection for k in registry.kinds}
    pages = registry.pages
    for doc in sorted(pb.documents, key=lambda d: d.key):
        folded = doc.key.casefold()
        if folded in seen_keys:
            yield at_value(doc, (), f"key {doc.key!r} clashes with {seen_keys[folded].key!r} "
                           "(keys must differ in more than letter case)", "duplicate-key")
        seen_keys.setdefault(folded, doc)
        title = _text(doc.fields.get("title")).casefold()
        if title:
            slot = (collection.get(doc.kind, doc.kind), title)
            if pages is not None and doc.kind == pages.name:
                slot = (f"{pages.collection}/{folder_of(doc.key, pages.directory)}", title)
            if slot in seen_titles:
                yield at_value(doc, ("title",), f"title {doc.fields['title']!r} is already used "
                               f"by {seen_titles[slot].key!r} in the same collection",
                               "duplicate-title")
            seen_titles.setdefault(slot, doc)


def references_resolve(pb: Playbook) -> Iterator[Problem]:
    """Every ``x-ref`` field names an existing document of the referenced kind. A ritual whose
    output artifact is not an existing template is "just a meeting" and gets its own code."""
    for doc in pb.documents:
        for field, target_kind in ref_fields(doc.kind).items():
            value = doc.fields.get(field)
            targets = [(i, v) for i, v in enumerate(value)] if isinstance(value, list) else \
                [(None, value)] if isinstance(value, str) else []
            spec = active().get(target_kind)
            if spec is None:
                continue  # the config refuses x-refs to unknown kinds; nothing to resolve
            shape = rf"{re.escape(spec.directory)}/[^/].*" if spec.nested else \
                rf"{re.escape(spec.directory)}/[^/]+" if spec.is_record else \
                re.escape(key_for_path(spec.pattern))
            for index, target in targets:
                path: Path_ = (field,) if index is None else (field, index)
                if not re.fullmatch(shape, target):
                    continue  # malformed keys are reported by the schema
                found = pb.by_key.get(target)
                if (found is not None and found.kind == target_kind) or target in pb.unloaded:
                    continue
                code = "ritual-output-missing" if (doc.kind, field) == (
                    "ritual", "output_artifact") else "ref-missing"
                what = "is not a " + target_kind if found else "does not exist"
                message = f"{target!r} {what}"
                if code == "ritual-output-missing":
                    message = (f"output artifact {target!r} {what} in templates/: a ritual "
                               "must produce an existing template's artifact")
                yield at_value(doc, path, message, code)


def raci_one_accountable(pb: Playbook) -> Iterator[Problem]:
    """Every RACI row has exactly one Accountable."""
    for doc in pb.of_kind("operating-model"):
        for index, row in enumerate(_list(doc.fields.get("raci"))):
            if not isinstance(row, dict):
                continue
            accountable = [a for a in _list(row.get("accountable")) if _text(a)]
            if len(accountable) != 1:
                area = _text(row.get("area")) or f"row {index + 1}"
                names = ", ".join(map(str, accountable)) or "none"
                path: Path_ = ("raci", index, "accountable") if "accountable" in row \
                    else ("raci", index)
                yield at_value(doc, path, f"RACI area {area!r} must have exactly one "
                               f"Accountable (has {len(accountable)}: {names})",
                               "raci-accountable")


def owners_present(pb: Playbook) -> Iterator[Problem]:
    """Templates, rituals and decisions name an owner that is not blank. (The schemas require
    the field; this also catches placeholder owners such as 'TBD'.)"""
    for doc in pb.documents:
        if doc.kind not in ("ritual", "template", "decision") or "owner" not in doc.fields:
            continue
        owner = _text(doc.fields.get("owner"))
        if owner.casefold() in ("", "tbd", "tbc", "todo", "?", "n/a", "none", "nobody"):
            yield at_value(doc, ("owner",), f"owner {doc.fields.get('owner')!r} is a "
                           "placeholder: name a person or role", "owner-missing")


def decisions_consistent(pb: Playbook) -> Iterator[Problem]:
    """Supersedes / superseded-by links agree both ways; status matches; review after date."""
    decisions = {d.key: d for d in pb.of_kind("decision")}
    for doc in decisions.values():
        f = doc.fields
        successor = f.get("superseded_by")
        status = f.get("status")
        if isinstance(successor, str) and successor in decisions:
            back = _list(decisions[successor].fields.get("supersedes"))
            if doc.key not in back:
                yield at_value(doc, ("superseded_by",), f"{successor!r} does not list "
                               f"{doc.key!r} in its supersedes", "supersedes-mismatch")
        if status == "superseded" and not successor:
            yield at_value(doc, ("status",), "status is 'superseded' but superseded_by is "
                           "not set", "supersedes-mismatch")
        if successor and status in ("proposed", "accepted"):
            yield at_value(doc, ("status",), f"status is {status!r} but the decision is "
                           f"superseded by {successor!r}: set status to 'superseded'",
                           "supersedes-mismatch")
        for index, earlier in enumerate(_list(f.get("supersedes"))):
            if earlier in decisions and decisions[earlier].fields.get("superseded_by") != doc.key:
                yield at_value(doc, ("supersedes", index), f"{earlier!r} does not name "
                               f"{doc.key!r} as superseded_by", "supersedes-mismatch")
        date, review = _text(f.get("date")), _text(f.get("review_date"))
        if date and review and len(date) == len(review) == 10 and review < date:
            yield at_value(doc, ("review_date",), f"review date {review} is before the decision "
                           f"date {date}", "decision-review-date")


def charter_complete(pb: Playbook) -> Iterator[Problem]:
    """The charter has non-goals and at least one measurable success metric (a baseline, a
    target containing a number, and how it is measured)."""
    for doc in pb.of_kind("charter"):
        if "non_goals" in doc.fields and not [g for g in _list(doc.fields["non_goals"])
                                              if _text(g)]:
            yield at_key(doc, ("non_goals",), "the charter must list at least one non-goal",
                         "charter-non-goals")
        metrics = _list(doc.fields.get("success_metrics"))
        if "success_metrics" not in doc.fields:
            continue
        measurable = [m for m in metrics if isinstance(m, dict) and _text(m.get("baseline"))
                      and _text(m.get("measured_by")) and re.search(r"\d", _text(m.get("target")))]
        if not measurable:
            yield at_key(doc, ("success_metrics",), "the charter needs at least one measurable "
                         "success metric (baseline, a numeric target and how it is measured)",
                         "charter-metrics")


def required_documents(pb: Playbook) -> Iterator[Problem]:
    """The charter and risks.yaml exist (unless switched off); other singleton kinds are
    recommended."""
    present = {d.kind for d in pb.documents}
    registry = active()
    for spec in registry.kinds:
        if spec.is_record or spec.name in present or key_for_path(spec.pattern) in pb.unloaded:
            continue
        required = spec.name in registry.required()
        yield Problem(spec.pattern, 1, 1, "$", f"the playbook has no {spec.pattern}",
                      "error" if required else "warning", f"{spec.name}-missing")


def risks_complete(pb: Playbook) -> Iterator[Problem]:
    """risks.yaml lists at least one risk, one open question and one next step."""
    labels = {"risks": "risk", "open_questions": "open question", "next_steps": "next step"}
    for doc in pb.of_kind("risks"):
        for field, label in labels.items():
            if field in doc.fields and not _list(doc.fields[field]):
                yield at_key(doc, (field,), f"the playbook needs at least one {label}",
                             f"{field.replace('_', '-')}-missing")


def release_tiers_unique(pb: Playbook) -> Iterator[Problem]:
    """No two release tiers share a tier number."""
    seen: dict[Any, str] = {}
    for doc in pb.of_kind("release-tier"):
        tier = doc.fields.get("tier")
        if isinstance(tier, int) and tier in seen:
            yield at_value(doc, ("tier",), f"tier {tier} is already defined by {seen[tier]!r}",
                           "tier-duplicate")
        elif isinstance(tier, int):
            seen[tier] = doc.key


def _body_outline(doc: Document) -> tuple[Outline, int]:
    """Headings and links of the body as written in the file (so that line numbers match),
    and the 1-based file line of the body's first line. The loader keeps the outline of the
    text it parsed; anything else (a document from a wiki, a body changed since) is parsed
    here."""
    raw = doc.extra.get("raw_body")
    body_line = doc.extra.get("body_line")
    if isinstance(raw, str) and isinstance(body_line, int) and body_line > 0:
        kept = doc.extra.get("body_outline")
        if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == raw:
            # Kept as JSON text (decoded a document at a time, see bodycache).
            found = decode_outline(kept[1]) if isinstance(kept[1], str) else None
            if found is not None:
                return found, body_line
        return outline(parse(raw)), body_line
    return outline(parse(doc.body)), 0


def _link_problem(pb: Playbook, current_key: str, href: str) -> str | None:
    """Why the relative link ``href`` in ``current_key`` is broken, or None if it is fine
    (or not a link into the playbook at all)."""
    target = split_href(current_key, href)
    if target is not None:
        if not pb.complete or target[0] in pb.by_key or target[0] in pb.unloaded:
            return None
        return f"link {href!r} points at {target[0] + target[1]!r}, which is not in the playbook"
    parts = urlsplit(href)
    path = parts.path
    if parts.scheme or parts.netloc or not path or path.startswith("/"):
        return None
    if posixpath.splitext(path)[1] not in PLAYBOOK_SUFFIXES:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(current_key), path))
    if joined == ".." or joined.startswith("../"):
        return None  # leaves the playbook (e.g. ../README.md): not ours to check
    return f"link {href!r} points at {joined!r}, which is not a playbook document"


def body_checks(pb: Playbook) -> Iterator[Problem]:
    """Markdown body rules: internal links resolve; headings stay within h1-h3 (Notion has
    three heading levels, deeper ones do not round-trip); the body is canonical."""
    for doc in pb.documents:
        if not doc.body:
            continue
        items, first_line = _body_outline(doc)
        file = _file(doc)
        for item in items:
            line = (item.line + first_line) if item.line is not None and first_line else 1
            if item.type == "heading_open" and item.value in ("h4", "h5", "h6"):
                yield Problem(file, line, 1, "$body", f"heading level {item.value[1]} will not "
                              "round-trip through Notion (use h1-h3)", "warning",
                              "heading-depth")
            if item.type == "link_open":
                href = item.value
                problem = _link_problem(pb, doc.key, href)
                if problem:
                    yield Problem(file, line, 1, "$body", problem, "error", "link-broken")
        raw = doc.extra.get("raw_body")
        # doc.body is canonical(raw); the file itself holds one blank line after the front
        # matter, so the raw body is canonical exactly when it matches after that line.
        if isinstance(raw, str) and raw.lstrip("\n") != doc.body:
            yield Problem(file, first_line or 1, 1, "$body", "body is not in canonical Markdown "
                          "form (run `prodops-sync fmt`); sync would rewrite it", "warning",
                          "not-canonical")


Rule = Callable[[Playbook], Iterable[Problem]]

RULES: tuple[Rule, ...] = (
    unique_keys_and_titles,
    references_resolve,
    raci_one_accountable,
    owners_present,
    decisions_consistent,
    charter_complete,
    required_documents,
    risks_complete,
    release_tiers_unique,
    body_checks,
)


_NEEDS_WHOLE_PLAYBOOK: tuple[Rule, ...] = (
    unique_keys_and_titles, references_resolve, decisions_consistent, required_documents,
    release_tiers_unique,
)


def rule_problems(documents: list[Document], *, whole_playbook: bool = True,
                  unloaded: Iterable[str] = ()) -> list[Problem]:
    """Run every rule over ``documents``. With ``whole_playbook=False`` (validating a subset,
    e.g. pulled pages) the rules that need the complete playbook are skipped. ``unloaded``
    names keys whose files exist but failed to load."""
    pb = Playbook(documents, complete=whole_playbook, unloaded=frozenset(unloaded))
    problems: list[Problem] = []
    for rule in RULES:
        if not whole_playbook and rule in _NEEDS_WHOLE_PLAYBOOK:
            continue
        problems.extend(rule(pb))
    return problems
