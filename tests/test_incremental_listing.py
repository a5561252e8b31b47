"""Incremental listing (issue #21): a no-op costs at most 2 requests per collection on both
wikis, and what a filtered listing cannot show (deletions, restores, moves) is still found.

Each test pushes the example playbook against a stand-in, with the remote measuring time by
the stand-in's clock, then lets 20 minutes pass and runs a warm-up pull: its incremental
listing re-lists the pages the push wrote and moves the cursor past them. From then on a
listing with nothing changed lists nothing but the deletion signal.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from prodops_sync.kinds import BUILTIN
from prodops_sync.playbook.loader import load_playbook
from prodops_sync.remotes.listing import FULL_EVERY_SECONDS, MARGIN_SECONDS
from prodops_sync.sync.config import credentials, load_config
from prodops_sync.sync.engine import Engine
from prodops_sync.sync.planner import Status
from prodops_sync.sync.state import StateStore
from tests.sync_harness import REPO, TOKEN_ENV, USER_ENV

DECISION = "decisions/0005-dedicated-feedback-tool"
PAST_MARGIN = MARGIN_SECONDS + 300


@dataclass
class Setup:
    """A playbook synced with one stand-in whose clock the remote reads."""

    wiki: str
    standin: Any
    root: Path

    def engine(self) -> Engine:
        """A fresh engine, as one CLI run makes."""
        from prodops_sync.remotes.confluence import ConfluenceRemote
        from prodops_sync.remotes.notion import NotionRemote

        config = load_config(self.root / "prodops-sync.yaml")
        target = config.target(self.wiki)
        remote: Any
        if self.wiki == "notion":
            remote = NotionRemote.from_target(target, credentials(target),
                                              clock=self.standin.clock.time)
        else:
            remote = ConfluenceRemote.from_target(target, credentials(target),
                                                  clock=self.standin.clock.time)
        return Engine(config.playbook_dir, remote, StateStore(config.state_dir, self.wiki))

    def statuses(self) -> dict[str, Status]:
        """Every document's classification, as ``plan`` makes it."""
        return {item.key: item.status for item in self.engine().build_plan()}

    def requests(self) -> dict[str, int]:
        """Requests since the log was last cleared, by endpoint; clears it."""
        counts = dict(self.standin.request_log.counts())
        self.standin.request_log.clear()
        return counts

    def page_id(self, key: str) -> str:
        """The remote id the state records for ``key``."""
        state = StateStore(self.root / ".prodops-sync" / "state", self.wiki).load()
        return state.docs[key].remote_id

    def collections(self) -> int:
        """How many collections the example playbook has (the no-op bound is 2 each)."""
        docs = load_playbook(self.root / "playbook").documents
        return len({BUILTIN[d.kind].collection for d in docs})


@pytest.fixture(params=["notion", "confluence"])
def setup(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[Setup]:
    from prodops_sync.standins import ConfluenceStandin, NotionStandin

    monkeypatch.setenv(TOKEN_ENV, "token")
    monkeypatch.setenv(USER_ENV, "someone@example.com")
    wiki = request.param
    with (NotionStandin() if wiki == "notion" else ConfluenceStandin()) as standin:
        root = tmp_path / "repo"
        shutil.copytree(REPO / "playbook", root / "playbook")
        if wiki == "notion":
            target = {"type": "notion", "root_page": standin.root_page_id,
                      "base_url": standin.url}
        else:
            target = {"type": "confluence", "url": standin.url, "space": "PLAY",
                      "user_env": USER_ENV}
        target.update({"token_env": TOKEN_ENV, "requests_per_second": 1000})
        (root / "prodops-sync.yaml").write_text(yaml.safe_dump(
            {"playbook": "playbook", "targets": {wiki: target}}), encoding="utf-8")
        setup = Setup(wiki, standin, root)
        assert not setup.engine().push().conflicts
        standin.clock.advance(PAST_MARGIN)
        setup.engine().pull()  # the warm-up: re-lists what the push wrote
        standin.clock.advance(PAST_MARGIN)
        standin.request_log.clear()
        yield setup


def _trash(setup: Setup, page_id: str, trashed: bool = True) -> None:
    """A person deleting (or restoring) a page in the wiki."""
    if setup.wiki == "notion":
        setup.standin.wiki_user.archive_page(page_id, trashed)
    elif trashed:
        setup.standin.wiki_user.delete_page(page_id)
    else:
        with setup.standin.lock:
            setup.standin.state["contents"][page_id]["status"] = "current"


def test_noop_is_two_requests_per_collection_or_fewer(setup: Setup) -> None:
    report = setup.engine().pull()
    counts = setup.requests()
    assert report.count("write") == 0
    assert sum(counts.values()) <= 2 * setup.collections()
    if setup.wiki == "notion":
        # one filtered query and one trash query per database, nothing else
        assert counts == {"POST /v1/data_sources/{ds_id}/query": 2 * setup.collections()}
    else:
        # the whole tree in one filtered search, and one count
        assert counts == {"GET /rest/api/content/search": 1, "GET /rest/api/search": 1}
    assert setup.engine().push().writes == 0


def test_a_page_deleted_in_the_wiki_is_seen_by_the_next_run(setup: Setup) -> None:
    page = setup.page_id(DECISION)
    _trash(setup, page)
    assert setup.statuses()[DECISION] is Status.DELETED_REMOTE
    _trash(setup, page, trashed=False)  # restored: there again on the next run
    assert setup.statuses()[DECISION] is Status.IN_SYNC


def test_a_page_edited_in_the_wiki_is_listed_and_pulled(setup: Setup) -> None:
    page = setup.page_id(DECISION)
    if setup.wiki == "notion":
        setup.standin.wiki_user.set_title(page, "Renamed in Notion")
    else:
        setup.standin.wiki_user.set_title(page, "Renamed in Confluence")
    statuses = setup.statuses()
    assert statuses[DECISION] is Status.REMOTE_CHANGED
    assert sum(s is not Status.IN_SYNC for s in statuses.values()) == 1


def test_what_no_cheap_signal_shows_is_found_by_the_daily_full_listing(setup: Setup) -> None:
    """A Notion row moved out of the databases (not trashed, so the trash is unchanged) is
    only seen by a complete listing; so is, on Confluence, a page deleted while another was
    moved in unchanged (the count stays the same). Both are found once a day."""
    page = setup.page_id(DECISION)
    if setup.wiki == "notion":
        # moved into the root page as a plain page, with its timestamp left as it was
        with setup.standin.lock:
            record = setup.standin.state["pages"][str(page)]
            edited = record["edited"]
        setup.standin.wiki_user.move_page(page, setup.standin.root_page_id)
        with setup.standin.lock:
            record["edited"] = edited
    else:
        outside = setup.standin.wiki_user.create_page("Elsewhere", "<p>x</p>")
        with setup.standin.lock:  # an old page outside the tree (at the top of the space)
            record = setup.standin.state["contents"][outside]
            record["parent"] = ""
            record["versions"][-1]["when"] -= 2 * PAST_MARGIN
        assert all(s is Status.IN_SYNC for s in setup.statuses().values())
        setup.standin.clock.advance(PAST_MARGIN)
        state = StateStore(setup.root / ".prodops-sync" / "state", setup.wiki).load()
        with setup.standin.lock:  # moved in without a new version (an app could), ...
            setup.standin.state["contents"][outside]["parent"] = state.containers["Decision log"]
        setup.standin.wiki_user.delete_page(page)  # ... and one page deleted
    assert setup.statuses()[DECISION] is Status.IN_SYNC  # not seen yet: the documented gap
    setup.standin.clock.advance(FULL_EVERY_SECONDS)
    assert setup.statuses()[DECISION] is Status.DELETED_REMOTE


def test_a_lost_listing_cache_costs_one_full_listing(setup: Setup) -> None:
    sidecar = setup.root / ".prodops-sync" / "state" / f"{setup.wiki}.listing.json"
    assert sidecar.exists()
    sidecar.write_text("{not json")
    assert all(s is Status.IN_SYNC for s in setup.statuses().values())
    full = sum(setup.requests().values())
    assert all(s is Status.IN_SYNC for s in setup.statuses().values())
    assert sum(setup.requests().values()) <= full
