"""Shared checks for the attack suite (``test_attacks.py``): what must hold after any
hostile input, whatever the case.

:func:`assert_held` is the contract of issue #13: no file outside the playbook, no secret in
any output or file, no raw control character or workflow command from remote text, no
traceback. Each case adds its own check that nothing was lost and the message is clear.
"""

from __future__ import annotations

import base64
import os
import unicodedata
from pathlib import Path
from typing import Any

from tests.reliability.harness import FAKE_TOKEN, FAKE_USER, CliResult, World


def secret_forms(token: str = FAKE_TOKEN, user: str = FAKE_USER) -> list[str]:
    """Every form the test credential could leak in."""
    pair = f"{user}:{token}"
    return [
        token, token[4:],  # also without the recognisable prefix
        base64.b64encode(token.encode()).decode(),
        base64.b64encode(pair.encode()).decode(),
    ]


def tree(root: Path) -> set[Path]:
    """Every file and directory below ``root``."""
    return set(root.rglob("*")) if root.exists() else set()


def assert_clean_output(result: CliResult) -> None:
    """No traceback, no secret, no raw control character, no workflow command."""
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert "Traceback" not in text, f"{stream}: {text[-2000:]}"
        for secret in secret_forms():
            assert secret not in text, f"{stream} leaks the token: {text[-1000:]}"
        for line in text.split("\n"):
            assert not line.lstrip().startswith("::"), f"{stream}: workflow command {line!r}"
            raw = [c for c in line if c != "\t" and unicodedata.category(c)[0] == "C"]
            assert not raw, f"{stream}: raw control characters {raw!r} in {line!r}"


def assert_no_secret_in_files(world: World) -> None:
    """No file of the workspace (playbook, state, summaries) holds the credential."""
    for path in world.root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            for secret in secret_forms():
                assert secret.encode() not in data, f"{path} holds the token"


def assert_nothing_outside(world: World, before: set[Path]) -> None:
    """Nothing new outside the playbook and the state directory (checked from the
    workspace's parent, so ``../..`` escapes are seen)."""
    allowed = (world.playbook, world.root / ".prodops-sync", world.root / "summary.md",
               world.root / "summary-dir")  # the cases' own step summaries
    new = [p for p in tree(world.root.parent) - before
           if not any(p == a or a in p.parents for a in allowed)]
    assert not new, f"files created outside the playbook: {sorted(map(str, new))}"


def assert_held(world: World, before: set[Path], *results: CliResult) -> None:
    """The whole contract, for every run of a case."""
    for result in results:
        assert_clean_output(result)
    assert_no_secret_in_files(world)
    assert_nothing_outside(world, before)


def summary_env(world: World, path: Path | str) -> dict[str, str]:
    """The CLI environment with a GitHub step summary file."""
    from tests.reliability.harness import cli_env

    env = cli_env()
    env["GITHUB_STEP_SUMMARY"] = str(path)
    return env


def failing_os_env(world: World, errno_name: str, function: str = "replace") -> dict[str, str]:
    """The CLI environment with ``os.<function>`` failing with ``errno_name`` inside the
    playbook (disk full, read-only file system), through a ``sitecustomize`` module."""
    from tests.reliability.harness import cli_env

    hook = world.root.parent / "oshook"
    hook.mkdir(exist_ok=True)
    playbook = str(world.playbook.resolve())
    (hook / "sitecustomize.py").write_text(
        "import errno, os\n"
        f"_real = os.{function}\n"
        "def _failing(*args, **kwargs):\n"
        f"    if any(str(a).startswith({playbook!r}) for a in args):\n"
        f"        raise OSError(errno.{errno_name}, os.strerror(errno.{errno_name}), "
        "str(args[-1]))\n"
        "    return _real(*args, **kwargs)\n"
        f"os.{function} = _failing\n",
        encoding="utf-8",
    )
    env = cli_env()
    env["PYTHONPATH"] = os.pathsep.join([str(hook), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def notion_rich(text: str) -> dict[str, Any]:
    """A Notion rich_text property value."""
    return {"rich_text": [{"text": {"content": text}}]}
