"""`prodops-sync fmt`: rewrite Markdown files in canonical form (or check that they are)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from prodops_sync.markdown import canonical

DEFAULT_PATHS = ("playbook",)


def markdown_files(paths: tuple[str, ...]) -> list[Path]:
    """Every ``.md`` file named in ``paths`` or found below a named directory, sorted.
    Other files named explicitly (YAML playbook files, as pre-commit may pass them) are
    skipped."""
    files: list[Path] = []
    for name in paths or DEFAULT_PATHS:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.md") if p.is_file()))
        elif path.is_file() and path.suffix == ".md":
            files.append(path)
        elif path.is_file():
            # YAML playbook files have no canonical Markdown form; pull keeps their layout.
            continue
        else:
            raise click.UsageError(f"{name}: no such file or directory")
    return files


@click.command("fmt")
@click.option("--check", is_flag=True, help="Do not write; exit 1 listing files that would change.")
@click.argument("paths", nargs=-1, type=click.Path())
def fmt(check: bool, paths: tuple[str, ...]) -> None:
    """Rewrite Markdown files (default: playbook/) in canonical form.

    Canonical form is idempotent: running fmt twice changes nothing the second time.
    """
    changed: list[Path] = []
    for path in markdown_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            click.echo(f"{path}: cannot read: {exc}", err=True)
            sys.exit(2)
        formatted = canonical(text)
        if formatted == text:
            continue
        changed.append(path)
        if check:
            click.echo(f"{path}: not in canonical form")
        else:
            path.write_text(formatted, encoding="utf-8")
            click.echo(f"{path}: formatted")
    if check and changed:
        click.echo(f"{len(changed)} file(s) would be reformatted; run `prodops-sync fmt`.",
                   err=True)
        sys.exit(1)
