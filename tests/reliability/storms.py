"""Fault storms: a first push, an update push and a pull run while the stand-in fails a
share of requests (429 with and without Retry-After, 500/502/503, dropped connections before
and after processing, client-side timeouts) or is restarted from its ``--data`` directory.

The engine runs in this process so the retry policy's sleep can be replaced by a recorder
(no real waiting) and its retry count read. A run that exhausts the retry budget must stop
with the documented resumable message; the storm then reruns (at most ``MAX_RUNS`` times)
and the end result must equal a fault-free run: same pages, no duplicate, same files.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prodops_sync.remotes.base import RemoteError
from prodops_sync.remotes.retry import RequestRunner, RetryPolicy
from prodops_sync.sync.config import Credentials, load_config
from prodops_sync.sync.engine import Engine, Report
from prodops_sync.sync.state import StateStore
from tests.reliability.harness import (
    FAKE_TOKEN,
    FAKE_USER,
    REPO,
    RITUAL_FILE,
    TARGET_NAME,
    Snapshot,
    World,
    cli_env,
    new_standin,
    snapshot,
    write_config,
)
from tests.reliability.scenarios import _update_push_changes, wiki_edits

MAX_RUNS = 12
RESUMABLE = "completed steps are saved, rerun to resume"
CLIENT_TIMEOUT = 0.25  # seconds; the stand-in holds "timeout" answers longer than this


@dataclass(frozen=True)
class Storm:
    """A fault pattern: a fraction of requests failing with one of ``kinds``."""

    name: str
    fraction: float
    kinds: tuple[str, ...]
    retry_after: bool = True
    """False: 429 answers lose their Retry-After header (the client must back off itself)."""
    restart_at: int | None = None
    """Restart the stand-in (a separate ``emulate --data`` process) at this request."""


STORMS = (
    Storm("429-10%", 0.10, ("429",)),
    Storm("429-50%", 0.50, ("429",)),
    Storm("429-10%-no-retry-after", 0.10, ("429",), retry_after=False),
    Storm("429-50%-no-retry-after", 0.50, ("429",), retry_after=False),
    Storm("5xx-10%", 0.10, ("500", "502", "503")),
    Storm("5xx-50%", 0.50, ("500", "502", "503")),
    Storm("drop-10%", 0.10, ("drop", "drop_after")),
    Storm("drop-50%", 0.50, ("drop", "drop_after")),
    Storm("timeout-10%", 0.10, ("timeout",)),
    Storm("mixed-30%", 0.30, ("429", "500", "502", "503", "drop", "drop_after", "timeout")),
    Storm("restart", 0.0, (), restart_at=25),
)
STORMS_BY_NAME = {s.name: s for s in STORMS}


@dataclass
class StormResult:
    """What a storm did and whether the outcome was right."""

    storm: str
    injected: int = 0
    retries: int = 0
    runs: int = 0
    gave_up: int = 0
    """Runs that stopped with the resumable retry-budget error (then rerun)."""
    sleeps: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """``finished`` or ``finished after N resumable stops``."""
        return "finished" if not self.gave_up else f"resumed x{self.gave_up}"


class _StripRetryAfter:
    """WSGI middleware removing Retry-After from answers (a server that sends bare 429s)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def strip(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() != "retry-after"]
            return start_response(status, kept, *args)

        return self.app(environ, strip)


class _Emulator:
    """``prodops-sync emulate KIND --data DIR`` in a separate process, restartable."""

    def __init__(self, kind: str, data: Path) -> None:
        self.kind, self.data = kind, data
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.proc: subprocess.Popen[str] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.root_page = ""

    def start(self) -> None:
        argv = [sys.executable, "-m", "prodops_sync", "emulate", self.kind, "--port",
                str(self.port), "--data", str(self.data), "--rate", "0"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=cli_env())
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("root page id:"):
                self.root_page = line.split(":", 1)[1].strip()
            if line.startswith("Press Ctrl-C"):
                return
        raise RuntimeError(f"emulate {self.kind} did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


def _engine(world: World, result: StormResult, seed: int, *, timeout: float | None) -> Engine:
    from prodops_sync.remotes.factory import open_remote

    config = load_config(world.config)
    target = config.target(TARGET_NAME[world.kind])
    remote: Any = open_remote(target, Credentials(token=FAKE_TOKEN, user=FAKE_USER))
    policy = RetryPolicy(base_delay=0.01, sleep=result.sleeps.append,
                         rng=random.Random(seed))
    remote.runner = RequestRunner(remote.runner.classify, policy=policy,
                                  service=remote.runner.service)
    if timeout is not None:
        if world.kind == "notion":
            import httpx

            remote.client.client.timeout = httpx.Timeout(timeout)
        else:
            remote.client.timeout = timeout
    store = StateStore(config.state_dir, TARGET_NAME[world.kind])
    return Engine(config.playbook_dir, remote, store)


def _open(kind: str, root: Path, standin: Any, url: str | None = None) -> World:
    from tests.reliability.harness import KillSwitch

    shutil.copytree(REPO / "playbook", root / "playbook")
    world = World(kind, standin, root, KillSwitch(lambda *a: [], None))
    write_config(root, kind, standin)
    return world


def _merge_changes(world: World) -> None:
    world.edit(RITUAL_FILE, "There is no meeting.", "There is no meeting at all.")
    wiki_edits(world)


STEPS: list[tuple[str, Callable[[World], None] | None]] = [
    ("push", None), ("push", _update_push_changes), ("pull", _merge_changes)
]
"""The sequence every storm runs: first push, local edits + push, wiki edits + pull."""


def _run_until_done(
    world: World, mode: str, result: StormResult, seed: int, timeout: float | None,
    on_request: Callable[[int], None] | None = None,
) -> Report | None:
    for attempt in range(MAX_RUNS):
        engine = _engine(world, result, seed * 100 + attempt, timeout=timeout)
        if on_request is not None:
            _hook_requests(engine, on_request)
        result.runs += 1
        try:
            report = engine.push() if mode == "push" else engine.pull()
        except RemoteError as exc:
            message = str(exc)
            if RESUMABLE not in message:
                result.problems.append(f"{mode}: unclear error: {message}")
                return None
            if FAKE_TOKEN in message:
                result.problems.append(f"{mode}: the error message contains the token")
            result.gave_up += 1
            continue
        finally:
            result.retries += engine.remote.runner.retries  # type: ignore[attr-defined]
        return report
    result.problems.append(f"{mode}: not finished after {MAX_RUNS} runs")
    return None


def _hook_requests(engine: Engine, on_request: Callable[[int], None]) -> None:
    runner: Any = engine.remote.runner  # type: ignore[attr-defined]
    original = runner.call

    def call(send: Callable[[], Any], **kwargs: Any) -> Any:
        def counted() -> Any:
            on_request(runner.requests)
            return send()

        return original(counted, **kwargs)

    runner.call = call


def expected_snapshots(kind: str, tmp: Path) -> list[Snapshot]:
    """The state after each storm step, from a fault-free in-process run."""
    standin = new_standin(kind).start()
    try:
        world = _open(kind, tmp, standin)
        return _steps_run(world, StormResult("clean"), seed=0, timeout=None)
    finally:
        standin.stop()


def _steps_run(
    world: World, result: StormResult, seed: int, timeout: float | None,
    on_request: Callable[[int], None] | None = None, faults: Callable[[], Any] | None = None,
) -> list[Snapshot]:
    snaps = []
    for mode, changes in STEPS:
        if changes is not None:
            changes(world)
        if faults is not None:
            faults()
        report = _run_until_done(world, mode, result, seed, timeout, on_request)
        if report is None:
            break
        if report.conflicts:
            result.problems.append(f"{mode}: unexpected conflicts {report.conflicts}")
        world.standin.faults.clear()
        snaps.append(snapshot(world))
    return snaps


def run_storm(kind: str, storm: Storm, tmp: Path, seed: int = 7) -> StormResult:
    """Run the storm's three steps under faults; compare each step with a fault-free run."""
    tmp.mkdir(parents=True, exist_ok=True)
    expected = expected_snapshots(kind, tmp / "clean")
    result = StormResult(storm.name)
    if storm.restart_at is not None:
        return _restart_storm(kind, storm, tmp, expected, result)
    standin: Any = new_standin(kind)
    if not storm.retry_after:
        standin.wsgi_app = _StripRetryAfter(standin.wsgi_app)
    standin.faults.timeout_delay = CLIENT_TIMEOUT * 2
    standin.start()
    try:
        world = _open(kind, tmp / "storm", standin)

        def faults() -> None:
            standin.faults.fail_fraction(storm.fraction, storm.kinds, seed=seed)

        timeout = CLIENT_TIMEOUT if "timeout" in storm.kinds else None
        got = _steps_run(world, result, seed, timeout, faults=faults)
        result.injected = len(standin.faults.injected)
    finally:
        standin.stop()
    _compare(got, expected, result)
    # The stand-in answers 429 with Retry-After: 1; the client must wait that long.
    honoured = 1.0 in result.sleeps
    if storm.retry_after and "429" in storm.kinds and result.sleeps and not honoured:
        result.problems.append("Retry-After was not honoured")
    return result


def _restart_storm(
    kind: str, storm: Storm, tmp: Path, expected: list[Snapshot], result: StormResult
) -> StormResult:
    """The stand-in process is SIGKILLed at a request and restarted from its data directory
    while the client backs off; the client must carry on where it was."""
    emulator = _Emulator(kind, tmp / "data")
    emulator.start()
    state: dict[str, bool] = {"killed": False}
    try:
        proxy = _RemoteStandin(kind, emulator)
        world = _open(kind, tmp / "storm", proxy)

        def on_request(n: int) -> None:
            if not state["killed"] and n >= (storm.restart_at or 0):
                state["killed"] = True
                emulator.kill()
                result.injected += 1

        original_sleep = result.sleeps.append

        def sleep(seconds: float) -> None:
            original_sleep(seconds)
            if emulator.proc is None:
                emulator.start()  # the restart happens while the client backs off

        got = []
        # Wiki edits need the stand-in in this process: the restart storm pushes only.
        for mode, changes in STEPS[:2]:
            if changes is not None:
                changes(world)
            for attempt in range(MAX_RUNS):
                engine = _engine(world, result, attempt, timeout=None)
                engine.remote.runner.policy.sleep = sleep  # type: ignore[attr-defined]
                _hook_requests(engine, on_request)
                result.runs += 1
                try:
                    engine.push() if mode == "push" else engine.pull()
                except RemoteError as exc:
                    if RESUMABLE not in str(exc):
                        result.problems.append(f"{mode}: unclear error: {exc}")
                        break
                    result.gave_up += 1
                    continue
                finally:
                    result.retries += engine.remote.runner.retries  # type: ignore[attr-defined]
                break
            got.append(snapshot(world))
        if not result.injected:
            result.problems.append("the stand-in was never restarted")
    finally:
        emulator.kill()
    _compare(got, expected[:2], result)
    return result


class _RemoteStandin:
    """Enough of a stand-in's interface for a World whose stand-in is another process."""

    def __init__(self, kind: str, emulator: _Emulator) -> None:
        self.kind, self.emulator = kind, emulator
        self.root_page_id = emulator.root_page
        self.url = emulator.url

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"the restart storm's stand-in is a separate process ({name})")


def _compare(got: list[Snapshot], expected: list[Snapshot], result: StormResult) -> None:
    if len(got) != len(expected):
        result.problems.append(f"only {len(got)} of {len(expected)} steps finished")
    for step, (g, e) in enumerate(zip(got, expected, strict=False), 1):
        result.problems += [f"step {step}: {d}" for d in g.diff(e)]


def wait_port(port: int, timeout: float = 10.0) -> None:
    """Wait until something listens on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(port)
