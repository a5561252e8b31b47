"""Releasing and installing: the release workflow's contract, the tag check, and a user's
first day on a fresh machine (a wheel built from a clean clone, installed non-editable into a
fresh virtualenv, runs the README's first command and what `init`'s workflows run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from prodops_sync.project import PACKAGE, check_tag, is_release, tag_for

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / ".github" / "workflows" / "release.yml"


def _release() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    return data


def test_release_workflow_builds_checks_and_publishes_on_a_tag() -> None:
    wf = _release()
    assert wf[True]["push"] == {"tags": ["v[0-9]*"]}  # `on:` parses as True
    assert wf["permissions"] == {}
    build, publish = wf["jobs"]["build"], wf["jobs"]["publish"]
    assert build["permissions"] == {"contents": "read"}
    runs = [s.get("run", "") for s in build["steps"]]
    assert "python -m build" in runs
    assert "python -m twine check --strict dist/*" in runs
    assert any("prodops_sync.project check-tag" in r for r in runs)
    assert any("pip install dist/*.whl" in r and "demo" in r for r in runs)
    checkout = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["persist-credentials"] is False
    # trusted publishing: an OIDC token and nothing else, only from a tag, behind an environment
    assert publish["needs"] == "build"
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    uses = [s["uses"] for s in publish["steps"]]
    assert any(u.startswith("pypa/gh-action-pypi-publish@") and len(u.split("@")[1]) == 40
               for u in uses), "the third-party publisher is pinned to a full commit SHA"
    assert "password" not in RELEASE.read_text(), "no API token: trusted publishing only"


@pytest.mark.parametrize(("version", "release"), [
    ("1.0.0", True), ("0.2.0rc1", True), ("2.1", True), ("0.2.0.dev0", False),
    ("0.2.0+abc", False), ("not a version", False),
])
def test_is_release(version: str, release: bool) -> None:
    assert is_release(version) is release


def test_the_tag_must_name_the_release_version() -> None:
    assert tag_for("1.2.0") == "v1.2.0"
    assert check_tag("v1.2.0", "1.2.0") is None
    assert "does not match version 1.2.0 (expected v1.2.0)" in str(check_tag("v1.2.1", "1.2.0"))
    assert "is not a release" in str(check_tag("v1.2.0", "1.2.0.dev0"))
    proc = subprocess.run([sys.executable, "-m", "prodops_sync.project", "check-tag", "v0.0.0"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")


def test_releasing_doc_matches_the_workflow() -> None:
    text = (ROOT / "docs" / "releasing.md").read_text(encoding="utf-8")
    for needle in ("trusted publish", "release.yml", "pypi", "twine check", "__version__",
                   ".dev0", "git tag"):
        assert needle in text, f"docs/releasing.md does not mention {needle!r}"


# --- a fresh machine -----------------------------------------------------------------------------


def _run(command: list[str], cwd: Path, env: dict[str, str],
         timeout: int = 600) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, f"{' '.join(command)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.slow
def test_a_wheel_from_a_clean_clone_works_on_a_fresh_machine(tmp_path: Path) -> None:
    """Clone, build the wheel, `init --from` it, install what the generated workflows install
    (non-editable, a fresh virtualenv, dependencies from the package index), then run the
    README's first command in the clone and the workflows' commands in the new repository."""
    if shutil.which("git") is None:  # pragma: no cover
        pytest.skip("git is missing")
    # A fresh machine has none of this development environment's variables.
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "GITHUB_STEP_SUMMARY")}
    clone = tmp_path / "clone"
    _run(["git", "clone", "--quiet", str(ROOT), str(clone)], tmp_path, env)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist),
          str(clone)], tmp_path, env)
    (wheel,) = dist.glob("prodops_sync-*.whl")

    # `init` in an empty directory, told to install that wheel
    repo = tmp_path / "team-playbook"
    _run([sys.executable, "-m", "prodops_sync", "init", str(repo), "--from", str(wheel)],
         tmp_path, env)
    workflow = yaml.safe_load((repo / ".github/workflows/validate.yml").read_text())
    spec = workflow["env"]["PRODOPS_SYNC_INSTALL"]
    assert spec == str(wheel)

    venv = tmp_path / "fresh"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    # the workflows' install step, verbatim
    _run([str(python), "-m", "pip", "install", "--quiet", spec], tmp_path, env, timeout=900)
    located = _run([str(python), "-c", "import prodops_sync; print(prodops_sync.__file__)"],
                   tmp_path, env).stdout.strip()
    assert Path(located).is_relative_to(venv), f"not the installed wheel: {located}"
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"

    # the README's first command, from the clone (a copy of the repository)
    first = _run(["sh", "-c", "prodops-sync validate && prodops-sync demo"], clone, env)
    assert "playbook: 24 documents valid" in first.stdout
    assert "push done" in first.stdout

    # what the generated workflows run, in the generated repository
    for command in (["prodops-sync", "validate", "--format", "github"],
                    ["prodops-sync", "fmt", "--check"],
                    ["python", "-m", "prodops_sync.scaffold.ci", "targets"]):
        _run(command, repo, env)
    assert _run(["prodops-sync", "--version"], repo, env).stdout.startswith(PACKAGE)
