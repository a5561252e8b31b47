"""`prodops-sync demo`, the README's main-job command, end to end on both stand-ins."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from prodops_sync.cli import main
from prodops_sync.demo import NEW_TEXT, OLD_TEXT, run_demo


@pytest.mark.parametrize("target", ["notion", "confluence"])
def test_demo_pulls_the_wiki_edit_back_as_a_diff(tmp_path: Path, target: str) -> None:
    lines: list[str] = []
    result = run_demo(tmp_path / "demo", target, echo=lines.append)
    assert result.push_writes >= 24  # one page per document at least
    assert f"-- {OLD_TEXT}" in result.pull_diff and f"+- {NEW_TEXT}" in result.pull_diff
    assert result.second_push_writes == 0
    edited = (tmp_path / "demo" / "playbook" / "rituals" / "weekly-product-update.md")
    assert NEW_TEXT in edited.read_text(encoding="utf-8")
    assert any(line.startswith("6. prodops-sync push again") for line in lines)


def test_demo_command_prints_each_step(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    for step in ("1. ", "2. ", "3. prodops-sync push", "5. prodops-sync pull", "Done."):
        assert step in result.output
