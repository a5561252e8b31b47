"""docs/tutorial.md parts 1 and 2, run as a new user would, in a temporary directory against the
local stand-ins: every shell block in order (only the port differs: the stand-in picks a free
one), the edit scripts saved under the names the text gives them, and every ```text block that
follows a shell block compared with what the commands printed: the figures in the tutorial
(documents, requests, writes) are the ones a real run prints.

When a change moves a figure (fewer requests, say), this test names the line: update
docs/tutorial.md with the new output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
EXE = Path(sys.executable).with_name("prodops-sync")
BLOCK = re.compile(r"```(sh|python|text)\n(.*?)```", flags=re.S)
STANDIN_URL = re.compile(r"http://127\.0\.0\.1:87\d\d")


@dataclass
class Step:
    """One fenced block of the tutorial: shell commands, a script to save, or expected output."""

    kind: str
    text: str
    name: str = ""  # the file a python block is saved as
    expected_after: bool = False  # a text block right after a sh block: its output


def _section(after: str, before: str) -> str:
    return TUTORIAL.partition(after)[2].partition(before)[0]


def steps(after: str, before: str) -> list[Step]:
    """The blocks of the tutorial between two headings, in order."""
    section = _section(after, before)
    out: list[Step] = []
    end = 0
    for match in BLOCK.finditer(section):
        kind, text = match.groups()
        between = section[end:match.start()]
        step = Step(kind, text)
        if kind == "python":
            names = re.findall(r"`([\w-]+\.py)`", between)
            assert names, f"the tutorial does not say what to call this script:\n{text}"
            step.name = names[-1]
        if kind == "text" and out and out[-1].kind == "sh" and not between.strip():
            step.expected_after = True
        out.append(step)
        end = match.end()
    return out


def commands(block: str) -> list[str]:
    """Shell commands of a block, continuation lines joined and comments dropped."""
    lines = []
    for line in block.replace("\\\n", " ").splitlines():
        command = line.split("  #")[0].strip()
        if command:
            lines.append(command)
    return lines


def missing_lines(expected: str, printed: str) -> list[str]:
    """Lines of ``expected`` not printed in that order; ``...`` stands for any lines. Spacing
    inside a line counts (tables are aligned), trailing spaces do not."""
    got = [line.rstrip() for line in printed.splitlines()]
    position, missing = 0, []
    for line in (ln.rstrip() for ln in expected.splitlines()):
        if line == "...":
            continue
        try:
            position = got.index(line, position) + 1
        except ValueError:
            missing.append(line)
    return missing


RETRIED = re.compile(r"(\d+) requests? \((?:([^()]*?), )?(\d+) retried\)")


def without_retries(printed: str) -> str:
    """The summaries as a run without rate-limit retries prints them: the stand-in limits
    requests as the wiki does, and whether one is retried depends on the machine's timing (a
    script's unpaced requests just before a run), not on what the tutorial shows."""
    def _drop(match: re.Match[str]) -> str:
        total, writes, retried = match.groups()
        count = int(total) - int(retried)
        tail = f" ({writes})" if writes else ""
        return f"{count} request{'' if count == 1 else 's'}{tail}"
    return RETRIED.sub(_drop, printed)


def test_without_retries_keeps_the_figures_a_calm_run_prints() -> None:
    assert without_retries("9 documents: 8 in sync, 1 to sync; 15 requests (1 retried)") == (
        "9 documents: 8 in sync, 1 to sync; 14 requests")
    assert without_retries("push done: 9 created; 37 requests (16 writes, 2 retried)") == (
        "push done: 9 created; 35 requests (16 writes)")
    assert without_retries("push done: 0 created; 12 requests (0 writes)") == (
        "push done: 0 created; 12 requests (0 writes)")


def test_missing_lines_is_strict_about_figures() -> None:
    printed = "create        charter\nx\npush done: 8 created; 28 requests (15 writes)\n"
    assert missing_lines("create        charter\n...\npush done: 8 created; 28 requests "
                         "(15 writes)\n", printed) == []
    assert missing_lines("push done: 8 created; 25 requests (15 writes)\n", printed) == [
        "push done: 8 created; 25 requests (15 writes)"]
    assert missing_lines("push done: 8 created; 28 requests (15 writes)\ncreate        charter",
                         printed) == ["create        charter"], "order matters"


@pytest.fixture
def standin(request: pytest.FixtureRequest) -> Iterator[str]:
    """Start `prodops-sync emulate KIND` with the tutorial's options on a free port."""
    kind: str = request.param
    command = next(c for step in steps("## 1.", "## 3.") if step.kind == "sh"
                   for c in commands(step.text) if c.startswith(f"prodops-sync emulate {kind}"))
    args = command.split()[1:]
    args[args.index("--port") + 1] = "0"
    proc = subprocess.Popen([str(EXE), *args], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert match, f"stand-in did not start: {first!r}"
        yield match.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.skipif(not EXE.exists(), reason="the prodops-sync console script is not installed")
@pytest.mark.parametrize(
    ("standin", "part", "end", "start", "edited"),
    [
        ("notion", "## 1.", "## 2.", ".", "Edited in Notion"),
        # part 2 starts where part 1 left off, inside my-playbook
        ("confluence", "## 2.", "## 3.", "my-playbook", "Edited in Confluence"),
    ],
    indirect=["standin"],
)
def test_tutorial_against_the_stand_in(standin: str, tmp_path: Path, part: str, end: str,
                                       start: str, edited: str) -> None:
    url = standin
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_STEP_SUMMARY", "NO_COLOR")}
    env.update({"PATH": f"{EXE.parent}{os.pathsep}{os.environ['PATH']}",
                "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
                "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    cwd = tmp_path / start
    cwd.mkdir(exist_ok=True)
    printed = ""
    checked = 0
    for step in steps(part, end):
        if step.kind == "python":
            (cwd / step.name).write_text(STANDIN_URL.sub(url, step.text), encoding="utf-8")
            continue
        if step.kind == "text":
            if step.expected_after:
                missing = missing_lines(STANDIN_URL.sub(url, step.text),
                                            without_retries(printed))
                assert not missing, (
                    f"docs/tutorial.md {part}: the output of the commands above no longer "
                    f"shows {missing}; they printed:\n{printed}")
                checked += 1
            continue
        printed = ""
        for command in commands(step.text):
            if command.startswith("prodops-sync emulate"):
                continue  # the fixture runs it
            if command.startswith("cd "):
                target = command.split()[1]
                cwd = cwd.parent if target == ".." else cwd / target
                continue
            if command.startswith("export "):
                for pair in command.split()[1:]:
                    name, _, value = pair.partition("=")
                    env[name] = value
                continue
            done = subprocess.run(STANDIN_URL.sub(url, command), shell=True, cwd=cwd, env=env,
                                  capture_output=True, text=True, timeout=300, check=False)
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            printed += done.stdout
    assert checked >= 2, "the tutorial shows the output of its commands"
    assert edited in (cwd / "playbook" / "charter.md").read_text(encoding="utf-8")
    # the wiki edit came back as a reviewable, committed-against change
    diff = subprocess.run(["git", "diff", "--stat"], cwd=cwd, env=env, capture_output=True,
                          text=True, check=True).stdout
    assert "playbook/charter.md" in diff


def test_part_2_starts_a_git_repository_like_part_1() -> None:
    for part, end in (("## 1.", "## 2."), ("## 2.", "## 3.")):
        shell = [c for s in steps(part, end) if s.kind == "sh" for c in commands(s.text)]
        assert any(c.startswith("git init") for c in shell), f"{part} lacks `git init`"
