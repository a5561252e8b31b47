"""The Confluence adapter driven by the sync engine against the Confluence stand-in (real
HTTP through atlassian-python-api), on a copy of the example playbook.

These run against the Data Center flavour (v1, exact request counts); the Cloud flavour (v2)
is covered by test_confluence_v2.py and by every other suite (the stand-in's default)."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prodops_sync.remotes.base import RemoteEntry, RemoteError
from prodops_sync.remotes.confluence import PROPERTY_KEY, ConfluenceRemote
from prodops_sync.remotes.retry import RequestRunner, RetryPolicy
from prodops_sync.standins import ConfluenceStandin
from prodops_sync.sync.config import Credentials, Target
from prodops_sync.sync.engine import Engine, Report, load_local
from prodops_sync.sync.planner import Status
from prodops_sync.sync.state import StateStore

EXAMPLE = Path(__file__).resolve().parent.parent / "playbook"
RITUAL = "rituals/weekly-product-update"
TEMPLATE = "templates/weekly-product-update"
DOCS = 24
COLLECTIONS = 4


class Wiki:
    """A playbook copy, a state directory and engines wired to one Confluence stand-in."""

    def __init__(self, standin: ConfluenceStandin, tmp: Path, **target: Any) -> None:
        self.standin = standin
        self.playbook = tmp / "playbook"
        shutil.copytree(EXAMPLE, self.playbook)
        self.state_dir = tmp / "state"
        self.sleeps: list[float] = []
        self.target = Target(
            "wiki",
            "confluence",
            {"type": "confluence", "url": standin.url, "space": "PLAY", "user_env": "CONF_USER",
             "token_env": "CONF_TOKEN", **target},
        )
        self.remote: ConfluenceRemote | None = None

    def engine(self, *, max_attempts: int = 6) -> Engine:
        remote = ConfluenceRemote.from_target(self.target, Credentials(token="t", user="bot"))
        policy = RetryPolicy(max_attempts=max_attempts, sleep=self.sleeps.append)
        # Same classifier (and hints), no client-side rate limit: tests need not wait.
        remote.runner = RequestRunner(remote.runner.classify, policy=policy, service="confluence")
        self.remote = remote
        return Engine(self.playbook, remote, StateStore(self.state_dir, "wiki"), loader=load_local)

    def push(self, **kwargs: Any) -> Report:
        return self.engine().push(**kwargs)

    def pull(self, **kwargs: Any) -> Report:
        return self.engine().pull(**kwargs)

    def pages(self) -> list[dict[str, Any]]:
        return [c for c in self.standin.state["contents"].values() if c["status"] == "current"]

    def page(self, key: str) -> dict[str, Any]:
        (found,) = [p for p in self.pages() if _key(p) == key]
        return found

    def page_titled(self, title: str) -> dict[str, Any]:
        (found,) = [p for p in self.pages() if p["title"] == title]
        return found

    def read(self, relpath: str) -> str:
        return (self.playbook / relpath).read_text(encoding="utf-8")

    def write(self, relpath: str, text: str) -> None:
        (self.playbook / relpath).write_text(text, encoding="utf-8")

    def writes(self) -> int:
        return self.standin.request_log.writes()


def _key(page: dict[str, Any]) -> str | None:
    prop = page["properties"].get(PROPERTY_KEY)
    return prop["value"]["key"] if prop else None


@pytest.fixture
def confluence_standin() -> Iterator[ConfluenceStandin]:
    with ConfluenceStandin(flavor="datacenter") as standin:
        yield standin


@pytest.fixture
def wiki(confluence_standin: ConfluenceStandin, tmp_path: Path) -> Wiki:
    return Wiki(confluence_standin, tmp_path)


@pytest.fixture(scope="module")
def pushed_snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The stand-in's state and the sync state after one first push (made once per module:
    every test starting from a pushed playbook copies it)."""
    tmp = tmp_path_factory.mktemp("pushed")
    with ConfluenceStandin(flavor="datacenter") as standin:
        wiki = Wiki(standin, tmp)
        assert wiki.push().count("create") == DOCS
        return copy.deepcopy(standin.state), wiki.state_dir


@pytest.fixture
def pushed(wiki: Wiki, pushed_snapshot: tuple[dict[str, Any], Path]) -> Wiki:
    state, state_dir = pushed_snapshot
    with wiki.standin.lock:
        wiki.standin.load(copy.deepcopy(state))
    shutil.copytree(state_dir, wiki.state_dir)
    return wiki


def test_first_push_builds_the_tree_then_a_second_push_writes_nothing(wiki: Wiki) -> None:
    report = wiki.push()
    assert report.count("create") == DOCS and not report.conflicts
    log = wiki.standin.request_log
    assert log.counts()["POST /rest/api/content"] == DOCS + COLLECTIONS
    assert log.writes() == DOCS + COLLECTIONS
    # the deployment probe (404: Data Center), space home page, existing collection pages,
    # listing; the probe's answer is remembered, so the second push below does not probe
    assert log.reads() <= 4
    assert log.counts()["GET ?"] == 1
    home = wiki.standin.homepage_id
    rituals = wiki.page_titled("Rituals")
    assert rituals["parent"] == home and "detailssummary" in rituals["body"]
    ritual = wiki.page(RITUAL)
    assert ritual["parent"] == rituals["id"]
    assert ritual["title"] == "Weekly Product Update"
    assert "prodops-ritual" in ritual["labels"]
    assert ritual["body"].startswith('<ac:structured-macro ac:name="details"')
    # Same title in two collections: the template's page gets the collection suffix, and
    # links to it (body and x-ref field) use that title.
    template = wiki.page(TEMPLATE)
    assert template["title"] == "Weekly Product Update (Templates)"
    assert ritual["body"].count('ri:content-title="Weekly Product Update (Templates)"') == 2
    assert wiki.page("charter")["parent"] == home
    assert len([p for p in wiki.pages() if _key(p)]) == DOCS

    log.clear()
    again = wiki.push()
    assert again.outcomes == [] and log.writes() == 0
    # the pages changed since the last listing, and the page count (deletion signal)
    assert log.counts() == {"GET /rest/api/content/search": 1, "GET /rest/api/search": 1}
    plan = wiki.engine().build_plan()
    assert {item.status for item in plan} == {Status.IN_SYNC}


def test_every_page_reads_back_as_its_file(pushed: Wiki) -> None:
    """With no base (a lost state file), every page is fetched and equals its file."""
    shutil.rmtree(pushed.state_dir)
    engine = pushed.engine()
    plan = engine.build_plan()
    assert len(plan) == DOCS
    assert {item.status for item in plan} == {Status.BOTH_SAME}
    assert pushed.writes() == 0  # prepare found the collection pages instead of making more


def test_wiki_edit_is_pulled_into_the_file(pushed: Wiki) -> None:
    page = pushed.page(RITUAL)
    pushed.standin.wiki_user.replace_text(
        page["id"], "Five bullets per PM", "Five bullets per PM, at most"
    )
    before = pushed.read(f"{RITUAL}.md")
    report = pushed.pull()
    assert [(o.key, o.action) for o in report.outcomes] == [(RITUAL, "write")]
    assert pushed.read(f"{RITUAL}.md") == before.replace(
        "Five bullets per PM", "Five bullets per PM, at most"
    )
    log = pushed.standin.request_log
    assert log.writes() == 0
    assert log.counts() == {"GET /rest/api/content/search": 1, "GET /rest/api/search": 1,
                            "GET /rest/api/content/{cid}": 1}
    log.clear()
    assert pushed.push().outcomes == [] and log.writes() == 0


def test_one_paragraph_edit_is_one_put(pushed: Wiki) -> None:
    path = f"{RITUAL}.md"
    pushed.write(path, pushed.read(path).replace("There is no meeting.", "There is no call."))
    report = pushed.push()
    assert [(o.key, o.action) for o in report.outcomes] == [(RITUAL, "update")]
    log = pushed.standin.request_log
    assert log.writes() == 1
    assert log.counts() == {"GET /rest/api/content/search": 1, "GET /rest/api/search": 1,
                            "PUT /rest/api/content/{cid}": 1}
    page = pushed.page(RITUAL)
    assert "There is no call." in page["body"] and len(page["versions"]) == 2
    log.clear()
    assert pushed.push().outcomes == [] and log.writes() == 0


def _push_during_wiki_save(pushed: Wiki) -> Report:
    """A local edit pushed while a wiki user saves the same page after the plan was made
    and before our PUT."""
    path = f"{RITUAL}.md"
    pushed.write(path, pushed.read(path).replace("There is no meeting.", "There is no call."))
    engine = pushed.engine()
    remote = pushed.remote
    assert remote is not None
    original = remote.update
    page_id = pushed.page(RITUAL)["id"]

    def save_first(entry: RemoteEntry, *args: Any) -> RemoteEntry:
        pushed.standin.wiki_user.append_paragraph(page_id, "Added in the wiki meanwhile.")
        return original(entry, *args)

    remote.update = save_first  # type: ignore[method-assign,assignment]
    return engine.push()


def test_concurrent_wiki_save_is_a_conflict_and_survives(pushed: Wiki) -> None:
    report = _push_during_wiki_save(pushed)
    assert [(o.key, o.action) for o in report.outcomes] == [(RITUAL, "skip-conflict")]
    assert "saved in the wiki" in report.outcomes[0].detail
    body = pushed.page(RITUAL)["body"]
    assert "Added in the wiki meanwhile." in body and "There is no call." not in body
    log = pushed.standin.request_log
    assert [e.status for e in log if e.method == "PUT"] == [409]


def test_after_a_conflict_pull_merges_and_push_sends_both(pushed: Wiki) -> None:
    _push_during_wiki_save(pushed)
    pulled = pushed.pull()
    assert [o.action for o in pulled.outcomes] == ["merged"]
    text = pushed.read(f"{RITUAL}.md")
    assert "There is no call." in text and "Added in the wiki meanwhile." in text
    assert [o.action for o in pushed.push().outcomes] == ["update"]
    body = pushed.page(RITUAL)["body"]
    assert "Added in the wiki meanwhile." in body and "There is no call." in body


def test_page_created_in_the_wiki_becomes_a_file_with_its_key(pushed: Wiki) -> None:
    rituals = pushed.page_titled("Rituals")["id"]
    page_id = pushed.standin.wiki_user.create_page(
        "Demo Day", "<p>Show what shipped.</p>", parent_id=rituals
    )
    # A page next to the free documents and a sub-page of a record are not documents.
    pushed.standin.wiki_user.create_page("Scratch", "<p>notes</p>")
    pushed.standin.wiki_user.create_page(
        "Notes", "<p>x</p>", parent_id=pushed.page(RITUAL)["id"]
    )
    report = pushed.pull()
    assert [(o.key, o.action) for o in report.outcomes] == [("rituals/demo-day", "create")]
    text = pushed.read("rituals/demo-day.md")
    assert "title: Demo Day" in text and "Show what shipped." in text
    assert _key(pushed.standin.state["contents"][page_id]) == "rituals/demo-day"
    assert pushed.standin.request_log.writes() == 1  # the key property
    plan = pushed.engine().build_plan()
    assert {i.status for i in plan} == {Status.IN_SYNC}


def test_title_renames_on_either_side(pushed: Wiki) -> None:
    path = "rituals/quarterly-planning.md"
    pushed.write(path, pushed.read(path).replace("title: Quarterly Planning", "title: QBR"))
    report = pushed.push()
    assert [(o.key, o.action) for o in report.outcomes] == [
        ("rituals/quarterly-planning", "update")
    ]
    page = pushed.page("rituals/quarterly-planning")
    assert page["title"] == "QBR"
    assert pushed.standin.request_log.writes() == 1

    pushed.standin.wiki_user.set_title(page["id"], "Quarterly Business Review")
    report = pushed.pull()
    assert [o.action for o in report.outcomes] == ["write"]
    assert "title: Quarterly Business Review\n" in pushed.read(path)
    assert pushed.page("rituals/quarterly-planning")["title"] == "Quarterly Business Review"


def test_rename_into_a_taken_title_gets_the_suffix(pushed: Wiki) -> None:
    path = "templates/quarterly-plan.md"
    text = pushed.read(path).replace("title: Quarterly Plan", "title: Quarterly Planning")
    pushed.write(path, text)
    report = pushed.push()
    assert [o.action for o in report.outcomes] == ["update"]
    assert pushed.page("templates/quarterly-plan")["title"] == "Quarterly Planning (Templates)"
    # Reading back strips the suffix: both sides agree.
    shutil.rmtree(pushed.state_dir)
    plan = {i.key: i.status for i in pushed.engine().build_plan()}
    assert plan["templates/quarterly-plan"] is Status.BOTH_SAME


def test_archive_moves_the_page_to_the_trash(pushed: Wiki) -> None:
    (pushed.playbook / "decisions" / "0005-dedicated-feedback-tool.md").unlink()
    report = pushed.push()
    assert [o.action for o in report.outcomes] == ["archive"]
    assert pushed.standin.request_log.counts()["DELETE /rest/api/content/{cid}"] == 1
    assert not [p for p in pushed.pages() if _key(p) == "decisions/0005-dedicated-feedback-tool"]


@pytest.mark.parametrize(
    ("kind", "match", "nth"),
    [
        ("429", "POST /rest/api/content", 5),
        ("500", "POST /rest/api/content", 2),
        ("503", "GET /rest/api/content/search", 1),
        ("drop", "POST /rest/api/content", 7),
        ("drop_after", "POST /rest/api/content", 3),
        ("drop_after", "POST /rest/api/content", 12),
    ],
)
def test_faults_during_first_push_end_in_the_same_tree(
    wiki: Wiki, kind: str, match: str, nth: int
) -> None:
    wiki.standin.faults.fail_nth(nth, kind, match=match)
    report = wiki.push()
    assert report.count("create") == DOCS
    assert wiki.standin.faults.injected, "the fault was not injected"
    keys = [k for k in map(_key, wiki.pages()) if k]
    assert len(keys) == len(set(keys)) == DOCS  # no duplicates
    assert len([p for p in wiki.pages() if p["title"] == "Rituals"]) == 1
    if kind == "429":
        assert 1.0 in wiki.sleeps  # Retry-After honoured
    wiki.standin.request_log.clear()
    assert wiki.push().outcomes == [] and wiki.writes() == 0


@pytest.mark.parametrize("kind", ["drop_after", "500"])
def test_fault_on_an_update_put_is_not_a_conflict(pushed: Wiki, kind: str) -> None:
    path = f"{RITUAL}.md"
    pushed.write(path, pushed.read(path).replace("There is no meeting.", "There is no call."))
    pushed.standin.faults.fail_next(kind, match="PUT /rest/api/content")
    report = pushed.push()
    assert [(o.key, o.action) for o in report.outcomes] == [(RITUAL, "update")]
    page = pushed.page(RITUAL)
    assert "There is no call." in page["body"] and len(page["versions"]) == 2
    pushed.standin.request_log.clear()
    assert pushed.push().outcomes == [] and pushed.writes() == 0


def test_interrupted_push_resumes_without_duplicates(wiki: Wiki) -> None:
    wiki.standin.faults.fail_nth(10, "500", match="POST /rest/api/content")
    with pytest.raises(RemoteError, match="gave up"):
        wiki.engine(max_attempts=1).push()
    partial = len(wiki.pages())
    assert 1 < partial < DOCS + COLLECTIONS + 1
    report = wiki.push()
    keys = [_key(p) for p in wiki.pages() if _key(p)]
    assert len(keys) == len(set(keys)) == DOCS
    assert not report.conflicts


def test_bad_credentials_and_missing_parent_are_one_line(tmp_path: Path) -> None:
    with ConfluenceStandin(flavor="datacenter", token="right") as standin:
        wiki = Wiki(standin, tmp_path)
        with pytest.raises(RemoteError) as err:
            wiki.push()
        message = str(err.value)
        assert "401" in message and "CONF_USER and CONF_TOKEN" in message
        assert "\n" not in message
    with ConfluenceStandin(flavor="datacenter") as standin:
        wiki = Wiki(standin, tmp_path / "other", parent_page="999")
        with pytest.raises(RemoteError) as err:
            wiki.push()
        assert "404" in str(err.value) and "parent_page '999'" in str(err.value)


def test_parent_page_setting_is_honoured(
    confluence_standin: ConfluenceStandin, tmp_path: Path
) -> None:
    parent = confluence_standin.wiki_user.create_page("Product Ops", "<p>Our playbook.</p>")
    wiki = Wiki(confluence_standin, tmp_path, parent_page=parent)
    assert wiki.push().count("create") == DOCS
    assert wiki.page("charter")["parent"] == parent
    assert wiki.page_titled("Rituals")["parent"] == parent

