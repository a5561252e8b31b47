"""Crash and fault harness: the real CLI in a subprocess against a stand-in in this process.

A :class:`World` is one stand-in (Notion or Confluence, served on 127.0.0.1 from a thread of
the test process) plus a workspace (a copy of the example playbook and a prodops-sync.yaml
pointing at the stand-in). :func:`run_cli` runs ``python -m prodops_sync push|pull`` as a
separate process. A :class:`KillSwitch` wrapped around the stand-in's WSGI app counts the
requests it receives and, at request N, lets the stand-in process the request and then
SIGKILLs (or SIGINTs) the client before the answer is sent: the write has landed but the
client never learns it, the most adversarial moment to die.

:func:`snapshot` captures what a run left behind on both sides in a form that can be
compared across runs (remote ids differ between stand-ins, content does not): every local
file's bytes, the canonical content hash of every remote page by key, the keys that exist
on more than one live page, and leftover temporary files.

Used by the tests in this directory and by ``bench/reliability.py`` (the full sweep).
"""

from __future__ import annotations

import copy
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from prodops_sync.kinds import BUILTIN
from prodops_sync.model import content_hash
from prodops_sync.standins.server import StandinServer

KINDS = BUILTIN.collection_kinds

REPO = Path(__file__).resolve().parents[2]
TOKEN_ENV = "PRODOPS_TEST_TOKEN"
USER_ENV = "PRODOPS_TEST_USER"
#: A recognisable fake credential: no output, state or written file may ever contain it.
# Assembled at run time so that the source never holds a token-shaped literal (secret
# scanners would flag the repository).
FAKE_TOKEN = "ntn" + "_LEAKCHECKfake0token0do0not0print0XYZ123"
FAKE_USER = "reliability-bot@example.com"
STANDIN_KINDS = ("notion", "confluence")
TARGET_NAME = {"notion": "notion", "confluence": "wiki"}
RITUAL = "rituals/weekly-product-update"
RITUAL_FILE = f"{RITUAL}.md"
TIER_FILE = "release-tiers/tier-1-low.yaml"
CLI_TIMEOUT = 120.0


def cli_env(token: str = FAKE_TOKEN) -> dict[str, str]:
    """The environment for a CLI subprocess: ours, minus any real credentials, plus the fake
    token under the variable the workspace config names."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NOTION_", "CONFLUENCE_", "GITHUB_STEP_SUMMARY"))
    }
    env.update({TOKEN_ENV: token, USER_ENV: FAKE_USER, "PYTHONUNBUFFERED": "1"})
    return env


# ---------------------------------------------------------------------------- kill switch
class KillSwitch:
    """WSGI middleware: at the ``n``-th request, signal the client process.

    ``when="after"``: the stand-in fully processes request ``n`` (a write lands and is
    persisted), then the client is killed before the answer goes out. ``when="before"``: the
    client is killed and request ``n`` is not processed at all. With ``sig=SIGINT`` the
    answer is sent normally after the signal (the client sees Ctrl-C around that request).
    """

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        n: int | None,
        *,
        sig: int = signal.SIGKILL,
        when: str = "after",
    ) -> None:
        self.app = app
        self.n = n
        self.sig = sig
        self.when = when
        self.count = 0
        self.fired = False
        self.proc: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    def arm(self, proc: subprocess.Popen[str] | None) -> None:
        """Target ``proc`` (None: count requests without killing anything)."""
        with self._lock:
            self.proc = proc
            self.fired = False
        self._ready.set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._lock:
            self.count += 1
            hit = self.count == self.n and self.proc is not None and not self.fired
        if hit and self.when == "before":
            self._fire()  # the request is never processed; nobody reads this answer
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return [b""]
        try:
            return self.app(environ, start_response)
        finally:
            if hit and self.when == "after":
                self._fire()

    def _fire(self) -> None:
        self._ready.wait(5)
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        self.fired = True
        os.kill(proc.pid, self.sig)
        if self.sig == signal.SIGKILL:
            proc.wait(10)  # the answer must not reach a half-dead client


# ---------------------------------------------------------------------------- world
@dataclass
class CliResult:
    """What one CLI run returned."""

    code: int
    stdout: str
    stderr: str
    killed: bool = False
    requests: int = 0


@dataclass
class World:
    """A stand-in and a workspace wired to it."""

    kind: str
    standin: StandinServer
    root: Path
    switch: KillSwitch
    runs: list[CliResult] = field(default_factory=list)

    @property
    def playbook(self) -> Path:
        """The workspace's playbook directory."""
        return self.root / "playbook"

    @property
    def config(self) -> Path:
        """The workspace's prodops-sync.yaml."""
        return self.root / "prodops-sync.yaml"

    @property
    def state_path(self) -> Path:
        """The target's sync state file."""
        return self.root / ".prodops-sync" / "state" / f"{TARGET_NAME[self.kind]}.json"

    def state(self) -> dict[str, Any]:
        """The parsed sync state."""
        from prodops_sync.sync.state import read_state_data

        return read_state_data(self.state_path.parent, TARGET_NAME[self.kind])

    def remote_id(self, key: str) -> str:
        """The page id the state records for ``key``."""
        return str(self.state()["docs"][key]["remote_id"])

    def run(
        self, *args: str, kill_at: int | None = None, sig: int = signal.SIGKILL,
        when: str = "after", env: dict[str, str] | None = None,
    ) -> CliResult:
        """Run ``prodops-sync ARGS --config <workspace>`` in a subprocess; with ``kill_at``,
        signal it at that request (counted from the start of this run)."""
        argv = [sys.executable, "-m", "prodops_sync", *args, "--config", str(self.config)]
        with self.switch._lock:
            self.switch.count = 0
            self.switch.n = kill_at
            self.switch.sig = sig
            self.switch.when = when
        proc = subprocess.Popen(
            argv, cwd=self.root, env=env or cli_env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint,
        )
        self.switch.arm(proc)
        try:
            out, err = proc.communicate(timeout=CLI_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
            killed, requests = self.switch.fired, self.switch.count
            self.switch.arm(None)
        result = CliResult(proc.returncode, out, err, killed=killed, requests=requests)
        self.runs.append(result)
        return result

    def edit(self, relpath: str, old: str, new: str) -> None:
        """Replace ``old`` (which must be there) by ``new`` in a playbook file."""
        path = self.playbook / relpath
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relpath}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def read(self, relpath: str) -> str:
        """A playbook file's text."""
        return (self.playbook / relpath).read_text(encoding="utf-8")


def _default_sigint() -> None:
    """In the child: Ctrl-C raises KeyboardInterrupt even when this process was started in
    the background (a shell's ``&`` makes SIGINT ignored, and children inherit that)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


def new_standin(kind: str, **kwargs: Any) -> StandinServer:
    """A stand-in of ``kind``, not started yet."""
    from prodops_sync.standins import ConfluenceStandin, NotionStandin

    cls = NotionStandin if kind == "notion" else ConfluenceStandin
    standin: StandinServer = cls(**kwargs)
    return standin


def target_config(kind: str, standin: StandinServer) -> dict[str, Any]:
    """The prodops-sync.yaml target for ``standin`` (no client-side rate limit to speak of)."""
    if kind == "notion":
        notion: Any = standin  # a NotionStandin (or a proxy for one in another process)
        return {
            "type": "notion", "root_page": str(notion.root_page_id),
            "base_url": standin.url, "token_env": TOKEN_ENV, "requests_per_second": 1000,
        }
    return {
        "type": "confluence", "url": standin.url, "space": "PLAY", "user_env": USER_ENV,
        "token_env": TOKEN_ENV, "requests_per_second": 1000,
    }


def write_config(root: Path, kind: str, standin: StandinServer) -> None:
    """(Re)write the workspace config so it points at ``standin``'s current URL."""
    config = {"playbook": "playbook", "targets": {TARGET_NAME[kind]: target_config(kind, standin)}}
    (root / "prodops-sync.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


@dataclass
class Baseline:
    """A world frozen after some setup: the stand-in's state and the workspace directory."""

    kind: str
    standin_state: dict[str, Any]
    workspace: Path
    frozen_at: float = field(default_factory=time.time)


def _age_preserving(kind: str, state: dict[str, Any], frozen_at: float) -> dict[str, Any]:
    """The baseline's Notion timestamps moved forward by the whole minutes elapsed since it
    was frozen: pages are as old (relative to now) as they were then, so whether the client
    sees them as recently edited (and re-reads them) does not depend on when a kill case
    runs, and the request count of a scenario is the same in every case."""
    state = copy.deepcopy(state)
    if kind != "notion":
        return state  # Confluence markers are version numbers: time plays no part
    delta = round((time.time() - frozen_at) / 60) * 60
    for table in ("pages", "blocks", "databases", "data_sources"):
        for record in state.get(table, {}).values():
            for name in ("created", "edited"):
                if isinstance(record.get(name), int | float):
                    record[name] += delta
    return state


def open_world(
    kind: str, tmp: Path, baseline: Baseline | None = None, **standin_kwargs: Any
) -> World:
    """Start a stand-in (restored from ``baseline`` if given) with a kill switch, and a
    workspace (a copy of the baseline's, or of the example playbook)."""
    standin = new_standin(kind, **standin_kwargs)
    if baseline is not None:
        with standin.lock:
            standin.load(_age_preserving(kind, baseline.standin_state, baseline.frozen_at))
        standin.persist()
    switch = KillSwitch(standin.wsgi_app, None)
    standin.wsgi_app = switch  # type: ignore[method-assign]  # start() serves this attribute
    standin.start()
    root = tmp / "repo"
    if baseline is not None:
        shutil.copytree(baseline.workspace, root)
    else:
        shutil.copytree(REPO / "playbook", root / "playbook")
    write_config(root, kind, standin)
    return World(kind, standin, root, switch)


def freeze(world: World, tmp: Path) -> Baseline:
    """Capture ``world`` as a baseline other worlds can start from."""
    with world.standin.lock:
        state = copy.deepcopy(world.standin.dump())
    saved = tmp / "baseline"
    shutil.copytree(world.root, saved)
    return Baseline(world.kind, state, saved)


# ---------------------------------------------------------------------------- snapshots
@dataclass(frozen=True)
class Snapshot:
    """What a run left behind, comparable across runs."""

    files: dict[str, bytes]
    remote: dict[str, str]
    """Canonical content hash of every live keyed remote page, by key."""
    duplicates: tuple[str, ...]
    unkeyed: int
    """Live pages in managed collections that carry no key (wiki-created, not adopted)."""
    temp_files: tuple[str, ...]

    def diff(self, other: Snapshot) -> list[str]:
        """Human-readable differences from ``other`` (empty when equal)."""
        out = []
        for path in sorted(set(self.files) | set(other.files)):
            if self.files.get(path) != other.files.get(path):
                out.append(f"local file differs: {path}")
        for key in sorted(set(self.remote) | set(other.remote)):
            if self.remote.get(key) != other.remote.get(key):
                out.append(f"remote page differs: {key}")
        if self.duplicates != other.duplicates:
            out.append(f"duplicates: {self.duplicates} vs {other.duplicates}")
        if self.unkeyed != other.unkeyed:
            out.append(f"unkeyed pages: {self.unkeyed} vs {other.unkeyed}")
        if self.temp_files != other.temp_files:
            out.append(f"temporary files left: {self.temp_files}")
        return out


def local_files(playbook: Path) -> dict[str, bytes]:
    """Every file under the playbook, by relative path."""
    return {
        str(p.relative_to(playbook)): p.read_bytes()
        for p in sorted(playbook.rglob("*"))
        if p.is_file()
    }


def temp_files(root: Path) -> tuple[str, ...]:
    """Leftovers of interrupted atomic writes (``.NAME.XXXX.tmp``) anywhere in the workspace."""
    return tuple(sorted(str(p.relative_to(root)) for p in root.rglob(".*.tmp")))


def remote_view(world: World) -> tuple[dict[str, str], tuple[str, ...], int]:
    """Read the remote the way a fresh client with no state would: hash every keyed page's
    canonical content; report keys held by several live pages and pages without a key."""
    from prodops_sync.remotes.factory import open_remote
    from prodops_sync.sync.config import Credentials, load_config
    from prodops_sync.sync.engine import EngineResolver
    from prodops_sync.sync.state import SyncState

    target = load_config(world.config).target(TARGET_NAME[world.kind])
    remote = open_remote(target, Credentials(token="snapshot", user="snapshot"))
    state = SyncState(target=target.name)
    remote.prepare(state, KINDS, create=False)
    entries = remote.list_entries(state, KINDS)
    resolver = EngineResolver()
    for entry in entries:
        if entry.key:
            resolver.urls.setdefault(entry.key, entry.url)
            resolver.titles.setdefault(entry.key, entry.title)
    hashes: dict[str, str] = {}
    seen: dict[str, int] = {}
    unkeyed = 0
    for entry in entries:
        if not entry.key:
            unkeyed += 1
            continue
        seen[entry.key] = seen.get(entry.key, 0) + 1
        hashes[entry.key] = content_hash(remote.fetch(entry, entry.key, resolver))
    duplicates = tuple(sorted(k for k, n in seen.items() if n > 1))
    return hashes, duplicates, unkeyed


def snapshot(world: World) -> Snapshot:
    """Both sides of ``world`` now."""
    remote, duplicates, unkeyed = remote_view(world)
    return Snapshot(
        local_files(world.playbook), remote, duplicates, unkeyed, temp_files(world.root)
    )


def pending_writes(world: World) -> list[str]:
    """Keys whose state still records an unconfirmed write (journal entry)."""
    return sorted(k for k, d in world.state()["docs"].items() if d.get("pending"))
