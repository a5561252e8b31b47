"""The test-harness side of the stand-ins: faults, request log, wiki user, clock, persistence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import requests
from atlassian import Confluence
from atlassian.errors import ApiError
from notion_client import APIResponseError, Client
from notion_client.errors import RequestTimeoutError
from requests import HTTPError

from prodops_sync.standins import Clock
from prodops_sync.standins.confluence import ConfluenceStandin
from prodops_sync.standins.notion import NotionStandin


@pytest.fixture
def confluence_standin() -> Iterator[ConfluenceStandin]:
    """The Data Center flavour: v1 at the root (the cloud flavour's v2 and its 410s for v1
    page endpoints are tested in test_confluence_v2.py)."""
    with ConfluenceStandin(flavor="datacenter") as standin:
        yield standin



def notion(standin: NotionStandin, **kwargs: object) -> Client:
    return Client(auth="x", base_url=standin.url, **kwargs)


def confluence(standin: ConfluenceStandin) -> Confluence:
    return Confluence(url=standin.url, username="u", password="t")


def make_page(c: Client, standin: NotionStandin, title: str = "Doc") -> str:
    return str(
        c.pages.create(
            parent={"page_id": standin.root_page_id},
            properties={"title": {"title": [{"text": {"content": title}}]}},
        )["id"]
    )


# ---------------------------------------------------------------- faults
def test_fail_nth_request_with_500(notion_standin: NotionStandin) -> None:
    c = notion(notion_standin, retry=False)
    notion_standin.faults.fail_nth(2, "500")
    c.search()
    with pytest.raises(APIResponseError) as info:
        c.search()
    assert info.value.status == 500 and info.value.code == "internal_server_error"
    c.search()
    assert [e.status for e in notion_standin.request_log] == [200, 500, 200]
    assert notion_standin.request_log[1].fault == "500"


def test_client_retry_rides_out_one_503(notion_standin: NotionStandin) -> None:
    c = notion(notion_standin)  # notion-client retries idempotent requests on 5xx by default
    notion_standin.faults.fail_next("503", match="GET /v1/pages")
    page_id = make_page(c, notion_standin)
    assert c.pages.retrieve(page_id)["id"] == page_id
    statuses = [e.status for e in notion_standin.request_log if e.method == "GET"]
    assert statuses == [503, 200]


def test_injected_429_carries_retry_after(notion_standin: NotionStandin) -> None:
    notion_standin.faults.fail_next("429")
    with pytest.raises(APIResponseError) as info:
        notion(notion_standin, retry=False).search()
    assert info.value.code == "rate_limited" and info.value.headers["retry-after"] == "1"


def test_dropped_connection_before_processing(notion_standin: NotionStandin) -> None:
    c = notion(notion_standin, retry=False)
    notion_standin.faults.fail_next("drop", match="POST /v1/pages")
    with pytest.raises(httpx.HTTPError):
        make_page(c, notion_standin, "Lost")
    assert c.search(query="Lost")["results"] == []  # nothing was written


def test_dropped_connection_after_processing_leaves_the_write_done(
    notion_standin: NotionStandin,
) -> None:
    c = notion(notion_standin, retry=False)
    notion_standin.faults.fail_next("drop_after", match="POST /v1/pages")
    with pytest.raises(httpx.HTTPError):
        make_page(c, notion_standin, "Ghost")
    assert len(c.search(query="Ghost")["results"]) == 1  # the client never saw it succeed
    assert notion_standin.request_log.writes() == 1


def test_timeout_fault(notion_standin: NotionStandin) -> None:
    notion_standin.faults.timeout_delay = 0.6
    notion_standin.faults.fail_next("timeout")
    with pytest.raises(RequestTimeoutError):
        notion(notion_standin, retry=False, timeout_ms=150).search()


def test_fraction_of_requests_fails_reproducibly() -> None:
    def run() -> list[int]:
        with NotionStandin() as standin:
            standin.faults.fail_fraction(0.3, ("500", "502"), seed=7)
            headers = {"Authorization": "Bearer x", "Notion-Version": "2025-09-03"}
            return [
                requests.post(
                    f"{standin.url}/v1/search", headers=headers, json={}, timeout=5
                ).status_code
                for _ in range(40)
            ]

    first, second = run(), run()
    assert first == second
    failed = [s for s in first if s != 200]
    assert 3 <= len(failed) <= 25 and set(failed) <= {500, 502}


def test_confluence_fault_on_update(confluence_standin: ConfluenceStandin) -> None:
    c = confluence(confluence_standin)
    page_id = c.create_page("PLAY", "F", "<p/>")["id"]
    confluence_standin.faults.fail_next("502", match="PUT /rest/api/content")
    with pytest.raises(HTTPError) as info:
        c.update_page(page_id, "F", "<p>new</p>")
    assert info.value.response.status_code == 502
    assert c.update_page(page_id, "F", "<p>new</p>")["version"]["number"] == 2


def test_unknown_fault_kind_is_rejected(notion_standin: NotionStandin) -> None:
    with pytest.raises(ValueError):
        notion_standin.faults.fail_next("418")


# ---------------------------------------------------------------- request log
def test_request_log_counts_reads_and_writes(notion_standin: NotionStandin) -> None:
    c = notion(notion_standin)
    page_id = make_page(c, notion_standin)
    c.blocks.children.append(page_id, children=[{"paragraph": {"rich_text": []}}])
    c.blocks.children.list(page_id)
    c.search()
    log = notion_standin.request_log
    assert log.writes() == 2 and log.reads() == 2  # POST search is a read
    assert log.counts() == {
        "POST /v1/pages": 1,
        "PATCH /v1/blocks/{block_id}/children": 1,
        "GET /v1/blocks/{block_id}/children": 1,
        "POST /v1/search": 1,
    }
    method, path, status, *_ = log[0]
    assert (method, path, status) == ("POST", "/v1/pages", 200)
    log.clear()
    assert len(log) == 0


# ---------------------------------------------------------------- wiki user and clock
def test_notion_wiki_user_edits_like_a_person(notion_standin: NotionStandin) -> None:
    c = notion(notion_standin)
    page_id = make_page(c, notion_standin)
    ids = [
        b["id"]
        for b in c.blocks.children.append(
            page_id,
            children=[
                {"paragraph": {"rich_text": [{"text": {"content": "one"}}]}},
                {"paragraph": {"rich_text": [{"text": {"content": "two"}}]}},
            ],
        )["results"]
    ]
    before = c.pages.retrieve(page_id)["last_edited_time"]
    logged = len(notion_standin.request_log)
    notion_standin.clock.advance(180)
    wiki = notion_standin.wiki_user
    wiki.edit_text(ids[0], "ONE")
    wiki.add_paragraph(page_id, "one and a half", after=ids[0])
    wiki.delete_block(ids[1])
    wiki.set_title(page_id, "Renamed")
    assert len(notion_standin.request_log) == logged  # out-of-band edits are not API requests
    page = c.pages.retrieve(page_id)
    assert page["last_edited_time"] > before
    assert page["last_edited_by"]["id"] == wiki.user_id
    assert page["properties"]["title"]["title"][0]["plain_text"] == "Renamed"
    listing = c.blocks.children.list(page_id)["results"]
    assert [b["paragraph"]["rich_text"][0]["plain_text"] for b in listing] == [
        "ONE",
        "one and a half",
    ]
    assert wiki.page_text(page_id) == ["ONE", "one and a half"]


def test_notion_wiki_user_rows_moves_and_archive(notion_standin: NotionStandin) -> None:
    c = notion(notion_standin)
    db = c.databases.create(
        parent={"type": "page_id", "page_id": notion_standin.root_page_id},
        title=[{"text": {"content": "Decisions"}}],
        initial_data_source={"properties": {"Name": {"title": {}}, "State": {"select": {}}}},
    )
    ds = db["data_sources"][0]["id"]
    wiki = notion_standin.wiki_user
    row = wiki.create_page(ds, "Adopt RFCs", properties={"State": {"select": {"name": "Draft"}}})
    wiki.set_properties(row, {"State": {"select": {"name": "Accepted"}}})
    rows = c.data_sources.query(ds, filter={"property": "State", "select": {"equals": "Accepted"}})
    assert [r["id"] for r in rows["results"]] == [row]
    a = make_page(c, notion_standin, "A")
    b = make_page(c, notion_standin, "B")
    wiki.move_page(b, a)
    assert c.pages.retrieve(b)["parent"] == {"type": "page_id", "page_id": a}
    wiki.archive_page(a)
    assert c.pages.retrieve(a)["in_trash"] is True
    assert [r["id"] for r in c.search(query="A")["results"] if r["id"] == a] == []


def test_notion_clock_freeze_sets_exact_times() -> None:
    clock = Clock()
    clock.freeze(datetime(2030, 1, 2, 3, 4, 59, tzinfo=UTC))
    with NotionStandin(clock=clock) as standin:
        c = notion(standin)
        page = c.pages.retrieve(make_page(c, standin))
        assert page["created_time"] == "2030-01-02T03:04:00.000Z"
        clock.advance(61)
        c.pages.update(page["id"], icon={"type": "emoji", "emoji": "📘"})
        assert c.pages.retrieve(page["id"])["last_edited_time"] == "2030-01-02T03:06:00.000Z"
    clock.unfreeze()
    assert abs(clock.time() - datetime(2030, 1, 2, 3, 6, tzinfo=UTC).timestamp()) < 5


def test_confluence_wiki_user_causes_a_real_conflict(confluence_standin: ConfluenceStandin) -> None:
    c = confluence(confluence_standin)
    page = c.create_page("PLAY", "Cadence", "<p>weekly</p>")
    seen_version = page["version"]["number"]
    wiki = confluence_standin.wiki_user
    assert wiki.replace_text(page["id"], "weekly", "biweekly") == 2
    stale = {
        "type": "page",
        "title": "Cadence",
        "version": {"number": seen_version + 1},
        "body": {"storage": {"value": "<p>monthly</p>", "representation": "storage"}},
    }
    with pytest.raises(HTTPError) as info:
        c.put(f"rest/api/content/{page['id']}", data=stale)
    assert info.value.response.status_code == 409
    got = c.get_page_by_id(page["id"], expand="body.storage,version")
    assert got["body"]["storage"]["value"] == "<p>biweekly</p>"
    assert got["version"]["by"]["username"] == wiki.name


def test_confluence_wiki_user_create_move_delete(confluence_standin: ConfluenceStandin) -> None:
    c = confluence(confluence_standin)
    wiki = confluence_standin.wiki_user
    confluence_standin.clock.advance(7200)
    new = wiki.create_page("From the web", "<p>typed</p>")
    other = wiki.create_page("Elsewhere")
    wiki.move_page(new, other)
    got = c.get_page_by_id(new, expand="ancestors")
    assert [a["id"] for a in got["ancestors"]] == [confluence_standin.homepage_id, other]
    since = confluence_standin.clock.now().strftime("%Y-%m-%d %H:%M")
    assert {r["content"]["id"] for r in c.cql(f'lastmodified >= "{since}"')["results"]} == {
        new,
        other,
    }
    wiki.set_property(new, "prodops-sync", {"k": 1})
    wiki.set_property(new, "prodops-sync", {"k": 2})
    assert c.get_page_property(new, "prodops-sync")["version"]["number"] == 2
    wiki.delete_page(new)
    with pytest.raises(ApiError) as info:  # atlassian wraps the 404
        c.get_page_by_id(new)
    assert info.value.reason.response.status_code == 404


# ---------------------------------------------------------------- persistence
def test_notion_state_survives_a_restart(tmp_path: Path) -> None:
    with NotionStandin(data_dir=tmp_path) as first:
        c = notion(first)
        page_id = make_page(c, first, "Kept")
        c.blocks.children.append(
            page_id, children=[{"paragraph": {"rich_text": [{"text": {"content": "still here"}}]}}]
        )
        root = first.root_page_id
    assert [p.name for p in tmp_path.iterdir()] == ["notion.json"]  # no temp files left
    json.loads((tmp_path / "notion.json").read_text())
    with NotionStandin(data_dir=tmp_path) as second:
        c = notion(second)
        assert second.root_page_id == root
        block = c.blocks.children.list(page_id)["results"][0]
        assert block["paragraph"]["rich_text"][0]["plain_text"] == "still here"


def test_confluence_state_survives_a_restart(tmp_path: Path) -> None:
    with ConfluenceStandin(flavor="datacenter", data_dir=tmp_path) as first:
        c = confluence(first)
        page_id = c.create_page("PLAY", "Kept", "<p>a</p>")["id"]
        c.update_page(page_id, "Kept", "<p>b</p>")
    with ConfluenceStandin(flavor="datacenter", data_dir=tmp_path) as second:
        c = confluence(second)
        got = c.get_page_by_id(page_id, expand="body.storage,version")
        assert got["version"]["number"] == 2 and got["body"]["storage"]["value"] == "<p>b</p>"
        assert c.create_page("PLAY", "Next", "<p/>")["id"] != page_id  # ids keep counting
