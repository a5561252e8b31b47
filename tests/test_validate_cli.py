"""`prodops-sync validate` through click's CliRunner: formats, exit codes, file arguments."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from prodops_sync.cli import main
from prodops_sync.validate.report import escape_data, escape_property

EXAMPLE = Path(__file__).resolve().parent.parent / "playbook"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding a copy of the example playbook as ./playbook."""
    shutil.copytree(EXAMPLE, tmp_path / "playbook")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def break_cadence(root: Path) -> None:
    path = root / "playbook/rituals/weekly-product-update.md"
    path.write_text(path.read_text().replace("cadence: weekly", "cadence: sometimes"))


def test_valid_playbook_prints_summary_and_exits_0(workdir: Path) -> None:
    code, out = run()
    assert code == 0
    assert out.splitlines() == [
        "playbook: 24 documents valid (charter 1, operating-model 1, insights-pipeline 1, "
        "rollout-plan 1, risks 1, ritual 5, template 6, release-tier 3, decision 5)"]


def test_text_format_names_file_line_field(workdir: Path) -> None:
    break_cadence(workdir)
    code, out = run("playbook")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("playbook/rituals/weekly-product-update.md:3:10: error: $.cadence: "
                            "'sometimes' is not one of [")
    assert first.endswith("[schema]")
    assert "\x1b[" not in out  # no colour when not on a terminal
    assert out.splitlines()[-1] == "playbook: invalid - 1 error, 0 warnings in 24 documents"


def test_colour_on_a_terminal(workdir: Path) -> None:
    break_cadence(workdir)
    result = CliRunner().invoke(main, ["validate"], color=True)
    assert "\x1b[31m" in result.output


def test_github_format_and_step_summary(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    break_cadence(workdir)
    summary = workdir / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out = run("--format", "github")
    assert code == 1
    line = out.splitlines()[0]
    assert line.startswith("::error file=playbook/rituals/weekly-product-update.md,line=3,col=10,"
                           "title=prodops-sync schema::$.cadence: 'sometimes' is not one of")
    table = summary.read_text()
    assert "| Severity | File | Line | Field | Problem | Rule |" in table
    assert "| error | `playbook/rituals/weekly-product-update.md` | 3 | `$.cadence` |" in table


def test_github_warning_and_strict(workdir: Path) -> None:
    path = workdir / "playbook/templates/quarterly-plan.md"
    path.write_text(path.read_text().replace("## Product ops retro", "#### Product ops retro"))
    code, out = run("--format", "github")
    assert code == 0
    assert out.startswith("::warning file=playbook/templates/quarterly-plan.md,line=")
    code, _ = run("--strict")
    assert code == 1


def test_workflow_command_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_json_format_is_stable(workdir: Path) -> None:
    break_cadence(workdir)
    code, out = run("--format", "json")
    assert code == 1
    data = json.loads(out)
    assert set(data) == {"version", "playbook", "valid", "strict", "summary", "problems"}
    assert data["version"] == 1 and data["valid"] is False and data["playbook"] == "playbook"
    assert data["summary"]["errors"] == 1 and data["summary"]["documents"] == 24
    assert data["problems"] == [{
        "file": "rituals/weekly-product-update.md",
        "path": "playbook/rituals/weekly-product-update.md",
        "line": 3, "column": 10, "field": "$.cadence",
        "message": data["problems"][0]["message"],
        "severity": "error", "code": "schema"}]


def test_missing_directory_exits_2(workdir: Path) -> None:
    code, out = run("nowhere")
    assert code == 2
    assert "does not exist" in out


def test_bad_option_exits_2(workdir: Path) -> None:
    code, _ = run("--format", "xml")
    assert code == 2


def test_binary_file_exits_1_without_traceback(workdir: Path) -> None:
    (workdir / "playbook/decisions/0009-image.md").write_bytes(b"\x00\x01\x02")
    code, out = run()
    assert code == 1
    assert "playbook/decisions/0009-image.md:1:1: error: $: binary file" in out
    assert "Traceback" not in out


def test_file_arguments_validate_their_playbook(workdir: Path) -> None:
    break_cadence(workdir)
    code, out = run("playbook/rituals/weekly-product-update.md", "playbook/charter.md")
    assert code == 1
    assert out.count("playbook: invalid") == 1  # one playbook, validated once


def test_file_outside_a_playbook_is_a_usage_error(workdir: Path) -> None:
    (workdir / "notes.txt").write_text("x")
    code, _ = run("notes.txt")
    assert code == 2


def test_other_directory_and_absolute_path(workdir: Path) -> None:
    shutil.move(workdir / "playbook", workdir / "ops")
    code, out = run(str(workdir / "ops"))
    assert code == 0
    assert out.startswith("ops: 24 documents valid")
