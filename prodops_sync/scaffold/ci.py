"""Helpers the GitHub workflows call: targets, the sync-state branch, summaries, the pull PR.

The workflows (``.github/workflows/*.yml`` and the ones ``prodops-sync init`` writes) stay thin
shell: everything with logic lives here, so it is tested like the rest of the package. Run it as
``python -m prodops_sync.scaffold.ci COMMAND``:

``targets``        the configured target names (optionally only those whose secrets are set)
``state restore``  fetch the sync state (the base) from its branch into the state directory
``state save``     commit the state directory onto its branch and push it (push job only)
``playbook``       the playbook directory the configuration names
``pull-request``   commit the playbook changes a ``pull`` made to a fixed branch and open or
                   update one pull request for them with the GitHub CLI

Why a branch for the state: ``push`` runs after a merge to a protected ``main`` and must not
commit there, yet the next run needs the base the last one left. A dedicated unprotected branch
(``prodops-sync-state``) holds it; only the push job may write it (``contents: write``).
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from prodops_sync.sync.config import DEFAULT_CONFIG_NAME, ConfigError, credentials, load_config
from prodops_sync.wording import plural

STATE_BRANCH = "prodops-sync-state"
DEFAULT_STATE_DIR = ".prodops-sync/state"
PULL_BRANCH = "prodops-sync/pull"
STATE_REF = "refs/prodops-sync/state"
"""Local ref holding the state commit that ``state restore`` fetched (the parent for ``save``)."""
BOT_NAME = "prodops-sync[bot]"
BOT_EMAIL = "prodops-sync@users.noreply.github.com"
# Files in the state directory that are never persisted (per-run lock files).
_EPHEMERAL_SUFFIXES = (".lock", ".tmp")


class CIError(Exception):
    """A helper step failed; the message is one line fit for a CI log."""


# --- targets -------------------------------------------------------------------------------------


def list_targets(
    config: Path | None, *, available_only: bool = False, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Names of the targets in ``config``; with ``available_only`` only those whose credentials
    are present in ``environ`` (pull requests from forks and Dependabot get no secrets).

    A repository without a configuration file has no targets: the workflows then validate only.
    """
    if not _config_path(config).exists():
        return []
    cfg = load_config(config)
    names = sorted(cfg.targets)
    if not available_only:
        return names
    env = dict(os.environ if environ is None else environ)
    usable = []
    for name in names:
        try:
            credentials(cfg.targets[name], env)
        except ConfigError:
            continue
        usable.append(name)
    return usable


# --- git plumbing --------------------------------------------------------------------------------


def _git(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    input_bytes: bytes | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=full_env, input=input_bytes, capture_output=True, check=False
    )
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CIError(f"git {' '.join(args)} failed: {message[-1] if message else proc.returncode}")
    return proc


def _out(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stdout.decode("utf-8", "replace").strip()


def _bot_identity() -> dict[str, str]:
    """Author/committer for commits the workflows make, unless the environment sets one."""
    return {
        "GIT_AUTHOR_NAME": os.environ.get("GIT_AUTHOR_NAME", BOT_NAME),
        "GIT_AUTHOR_EMAIL": os.environ.get("GIT_AUTHOR_EMAIL", BOT_EMAIL),
        "GIT_COMMITTER_NAME": os.environ.get("GIT_COMMITTER_NAME", BOT_NAME),
        "GIT_COMMITTER_EMAIL": os.environ.get("GIT_COMMITTER_EMAIL", BOT_EMAIL),
    }


GIT_TOKEN_ENV = "PRODOPS_SYNC_GIT_TOKEN"
"""A token ``state restore`` authenticates its fetch with, so that read-only jobs can check out
with ``persist-credentials: false`` and still read the state branch of a private repository."""


def fetch_auth_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Git configuration, as environment variables, that sends :data:`GIT_TOKEN_ENV` as the
    HTTP authorization to the GitHub server (the header actions/checkout uses); empty without
    a token. Environment, not ``-c`` arguments: a token in argv shows in the process list."""
    env = os.environ if environ is None else environ
    token = env.get(GIT_TOKEN_ENV, "")
    if not token:
        return {}
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{server}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


def restore_state(
    state_dir: Path, *, repo: Path, remote: str = "origin", branch: str = STATE_BRANCH
) -> bool:
    """Fetch ``branch`` from ``remote`` and unpack its files into ``state_dir``.

    Returns False (and leaves ``state_dir`` alone) when the branch does not exist yet: the first
    push starts from an empty base. The fetched commit is kept as :data:`STATE_REF` so that
    :func:`save_state` can build on it.
    """
    auth = fetch_auth_env()
    probe = _git(["ls-remote", "--exit-code", "--heads", remote, branch], cwd=repo, env=auth,
                 check=False)
    if probe.returncode == 2:
        return False
    if probe.returncode != 0:
        raise CIError(f"cannot reach remote {remote!r}: {probe.stderr.decode().strip()}")
    _git(["fetch", "--no-tags", "--depth=1", remote, f"+refs/heads/{branch}:{STATE_REF}"],
         cwd=repo, env=auth)
    archive = _git(["archive", "--format=tar", STATE_REF], cwd=repo).stdout
    state_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(state_dir, filter="data")
    return True


def save_state(
    state_dir: Path,
    *,
    repo: Path,
    remote: str = "origin",
    branch: str = STATE_BRANCH,
    message: str = "prodops-sync: update sync state",
) -> str | None:
    """Commit the files of ``state_dir`` onto ``branch`` and push it.

    The commit is built with plumbing (a private index, ``write-tree``, ``commit-tree``) so the
    checkout, its index and its branch are never touched. Returns the pushed commit id, or None
    when the state did not change. The push is a fast-forward of what :func:`restore_state`
    fetched, so a concurrent writer makes it fail instead of being overwritten.
    """
    if not state_dir.is_dir():
        return None
    git_dir = _out(_git(["rev-parse", "--absolute-git-dir"], cwd=repo))
    index = Path(git_dir) / "prodops-sync-state.index"
    index.unlink(missing_ok=True)
    env = {"GIT_INDEX_FILE": str(index), **_bot_identity()}
    plumbing = ["--git-dir", git_dir, "--work-tree", str(state_dir.resolve())]
    try:
        for path in sorted(state_dir.rglob("*")):
            if path.is_file() and not path.name.endswith(_EPHEMERAL_SUFFIXES):
                rel = path.relative_to(state_dir).as_posix()
                _git([*plumbing, "add", "--force", "--", rel], cwd=state_dir, env=env)
        tree = _out(_git([*plumbing, "write-tree"], cwd=state_dir, env=env))
    finally:
        index.unlink(missing_ok=True)
    parent_proc = _git(["rev-parse", "--verify", "--quiet", STATE_REF], cwd=repo, check=False)
    parent = _out(parent_proc) if parent_proc.returncode == 0 else ""
    if parent and _out(_git(["rev-parse", f"{parent}^{{tree}}"], cwd=repo)) == tree:
        return None
    commit_args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
    commit = _out(_git(commit_args, cwd=repo, env=_bot_identity()))
    _git(["push", remote, f"{commit}:refs/heads/{branch}"], cwd=repo)
    _git(["update-ref", STATE_REF, commit], cwd=repo)
    return commit


# --- the pull request body -----------------------------------------------------------------------


def _records(data: Any) -> list[dict[str, Any]]:
    """Per-document records of a ``pull --format json`` report: what was done (``outcomes``),
    or for a plan the classification of every document (``documents``)."""
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    if isinstance(data, dict):
        for key in ("outcomes", "documents"):
            value = data.get(key)
            if isinstance(value, list) and value:
                return [r for r in value if isinstance(r, dict)]
    return []


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _page_link(record: Mapping[str, Any]) -> str:
    title = record.get("title") or record.get("key") or "?"
    url = record.get("url")
    return f"[{_cell(title)}]({url})" if url else _cell(title)


def _is_change(record: Mapping[str, Any]) -> bool:
    status = str(record.get("status") or "")
    action = str(record.get("action") or record.get("pull") or "")
    return status != "in-sync" and action not in ("", "none", "skip")


# --- the pull request ----------------------------------------------------------------------------


NO_CHECKS_NOTE = (
    "> [!NOTE]\n"
    "> This pull request was opened with the workflow's built-in `GITHUB_TOKEN`, and GitHub "
    "starts no workflow for it: the playbook checks (`validate.yml`) have not run. To run them, "
    "close this pull request and reopen it. To have them run by themselves, give the pull "
    "workflow a GitHub App or a `PRODOPS_SYNC_PR_TOKEN` secret (see docs/ci.md in "
    "prodops-sync)."
)
TOKEN_SOURCE_ENV = "PRODOPS_SYNC_TOKEN_SOURCE"
"""Set by pull.yml: ``github-app``, ``personal-token`` or ``github-token`` (the built-in one)."""


def pr_body(
    results: Iterable[tuple[str, Any]], changed_files: Sequence[str], *, checks_run: bool = True
) -> str:
    """The pull request body: each changed page with a link, then the files it touches.

    ``checks_run`` False (opened with the built-in token) adds a note that no workflow runs on
    the pull request, and how to run the checks anyway.
    """
    lines = [] if checks_run else [NO_CHECKS_NOTE, ""]
    lines += [
        "Edits made in the wiki since the last sync, brought back by `prodops-sync pull`.",
        "",
        "Review them like any other change: merging publishes them back (the push after the "
        "merge then finds both sides equal). Files with `<<<<<<<` markers changed on both "
        "sides: resolve them on this branch before merging (`prodops-sync validate` flags them).",
        "",
    ]
    for target, data in results:
        changes = [r for r in _records(data) if _is_change(r)]
        if not changes:
            continue
        lines.append(f"**Target `{target}`**")
        lines.append("")
        for r in changes:
            what = r.get("action") or r.get("pull") or "changed"
            where = r.get("path") or r.get("key") or ""
            lines.append(f"- {_page_link(r)} → `{_cell(where)}` ({_cell(what)})")
        lines.append("")
    lines.append("<details><summary>Changed files</summary>")
    lines.append("")
    lines += [f"- `{name}`" for name in changed_files] or ["- (none)"]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def changed_files(repo: Path, paths: Sequence[str]) -> list[str]:
    """Files under ``paths`` that differ from HEAD (modified, added, deleted or untracked)."""
    proc = _git(["status", "--porcelain", "-z", "--untracked-files=all", "--", *paths], cwd=repo)
    entries = [e for e in proc.stdout.decode("utf-8", "replace").split("\0") if e]
    files: list[str] = []
    skip_next = False
    for entry in entries:
        if skip_next:  # the source path of a rename
            skip_next = False
            continue
        status, name = entry[:2], entry[3:]
        skip_next = "R" in status or "C" in status
        files.append(name)
    return sorted(files)


def open_pull_request(
    *,
    repo: Path,
    paths: Sequence[str],
    body: str,
    title: str = "Wiki edits from prodops-sync pull",
    branch: str = PULL_BRANCH,
    base: str | None = None,
    remote: str = "origin",
    gh: str = "gh",
) -> str:
    """Commit the changes under ``paths`` to ``branch`` (rebuilt from the current commit on each
    run, so it always holds exactly the wiki's pending edits), push it, and open the pull
    request or update the open one. Returns what happened, as one line."""
    files = changed_files(repo, paths)
    if not files:
        return "no wiki edits to propose"
    base = base or _out(_git(["rev-parse", "--abbrev-ref", "HEAD"], cwd=repo))
    _git(["switch", "--force-create", branch], cwd=repo)
    _git(["add", "--all", "--", *paths], cwd=repo)
    _git(["commit", "--quiet", "-m", title, "-m", "Brought back by prodops-sync pull."],
         cwd=repo, env=_bot_identity())
    _git(["push", "--force", remote, f"HEAD:refs/heads/{branch}"], cwd=repo)

    def run_gh(*args: str) -> str:
        proc = subprocess.run([gh, *args], cwd=repo, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise CIError(f"gh {args[0]} {args[1]} failed: {proc.stderr.strip()}")
        return proc.stdout.strip()

    body_file = Path(_out(_git(["rev-parse", "--absolute-git-dir"], cwd=repo))) / "PR_BODY.md"
    body_file.write_text(body, encoding="utf-8")  # a file: bodies outgrow argument limits
    existing = run_gh(
        "pr", "list", "--head", branch, "--base", base, "--state", "open",
        "--json", "number", "--jq", ".[0].number // empty",
    )
    if existing:
        run_gh("pr", "edit", existing, "--title", title, "--body-file", str(body_file))
        return f"updated pull request #{existing} ({plural(len(files), 'file')})"
    url = run_gh("pr", "create", "--head", branch, "--base", base, "--title", title,
                 "--body-file", str(body_file))
    return f"opened pull request {url} ({plural(len(files), 'file')})"


# --- command line --------------------------------------------------------------------------------


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


def _config_path(config: Path | None) -> Path:
    return config if config is not None else Path.cwd() / DEFAULT_CONFIG_NAME


def _state_dir(config: Path | None, state_dir: Path | None) -> Path:
    if state_dir is not None:
        return state_dir
    if not _config_path(config).exists():
        return Path.cwd() / DEFAULT_STATE_DIR
    return load_config(config).state_dir


_config_option = click.option(
    "--config", type=click.Path(path_type=Path), default=None,
    help="Configuration file (default ./prodops-sync.yaml).",
)


@click.group()
def main() -> None:
    """Helpers for prodops-sync's GitHub workflows."""


@main.command("targets")
@_config_option
@click.option("--available", is_flag=True, help="Only targets whose secrets are set.")
@click.option("--format", "fmt", type=click.Choice(["lines", "json"]), default="lines")
def targets_cmd(config: Path | None, available: bool, fmt: str) -> None:
    """Print the configured target names."""
    try:
        names = list_targets(config, available_only=available)
    except ConfigError as exc:
        _fail(exc)
    if not _config_path(config).exists():
        click.echo(f"{_config_path(config)}: no configuration, so no targets", err=True)
    click.echo(json.dumps(names) if fmt == "json" else "\n".join(names))


@main.command("playbook")
@_config_option
def playbook_cmd(config: Path | None) -> None:
    """Print the playbook directory the configuration names (``playbook`` without one)."""
    path = _config_path(config)
    if not path.exists():
        click.echo("playbook")
        return
    try:
        click.echo(os.path.relpath(load_config(path).playbook_dir))
    except ConfigError as exc:
        _fail(exc)


@main.group("state")
def state_group() -> None:
    """Restore or save the sync state kept on its branch."""


_state_options = [
    _config_option,
    click.option("--dir", "state_dir", type=click.Path(path_type=Path), default=None,
                 help="State directory (default: the config's state_dir)."),
    click.option("--branch", default=STATE_BRANCH, show_default=True),
    click.option("--remote", default="origin", show_default=True),
]


def _with_state_options(func: Any) -> Any:
    for option in reversed(_state_options):
        func = option(func)
    return func


@state_group.command("restore")
@_with_state_options
def state_restore(config: Path | None, state_dir: Path | None, branch: str, remote: str) -> None:
    """Fetch the state branch into the state directory (read-only use)."""
    try:
        found = restore_state(_state_dir(config, state_dir), repo=Path.cwd(), remote=remote,
                              branch=branch)
    except (CIError, ConfigError) as exc:
        _fail(exc)
    click.echo(f"restored sync state from {branch}" if found
               else f"no {branch} branch yet: starting from an empty base")


@state_group.command("save")
@_with_state_options
@click.option("--message", default="prodops-sync: update sync state", show_default=True)
def state_save(
    config: Path | None, state_dir: Path | None, branch: str, remote: str, message: str
) -> None:
    """Commit the state directory onto the state branch and push it."""
    try:
        commit = save_state(_state_dir(config, state_dir), repo=Path.cwd(), remote=remote,
                            branch=branch, message=message)
    except (CIError, ConfigError) as exc:
        _fail(exc)
    click.echo(f"saved sync state as {commit[:12]} on {branch}" if commit
               else "sync state unchanged")


@main.command("pull-request")
@click.argument("results", nargs=-1, type=click.Path(path_type=Path))
@_config_option
@click.option("--branch", default=PULL_BRANCH, show_default=True)
@click.option("--base", default=None, help="Base branch (default: the current branch).")
@click.option("--title", default="Wiki edits from prodops-sync pull", show_default=True)
def pull_request_cmd(
    results: tuple[Path, ...], config: Path | None, branch: str, base: str | None, title: str
) -> None:
    """Open or update one pull request with the playbook changes `pull` made.

    RESULTS are `pull --format json` outputs named TARGET.json (used for the body's page list).
    """
    repo = Path.cwd()
    if not _config_path(config).exists():
        click.echo("no configuration: no wiki edits to propose")
        return
    try:
        cfg = load_config(config)
        playbook = os.path.relpath(cfg.playbook_dir, repo)
        loaded = []
        for path in results:
            try:
                loaded.append((path.stem, json.loads(path.read_text(encoding="utf-8") or "null")))
            except (OSError, ValueError):
                loaded.append((path.stem, None))
        checks_run = os.environ.get(TOKEN_SOURCE_ENV, "") != "github-token"
        body = pr_body(loaded, changed_files(repo, [playbook]), checks_run=checks_run)
        click.echo(open_pull_request(repo=repo, paths=[playbook], body=body, title=title,
                                     branch=branch, base=base))
        if not checks_run:
            click.echo("::warning title=prodops-sync::the pull request was opened with "
                       "GITHUB_TOKEN, so validate.yml does not run on it; close and reopen it "
                       "to run the checks, or configure a GitHub App or PRODOPS_SYNC_PR_TOKEN "
                       "(docs/ci.md)")
    except (CIError, ConfigError) as exc:
        _fail(exc)


if __name__ == "__main__":
    main()
