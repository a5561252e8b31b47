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
    assert "9 documents valid" in out


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
    written = tree(tmp_path / "playbook")
    assert written.pop("pages/onboarding.md").startswith("# Welcome to product ops\n")
    assert written == example
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


# --- what the generated files install ------------------------------------------------------------


def test_init_pins_a_release_and_takes_the_hooks_from_the_repository_tag(tmp_path: Path) -> None:
    from prodops_sync.project import REPOSITORY

    assert run("init", str(tmp_path), "--version", "1.4.2")[0] == 0
    for name in WORKFLOWS:
        workflow = yaml.safe_load((tmp_path / ".github/workflows" / name).read_text())
        assert workflow["env"]["PRODOPS_SYNC_INSTALL"] == "prodops-sync==1.4.2"
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    assert hooks["repos"][0] == {
        "repo": REPOSITORY, "rev": "v1.4.2",
        "hooks": [{"id": "prodops-sync-validate"}, {"id": "prodops-sync-fmt"}],
    }
    assert hooks["repos"][1]["hooks"][0]["args"] == ["--number"]


def test_init_rejects_a_version_that_is_no_release(tmp_path: Path) -> None:
    code, out = run("init", str(tmp_path), "--version", "1.5.0.dev2")
    assert code == 2 and "not a release version" in out and "--from" in out
    assert not any(tmp_path.iterdir())
    code, out = run("init", str(tmp_path), "--version", "1.0.0", "--from", "./x")
    assert code == 2 and "exclude each other" in out


@pytest.mark.parametrize(("running", "pinned"), [
    ("0.3.0", "prodops-sync==0.3.0"),
    ("0.3.0rc1", "prodops-sync==0.3.0rc1"),
    ("0.3.1.dev0", None),
    ("0.3.0+local.1", None),
])
def test_default_source_pins_only_a_release(running: str, pinned: str | None) -> None:
    from prodops_sync.project import REPOSITORY, source_for

    source = source_for(running=running)
    if pinned:
        assert (source.pip, source.hook_rev, source.note) == (pinned, f"v{running}", "")
    else:
        assert source.pip == f"prodops-sync @ git+{REPOSITORY}@main"
        assert source.hook_rev is None
        assert "development build" in source.note and "--version X.Y.Z" in source.note


def test_init_of_a_development_build_says_what_it_installs(tmp_path: Path) -> None:
    from prodops_sync import __version__
    from prodops_sync.project import is_release

    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 0
    workflow = yaml.safe_load((tmp_path / ".github/workflows/sync.yml").read_text())
    if is_release(__version__):
        assert workflow["env"]["PRODOPS_SYNC_INSTALL"] == f"prodops-sync=={__version__}"
    else:
        assert "git+https://" in workflow["env"]["PRODOPS_SYNC_INSTALL"]
        assert "note: prodops-sync" in result.output and "development build" in result.output


def test_project_urls_agree_with_the_repository_constant() -> None:
    import tomllib

    from prodops_sync.project import REPOSITORY

    root = Path(__file__).resolve().parent.parent
    urls = tomllib.loads((root / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Source"] == REPOSITORY
    for doc in ("docs/ci.md", ".pre-commit-hooks.yaml", "action.yml"):
        assert REPOSITORY.removeprefix("https://github.com/") in (root / doc).read_text(), doc


# --- init inside an existing project -------------------------------------------------------------


def test_init_refuses_inside_an_existing_project(tmp_path: Path) -> None:
    assert run("init", str(tmp_path))[0] == 0
    for inner in (tmp_path / "playbook", tmp_path / "playbook" / "rituals", tmp_path / "sub"):
        before = tree(tmp_path)
        code, out = run("init", str(inner))
        assert code == 1, out
        assert f"is inside the prodops-sync project at {tmp_path}" in out
        assert "add a target to" in out
        assert tree(tmp_path) == before, "nothing written"
    # --force nests one anyway (a monorepo with two playbooks)
    assert run("init", str(tmp_path / "sub"), "--force")[0] == 0


def test_init_refuses_inside_a_playbook_without_configuration(tmp_path: Path) -> None:
    (tmp_path / "playbook" / "rituals").mkdir(parents=True)
    code, out = run("init", str(tmp_path / "playbook"))
    assert code == 1 and "is inside the prodops-sync project" in out


def test_validate_works_from_any_subdirectory(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("init", str(tmp_path))[0] == 0
    for where, shown in ((tmp_path, "playbook"), (tmp_path / "playbook", "."),
                         (tmp_path / "playbook" / "rituals", "..")):
        monkeypatch.chdir(where)
        code, out = run("validate")
        assert code == 0, out
        assert out.startswith(f"{shown}: 9 documents valid")
    # a typo in the configuration is reported from anywhere too, with file:line
    (tmp_path / "prodops-sync.yaml").write_text(
        (tmp_path / "prodops-sync.yaml").read_text().replace("playbook: playbook", "playbok: p"))
    code, out = run("validate")
    assert code == 2
    assert "prodops-sync.yaml:" in out and "did you mean 'playbook'?" in out


def test_validate_outside_any_project_says_what_to_do(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("validate")
    assert code == 2
    assert "no playbook/ directory and no prodops-sync.yaml" in out
    assert "pass the playbook directory" in out


def test_init_scaffolds_an_onboarding_page_and_a_commented_kind(tmp_path: Path) -> None:
    from prodops_sync.kinds import use
    from prodops_sync.playbook.loader import load_playbook

    assert run("init", str(tmp_path))[0] == 0
    config = tmp_path / "prodops-sync.yaml"
    with use(load_config(config).registry):  # the example is commented out: built-ins only
        pages = [d for d in load_playbook(tmp_path / "playbook").documents if d.kind == "page"]
    assert [(d.key, d.title) for d in pages] == [("pages/onboarding", "Welcome to product ops")]
    text = config.read_text()
    assert "# kinds:\n#   okr:\n#     dir: okrs" in text
    # Uncommented (with a schema for the records), the example is a working configuration.
    lines = text.splitlines()
    start = lines.index("# kinds:")
    uncommented = [ln[2:] if i >= start else ln for i, ln in enumerate(lines)]
    config.write_text("\n".join(uncommented) + "\n")
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas/okr.schema.json").write_text(
        '{"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}')
    registry = load_config(config).registry
    assert "okr" in registry and "release-tier" not in registry
    assert registry["okr"].patterns == ("okrs/*.md", "okrs/*.yaml")
