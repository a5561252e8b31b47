"""Secrets: a recognisable fake token in the environment never shows up anywhere.

Every command runs as a subprocess with the fake token in the variables the config names
(and in NOTION_TOKEN / CONFLUENCE_TOKEN), through success paths, ``--format json``,
progress lines, a 401 and an internal error with a traceback; then stdout, stderr, the sync
state, every playbook file, every file in the workspace and the recorded cassettes are
searched for the token (and for its Basic-auth encoding).
"""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import (
    FAKE_TOKEN,
    FAKE_USER,
    REPO,
    TOKEN_ENV,
    World,
    cli_env,
    open_world,
)

FORBIDDEN = [
    FAKE_TOKEN,
    FAKE_TOKEN[8:30],  # any recognisable fragment
    base64.b64encode(f"{FAKE_USER}:{FAKE_TOKEN}".encode()).decode(),
]
COMMANDS: list[tuple[str, ...]] = [
    ("validate", "playbook"),
    ("validate", "playbook", "--format", "json"),
    ("fmt", "--check", "playbook"),
    ("convert", "--from", "markdown", "--to", "notion", "playbook/charter.md"),
    ("convert", "--from", "markdown", "--to", "confluence", "playbook/charter.md"),
    ("plan", "@config"),
    ("status", "@config", "--format", "json"),
    ("push", "@config", "--dry-run"),
    ("push", "@config"),
    ("push", "@config", "--format", "json"),
    ("pull", "@config"),
    ("pull", "@config", "--format", "json"),
    ("plan", "@config", "--format", "json"),
]


def _leaks(texts: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{where}: contains {secret[:12]}..." for where, text in texts
            for secret in FORBIDDEN if secret in text]


def _files(root: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield str(path.relative_to(root)), path.read_text(encoding="utf-8", errors="replace")


def _run(
    world: World, args: tuple[str, ...], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    argv = [a for a in args if a != "@config"]
    if "@config" in args:
        argv += ["--config", str(world.config)]
    return subprocess.run([sys.executable, "-m", "prodops_sync", *argv], cwd=world.root,
                          env=env, capture_output=True, text=True, timeout=120)


def _env() -> dict[str, str]:
    env = cli_env()
    env.update({"NOTION_TOKEN": FAKE_TOKEN, "CONFLUENCE_TOKEN": FAKE_TOKEN,
                "CONFLUENCE_USER": FAKE_USER})
    return env


@pytest.fixture(params=["notion", pytest.param("confluence", marks=pytest.mark.slow)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    w = open_world(request.param, tmp_path)
    try:
        yield w
    finally:
        w.standin.stop()


def test_every_command_keeps_the_token_out_of_output_and_files(world: World) -> None:
    outputs: list[tuple[str, str]] = []
    for args in COMMANDS:
        result = _run(world, args, _env())
        assert result.returncode in (0, 3), (args, result.stderr[-500:])
        outputs += [(f"{' '.join(args)} stdout", result.stdout),
                    (f"{' '.join(args)} stderr", result.stderr)]
    # A wiki edit so that pull writes files, then pull again.
    world.edit("rituals/weekly-product-update.md", "There is no meeting.", "No meeting.")
    outputs += [("push", _run(world, ("push", "@config"), _env()).stderr)]
    assert _leaks(outputs) == []
    assert _leaks(_files(world.root)) == []  # state, playbook, anything written


def test_rejected_token_error_names_the_variable_not_the_token(tmp_path: Path) -> None:
    for kind in ("notion", "confluence"):
        world = open_world(kind, tmp_path / kind, token="the-right-token")
        try:
            for args in (("plan", "@config"), ("push", "@config"), ("pull", "@config"),
                         ("push", "@config", "--format", "json")):
                result = _run(world, args, _env())
                assert result.returncode == 1, (kind, args, result.stdout, result.stderr)
                assert "401" in result.stderr
                assert TOKEN_ENV in result.stderr  # the variable to fix
                assert "Traceback" not in result.stderr
                assert _leaks([("stdout", result.stdout), ("stderr", result.stderr)]) == []
            assert _leaks(_files(world.root)) == []
        finally:
            world.standin.stop()


class _Garbage:
    """WSGI middleware answering every read with a JSON shape no adapter expects, to drive
    the client into an unexpected exception (a traceback path)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ["REQUEST_METHOD"] in ("GET", "POST"):
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"results": [{"id": 1, "properties": 7}], "unexpected": true}']
        return self.app(environ, start_response)


def test_internal_errors_and_tracebacks_do_not_show_the_token(world: World) -> None:
    assert _run(world, ("push", "@config"), _env()).returncode == 0
    world.switch.app = _Garbage(world.switch.app)
    for args in (("plan", "@config"), ("push", "@config"), ("pull", "@config", "--format",
                                                               "json")):
        result = _run(world, args, _env())
        # (Confluence reads the malformed listing as "no pages": see docs/reliability.md.)
        assert _leaks([("stdout", result.stdout), ("stderr", result.stderr)]) == []
    assert _leaks(_files(world.root)) == []


def test_cassettes_hold_no_credentials() -> None:
    from tests.conftest import find_tokens

    cassettes = sorted((REPO / "tests" / "cassettes").glob("*.yaml"))
    assert cassettes
    for path in cassettes:
        text = path.read_text(encoding="utf-8")
        assert find_tokens(text) == [], path
        assert "authorization:" not in text.lower(), path


def test_credentials_repr_hides_the_token() -> None:
    from prodops_sync.sync.config import Credentials

    creds = Credentials(token=FAKE_TOKEN, user=FAKE_USER)
    assert FAKE_TOKEN not in repr(creds) and FAKE_TOKEN not in str(creds)
