"""`prodops-sync init`: scaffold a playbook repository ready for the docs-as-code workflow."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from prodops_sync.project import source_for
from prodops_sync.scaffold import (
    TARGET_TYPES,
    ScaffoldError,
    TargetOptions,
    enclosing_project,
    next_steps,
    scaffold_files,
    write_scaffold,
)


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option(
    "--target", "target_type", type=click.Choice(TARGET_TYPES), default="notion",
    show_default=True, help="The wiki to configure a target for.",
)
@click.option("--example", is_flag=True,
              help="Copy the complete example playbook instead of a minimal one.")
@click.option("--force", is_flag=True,
              help="Overwrite files that already exist, and allow a project inside another.")
@click.option("--root-page", metavar="ID",
              help="Notion: id of the page shared with the integration.")
@click.option("--base-url", metavar="URL",
              help="Notion: API base URL (a local stand-in's URL; default the real API).")
@click.option("--url", metavar="URL", help="Confluence: site URL, e.g. https://SITE.atlassian.net/wiki.")
@click.option("--space", metavar="KEY", help="Confluence: space key.")
@click.option(
    "--version", "version", metavar="X.Y.Z", default=None,
    help="The prodops-sync release the workflows and hooks install [default: this one when it "
    "is a release, else the repository's main branch].",
)
@click.option(
    "--from", "--install", "install", metavar="SPEC", default=None,
    help="Install prodops-sync from SPEC instead of a release: any `pip install` argument "
    "(a git URL, a path, a wheel).",
)
def init(
    directory: Path,
    target_type: str,
    example: bool,
    force: bool,
    root_page: str | None,
    base_url: str | None,
    url: str | None,
    space: str | None,
    version: str | None,
    install: str | None,
) -> None:
    """Scaffold a playbook, prodops-sync.yaml, the GitHub workflows and the pre-commit config
    in DIRECTORY (default: the current directory).

    Never overwrites an existing file unless --force is given; then prints the next steps
    (which token to create, which page to share, which secrets to set).
    """
    options = TargetOptions(type=target_type, root_page=root_page, base_url=base_url, url=url,
                            space=space)
    if version is not None and install is not None:
        raise click.UsageError("--version and --from exclude each other: give one")
    try:
        source = source_for(version=version, spec=install)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--version") from None
    try:
        outer = enclosing_project(directory)
        if outer is not None and not force:
            raise ScaffoldError(
                f"{directory} is inside the prodops-sync project at {outer}; run init outside "
                f"it, or add a target to {outer / 'prodops-sync.yaml'} (--force nests one anyway)"
            )
        files = scaffold_files(options, example=example, source=source)
        written = write_scaffold(directory, files, force=force)
    except (ScaffoldError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if source.note:
        click.echo(f"note: {source.note}", err=True)
    kind = "example" if example else "minimal"
    click.echo(f"Initialised {directory}: {len(written)} files ({kind} playbook, "
               f"{target_type} target, 3 workflows, pre-commit config).")
    click.echo("")
    click.echo(next_steps(options, directory), nl=False)
