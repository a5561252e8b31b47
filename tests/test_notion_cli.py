"""`prodops-sync fmt` and `prodops-sync convert` (Notion directions)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from prodops_sync.cli.convert import convert
from prodops_sync.cli.fmt import fmt

PLAYBOOK = Path(__file__).resolve().parent.parent / "playbook"


def test_fmt_check_and_rewrite(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# Title\n\n- a\n")
    bad = tmp_path / "bad.md"
    bad.write_text("Title\n=====\n\n* a\n")
    runner = CliRunner()
    result = runner.invoke(fmt, ["--check", str(tmp_path)])
    assert result.exit_code == 1 and "bad.md" in result.output and "good.md" not in result.output
    assert runner.invoke(fmt, [str(tmp_path)]).exit_code == 0
    assert bad.read_text() == "# Title\n\n- a\n"
    assert runner.invoke(fmt, ["--check", str(tmp_path)]).exit_code == 0


def test_fmt_check_passes_on_playbook() -> None:
    result = CliRunner().invoke(fmt, ["--check", str(PLAYBOOK)])
    assert result.exit_code == 0, result.output


def test_fmt_missing_path_is_usage_error(tmp_path: Path) -> None:
    assert CliRunner().invoke(fmt, [str(tmp_path / "nope")]).exit_code == 2


def test_convert_markdown_to_notion_and_back() -> None:
    runner = CliRunner()
    out = runner.invoke(convert, ["--from", "markdown", "--to", "notion", "-"],
                        input="# T\n\n- [x] done\n")
    blocks = json.loads(out.output)
    assert [b["type"] for b in blocks] == ["heading_1", "to_do"]
    back = runner.invoke(convert, ["--from", "notion", "--to", "markdown", "-"], input=out.output)
    assert back.output == "# T\n\n- [x] done\n"


def test_convert_playbook_with_kind() -> None:
    path = PLAYBOOK / "rituals" / "weekly-product-update.md"
    runner = CliRunner()
    out = runner.invoke(convert, ["--from", "markdown", "--to", "notion", "--kind", "ritual",
                                  str(path)])
    assert out.exit_code == 0, out.output
    page = json.loads(out.output)
    assert page["properties"]["Name"]["title"][0]["text"]["content"] == "Weekly Product Update"
    back = runner.invoke(convert, ["--from", "notion", "--to", "markdown", "--kind", "ritual",
                                   "-"], input=out.output)
    assert back.exit_code == 0
    assert back.output.split("\n---\n", 1)[1] == path.read_text().split("\n---\n", 1)[1]


def test_convert_bad_json_is_one_line_error() -> None:
    result = CliRunner().invoke(convert, ["--from", "notion", "--to", "markdown", "-"],
                                input="{not json")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "not JSON" in result.output
