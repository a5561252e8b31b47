"""Backend exchanges recorded as vcrpy cassettes from the stand-ins and replayed.

The cassettes under tests/cassettes/ were recorded from the stand-ins (delete one, or set
``PRODOPS_RECORD_CASSETTES=1``, to re-record). Tests marked ``live`` run the same scenarios
against real Notion / Confluence when credentials are set and record into
tests/cassettes/live/, which the token scan covers too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from atlassian import Confluence
from notion_client import Client

from prodops_sync.standins.confluence import ConfluenceStandin
from prodops_sync.standins.notion import NotionStandin
from tests.conftest import CASSETTES, find_tokens, make_vcr

# token-shaped credentials on purpose: the cassettes must not contain them
NOTION_TOKEN = "ntn_" + "0123456789abcdefghijABCDEFGHIJ"
CONFLUENCE_PASSWORD = "ATATT" + "3xFfGF0-0123456789abcdefghij"
Recorder = Callable[[str, Callable[[], Any]], AbstractContextManager[str]]


def notion_scenario(client: Client, parent_page_id: str | None = None) -> dict[str, Any]:
    """Find the shared page, create a child page, append blocks in two calls, read them back."""
    if parent_page_id is None:
        parent_page_id = client.search(filter={"property": "object", "value": "page"})["results"][
            0
        ]["id"]
    page = client.pages.create(
        parent={"page_id": parent_page_id},
        properties={"title": [{"text": {"content": "prodops-sync cassette page"}}]},
    )
    blocks = [
        {"paragraph": {"rich_text": [{"text": {"content": f"line {i}"}}]}} for i in range(120)
    ]
    client.blocks.children.append(page["id"], children=blocks[:100])
    client.blocks.children.append(page["id"], children=blocks[100:])
    texts: list[str] = []
    cursor = None
    while True:
        kwargs = {"start_cursor": cursor} if cursor else {}
        res = client.blocks.children.list(page["id"], **kwargs)
        texts += [b["paragraph"]["rich_text"][0]["plain_text"] for b in res["results"]]
        if not res["has_more"]:
            break
        cursor = res["next_cursor"]
    client.pages.update(page["id"], in_trash=True)
    return {"page_id": page["id"], "texts": texts}


def confluence_scenario(client: Confluence, space: str) -> dict[str, Any]:
    """Create, update, hit a stale-version 409, find by CQL, then delete a page."""
    home = client.get_space(space, expand="homepage")["homepage"]["id"]
    page = client.create_page(space, "prodops-sync cassette page", "<p>one</p>", parent_id=home)
    updated = client.update_page(page["id"], page["title"], "<p>two</p>")
    stale = client.put(
        f"rest/api/content/{page['id']}",
        data={
            "type": "page",
            "title": page["title"],
            "version": {"number": 2},
            "body": {"storage": {"value": "<p>x</p>", "representation": "storage"}},
        },
        advanced_mode=True,
    )
    found = client.cql(f'space = {space} and title = "prodops-sync cassette page"')
    client.remove_page(page["id"])
    return {
        "version": updated["version"]["number"],
        "stale_status": stale.status_code,
        "found": [r["content"]["id"] for r in found["results"]],
        "page_id": page["id"],
    }


def test_notion_exchange_replays_from_cassette(standin_cassette: Recorder) -> None:
    with standin_cassette("notion_page_roundtrip.yaml", NotionStandin) as url:
        result = notion_scenario(Client(auth=NOTION_TOKEN, base_url=url, retry=False))
    assert result["texts"] == [f"line {i}" for i in range(120)]


def test_confluence_exchange_replays_from_cassette(standin_cassette: Recorder) -> None:
    # A v1 exchange (the cassette's paths are at the root): the Data Center flavour.
    with standin_cassette("confluence_page_roundtrip.yaml",
                          lambda: ConfluenceStandin(flavor="datacenter")) as url:
        client = Confluence(url=url, username="ops@example.com", password=CONFLUENCE_PASSWORD)
        result = confluence_scenario(client, "PLAY")
    assert result["version"] == 2 and result["stale_status"] == 409
    assert result["found"] == [result["page_id"]]


def test_cassettes_exist_and_hold_no_tokens() -> None:
    files = [p for p in CASSETTES.rglob("*") if p.is_file()]
    assert any(p.name == "notion_page_roundtrip.yaml" for p in files)
    leaks = {str(p): find_tokens(p.read_text(errors="replace")) for p in files}
    assert {k: v for k, v in leaks.items() if v} == {}
    for p in files:
        text = p.read_text(errors="replace").lower()
        assert NOTION_TOKEN.lower() not in text and CONFLUENCE_PASSWORD.lower() not in text


@pytest.mark.parametrize(
    "planted",
    [
        # Token-shaped strings are assembled here so that no secret scanner flags the source.
        "Authorization: Bearer " + "ntn" + "_abcdefghijklmnopqrstuvwxyz",
        "secret" + "_0123456789abcdefghijklmnop",
        "Basic dTpBVEFUVDEyMzQ1Njc4",
        "ATATT3" + "xFfGF0abcdefghijklmnop",
    ],
)
def test_token_scan_catches_planted_tokens(planted: str) -> None:
    assert find_tokens(f"headers:\n  x: {planted}\n")


# ---------------------------------------------------------------- live re-recording
@pytest.mark.live
def test_live_notion_rerecord() -> None:
    """Against real Notion: NOTION_TOKEN, and NOTION_ROOT_PAGE (a page shared with it)."""
    root = os.environ.get("NOTION_ROOT_PAGE")
    if not root:
        pytest.skip("NOTION_ROOT_PAGE not set")
    live = CASSETTES / "live"
    with make_vcr("all", live).use_cassette("notion_page_roundtrip.yaml"):
        result = notion_scenario(Client(auth=os.environ["NOTION_TOKEN"]), root)
    assert result["texts"] == [f"line {i}" for i in range(120)]
    assert not find_tokens((live / "notion_page_roundtrip.yaml").read_text())


@pytest.mark.live
def test_live_confluence_rerecord() -> None:
    """Against real Confluence: CONFLUENCE_URL/USER/TOKEN (and CONFLUENCE_SPACE)."""
    space = os.environ.get("CONFLUENCE_SPACE", "PLAY")
    live = CASSETTES / "live"
    client = Confluence(
        url=os.environ["CONFLUENCE_URL"],
        username=os.environ["CONFLUENCE_USER"],
        password=os.environ["CONFLUENCE_TOKEN"],
        cloud=False,
    )
    with make_vcr("all", live).use_cassette("confluence_page_roundtrip.yaml"):
        result = confluence_scenario(client, space)
    assert result["stale_status"] == 409
    text = (live / "confluence_page_roundtrip.yaml").read_text()
    assert not find_tokens(text) and os.environ["CONFLUENCE_TOKEN"] not in text


def test_replay_needs_no_server(tmp_path: Path) -> None:
    """Replay mode really is offline: nothing listens on REPLAY_URL's port."""
    import socket

    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", 9)) != 0
