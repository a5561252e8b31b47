"""`prodops-sync validate`: check a playbook against its schemas and quality rules."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import click

from prodops_sync.kinds import BUILTIN, Registry, use
from prodops_sync.playbook.bodycache import default_cache_dir
from prodops_sync.validate import Report, check_playbook
from prodops_sync.validate.report import format_github, format_json, format_text, step_summary


def default_playbook() -> Path:
    """The playbook a command without paths works on, found upward from the working directory
    (``prodops-sync.yaml``'s ``playbook:``, else the nearest ``playbook/``), as a path relative
    to the working directory so that output and annotations stay short."""
    from prodops_sync.sync.config import DEFAULT_PLAYBOOK, ConfigError, find_playbook

    try:
        found = find_playbook()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if found is None:
        raise click.UsageError(
            f"no {DEFAULT_PLAYBOOK}/ directory and no prodops-sync.yaml in {Path.cwd()} or any "
            "parent directory; pass the playbook directory, or run inside your playbook "
            "repository (`prodops-sync init` creates one)"
        )
    return Path(os.path.relpath(found))


def playbook_root_for(path: Path) -> Path | None:
    """The playbook directory containing the file ``path``: the nearest ancestor under which
    the file's relative path is a playbook file kind (``rituals/x.md`` -> its grandparent),
    with that playbook's kinds (a team kind's folder counts too)."""
    from prodops_sync.sync.config import DEFAULT_PLAYBOOK

    absolute = path.absolute()
    found = [
        ancestor for ancestor in absolute.parents
        if _registry(ancestor).for_path(absolute.relative_to(ancestor).as_posix()) is not None
    ]
    # pages/team/charter.md looks like a charter under pages/team: prefer a directory a
    # config names as its playbook, or one called playbook, over the nearest match.
    for ancestor in found:
        if ancestor.name == DEFAULT_PLAYBOOK or _registry(ancestor) is not BUILTIN:
            return ancestor
    return found[0] if found else None


@cache
def _registry(root: Path) -> Registry:
    """The kinds of the playbook at ``root`` (from the prodops-sync.yaml naming it)."""
    from prodops_sync.sync.config import ConfigError, find_registry

    try:
        return find_registry(root)
    except ConfigError as exc:
        raise _ConfigProblem(str(exc)) from None


class _ConfigProblem(click.ClickException):
    """A broken prodops-sync.yaml: unreadable input, so exit status 2."""

    exit_code = 2


def _display(root: Path) -> str:
    """``root`` as the user should see it (and GitHub can map): relative to the working
    directory when it is inside it, otherwise as given."""
    absolute = root.absolute()
    if absolute.is_relative_to(Path.cwd()):
        return Path(os.path.relpath(absolute)).as_posix()
    return root.as_posix()


def _roots(paths: tuple[Path, ...]) -> list[Path]:
    if not paths:
        return [default_playbook()]
    roots: list[Path] = []
    for path in paths:
        root = path
        if path.is_file():
            found = playbook_root_for(path)
            if found is None:
                raise click.UsageError(f"{path} is not a playbook file "
                                       "(expected e.g. playbook/rituals/<name>.md)")
            root = found
        if not any(root.absolute() == r.absolute() for r in roots):
            roots.append(root)
    return roots


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "github", "json"]), default="text",
              show_default=True, help="Output format: readable text, GitHub workflow commands, "
              "or JSON (a stable, documented shape).")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--no-cache", is_flag=True,
              help="Parse every body anew instead of reusing the canonical form of bodies "
              "that did not change since the last run (kept in .prodops-sync/cache/ beside "
              "the playbook, or under $PRODOPS_SYNC_CACHE_DIR).")
def validate(paths: tuple[Path, ...], fmt: str, strict: bool, no_cache: bool) -> None:
    """Validate the playbook in PLAYBOOK_DIR (default: the playbook of the repository you are
    in, found upward like git finds .git).

    Checks every file against its JSON Schema and the playbook's quality rules, and reports
    each problem with file, line, column and field. File paths are accepted too (as
    pre-commit passes them): the playbook directory containing each file is validated.

    Exit status: 0 valid, 1 invalid (errors; warnings too with --strict), 2 usage error or
    unreadable input.
    """
    _registry.cache_clear()  # a config edited between two runs in one process counts
    worst = 0
    reports: list[tuple[Report, str]] = []
    for root in _roots(paths):
        with use(_registry(root.absolute())):
            cache = None if no_cache else default_cache_dir(root)
            report = check_playbook(root, cache_dir=cache)
        reports.append((report, _display(root)))
        if report.unreadable:
            worst = max(worst, 2)
        elif report.errors or (strict and report.warnings):
            worst = max(worst, 1)
    for report, shown in reports:
        if fmt == "json":
            click.echo(format_json(report, shown, strict=strict))
        elif fmt == "github":
            for line in format_github(report, shown, strict=strict):
                click.echo(line)
            summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
            if summary_file:
                try:
                    with open(summary_file, "a", encoding="utf-8") as handle:
                        handle.write(step_summary(report, shown, strict=strict))
                except OSError as exc:
                    click.echo(f"warning: cannot write GITHUB_STEP_SUMMARY: {exc}", err=True)
        else:
            for line in format_text(report, shown, strict=strict, style=click.style):
                click.echo(line)
    raise SystemExit(worst)
