"""`prodops-sync plan | push | pull`: the two-way sync commands."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import click.shell_completion

from prodops_sync.cli.progress import Progress
from prodops_sync.safety import markdown_cell, one_line, safe_url, scrub
from prodops_sync.sync.engine import Engine, Report
from prodops_sync.wording import plural

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CONFLICT, EXIT_SKIPPED = 0, 1, 2, 3, 4


def complete_target(
    ctx: click.Context, _param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    """Shell completion for ``--target``: the targets of the configuration in use (``--config``
    when already typed, else the one found upward), each with its type as help."""
    from prodops_sync.sync.config import ConfigError, load_config

    try:
        config = load_config(ctx.params.get("config_path"))
    except ConfigError:
        return []  # completion must never print errors into the user's command line
    return [
        click.shell_completion.CompletionItem(name, help=target.type)
        for name, target in sorted(config.targets.items())
        if name.startswith(incomplete)
    ]


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options every sync command takes."""
    func = click.option(
        "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
        show_default=True, help="Output format; json is stable for scripts.",
    )(func)
    func = click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Configuration file [default: the nearest prodops-sync.yaml here or in a parent "
        "directory].",
    )(func)
    func = click.option(
        "--target", "-t", "target_name", default=None, metavar="NAME",
        shell_complete=complete_target,
        help="Target from the configuration (needed when it has several).",
    )(func)
    return func


def _binding(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--rebind`` / ``--resync``: what to do when the target no longer matches the state."""
    func = click.option(
        "--rebind", "bind", flag_value="rebind", default=None,
        help="The target's root page, space or parent page changed but holds the same "
        "pages: find the containers and pages again (by key) and keep going.",
    )(func)
    func = click.option(
        "--resync", "bind", flag_value="resync",
        help="The target changed: set the sync state aside and start over against the new "
        "place (pages matched by key; nothing is archived or deleted).",
    )(func)
    return func


def _engine(
    config_path: Path | None, target_name: str | None, fmt: str, bind: str | None = None
) -> Engine:
    from prodops_sync.remotes.factory import open_remote
    from prodops_sync.sync.config import credentials, load_config
    from prodops_sync.sync.state import StateStore

    config = load_config(config_path)
    target = config.target(target_name)
    remote = open_remote(target, credentials(target))
    store = StateStore(config.state_dir, target.name)
    progress = Progress(quiet=fmt == "json")
    return Engine(
        config.playbook_dir, remote, store, kinds=config.registry, progress=progress, bind=bind
    )


def _run(action: Callable[[], Report], fmt: str) -> None:
    """Run a sync action, print its report, exit with the documented code."""
    from prodops_sync.remotes.base import RemoteError
    from prodops_sync.sync.config import ConfigError
    from prodops_sync.sync.engine import SyncError
    from prodops_sync.sync.state import BindingError, StateError

    try:
        report = action()
    except (ConfigError, BindingError) as exc:
        click.echo(f"error: {_lines(exc)}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    except (SyncError, StateError, RemoteError) as exc:
        click.echo(f"error: {_lines(exc)}", err=True)
        raise SystemExit(EXIT_ERROR) from None
    except KeyboardInterrupt:
        click.echo(
            "interrupted: every completed step is saved; run the same command again to "
            "finish the work",
            err=True,
        )
        raise SystemExit(130) from None
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(report))
        for warning in report.warnings:  # may quote wiki file names and URLs
            click.echo(f"warning: {one_line(warning)}", err=True)
    try:
        _write_step_summary(report)
    except OSError as exc:  # the job summary is a courtesy: never fail a finished run on it
        click.echo(f"warning: cannot write the GitHub step summary "
                   f"({one_line(exc.strerror or exc)}); the run itself is complete", err=True)
    if report.invalid:
        raise SystemExit(EXIT_ERROR)  # a wiki edit made a document invalid: not written
    if report.conflicts:
        raise SystemExit(EXIT_CONFLICT)
    raise SystemExit(EXIT_SKIPPED if report.skipped else EXIT_OK)


def _lines(exc: BaseException) -> str:
    """An error message for the console: each of its own lines made safe (remote text in
    it cannot start a line or act on the terminal)."""
    return "\n".join(one_line(line) for line in str(exc).split("\n"))


def render_text(report: Report) -> str:
    """A readable table of the plan (for `plan`) or of what was done, and a summary line."""
    lines: list[str] = []
    if report.mode == "plan":
        changed = [i for i in report.items if i.status != "in-sync"]
        if changed:
            width = max(len("document"), *(len(i.key) for i in changed))
            lines.append(f"{'document':<{width}}  {'status':<24}  {'push':<13}  pull")
            for item in changed:
                lines.append(
                    f"{one_line(item.key):<{width}}  {item.status:<24}  {item.push:<13}  "
                    f"{item.pull}"
                )
        lines.extend(notice_lines(report))
        in_sync = len(report.items) - len(changed)
        lines.append(
            f"{plural(len(report.items), 'document')}: {in_sync} in sync, {len(changed)} to "
            f"sync; {plural(report.requests, 'request')}"
            + (f" ({report.retries} retried)" if report.retries else "")
        )
        return "\n".join(lines)
    for o in report.outcomes:
        where = f" ({o.path})" if o.path else ""
        detail = f": {o.detail}" if o.detail else ""
        lines.append(one_line(f"{o.action:<13} {o.key}{where}{detail}"))
    lines.extend(notice_lines(report))
    lines.append(summary_line(report))
    return "\n".join(lines)


def notice_lines(report: Report) -> list[str]:
    """One line per rename, move, wiki deletion, drift, duplicate or re-binding."""
    lines = []
    for notice in report.notices:
        subject = f"{notice.key}: " if notice.key else ""
        lines.append(one_line(f"{notice.kind:<16} {subject}{notice.detail}"))
    return lines


def summary_line(report: Report) -> str:
    """One line: what was done and what it cost in requests."""
    verb = "dry run, nothing written" if report.dry_run else "done"
    if report.mode == "push":
        parts = [
            f"{report.count('create')} created",
            f"{report.count('update')} updated",
            f"{report.count('archive')} archived",
        ]
    else:
        pulled = report.count("write") + report.count("create")
        parts = [
            f"{pulled} pulled",
            f"{report.count('merged')} merged",
            f"{report.count('delete')} deleted",
        ]
    parts.append(plural(len(report.conflicts), "conflict"))
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped")
    retried = f", {report.retries} retried" if report.retries else ""
    return (
        f"{report.mode} {verb}: {', '.join(parts)}; "
        f"{plural(report.requests, 'request')} ({plural(report.writes, 'write')}{retried})"
    )


def _code_cell(text: str) -> str:
    """A document key as inline code in a table cell (plain escaped text if it could break
    out of the code span)."""
    if any(c in text for c in "`|\\") or one_line(text) != text:
        return markdown_cell(text)
    return f"`{text}`"


def _write_step_summary(report: Report) -> None:
    """In GitHub Actions, append the plan or result as a Markdown table to the job summary."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    rows = [f"### prodops-sync {report.mode}", ""]
    rows += ["| document | wiki page | status | push | pull |", "| --- | --- | --- | --- | --- |"]
    for item in report.items:
        if item.status != "in-sync":
            url = safe_url(report.urls.get(item.key, ""))
            title = markdown_cell(item.title)
            page = f"[{title}]({url})" if url else title
            rows.append(
                f"| {_code_cell(item.key)} | {page} | {item.status} | {item.push} | "
                f"{item.pull} |"
            )
    for o in report.skipped:
        rows.append(f"| {markdown_cell(o.key)} | skipped | {markdown_cell(o.detail)} | | |")
    rows += ["", summary_line(report) if report.mode != "plan" else "", ""]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(scrub("\n".join(rows)))


@click.command("plan")
@_common
@_binding
def plan(target_name: str | None, config_path: Path | None, fmt: str, bind: str | None) -> None:
    """Show how every document differs between the playbook, the wiki and the last sync,
    and what push and pull would do. Makes no changes. Alias: status.

    Exit codes: 0 nothing in conflict, 1 error, 2 usage or configuration error,
    3 conflicts (documents changed differently on both sides), 4 some documents
    skipped (unreadable page, unsafe key: see the output).
    """

    _run(lambda: _engine(config_path, target_name, fmt, bind).plan(), fmt)


@click.command("push")
@_common
@_binding
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option(
    "--force", is_flag=True,
    help="Overwrite wiki pages that changed in the wiki too (their edits are lost).",
)
@click.option(
    "--max-delete", type=click.IntRange(min=0), default=5, show_default=True,
    help="Abort before any write if more pages than this would be archived.",
)
@click.option(
    "--on-conflict", type=click.Choice(["skip", "merge", "local", "wiki"]), default="skip",
    show_default=True,
    help="A page changed in the wiki and in Git: skip it (report), push a clean three-way "
    "merge, or merge letting Git (local) or the wiki win where both changed the same thing. "
    "merge/local/wiki also write the merged document into the file.",
)
@click.option(
    "--restore", is_flag=True,
    help="Bring back pages deleted in the wiki from Git: the same page out of the trash "
    "when it is still there, else a new one.",
)
def push(
    target_name: str | None, config_path: Path | None, fmt: str, bind: str | None,
    dry_run: bool, force: bool, max_delete: int, on_conflict: str, restore: bool,
) -> None:
    """Mirror the playbook into the wiki: create, update and archive pages.

    Only documents that changed are written; a page edited in the wiki since the last sync
    is never overwritten: it is reported as a conflict (exit 3) unless --force. The
    playbook must validate first. Exit codes: 0 done, 1 error, 2 usage, 3 conflicts,
    4 some documents skipped (named in the output).
    """
    _run(
        lambda: _engine(config_path, target_name, fmt, bind).push(
            dry_run=dry_run, force=force, max_delete=max_delete, on_conflict=on_conflict,
            restore=restore,
        ),
        fmt,
    )


@click.command("pull")
@_common
@_binding
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--prune", is_flag=True, help="Delete local files whose pages were deleted in the wiki."
)
@click.option(
    "--max-delete", type=click.IntRange(min=0), default=5, show_default=True,
    help="With --prune: abort before any write if more files than this would be deleted.",
)
@click.option(
    "--on-conflict", type=click.Choice(["merge", "local", "wiki"]), default="merge",
    show_default=True,
    help="Where both sides changed the same field, list item, table cell or lines: leave "
    "conflict markers (merge), or let Git (local) or the wiki win. Other edits merge anyway.",
)
def pull(
    target_name: str | None, config_path: Path | None, fmt: str, bind: str | None,
    dry_run: bool, prune: bool, max_delete: int, on_conflict: str,
) -> None:
    """Bring wiki edits back into the playbook files, in canonical form.

    Documents changed on both sides are merged three ways; where edits overlap, git-style
    conflict markers are left in the file (exit 3). Pages created in the wiki become new
    files. Exit codes: 0 done, 1 error, 2 usage, 3 conflicts remain,
    4 some documents skipped (named in the output).
    """
    _run(
        lambda: _engine(config_path, target_name, fmt, bind).pull(
            dry_run=dry_run, prune=prune, max_delete=max_delete, on_conflict=on_conflict
        ),
        fmt,
    )
