"""The helpers the workflows call (prodops_sync.scaffold.ci), against real local git repositories.

An "origin" is a bare repository in tmp_path; `gh` is a small recording script on PATH.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from prodops_sync.scaffold import ci

CONFIG = """\
playbook: playbook
targets:
  notion: {type: notion, root_page: abc, token_env: NOTION_TOKEN}
  wiki: {type: confluence, url: https://x.example/wiki, space: PLAY,
         user_env: CONFLUENCE_USER, token_env: CONFLUENCE_TOKEN}
"""


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=True)
    return proc.stdout.strip()


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A checkout of `main` with an origin, a config and a playbook, like a runner's."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", str(origin), str(work))
    git(work, "switch", "--quiet", "-c", "main")
    (work / "prodops-sync.yaml").write_text(CONFIG)
    (work / ".gitignore").write_text(".prodops-sync/\n")
    (work / "playbook").mkdir()
    (work / "playbook" / "charter.md").write_text("# Charter\n")
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "init")
    git(work, "push", "--quiet", "origin", "main")
    return work


def test_targets_lists_and_filters_on_credentials(clone: Path) -> None:
    config = clone / "prodops-sync.yaml"
    assert ci.list_targets(config) == ["notion", "wiki"]
    assert ci.list_targets(config, available_only=True, environ={}) == []
    env = {"NOTION_TOKEN": "x", "CONFLUENCE_TOKEN": "y"}  # wiki also needs its user
    assert ci.list_targets(config, available_only=True, environ=env) == ["notion"]


def test_no_configuration_means_no_targets(tmp_path: Path) -> None:
    """A repository that only validates (no prodops-sync.yaml): the sync jobs do nothing."""
    out = subprocess.run([sys.executable, "-m", "prodops_sync.scaffold.ci", "targets"],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout == "\n" and "no configuration" in out.stderr
    assert ci.list_targets(tmp_path / "prodops-sync.yaml") == []


def test_state_round_trip_through_its_branch(clone: Path, tmp_path: Path) -> None:
    state = clone / ".prodops-sync" / "state"
    # first run: no branch yet
    assert ci.restore_state(state, repo=clone) is False
    state.mkdir(parents=True)
    (state / "notion.json").write_text('{"version": 1}\n')
    (state / "notion.lock").write_text("")  # never persisted
    first = ci.save_state(state, repo=clone, message="state 1")
    assert first is not None
    assert git(clone, "status", "--porcelain") == "", "the checkout must not change"
    assert git(clone, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    origin = tmp_path / "origin.git"
    assert git(origin, "ls-tree", "--name-only", "prodops-sync-state") == "notion.json"
    # unchanged state: no commit
    assert ci.save_state(state, repo=clone) is None

    # a later run on a fresh clone restores it, changes it, and saves on top
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "--quiet", str(origin), str(fresh))
    fresh_state = fresh / ".prodops-sync" / "state"
    assert ci.restore_state(fresh_state, repo=fresh) is True
    assert (fresh_state / "notion.json").read_text() == '{"version": 1}\n'
    (fresh_state / "wiki.json").write_text("{}\n")
    second = ci.save_state(fresh_state, repo=fresh, message="state 2")
    assert second is not None
    assert git(origin, "rev-parse", "prodops-sync-state^") == first
    assert git(origin, "log", "-1", "--format=%s", "prodops-sync-state") == "state 2"


def test_state_save_refuses_to_overwrite_a_concurrent_writer(clone: Path, tmp_path: Path) -> None:
    state = clone / ".prodops-sync" / "state"
    state.mkdir(parents=True)
    (state / "notion.json").write_text("1\n")
    ci.save_state(state, repo=clone)
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(tmp_path / "origin.git"), str(other))
    other_state = other / ".prodops-sync" / "state"
    ci.restore_state(other_state, repo=other)
    (other_state / "notion.json").write_text("2\n")
    ci.save_state(other_state, repo=other)
    (state / "notion.json").write_text("3\n")  # based on the old state
    with pytest.raises(ci.CIError, match="git push"):
        ci.save_state(state, repo=clone)


def test_state_cli_through_python_m(clone: Path) -> None:
    """The exact command lines the workflows run."""
    run = [sys.executable, "-m", "prodops_sync.scaffold.ci"]
    out = subprocess.run([*run, "state", "restore"], cwd=clone, capture_output=True, text=True)
    assert out.returncode == 0 and "empty base" in out.stdout
    (clone / ".prodops-sync" / "state").mkdir(parents=True)
    (clone / ".prodops-sync" / "state" / "notion.json").write_text("{}\n")
    out = subprocess.run([*run, "state", "save", "--message", "m"], cwd=clone,
                         capture_output=True, text=True)
    assert out.returncode == 0 and "saved sync state" in out.stdout, out.stderr
    out = subprocess.run([*run, "targets"], cwd=clone, capture_output=True, text=True)
    assert out.stdout.split() == ["notion", "wiki"]
    out = subprocess.run([*run, "playbook"], cwd=clone, capture_output=True, text=True)
    assert out.stdout.strip() == "playbook"


FAKE_GH = """#!/bin/sh
echo "$@" >> "{log}"
prev=""
for arg in "$@"; do
  if [ "$prev" = "--body-file" ]; then cat "$arg" >> "{log}.body"; fi
  prev=$arg
done
case "$2" in
  list) cat "{existing}" 2>/dev/null || true ;;
  create) echo https://github.example/o/r/pull/7 ;;
esac
"""


@pytest.fixture
def fake_gh(tmp_path: Path) -> tuple[Path, Path, Path]:
    log, existing = tmp_path / "gh.log", tmp_path / "existing"
    gh = tmp_path / "bin" / "gh"
    gh.parent.mkdir()
    gh.write_text(FAKE_GH.format(log=log, existing=existing))
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    return gh, log, existing


PULL_JSON = {
    "mode": "pull",
    "documents": [],
    "outcomes": [
        {"key": "charter", "title": "Charter", "status": "changed-remotely", "action": "write",
         "url": "https://notion.example/charter-1", "path": "charter.md", "detail": ""},
    ],
    "conflicts": 0,
}


def test_pull_request_opens_then_updates_one_pr(clone: Path, fake_gh: tuple[Path, Path, Path],
                                                tmp_path: Path) -> None:
    gh, log, existing = fake_gh
    assert ci.open_pull_request(repo=clone, paths=["playbook"], body="b", gh=str(gh)) == (
        "no wiki edits to propose"
    )
    assert not log.exists()

    (clone / "playbook" / "charter.md").write_text("# Charter\n\nEdited in the wiki.\n")
    (clone / "playbook" / "new-page.md").write_text("# New\n")
    files = ci.changed_files(clone, ["playbook"])
    assert files == ["playbook/charter.md", "playbook/new-page.md"]
    body = ci.pr_body([("notion", PULL_JSON)], files)
    assert "[Charter](https://notion.example/charter-1) → `charter.md` (write)" in body
    result = ci.open_pull_request(repo=clone, paths=["playbook"], body=body, gh=str(gh))
    assert result.startswith("opened pull request https://github.example/o/r/pull/7")
    calls = log.read_text().splitlines()
    assert calls[0].startswith("pr list --head prodops-sync/pull --base main")
    assert calls[1].startswith("pr create --head prodops-sync/pull --base main")
    origin = tmp_path / "origin.git"
    assert "Edited in the wiki" in git(origin, "show", "prodops-sync/pull:playbook/charter.md")

    # the next scheduled run: back on main, the branch is rebuilt and the open PR updated
    git(clone, "switch", "--quiet", "--discard-changes", "main")
    (clone / "playbook" / "charter.md").write_text("# Charter\n\nEdited again.\n")
    existing.write_text("7\n")
    result = ci.open_pull_request(repo=clone, paths=["playbook"], body="b2", gh=str(gh))
    assert result == "updated pull request #7 (1 file)"
    assert log.read_text().splitlines()[-1].startswith("pr edit 7 --title")
    assert "Edited again" in git(origin, "show", "prodops-sync/pull:playbook/charter.md")
    assert git(origin, "rev-list", "--count", "main..prodops-sync/pull") == "1"


def test_pull_request_cli_reads_the_json_results(clone: Path, fake_gh: tuple[Path, Path, Path],
                                                 tmp_path: Path) -> None:
    gh, log, _ = fake_gh
    (clone / "playbook" / "charter.md").write_text("# Charter\n\nEdited.\n")
    results = tmp_path / "pull"
    results.mkdir()
    (results / "notion.json").write_text(json.dumps(PULL_JSON))
    env = {**os.environ, "PATH": f"{gh.parent}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run(
        [sys.executable, "-m", "prodops_sync.scaffold.ci", "pull-request",
         str(results / "notion.json")],
        cwd=clone, env=env, capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr
    assert any(c.startswith("pr create") for c in log.read_text().splitlines())
    body = Path(f"{log}.body").read_text()
    assert "[Charter](https://notion.example/charter-1) → `charter.md` (write)" in body
    assert "- `playbook/charter.md`" in body


@pytest.mark.parametrize(("source", "note"), [("github-token", True), ("github-app", False),
                                              ("personal-token", False)])
def test_pull_request_opened_with_the_builtin_token_says_no_checks_run(
    clone: Path, fake_gh: tuple[Path, Path, Path], tmp_path: Path, source: str, note: bool
) -> None:
    """GitHub starts no workflow for a pull request opened with GITHUB_TOKEN: the body and the
    log say so, and how to run the checks (close and reopen); with an App or personal token
    there is nothing to say."""
    gh, log, _ = fake_gh
    (clone / "playbook" / "charter.md").write_text("# Charter\n\nEdited.\n")
    env = {**os.environ, "PATH": f"{gh.parent}{os.pathsep}{os.environ['PATH']}",
           ci.TOKEN_SOURCE_ENV: source}
    out = subprocess.run([sys.executable, "-m", "prodops_sync.scaffold.ci", "pull-request"],
                         cwd=clone, env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    body = Path(f"{log}.body").read_text()
    assert ("close this pull request and reopen it" in body) is note
    assert ("::warning title=prodops-sync::" in out.stdout) is note


def test_fetch_auth_env_sends_the_token_as_a_header_not_an_argument() -> None:
    assert ci.fetch_auth_env({}) == {}
    env = ci.fetch_auth_env({ci.GIT_TOKEN_ENV: "tok", "GITHUB_SERVER_URL": "https://ghe.example/"})
    assert env["GIT_CONFIG_COUNT"] == "1"
    assert env["GIT_CONFIG_KEY_0"] == "http.https://ghe.example/.extraheader"
    # base64("x-access-token:tok")
    assert env["GIT_CONFIG_VALUE_0"] == "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46dG9r"


def test_state_restore_with_a_token_in_the_environment(clone: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The read-only jobs check out without persisted credentials and pass the token for the
    fetch only: the restore still works, and nothing lands in .git/config."""
    state = clone / ".prodops-sync" / "state"
    state.mkdir(parents=True)
    (state / "notion.json").write_text("{}")
    assert ci.save_state(state, repo=clone) is not None
    (state / "notion.json").unlink()
    monkeypatch.setenv(ci.GIT_TOKEN_ENV, "not-a-real-token")
    assert ci.restore_state(state, repo=clone) is True
    assert (state / "notion.json").read_text() == "{}"
    assert "extraheader" not in (clone / ".git" / "config").read_text()


def _action_script(step_name: str) -> str:
    import yaml as _yaml

    action = _yaml.safe_load((Path(ci.__file__).resolve().parents[2] / "action.yml").read_text())
    step = next(s for s in action["runs"]["steps"]
                if s.get("id") == step_name or s.get("name") == step_name)
    return str(step["run"])


def test_the_action_with_command_pull_opens_a_pull_request(
    clone: Path, fake_gh: tuple[Path, Path, Path], tmp_path: Path, notion_standin: Any
) -> None:
    """action.yml's own scripts, run as GitHub runs a composite step (bash -e -o pipefail, the
    step's env), on a checkout whose playbook was pushed to a Notion stand-in and then edited
    there: `command: pull` writes the edit and opens one pull request with it."""
    from click.testing import CliRunner

    from prodops_sync.cli import main
    from prodops_sync.scaffold import minimal_playbook

    gh, log, _ = fake_gh
    (clone / "playbook" / "charter.md").unlink()
    for rel, text in minimal_playbook(dt.date(2026, 1, 5)).items():
        path = clone / "playbook" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (clone / "prodops-sync.yaml").write_text(
        f"targets:\n  notion:\n    type: notion\n    root_page: {notion_standin.root_page_id}\n"
        f"    base_url: {notion_standin.url}\n    token_env: NOTION_TOKEN\n")
    git(clone, "add", ".")
    git(clone, "commit", "--quiet", "-m", "playbook")
    git(clone, "push", "--quiet", "origin", "main")
    env = {**os.environ, "NOTION_TOKEN": "any", "PATH": f"{gh.parent}{os.pathsep}"
           f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    old = os.getcwd()
    os.chdir(clone)
    try:
        pushed = CliRunner(env={"NOTION_TOKEN": "any"}).invoke(main, ["push"])
    finally:
        os.chdir(old)
    assert pushed.exit_code == 0, pushed.output
    from notion_client import Client

    notion = Client(auth="any", base_url=notion_standin.url)
    page = notion.search(query="Product Ops Charter")["results"][0]
    blocks = notion.blocks.children.list(block_id=page["id"])["results"]
    para = next(b for b in blocks if b["type"] == "paragraph")
    notion_standin.wiki_user.edit_text(para["id"], "Edited in Notion by a colleague.")

    results = tmp_path / "results"
    output = tmp_path / "github-output"
    step_env = {**env, "COMMAND": "pull", "TARGET": "", "CONFIG": "prodops-sync.yaml",
                "ARGS": "", "RESULTS": str(results), "GITHUB_OUTPUT": str(output)}
    ran = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                          _action_script("run")], cwd=clone, env=step_env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert output.read_text().strip() == "exit-code=0"
    assert json.loads((results / "notion.json").read_text())["mode"] == "pull"
    opened = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
         _action_script("Open or update the pull request with the wiki's edits")],
        cwd=clone, env={**step_env, "GH_TOKEN": "t", "PRODOPS_SYNC_TOKEN_SOURCE": "github-token"},
        capture_output=True, text=True, timeout=300, check=False)
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert "opened pull request https://github.example/o/r/pull/7" in opened.stdout
    body = Path(f"{log}.body").read_text()
    assert "playbook/charter.md" in body and "close this pull request and reopen it" in body
    origin = tmp_path / "origin.git"
    assert "Edited in Notion by a colleague." in git(
        origin, "show", "prodops-sync/pull:playbook/charter.md")
