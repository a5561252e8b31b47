"""Command-line conventions a new user relies on: NO_COLOR on a real terminal, exit 130 on
Ctrl-C, counts in the singular, `fmt --format json`, completion of target names and kinds."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from prodops_sync.cli import EXIT_INTERRUPTED, color_allowed, main
from prodops_sync.wording import plural

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).with_name("prodops-sync")
ESC = b"\x1b["


def _under_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> bytes:
    """Run prodops-sync with stdout and stderr on a pseudo-terminal; return what it printed."""
    primary, secondary = pty.openpty()
    command = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "prodops_sync"]
    proc = subprocess.Popen([*command, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=secondary, stderr=secondary)
    os.close(secondary)
    out = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(primary)
    return out


@pytest.fixture
def broken_playbook(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "playbook", tmp_path / "playbook")
    ritual = tmp_path / "playbook" / "rituals" / "weekly-product-update.md"
    ritual.write_text(ritual.read_text().replace("cadence: weekly", "cadence: sometimes"))
    return tmp_path


def test_no_color_is_respected_on_a_terminal(broken_playbook: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    coloured = _under_a_terminal(["validate"], broken_playbook, env)
    assert b"sometimes" in coloured
    assert coloured.count(ESC) > 0, "validate colours its output on a terminal"
    plain = _under_a_terminal(["validate"], broken_playbook, {**env, "NO_COLOR": "1"})
    assert b"sometimes" in plain
    assert plain.count(ESC) == 0, plain
    # the same for a command whose output is not validate's
    plain_fmt = _under_a_terminal(["fmt", "--check"], broken_playbook, {**env, "NO_COLOR": "1"})
    assert plain_fmt.count(ESC) == 0


def test_no_color_follows_the_convention() -> None:
    assert color_allowed({}) is True
    assert color_allowed({"NO_COLOR": ""}) is True  # empty means unset (no-color.org)
    assert color_allowed({"NO_COLOR": "1"}) is False
    assert color_allowed({"NO_COLOR": "0"}) is False  # any value


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import prodops_sync.cli.validate as validate_cli

    def interrupted(_root: Path, **_options: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(validate_cli, "check_playbook", interrupted)
    (tmp_path / "playbook").mkdir()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == EXIT_INTERRUPTED == 130
    assert "interrupted" in result.output and "Aborted" not in result.output


@pytest.mark.parametrize(("count", "noun", "text"), [
    (1, "request", "1 request"), (0, "request", "0 requests"), (2, "write", "2 writes"),
    (1, "conflict", "1 conflict"), (3, "entry", "3 entries"), (1, "retry", "1 retry"),
])
def test_plural(count: int, noun: str, text: str) -> None:
    assert plural(count, noun) == text


def test_sync_summary_line_is_singular_for_one() -> None:
    from prodops_sync.cli.sync import summary_line
    from prodops_sync.sync.engine import Report

    report = Report(mode="push", items=[])
    report.requests, report.writes = 1, 1
    assert summary_line(report).endswith("0 conflicts; 1 request (1 write)")


def test_fmt_format_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    playbook = tmp_path / "playbook"
    playbook.mkdir()
    (playbook / "ok.md").write_text("# Title\n\nText.\n")
    (playbook / "bad.md").write_text("Title\n=====\n\n_x_\n")
    monkeypatch.chdir(tmp_path)
    checked = CliRunner().invoke(main, ["fmt", "--check", "--format", "json"])
    assert checked.exit_code == 1
    data = json.loads(checked.output)
    assert data == {"version": 1, "check": True, "files": 2,
                    "changed": ["playbook/bad.md"], "unreadable": []}
    written = CliRunner().invoke(main, ["fmt", "--format", "json"])
    assert written.exit_code == 0 and json.loads(written.output)["changed"] == ["playbook/bad.md"]
    assert (playbook / "bad.md").read_text() == "# Title\n\n*x*\n"
    again = CliRunner().invoke(main, ["fmt", "--check", "--format", "json"])
    assert again.exit_code == 0 and json.loads(again.output)["changed"] == []


def test_fmt_works_from_inside_the_playbook(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "playbook" / "rituals").mkdir(parents=True)
    (tmp_path / "playbook" / "rituals" / "x.md").write_text("Title\n=====\n")
    monkeypatch.chdir(tmp_path / "playbook" / "rituals")
    result = CliRunner().invoke(main, ["fmt", "--check"])
    assert result.exit_code == 1
    assert "../rituals/x.md: not in canonical form" in result.output


# --- completion ----------------------------------------------------------------------------------


def _complete(words: str, cwd: Path) -> list[str]:
    command = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "prodops_sync"]
    env = {**os.environ, "_PRODOPS_SYNC_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split(" ")) - 1)}
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line]


CONFIG = ("targets:\n  notion-prod:\n    type: notion\n    root_page: a\n"
          "  wiki:\n    type: confluence\n    url: https://x.atlassian.net/wiki\n    space: P\n")


@pytest.mark.parametrize("command", ["plan", "push", "pull", "status", "diff", "resolve"])
def test_completion_offers_the_configured_target_names(tmp_path: Path, command: str) -> None:
    (tmp_path / "prodops-sync.yaml").write_text(CONFIG)
    (tmp_path / "playbook" / "rituals").mkdir(parents=True)
    deep = tmp_path / "playbook" / "rituals"  # found upward, like every command
    assert _complete(f"prodops-sync {command} --target ", deep) == [
        "plain,notion-prod", "plain,wiki"]
    assert _complete(f"prodops-sync {command} -t w", deep) == ["plain,wiki"]


def test_completion_reads_the_config_named_on_the_line(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(CONFIG.replace("wiki:", "space-wiki:"))
    assert "plain,space-wiki" in _complete("prodops-sync push --config other.yaml --target ",
                                           tmp_path)


def test_completion_without_a_config_offers_nothing_and_prints_no_error(tmp_path: Path) -> None:
    assert _complete("prodops-sync push --target ", tmp_path) == []
    (tmp_path / "prodops-sync.yaml").write_text("targets: [\n")
    assert _complete("prodops-sync push --target ", tmp_path) == []


def test_completion_offers_kinds(tmp_path: Path) -> None:
    offered = {line.split(",", 1)[1] for line in _complete("prodops-sync convert --kind ",
                                                             tmp_path)}
    assert {"charter", "ritual", "template", "decision", "release-tier"} <= offered
    assert _complete("prodops-sync convert --kind ri", tmp_path) == ["plain,risks",
                                                                     "plain,ritual"]


def test_every_command_is_in_completion_doc() -> None:
    text = (ROOT / "docs" / "completion.md").read_text(encoding="utf-8")
    ctx = click.Context(main)
    for name in main.list_commands(ctx):  # type: ignore[attr-defined]
        assert f"`{name}`" in text, f"docs/completion.md does not list {name}"


def test_visible_shows_control_and_bidi_characters_instead_of_acting() -> None:
    from prodops_sync.wording import visible

    shown = visible("pwn\x1b[31m\u202e.png\r::error::x\ttab")
    assert "\x1b" not in shown and "\u202e" not in shown and "\r" not in shown
    assert shown == "pwn\\u001b[31m\\u202e.png\\u000d::error::x\ttab"
