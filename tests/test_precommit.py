"""The hooks in .pre-commit-hooks.yaml, run through pre-commit itself on temporary git repos.

A temporary repository's `.pre-commit-config.yaml` names a snapshot of this working tree with
`repo:` and `rev:`, exactly as a user's would name the published repository; pre-commit then
installs it into a hook virtualenv with pip (and the package index pip is configured for). The
virtualenv is built once per session (about 10 s) in a session-scoped PRE_COMMIT_HOME; each
case then takes about a second.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from prodops_sync.scaffold import minimal_playbook

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]

Runner = Callable[..., subprocess.CompletedProcess[str]]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A snapshot of this working tree (tracked and new files, as git would see them) committed
    into a throwaway repository: a stable ``repo``/``rev`` for pre-commit, so the hook
    virtualenv is built once per session, and what is tested is the code on disk."""
    if importlib.util.find_spec("pre_commit") is None:
        pytest.skip("pre-commit is not installed (it is in the test extra)")
    snap = tmp_path_factory.mktemp("hooks-repo")
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        src, dest = ROOT / rel, snap / rel
        if src.is_symlink() or src.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src.is_symlink():
                dest.symlink_to(os.readlink(src))
            else:
                shutil.copy2(src, dest)
    _git(snap, "init", "--quiet")
    _git(snap, "add", ".")
    _git(snap, "commit", "--quiet", "-m", "snapshot")
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=snap, check=True, capture_output=True, text=True
    ).stdout.strip()
    return snap, rev


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def playbook_repo(tmp_path: Path, hooks_repo: tuple[Path, str]) -> Path:
    """A git repository holding a valid minimal playbook and a .pre-commit-config.yaml that
    uses this repository's hooks the way a user's would (repo + rev)."""
    repo = tmp_path / "repo"
    for rel, text in minimal_playbook(dt.date(2026, 1, 5)).items():
        path = repo / "playbook" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    snap, rev = hooks_repo
    config = {
        "repos": [
            {
                "repo": str(snap),
                "rev": rev,
                "hooks": [{"id": "prodops-sync-validate"}, {"id": "prodops-sync-fmt"}],
            }
        ]
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    _git(tmp_path, "init", "--quiet", str(repo))
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "playbook")
    return repo


@pytest.fixture
def hook(pre_commit_home: Path) -> Runner:
    """Run one hook through `pre-commit run` in ``repo`` (all files, or the given ones)."""

    def run(repo: Path, hook_id: str, *files: str) -> subprocess.CompletedProcess[str]:
        _git(repo, "add", ".")
        selection = ["--files", *files] if files else ["--all-files"]
        env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "NO_COLOR": "1"}
        env.pop("PRE_COMMIT", None)
        return subprocess.run(
            [*PRE_COMMIT, "run", hook_id, *selection],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    return run


def test_hook_manifest_is_valid() -> None:
    proc = subprocess.run(
        [*PRE_COMMIT, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"prodops-sync-validate", "prodops-sync-fmt"}
    assert hooks["prodops-sync-validate"]["require_serial"] is True
    assert all(h["language"] == "python" for h in hooks.values())


def test_validate_hook_passes_then_fails_on_a_broken_playbook(
    hook: Runner, playbook_repo: Path
) -> None:
    ok = hook(playbook_repo, "prodops-sync-validate")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "prodops-sync validate" in ok.stdout and "Passed" in ok.stdout

    ritual = playbook_repo / "playbook" / "rituals" / "weekly-product-update.md"
    ritual.write_text(ritual.read_text().replace("cadence: weekly", "cadence: sometimes"))
    broken = hook(
        playbook_repo, "prodops-sync-validate", "playbook/rituals/weekly-product-update.md"
    )
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Failed" in broken.stdout
    assert "rituals/weekly-product-update.md:3:" in broken.stdout
    assert "sometimes" in broken.stdout


def test_validate_hook_skips_files_outside_the_playbook(hook: Runner, playbook_repo: Path) -> None:
    (playbook_repo / "notes.md").write_text("not part of the playbook\n")
    result = hook(playbook_repo, "prodops-sync-validate", "notes.md")
    assert result.returncode == 0
    assert "no files to check" in result.stdout.lower()


@pytest.mark.skipif(
    importlib.util.find_spec("prodops_sync.cli.fmt") is None,
    reason="`prodops-sync fmt` is not built yet",
)
def test_fmt_hook_passes_on_canonical_files_and_rewrites_others(
    hook: Runner, playbook_repo: Path
) -> None:
    ok = hook(playbook_repo, "prodops-sync-fmt")
    assert ok.returncode == 0, ok.stdout + ok.stderr

    charter = playbook_repo / "playbook" / "charter.md"
    canonical = charter.read_text()
    charter.write_text(canonical.replace("# Product Ops Charter", "Product Ops Charter\n==="))
    changed = hook(playbook_repo, "prodops-sync-fmt", "playbook/charter.md")
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert charter.read_text() == canonical, "the hook rewrites the file in canonical form"


def test_repo_own_pre_commit_config_uses_the_published_hooks() -> None:
    """This repository's .pre-commit-config.yaml runs the same hook ids on its playbook."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    ids = {h["id"] for repo in config["repos"] for h in repo["hooks"]}
    assert {"prodops-sync-validate", "prodops-sync-fmt"} <= ids
    if shutil.which("git") is None:  # pragma: no cover
        pytest.skip("git missing")
    proc = subprocess.run(
        [*PRE_COMMIT, "validate-config", str(ROOT / ".pre-commit-config.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- the configuration `init` writes -------------------------------------------------------------

# mdformat's own hook manifest (https://github.com/hukkin/mdformat, .pre-commit-hooks.yaml at
# 1.0.0): entry, language and file types. The test repository cannot clone GitHub, so the
# generated `repo: https://github.com/hukkin/mdformat` entry is run as this equivalent local
# hook, with the generated rev, args and additional_dependencies.
MDFORMAT_MANIFEST = {"id": "mdformat", "name": "mdformat", "entry": "mdformat",
                     "language": "python", "types": ["markdown"]}


def _offline_equivalent(config: dict[str, Any], hooks_repo: tuple[Path, str]) -> dict[str, Any]:
    """``init``'s .pre-commit-config.yaml with the two GitHub repositories swapped for what
    the test can reach: this working tree's snapshot, and mdformat from the package index."""
    from prodops_sync.project import REPOSITORY
    from prodops_sync.scaffold import MDFORMAT_REPOSITORY

    snap, rev = hooks_repo
    repos = []
    for entry in config["repos"]:
        if entry["repo"] == REPOSITORY:
            repos.append({**entry, "repo": str(snap), "rev": rev})
        elif entry["repo"] == MDFORMAT_REPOSITORY:
            (hook,) = entry["hooks"]
            deps = [f"mdformat=={entry['rev']}", *hook["additional_dependencies"]]
            repos.append({"repo": "local", "hooks": [
                {**MDFORMAT_MANIFEST, "args": hook["args"], "additional_dependencies": deps}]})
        else:
            repos.append(entry)
    return {**config, "repos": repos}


def _tree(repo: Path) -> dict[str, bytes]:
    """The files Git tracks or could track: not .git/, not what .gitignore keeps out."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=repo, capture_output=True, text=True, check=True).stdout
    return {name: (repo / name).read_bytes() for name in sorted(listed.splitlines())}


@pytest.mark.parametrize("example", [False, True], ids=["minimal", "example"])
def test_init_repository_hooks_pass_twice_in_a_row(
    tmp_path: Path, hooks_repo: tuple[Path, str], pre_commit_home: Path, example: bool
) -> None:
    """`init` in an empty directory, then every hook it configures (validate, fmt, mdformat)
    on all files: the first run passes and the second changes nothing."""
    from click.testing import CliRunner

    from prodops_sync.cli import main

    repo = tmp_path / "team-playbook"
    args = ["init", str(repo), "--version", "0.1.0"] + (["--example"] if example else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    generated = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    hook_ids = [h["id"] for entry in generated["repos"] for h in entry["hooks"]]
    assert hook_ids == ["prodops-sync-validate", "prodops-sync-fmt", "mdformat"]
    assert generated["repos"][1]["hooks"][0]["args"] == ["--number"]
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump(_offline_equivalent(generated, hooks_repo), sort_keys=False))
    _git(tmp_path, "init", "--quiet", str(repo))
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "init")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "NO_COLOR": "1"}
    env.pop("PRE_COMMIT", None)
    before = _tree(repo)
    for attempt in ("first", "second"):
        proc = subprocess.run([*PRE_COMMIT, "run", "--all-files"], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, f"{attempt} run failed:\n{proc.stdout}\n{proc.stderr}"
        assert proc.stdout.count("Passed") == 3, proc.stdout
        assert _tree(repo) == before, f"the {attempt} run changed files"


def _markdown_samples() -> list[Path]:
    return sorted([*(ROOT / "playbook").rglob("*.md"), *(ROOT / "tests" / "corpus").glob("*.md")])


def test_mdformat_with_inits_options_agrees_with_fmt(tmp_path: Path) -> None:
    """What makes the two hooks stable together: mdformat (the CLI, with the installed plugins)
    run with --number leaves every file in canonical form unchanged: the example playbook
    and the Markdown corpus of the converter tests (content collected from elsewhere). Without
    --number it would renumber ordered lists."""
    from prodops_sync.markdown import canonical

    samples = _markdown_samples()
    assert len(samples) > 50
    files = []
    for i, src in enumerate(samples):
        text = canonical(src.read_text(encoding="utf-8"))
        if text:
            dest = tmp_path / f"{i:03d}-{src.name}"
            dest.write_text(text, encoding="utf-8")
            files.append(dest)
    mdformat = [sys.executable, "-m", "mdformat"]
    agree = subprocess.run([*mdformat, "--check", "--number", *map(str, files)],
                           capture_output=True, text=True, check=False)
    assert agree.returncode == 0, agree.stderr
    default = subprocess.run([*mdformat, "--check", *map(str, files)], capture_output=True,
                             text=True, check=False)
    assert default.returncode == 1, "no ordered list left to tell the options apart"
