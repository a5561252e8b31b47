"""Confluence Cloud (v2) and Data Center (v1): the deployments, the stand-in's two flavours,
and the trash rules both enforce."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from prodops_sync.remotes.confluence import DEPLOYMENT_KEY, PROPERTY_KEY, ConfluenceRemote
from prodops_sync.remotes.retry import RequestRunner, RetryPolicy
from prodops_sync.standins import ConfluenceStandin
from prodops_sync.sync.config import Credentials, Target
from prodops_sync.sync.engine import Engine, Report, load_local
from prodops_sync.sync.state import StateStore

EXAMPLE = Path(__file__).resolve().parent.parent / "playbook"
RITUAL = "rituals/weekly-product-update"
RITUAL_FILE = f"{RITUAL}.md"
DOCS = 24
AUTH = ("u", "t")


class Wiki:
    """A playbook copy and engines wired to one Confluence stand-in."""

    def __init__(self, standin: ConfluenceStandin, tmp: Path, **target: Any) -> None:
        self.standin = standin
        self.playbook = tmp / "playbook"
        shutil.copytree(EXAMPLE, self.playbook)
        self.state_dir = tmp / "state"
        settings = {"type": "confluence", "url": standin.url, "space": "PLAY",
                    "user_env": "CONF_USER", "token_env": "CONF_TOKEN", **target}
        self.target = Target("wiki", "confluence", settings)

    def engine(self) -> Engine:
        remote = ConfluenceRemote.from_target(self.target, Credentials(token="t", user="bot"))
        policy = RetryPolicy(max_attempts=4, sleep=lambda _: None)
        remote.runner = RequestRunner(remote.runner.classify, policy=policy, service="confluence")
        return Engine(self.playbook, remote, StateStore(self.state_dir, "wiki"), loader=load_local)

    def push(self) -> Report:
        return self.engine().push()

    def pull(self) -> Report:
        return self.engine().pull()

    def page(self, key: str, status: str = "current") -> dict[str, Any]:
        (found,) = [c for c in self.standin.state["contents"].values()
                    if c["status"] == status and _key(c) == key]
        return found

    def state(self) -> Any:
        return StateStore(self.state_dir, "wiki").load()


def _key(record: dict[str, Any]) -> str | None:
    prop = record["properties"].get(PROPERTY_KEY)
    return prop["value"]["key"] if prop else None


@pytest.fixture
def cloud() -> Iterator[ConfluenceStandin]:
    with ConfluenceStandin(flavor="cloud") as standin:
        yield standin


@pytest.fixture
def datacenter() -> Iterator[ConfluenceStandin]:
    with ConfluenceStandin(flavor="datacenter") as standin:
        yield standin


# ---------------------------------------------------------------- the client on Cloud
def test_cloud_push_pull_plan_send_no_v1_page_request(cloud: ConfluenceStandin,
                                                      tmp_path: Path) -> None:
    wiki = Wiki(cloud, tmp_path)
    first = wiki.push()
    assert first.count("create") == DOCS and not first.conflicts
    # a wiki edit, pulled back
    page = wiki.page(RITUAL)
    cloud.wiki_user.append_paragraph(page["id"], "Edited in Confluence Cloud.")
    pulled = wiki.pull()
    assert pulled.count("write") == 1
    assert "Edited in Confluence Cloud." in (wiki.playbook / RITUAL_FILE).read_text()
    # a local edit, planned then pushed
    text = (wiki.playbook / RITUAL_FILE).read_text()
    (wiki.playbook / RITUAL_FILE).write_text(text + "\nOne more line from Git.\n")
    assert any(item.key == RITUAL for item in wiki.engine().build_plan())
    assert wiki.push().count("update") == 1

    assert cloud.v1_page_requests() == []
    assert not [e for e in cloud.request_log if e.status == 410]
    # v1 only where Cloud has no v2: CQL search (and its count), label writes (one per new
    # record page)
    v1 = {e.endpoint for e in cloud.request_log if "/rest/api/" in e.path}
    assert v1 <= {"GET /rest/api/content/search", "GET /rest/api/search",
                  "POST /rest/api/content/{cid}/label"}
    counts = cloud.request_log.counts()
    assert counts["POST /api/v2/pages"] == DOCS + 4  # documents and collection pages
    assert counts["POST /api/v2/pages/{pid}/properties"] == DOCS
    assert counts["PUT /api/v2/pages/{pid}"] == 1
    # detected once, remembered
    assert counts["GET /api/v2/spaces"] == 1
    assert wiki.state().containers[DEPLOYMENT_KEY] == "cloud"


def test_new_cloud_pages_open_in_the_current_editor(cloud: ConfluenceStandin,
                                                    tmp_path: Path) -> None:
    wiki = Wiki(cloud, tmp_path)
    wiki.push()
    pages = [c for c in cloud.state["contents"].values() if c["id"] != cloud.homepage_id]
    assert pages and all(c["properties"]["editor"]["value"] == "v2" for c in pages)
    ritual = wiki.page(RITUAL)
    assert "prodops-ritual" in ritual["labels"]  # the v1 label write the report needs


def test_configured_deployment_sends_no_probe(cloud: ConfluenceStandin, tmp_path: Path) -> None:
    wiki = Wiki(cloud, tmp_path, deployment="cloud")
    wiki.push()
    assert cloud.v1_page_requests() == []
    # the space is still read once (for its id and home page), not probed again
    assert cloud.request_log.counts()["GET /api/v2/spaces"] == 1


# ---------------------------------------------------------------- Data Center
def test_datacenter_works_end_to_end_on_v1(datacenter: ConfluenceStandin,
                                           tmp_path: Path) -> None:
    wiki = Wiki(datacenter, tmp_path)
    assert wiki.push().count("create") == DOCS
    page = wiki.page(RITUAL)
    datacenter.wiki_user.append_paragraph(page["id"], "Edited in Data Center.")
    assert wiki.pull().count("write") == 1
    assert "Edited in Data Center." in (wiki.playbook / RITUAL_FILE).read_text()
    probes = [e for e in datacenter.request_log if e.path.startswith("/api/v2/")]
    assert [(e.status, e.path) for e in probes] == [(404, "/api/v2/spaces")]
    assert wiki.state().containers[DEPLOYMENT_KEY] == "datacenter"
    assert datacenter.request_log.counts()["POST /rest/api/content"] == DOCS + 4


def test_datacenter_serves_no_v2_and_cloud_no_root_paths(datacenter: ConfluenceStandin,
                                                         cloud: ConfluenceStandin) -> None:
    answer = requests.get(f"{datacenter.url}/api/v2/spaces", auth=AUTH, timeout=5)
    assert answer.status_code == 404 and answer.json()["statusCode"] == 404
    assert requests.get(f"{datacenter.url}/rest/api/space/PLAY", auth=AUTH,
                        timeout=5).status_code == 200
    assert cloud.url.endswith("/wiki")
    assert requests.get(f"{cloud.root_url}/rest/api/search", params={"cql": "type=page"},
                        auth=AUTH, timeout=5).status_code == 404


# ---------------------------------------------------------------- the cloud stand-in
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/content"),
    ("POST", "/content"),
    ("GET", "/content/{home}"),
    ("PUT", "/content/{home}"),
    ("DELETE", "/content/{home}"),
    ("GET", "/content/{home}/child/page"),
    ("GET", "/content/{home}/property"),
    ("POST", "/content/{home}/property"),
    ("GET", "/space/PLAY"),
])
def test_cloud_answers_v1_page_endpoints_410(cloud: ConfluenceStandin, method: str,
                                             path: str) -> None:
    url = f"{cloud.url}/rest/api{path.format(home=cloud.homepage_id)}"
    answer = requests.request(method, url, auth=AUTH, json={}, timeout=5)
    assert answer.status_code == 410
    body = answer.json()
    assert body["statusCode"] == 410 and body["reason"] == "Gone" and "v2" in body["message"]
    assert len(cloud.v1_page_requests()) == 1


def test_cloud_keeps_v1_search_labels_and_attachment_upload(cloud: ConfluenceStandin) -> None:
    home = cloud.homepage_id
    search = requests.get(f"{cloud.url}/rest/api/content/search", params={"cql": "type=page"},
                          auth=AUTH, timeout=5)
    assert search.status_code == 200 and search.json()["results"]
    label = requests.post(f"{cloud.url}/rest/api/content/{home}/label", auth=AUTH,
                          json=[{"prefix": "global", "name": "x"}], timeout=5)
    assert label.status_code == 200
    upload = requests.put(f"{cloud.url}/rest/api/content/{home}/child/attachment", auth=AUTH,
                          headers={"X-Atlassian-Token": "no-check"},
                          files={"file": ("a.txt", b"hi", "text/plain")}, timeout=5)
    assert upload.status_code == 200
    listed = requests.get(f"{cloud.url}/api/v2/pages/{home}/attachments", auth=AUTH,
                          timeout=5).json()
    assert [a["title"] for a in listed["results"]] == ["a.txt"]
    assert cloud.v1_page_requests() == []


def _space(cloud: ConfluenceStandin) -> dict[str, Any]:
    answer = requests.get(f"{cloud.url}/api/v2/spaces", params={"keys": "PLAY"}, auth=AUTH,
                          timeout=5).json()
    assert answer["_links"]["base"] == cloud.url
    space: dict[str, Any] = answer["results"][0]
    return space


def _create(cloud: ConfluenceStandin, title: str, parent: str | None = None,
            value: str = "<p>x</p>") -> requests.Response:
    space = _space(cloud)
    return requests.post(f"{cloud.url}/api/v2/pages", auth=AUTH, timeout=5, json={
        "spaceId": space["id"], "status": "current", "title": title,
        "parentId": parent or space["homepageId"],
        "body": {"representation": "storage", "value": value},
    })


def test_v2_page_shapes(cloud: ConfluenceStandin) -> None:
    created = _create(cloud, "Runbook")
    assert created.status_code == 200
    page = created.json()
    assert page["_links"]["base"] == cloud.url and page["_links"]["webui"].startswith("/spaces/")
    assert page["version"]["number"] == 1 and page["parentId"] == cloud.homepage_id
    got = requests.get(f"{cloud.url}/api/v2/pages/{page['id']}",
                       params={"body-format": "storage"}, auth=AUTH, timeout=5).json()
    assert got["body"]["storage"] == {"representation": "storage", "value": "<p>x</p>"}
    update = {"id": page["id"], "status": "current", "title": "Runbook",
              "body": {"representation": "storage", "value": "<p>y</p>"},
              "version": {"number": 1, "message": "stale"}}
    stale = requests.put(f"{cloud.url}/api/v2/pages/{page['id']}", json=update, auth=AUTH,
                         timeout=5)
    assert stale.status_code == 409 and stale.json()["errors"][0]["status"] == 409
    update["version"] = {"number": 2, "message": "ok"}
    done = requests.put(f"{cloud.url}/api/v2/pages/{page['id']}", json=update, auth=AUTH,
                        timeout=5).json()
    assert done["version"] == {**done["version"], "number": 2, "message": "ok"}


def test_v2_cursor_pagination_over_more_than_250_children(cloud: ConfluenceStandin) -> None:
    parent = cloud.wiki_user.create_page("Many")
    for n in range(260):
        cloud.wiki_user.create_page(f"Child {n:03d}", parent_id=parent)
    url = f"{cloud.url}/api/v2/pages/{parent}/children"
    first = requests.get(url, params={"limit": 1000}, auth=AUTH, timeout=5)
    body = first.json()
    assert len(body["results"]) == 250  # capped
    nxt = body["_links"]["next"]
    assert nxt.startswith("/wiki/api/v2/pages/") and "cursor=" in nxt
    assert first.headers["Link"].startswith(f"<{nxt}>; rel=\"next\"")
    second = requests.get(cloud.root_url + nxt, auth=AUTH, timeout=5).json()
    assert len(second["results"]) == 10 and "next" not in second["_links"]
    titles = [c["title"] for c in body["results"] + second["results"]]
    assert titles == [f"Child {n:03d}" for n in range(260)]
    bad = requests.get(url, params={"limit": 0}, auth=AUTH, timeout=5)
    assert bad.status_code == 400 and "errors" in bad.json()


def test_client_finds_collection_pages_among_more_than_250_children(
    cloud: ConfluenceStandin, tmp_path: Path
) -> None:
    # A crowded home page: the collection pages' lookup goes past the first 250 children.
    for n in range(255):
        cloud.wiki_user.create_page(f"Crowd {n:03d}")
    cloud.wiki_user.create_page("Rituals")  # a lost state must find it, not duplicate it
    wiki = Wiki(cloud, tmp_path)
    assert wiki.push().count("create") == DOCS
    rituals = [c for c in cloud.state["contents"].values() if c["title"] == "Rituals"]
    assert len(rituals) == 1
    assert wiki.page(RITUAL)["parent"] == rituals[0]["id"]
    assert cloud.request_log.counts()["GET /api/v2/pages/{pid}/children"] == 2


# ---------------------------------------------------------------- the trash
@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_titles_are_unique_including_the_trash(flavor: str) -> None:
    with ConfluenceStandin(flavor=flavor) as standin:
        page = standin.wiki_user.create_page("Held")
        standin.wiki_user.delete_page(page)
        with pytest.raises(ValueError):
            standin.wiki_user.create_page("Held")
        assert standin.title_taken("PLAY", "Held")


def test_v2_trashed_page_cannot_change_but_can_be_restored(cloud: ConfluenceStandin) -> None:
    page = _create(cloud, "Temp").json()
    assert requests.delete(f"{cloud.url}/api/v2/pages/{page['id']}", auth=AUTH,
                           timeout=5).status_code == 204
    clash = _create(cloud, "Temp")
    assert clash.status_code == 400
    assert "title already exists" in clash.json()["errors"][0]["title"]
    edit = {"id": page["id"], "status": "trashed", "title": "Other",
            "body": {"representation": "storage", "value": "<p>new</p>"},
            "version": {"number": 2}}
    refused = requests.put(f"{cloud.url}/api/v2/pages/{page['id']}", json=edit, auth=AUTH,
                           timeout=5)
    assert refused.status_code == 400
    restore = {**edit, "status": "current"}
    restored = requests.put(f"{cloud.url}/api/v2/pages/{page['id']}", json=restore,
                            auth=AUTH, timeout=5).json()
    # restoring changes the status only, not the contents
    assert restored["status"] == "current" and restored["title"] == "Temp"
    assert cloud.state["contents"][page["id"]]["body"] == "<p>x</p>"


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_archived_then_readded_document_restores_its_page(flavor: str, tmp_path: Path) -> None:
    with ConfluenceStandin(flavor=flavor) as standin:
        wiki = Wiki(standin, tmp_path)
        wiki.push()
        page_id = wiki.page(RITUAL)["id"]
        saved = (wiki.playbook / RITUAL_FILE).read_text()
        (wiki.playbook / RITUAL_FILE).unlink()
        assert wiki.push().count("archive") == 1
        assert standin.state["contents"][page_id]["status"] == "trashed"
        # Forget the state's record of it, as a new checkout would: only the title leads
        # back to the trashed page.
        store = StateStore(wiki.state_dir, "wiki")
        state = store.load()
        state.docs.pop(RITUAL, None)
        store.save(state)
        (wiki.playbook / RITUAL_FILE).write_text(saved + "\nBack again.\n")
        report = wiki.push()
        assert not report.conflicts and report.count("create") + report.count("restore") == 1
        page = wiki.page(RITUAL)
        assert page["id"] == page_id and page["title"] == "Weekly Product Update"
        assert "Back again." in page["body"]
        same_title = [c for c in standin.state["contents"].values()
                      if c["title"].startswith("Weekly Product Update (Rituals")]
        assert same_title == []  # no duplicate under a suffixed title
        assert {i.status.name for i in wiki.engine().build_plan()} == {"IN_SYNC"}
        if flavor == "cloud":
            assert standin.v1_page_requests() == []
