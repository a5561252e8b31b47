"""`prodops-sync demo`: the whole job end to end against a local stand-in."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click


@click.command("demo")
@click.option(
    "--target", type=click.Choice(["notion", "confluence"]), default="notion",
    show_default=True, help="Which wiki's local stand-in to sync with.",
)
@click.option(
    "--dir", "workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Work directory for the demo playbook [default: a new temporary directory].",
)
@click.option(
    "--serve", is_flag=True,
    help="Keep the stand-in running at the end so you can open its read-only HTML view "
    "of the pages in a browser; Ctrl-C stops it.",
)
def demo(target: str, workdir: Path | None, serve: bool) -> None:
    """Run the main job end to end with no credentials: validate the example playbook,
    push it to a local Notion or Confluence stand-in, edit a page as a wiki user would,
    pull the edit back as a file change and show the diff, then push again (nothing to
    write). With --serve, browse the pages as the wiki would show them afterwards."""
    from prodops_sync.demo import run_demo
    from prodops_sync.remotes.base import RemoteError
    from prodops_sync.sync.engine import SyncError

    directory = workdir or Path(tempfile.mkdtemp(prefix="prodops-sync-demo-"))
    try:
        result = run_demo(directory, target, echo=click.echo,
                          serve=_wait_for_ctrl_c if serve else None)
    except (SyncError, RemoteError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(
        f"Done. Look around in {result.workdir}: playbook/, prodops-sync.yaml, "
        ".prodops-sync/state/."
    )


def _wait_for_ctrl_c(url: str) -> None:
    """Keep the demo's stand-in serving its HTML view until the user presses Ctrl-C."""
    import time

    click.echo(f"Serving {url} - open it in a browser; press Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("Stopped.")
