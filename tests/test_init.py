"""`prodops-sync init`: scaffold, then validate passes; never overwrite without --force."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from prodops_sync.cli import main
from prodops_sync.scaffold import WORKFLOWS
from prodops_sync.sync.config import load_config


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def tree(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(directory.rglob("*")) if p.is_file()
    }


def test_init_then_validate_passes(tmp_path: Path) -> None:
    code, out = run("init", str(tmp_path))
    assert code == 0, out
    for name in WORKFLOWS:
        assert (tmp_path / ".github" / "workflows" / name).is_file()
    assert (tmp_path / ".pre-commit-config.yaml").is_file()
    assert (tmp_path / ".gitignore").read_text() == ".prodops-sync/\n"
    code, out = run("validate", "--strict", str(tmp_path / "playbook"))
    assert code == 0, out
    assert "8 documents valid" in out


def test_init_in_current_directory_then_validate(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert run("init")[0] == 0
        code, out = run("validate")
    finally:
        os.chdir(cwd)
    assert code == 0, out


def test_init_example_copies_the_example_playbook(tmp_path: Path) -> None:
    from prodops_sync.schemas import example_playbook_dir

    code, out = run("init", "--example", str(tmp_path))
    assert code == 0, out
    example = tree(example_playbook_dir())
    assert tree(tmp_path / "playbook") == example
    code, out = run("validate", str(tmp_path / "playbook"))
    assert code == 0, out


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "prodops-sync.yaml").write_text("# mine\n")
    code, out = run("init", str(tmp_path))
    assert code == 1
    assert "would overwrite prodops-sync.yaml" in out and "--force" in out
    assert tree(tmp_path) == {"prodops-sync.yaml": "# mine\n"}, "init must be all or nothing"


def test_second_init_refuses_then_force_overwrites(tmp_path: Path) -> None:
    assert run("init", str(tmp_path))[0] == 0
    charter = tmp_path / "playbook" / "charter.md"
    charter.write_text(charter.read_text() + "\nMy own words.\n")
    before = tree(tmp_path)
    code, out = run("init", str(tmp_path))
    assert code == 1 and "nothing written" in out
    assert tree(tmp_path) == before
    code, out = run("init", "--force", str(tmp_path))
    assert code == 0, out
    assert "My own words." not in charter.read_text()
    assert (tmp_path / ".gitignore").read_text() == ".prodops-sync/\n", "no duplicate lines"


def test_existing_gitignore_is_extended_not_replaced(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/")
    assert run("init", str(tmp_path))[0] == 0
    assert (tmp_path / ".gitignore").read_text() == "node_modules/\n.prodops-sync/\n"


def test_notion_config_and_next_steps(tmp_path: Path) -> None:
    code, out = run("init", str(tmp_path), "--root-page", "0c6f00aa", "--base-url",
                    "http://127.0.0.1:8765")
    assert code == 0, out
    config = load_config(tmp_path / "prodops-sync.yaml")
    target = config.target("notion")
    assert target.type == "notion"
    assert target.get("root_page") == "0c6f00aa"
    assert target.get("base_url") == "http://127.0.0.1:8765"
    assert config.playbook_dir == (tmp_path / "playbook").resolve()
    assert "NOTION_TOKEN" in out and "Connections" in out and "secret" in out
    sync = yaml.safe_load((tmp_path / ".github/workflows/sync.yml").read_text())
    assert sync["jobs"]["push"]["env"] == {"NOTION_TOKEN": "${{ secrets.NOTION_TOKEN }}"}


def test_confluence_config_and_next_steps(tmp_path: Path) -> None:
    code, out = run("init", str(tmp_path), "--target", "confluence", "--url",
                    "https://acme.atlassian.net/wiki", "--space", "OPS")
    assert code == 0, out
    target = load_config(tmp_path / "prodops-sync.yaml").target(None)
    assert (target.type, target.get("url"), target.get("space")) == (
        "confluence", "https://acme.atlassian.net/wiki", "OPS"
    )
    assert "CONFLUENCE_USER" in out and "CONFLUENCE_TOKEN" in out
    pull = yaml.safe_load((tmp_path / ".github/workflows/pull.yml").read_text())
    env = pull["jobs"]["pull"]["env"]
    assert env["CONFLUENCE_USER"] == "${{ secrets.CONFLUENCE_USER }}"
    assert env["CONFLUENCE_TOKEN"] == "${{ secrets.CONFLUENCE_TOKEN }}"
    assert "NOTION_TOKEN" not in env


@pytest.mark.parametrize("install", ["prodops-sync==0.1.0", "git+https://example.com/p.git@v1"])
def test_install_spec_reaches_workflows_and_hooks(tmp_path: Path, install: str) -> None:
    assert run("init", str(tmp_path), "--install", install)[0] == 0
    for name in WORKFLOWS:
        workflow = yaml.safe_load((tmp_path / ".github/workflows" / name).read_text())
        assert workflow["env"]["PRODOPS_SYNC_INSTALL"] == install
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    for hook in hooks["repos"][0]["hooks"]:
        assert hook["additional_dependencies"] == [install]


def test_unknown_target_type_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run("init", str(tmp_path), "--target", "sharepoint")
    assert code == 2 and "sharepoint" in out
    assert not any(tmp_path.iterdir())
