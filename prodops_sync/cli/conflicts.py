"""`prodops-sync diff | resolve`: look at one document on both sides and end a conflict."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from prodops_sync.cli.sync import _common, _engine, _run
from prodops_sync.wording import visible


@click.command("diff")
@click.argument("document")
@_common
def diff(document: str, target_name: str | None, config_path: Path | None, fmt: str) -> None:
    """Show a unified diff between DOCUMENT's Git file and its live wiki page, both as the
    canonical file text (front matter included) that pull would write.

    DOCUMENT is a key (rituals/weekly-product-update) or a file path. Makes no changes.
    Exit codes: 0 the two are equal, 1 they differ, 2 usage or configuration error.
    """
    from prodops_sync.remotes.base import RemoteError
    from prodops_sync.sync.config import ConfigError
    from prodops_sync.sync.engine import SyncError

    try:
        relpath, local, wiki = _engine(config_path, target_name, "json").diff(document)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    except (SyncError, RemoteError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    lines = list(
        difflib.unified_diff(
            local.splitlines(keepends=True),
            wiki.splitlines(keepends=True),
            fromfile=f"git/{relpath}",
            tofile=f"wiki/{relpath}",
        )
    )
    if fmt == "json":
        import json

        click.echo(json.dumps({"path": relpath, "equal": not lines, "diff": "".join(lines)}))
    else:
        # The wiki side is text anyone with edit rights wrote: shown, never interpreted.
        click.echo("".join(visible(line.rstrip("\n")) + "\n" for line in lines), nl=False)
    raise SystemExit(1 if lines else 0)


@click.command("resolve")
@click.argument("document")
@click.option(
    "--accept", type=click.Choice(["local", "wiki", "merged"]), required=True,
    help="local: push the Git version over the wiki page; wiki: write the wiki version "
    "into the file; merged: push the file as you edited it (no conflict markers left).",
)
@_common
def resolve(
    document: str, accept: str, target_name: str | None, config_path: Path | None, fmt: str
) -> None:
    """End a conflict on DOCUMENT (a key or a file path).

    \b
    --accept local   the Git file wins: where pull left conflict markers, their local
                     side is kept; the result is pushed over the wiki page
    --accept wiki    the wiki page wins: its version is written into the file
    --accept merged  you merged by hand: the file (no markers left) is pushed

    Afterwards `plan` shows the document in sync. Exit codes: 0 done, 1 error, 2 usage,
    3 the page changed again in the wiki meanwhile.
    """
    _run(lambda: _engine(config_path, target_name, fmt).resolve(document, accept), fmt)
