"""Concurrency: two pushes at once, a wiki edit between plan and apply, a Confluence 409,
and a Notion wiki edit made in the same minute as our own write.

Every case ends with every edit kept and nothing duplicated.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prodops_sync.formats.notion.richtext import plain_text
from prodops_sync.remotes.base import RemoteConflict
from prodops_sync.remotes.notion import NotionRemote
from prodops_sync.remotes.retry import RequestRunner, RetryPolicy
from prodops_sync.standins import ConfluenceStandin, NotionStandin
from prodops_sync.sync.config import Credentials, load_config
from prodops_sync.sync.engine import Engine
from prodops_sync.sync.state import StateStore
from tests.reliability.harness import (
    FAKE_TOKEN,
    RITUAL,
    RITUAL_FILE,
    TARGET_NAME,
    World,
    cli_env,
    open_world,
    remote_view,
)


def _engine(world: World, *, clock: Any = None) -> Engine:
    """An in-process engine for ``world`` (no sleeping between retries)."""
    from prodops_sync.remotes.factory import open_remote

    config = load_config(world.config)
    target = config.target(TARGET_NAME[world.kind])
    if world.kind == "notion":
        remote: Any = NotionRemote.from_target(
            target, Credentials(token=FAKE_TOKEN), clock=clock or world.standin.clock.time
        )
    else:
        remote = open_remote(target, Credentials(token=FAKE_TOKEN, user="bot"))
    remote.runner = RequestRunner(
        remote.runner.classify, policy=RetryPolicy(sleep=lambda _s: None),
        service=remote.runner.service,
    )
    return Engine(config.playbook_dir, remote, StateStore(config.state_dir, target.name))


@pytest.fixture(params=["notion", "confluence"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    w = open_world(request.param, tmp_path)
    try:
        yield w
    finally:
        w.standin.stop()


def _notion_block(standin: Any, page_id: str, text: str) -> str:
    for child in standin._visible_children(page_id):
        block = standin.state["blocks"].get(child)
        if block and text in plain_text(block["data"].get("rich_text", [])):
            return str(child)
    raise AssertionError(f"no block with {text!r}")


def _wiki_edit_ritual(world: World, new: str) -> None:
    """A wiki user rewrites the ritual's "Five bullets" paragraph."""
    page = world.remote_id(RITUAL)
    if world.kind == "notion":
        standin: Any = world.standin
        block = _notion_block(standin, page, "Five bullets per PM")
        standin.wiki_user.edit_text(block, new)
    else:
        cuser: Any = world.standin.wiki_user  # type: ignore[attr-defined]
        old = "Five bullets per PM, ten minutes to write. Longer is not better."
        assert old in cuser.body(page)
        cuser.replace_text(page, old, new)


def _remote_ritual_text(world: World) -> str:
    page = world.remote_id(RITUAL)
    standin: Any = world.standin
    if world.kind == "notion":
        return "\n".join(standin.wiki_user.page_text(page))
    return str(standin.wiki_user.body(page))


def test_two_pushes_at_once_one_fails_cleanly_nothing_duplicated(world: World) -> None:
    # Both CLI processes start together; the state lock lets one through and the other
    # stops at once with the documented message (no request made, nothing written).
    argv = [sys.executable, "-m", "prodops_sync", "push", "--config", str(world.config)]
    procs: list[subprocess.Popen[str]] = []
    barrier = threading.Barrier(2)

    def start() -> None:
        barrier.wait()
        procs.append(subprocess.Popen(argv, env=cli_env(), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results = [(p.wait(120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _out, _err in results)
    if codes == [0, 0]:
        # The second started after the first finished (a slow machine): it found nothing
        # to do. Still nothing may be duplicated.
        pass
    else:
        assert codes == [0, 1], results
        (loser,) = [err for code, _out, err in results if code == 1]
        assert "another prodops-sync run is syncing target" in loser
        assert "Traceback" not in loser
    hashes, duplicates, unkeyed = remote_view(world)
    assert duplicates == () and unkeyed == 0
    assert len(hashes) == 24


def test_lock_held_makes_a_second_push_fail_before_any_request(world: World) -> None:
    config = load_config(world.config)
    store = StateStore(config.state_dir, TARGET_NAME[world.kind])
    lock = store.lock()
    try:
        before = len(world.standin.request_log)
        result = world.run("push")
        assert result.code == 1
        assert "another prodops-sync run is syncing target" in result.stderr
        assert len(world.standin.request_log) == before
    finally:
        lock.release()
    assert world.run("push").code == 0


def test_wiki_edit_between_plan_and_apply_is_a_conflict_and_survives(world: World) -> None:
    assert _engine(world).push().count("create") == 24
    world.edit(RITUAL_FILE, "Five bullets per PM, ten minutes to write.",
               "Five bullets per PM, from the repo.")
    engine = _engine(world)
    original = engine.build_plan

    def plan_then_wiki_edit(**kwargs: Any) -> Any:
        items = original(**kwargs)
        _wiki_edit_ritual(world, "Five bullets per PM, from the wiki.")
        return items

    engine.build_plan = plan_then_wiki_edit  # type: ignore[method-assign]
    report = engine.push()
    assert [(o.key, o.action) for o in report.outcomes] == [(RITUAL, "skip-conflict")]
    assert "from the wiki" in _remote_ritual_text(world)
    assert "from the repo" not in _remote_ritual_text(world)
    # Nothing is lost: pull brings the wiki edit next to the local one (conflict markers).
    pulled = _engine(world).pull()
    assert [o.action for o in pulled.outcomes] == ["conflict"]
    text = world.read(RITUAL_FILE)
    assert "from the wiki" in text and "from the repo" in text
    assert not world.state()["docs"][RITUAL].get("pending")


def test_confluence_409_from_someone_elses_save(tmp_path: Path) -> None:
    world = open_world("confluence", tmp_path)
    try:
        assert _engine(world).push().count("create") == 24
        page = world.remote_id(RITUAL)
        world.edit(RITUAL_FILE, "There is no meeting.", "There is no call.")
        standin: Any = world.standin
        original = standin.wsgi_app.app  # the stand-in app behind the kill switch

        def save_first(environ: dict[str, Any], start_response: Any) -> Any:
            # Someone saves the page in the browser just before our PUT arrives.
            if environ["REQUEST_METHOD"] == "PUT" and page in environ["PATH_INFO"]:
                standin.wiki_user.append_paragraph(page, "Added in the wiki meanwhile.")
            return original(environ, start_response)

        standin.wsgi_app.app = save_first
        report = _engine(world).push()
        standin.wsgi_app.app = original
        assert [(o.key, o.action) for o in report.outcomes] == [(RITUAL, "skip-conflict")]
        assert [e.status for e in standin.request_log if e.method == "PUT"] == [409]
        assert "Added in the wiki meanwhile." in standin.wiki_user.body(page)
        pulled = _engine(world).pull()
        assert [o.action for o in pulled.outcomes] == ["merged"]
        pushed = _engine(world).push()
        assert [o.action for o in pushed.outcomes] == ["update"]
        body = standin.wiki_user.body(page)
        assert "There is no call." in body and "Added in the wiki meanwhile." in body
    finally:
        world.standin.stop()


def test_notion_wiki_edit_in_the_same_minute_as_our_write_is_not_missed(tmp_path: Path) -> None:
    # Notion rounds last_edited_time down to the minute. Our push writes at 10:00:10 and
    # records the page's marker "10:00"; a wiki edit at 10:00:40 leaves it at "10:00". A
    # sync an hour later must still see the edit (it used to compare equal markers, skip
    # the page, and a later push would overwrite the edit).
    from datetime import UTC, datetime

    standin = NotionStandin()
    standin.clock.freeze(datetime(2026, 3, 2, 10, 0, 10, tzinfo=UTC))
    standin.start()
    try:
        root = tmp_path / "repo"
        shutil.copytree(Path(__file__).resolve().parents[2] / "playbook", root / "playbook")
        from tests.reliability.harness import KillSwitch, write_config

        write_config(root, "notion", standin)
        world = World("notion", standin, root, KillSwitch(standin.wsgi_app, None))
        assert _engine(world).push().count("create") == 24
        standin.clock.advance(30)
        _wiki_edit_ritual(world, "Five bullets per PM, edited in the same minute.")
        standin.clock.advance(3600)
        report = _engine(world).pull()
        assert [(o.key, o.action) for o in report.outcomes] == [(RITUAL, "write")]
        assert "edited in the same minute" in world.read(RITUAL_FILE)
        # ...and once seen, the page is settled: the next run reads nothing.
        standin.request_log.clear()
        again = _engine(world).pull()
        assert again.outcomes == []
        assert standin.request_log.counts().get("GET /v1/blocks/{block_id}/children", 0) == 0
    finally:
        standin.stop()


def test_notion_update_rechecks_the_page_before_writing(tmp_path: Path) -> None:
    # The adapter's update diffs against blocks read at plan time: a wiki edit in between
    # must raise RemoteConflict instead of being overwritten.
    world = open_world("notion", tmp_path)
    try:
        engine = _engine(world)
        engine.push()
        engine = _engine(world)
        items = engine.build_plan()
        (ritual,) = [i for i in items if i.key == RITUAL]
        entry = engine.entries[RITUAL]
        remote: Any = engine.remote
        current = remote.fetch(entry, RITUAL, engine.resolver)
        _wiki_edit_ritual(world, "Five bullets per PM, from the wiki.")
        assert ritual.local is not None
        changed = ritual.local.__class__(
            ritual.local.key, ritual.local.kind, ritual.local.fields,
            ritual.local.body.replace("There is no meeting.", "There is no call."),
        )
        with pytest.raises(RemoteConflict):
            remote.update(entry, changed, current, engine.resolver)
        assert "from the wiki" in _remote_ritual_text(world)
    finally:
        world.standin.stop()


def test_standins_have_no_shared_state_between_tests() -> None:
    # Sanity for the fixtures above: a fresh stand-in holds no playbook pages.
    with NotionStandin() as n, ConfluenceStandin() as c:
        assert len(n.state["pages"]) == 1
        assert all(p["title"] != "Rituals" for p in c.state["contents"].values())
