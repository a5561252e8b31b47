"""docs/tutorial.md parts 1 and 2, run as a new user would: the commands and the edit scripts are
taken from the tutorial itself and run against the local stand-ins (only the port differs: the
stand-in picks a free one)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
EXE = Path(sys.executable).with_name("prodops-sync")


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", TUTORIAL, flags=re.S)


def _shell_lines(after: str, before: str) -> list[str]:
    """The shell commands of the tutorial between two headings, continuation lines joined."""
    section = TUTORIAL.partition(after)[2].partition(before)[0]
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split("  #")[0].strip()
            if command:
                lines.append(command)
    return lines


@pytest.fixture
def standin(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[str]]]:
    """Start `prodops-sync emulate KIND` with the tutorial's options on a free port."""
    kind: str = request.param
    command = next(c for c in _shell_lines("## 1.", "## 3.")
                   if c.startswith(f"prodops-sync emulate {kind}"))
    args = command.split()[1:]
    args[args.index("--port") + 1] = "0"
    proc = subprocess.Popen([str(EXE), *args], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert match, f"stand-in did not start: {first!r}"
        yield match.group(0), args
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _run(
    cwd: Path, command: str, url: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    command = re.sub(r"http://127\.0\.0\.1:87\d\d", url, command)
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.mark.skipif(not EXE.exists(), reason="the prodops-sync console script is not installed")
@pytest.mark.parametrize(
    ("standin", "part", "end", "script", "edited"),
    [
        ("notion", "## 1.", "### Edit in the wiki", 0, "Edited in Notion"),
        ("confluence", "## 2.", "Each collection (Rituals", 1, "Edited in Confluence"),
    ],
    indirect=["standin"],
)
def test_tutorial_against_the_stand_in(standin: tuple[str, list[str]], tmp_path: Path,
                                       part: str, end: str, script: int, edited: str) -> None:
    url, _ = standin
    env = {**os.environ, "PATH": f"{EXE.parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    cwd = tmp_path / "my-playbook"  # part 2 starts where part 1 left off
    cwd.mkdir()
    commands = [c for c in _shell_lines(part, end) if not c.startswith("prodops-sync emulate")]
    for command in commands:
        if command.startswith("cd "):
            target = command.split()[1]
            cwd = cwd.parent if target == ".." else cwd / target
            continue
        if command.startswith("export "):
            for pair in command.split()[1:]:
                name, _, value = pair.partition("=")
                env[name] = value
            continue
        done = _run(cwd, command, url, env)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    # the wiki edit (the tutorial's script), then pull, as the tutorial goes on
    edit = re.sub(r"http://127\.0\.0\.1:87\d\d", url, _python_blocks()[script])
    (cwd / "edit.py").write_text(edit)
    done = subprocess.run([sys.executable, "edit.py"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    pulled = _run(cwd, "prodops-sync pull", url, env)
    assert pulled.returncode == 0, pulled.stderr
    assert edited in (cwd / "playbook" / "charter.md").read_text()
