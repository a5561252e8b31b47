"""`prodops-sync fmt`: rewrite Markdown files in canonical form (or check that they are)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from prodops_sync.markdown import canonical
from prodops_sync.sync.files import atomic_write_text
from prodops_sync.wording import plural


def markdown_files(paths: tuple[str, ...]) -> list[Path]:
    """Every ``.md`` file named in ``paths`` or found below a named directory, sorted; with
    no paths, the playbook found upward from the working directory. Other files named
    explicitly (YAML playbook files, as pre-commit may pass them) are skipped."""
    from prodops_sync.cli.validate import default_playbook

    files: list[Path] = []
    for name in paths or (str(default_playbook()),):
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
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format; json is stable for scripts.")
@click.argument("paths", nargs=-1, type=click.Path())
def fmt(check: bool, output: str, paths: tuple[str, ...]) -> None:
    """Rewrite Markdown files (default: the playbook, found upward like git finds .git) in
    canonical form.

    Canonical form is idempotent: running fmt twice changes nothing the second time.
    Exit status: 0 nothing to change (or all rewritten), 1 with --check when a file would
    change, 2 a file cannot be read.

    --format json prints {"version": 1, "check", "files", "changed": [paths], "unreadable":
    [{"path", "error"}]}.
    """
    files = markdown_files(paths)
    changed: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            unreadable.append((path, str(exc)))
            if output == "text":
                click.echo(f"{path}: cannot read: {exc}", err=True)
            continue
        formatted = canonical(text)
        if formatted == text:
            continue
        changed.append(path)
        if not check:
            # Atomic, so that Ctrl-C or a full disk never leaves half a file behind.
            atomic_write_text(path, formatted)
        if output == "text":
            click.echo(f"{path}: not in canonical form" if check else f"{path}: formatted")
    if output == "json":
        click.echo(json.dumps({
            "version": 1,
            "check": check,
            "files": len(files),
            "changed": [p.as_posix() for p in changed],
            "unreadable": [{"path": p.as_posix(), "error": e} for p, e in unreadable],
        }, indent=2))
    elif check and changed:
        click.echo(f"{plural(len(changed), 'file')} would be reformatted; run `prodops-sync fmt`.",
                   err=True)
    if unreadable:
        sys.exit(2)
    if check and changed:
        sys.exit(1)
