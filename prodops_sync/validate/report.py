"""Rendering validation problems as text, GitHub workflow commands or JSON (pure functions).

The JSON shape (``format_json``) is stable; fields are only ever added, with ``version``
bumped on any incompatible change::

    {
      "version": 1,
      "playbook": "playbook",          # the directory as given on the command line
      "valid": true,                   # no errors (and, with --strict, no warnings)
      "strict": false,
      "summary": {"documents": 24, "by_kind": {"charter": 1, ...}, "errors": 0, "warnings": 0},
      "problems": [
        {"file": "rituals/x.md",       # relative to the playbook directory
         "path": "playbook/rituals/x.md",  # as a path from the working directory
         "line": 4, "column": 1, "field": "$.cadence", "message": "...",
         "severity": "error", "code": "schema"}
      ]
    }
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable

from prodops_sync.playbook.problems import Problem
from prodops_sync.validate import Report
from prodops_sync.wording import plural

JSON_VERSION = 1


def display_path(root: str, problem: Problem) -> str:
    """The problem's file as a path from the working directory (``playbook/charter.md``)."""
    return posixpath.normpath(posixpath.join(root, problem.file)) if problem.file != "." \
        else root


def summary_line(report: Report, root: str, *, strict: bool = False) -> str:
    """One line: documents per kind on success, error and warning counts otherwise."""
    kinds = ", ".join(f"{kind} {n}" for kind, n in report.counts_by_kind().items())
    total = len(report.documents)
    if report.errors or (strict and report.warnings):
        return (f"{root}: invalid - {plural(report.errors, 'error')}, "
                f"{plural(report.warnings, 'warning')} in {plural(total, 'document')}")
    tail = f"; {plural(report.warnings, 'warning')}" if report.warnings else ""
    return f"{root}: {plural(total, 'document')} valid ({kinds}){tail}"


def format_text(report: Report, root: str, *, strict: bool = False,
                style: Callable[..., str] | None = None) -> list[str]:
    """``path:line:col: severity: field: message [code]`` lines and the summary line.

    ``style`` is ``click.style`` (or compatible) to colour the output on a terminal.
    """
    paint = style or (lambda text, **_: text)
    lines = []
    for p in report.problems:
        colour = "red" if p.severity == "error" else "yellow"
        where = paint(f"{display_path(root, p)}:{p.line}:{p.column}:", bold=True)
        sev = paint(f"{p.severity}:", fg=colour, bold=True)
        lines.append(f"{where} {sev} {p.field}: {p.message} [{p.code}]")
    ok = not (report.errors or (strict and report.warnings))
    lines.append(paint(summary_line(report, root, strict=strict), fg="green" if ok else "red"))
    return lines


def escape_data(text: str) -> str:
    """Escape a workflow-command message (the part after ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(report: Report, root: str, *, strict: bool = False) -> list[str]:
    """GitHub Actions workflow commands (``::error file=…,line=…,col=…,title=…::message``)."""
    lines = []
    for p in report.problems:
        command = "error" if p.severity == "error" else "warning"
        props = ",".join([
            f"file={escape_property(display_path(root, p))}",
            f"line={p.line}",
            f"col={p.column}",
            f"title={escape_property(f'prodops-sync {p.code}')}",
        ])
        lines.append(f"::{command} {props}::{escape_data(f'{p.field}: {p.message}')}")
    lines.append(summary_line(report, root, strict=strict))
    return lines


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def step_summary(report: Report, root: str, *, strict: bool = False) -> str:
    """A Markdown summary for ``$GITHUB_STEP_SUMMARY``: the summary line and a table."""
    out = ["## prodops-sync validate", "", summary_line(report, root, strict=strict), ""]
    if report.problems:
        out += ["| Severity | File | Line | Field | Problem | Rule |",
                "| --- | --- | --- | --- | --- | --- |"]
        for p in report.problems:
            out.append(f"| {p.severity} | `{_cell(display_path(root, p))}` | {p.line} | "
                       f"`{_cell(p.field)}` | {_cell(p.message)} | {p.code} |")
    else:
        counts = report.counts_by_kind()
        out += ["| Kind | Documents |", "| --- | --- |"]
        out += [f"| {kind} | {n} |" for kind, n in counts.items()]
    return "\n".join(out) + "\n"


def format_json(report: Report, root: str, *, strict: bool = False) -> str:
    """The stable JSON document described in this module's docstring."""
    valid = not (report.errors or (strict and report.warnings))
    data = {
        "version": JSON_VERSION,
        "playbook": root,
        "valid": valid,
        "strict": strict,
        "summary": {
            "documents": len(report.documents),
            "by_kind": report.counts_by_kind(),
            "errors": report.errors,
            "warnings": report.warnings,
        },
        "problems": [{**p.as_dict(), "path": display_path(root, p)} for p in report.problems],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
