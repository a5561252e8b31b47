"""Errors a new user meets first, each one line naming what failed, where and what to do:
a wrong Confluence url is not blamed on the space; a mistyped space or target gets a
"did you mean"; a configuration typo names file:line (more in tests/test_config.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from prodops_sync.cli import main


def _plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> tuple[int, str]:
    (tmp_path / "playbook").mkdir(exist_ok=True)
    (tmp_path / "prodops-sync.yaml").write_text(f"targets:\n{target}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONFLUENCE_USER", "me@example.com")
    monkeypatch.setenv("CONFLUENCE_TOKEN", "any")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = CliRunner().invoke(main, ["plan"])
    return result.exit_code, result.output


def _confluence(url: str, space: str = "PLAY", extra: str = "") -> str:
    return (f"  wiki:\n    type: confluence\n    url: {url}\n    space: {space}\n"
            f"    user_env: CONFLUENCE_USER\n    token_env: CONFLUENCE_TOKEN\n{extra}")


def test_a_wrong_url_path_blames_the_url_not_the_space(
    confluence_standin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{confluence_standin.url}/confluence"  # the stand-in serves / and /wiki only
    code, out = _plan(tmp_path, monkeypatch, _confluence(url))
    assert code == 1
    line = out.strip()
    assert "\n" not in line
    assert f"{url}/rest/api/space answers 404 too, so url is not a Confluence REST API" in line
    assert "check url in the configuration" in line and "atlassian.net/wiki" in line
    assert "space 'PLAY' exist" not in line


def test_a_mistyped_space_names_the_close_one(
    confluence_standin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = confluence_standin.url  # the cloud flavour serves under /wiki
    code, out = _plan(tmp_path, monkeypatch, _confluence(url, space="PLAX"))
    assert code == 1
    assert "space 'PLAX' not found (404)" in out and "(did you mean 'PLAY'?)" in out
    assert "spaces the user can see: PLAY" in out
    assert "check space in the configuration" in out


def test_a_missing_parent_page_names_parent_page(
    confluence_standin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = confluence_standin.url  # the cloud flavour serves under /wiki
    code, out = _plan(tmp_path, monkeypatch,
                      _confluence(url, extra='    parent_page: "987654321"\n'))
    assert code == 1
    assert "parent_page '987654321' not found (404)" in out and "check parent_page" in out


def test_unknown_target_lists_the_configured_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "prodops-sync.yaml").write_text(
        "targets:\n  notion-prod:\n    type: notion\n    root_page: a\n"
        + _confluence("https://x.atlassian.net/wiki"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["push", "--target", "notion-prd"])
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "no target named 'notion-prd' (did you mean 'notion-prod'?); "
        "configured targets: notion-prod, wiki")
