"""The stand-ins' read-only HTML view (issue #18, "look before you push"): after a push it
shows every document as the wiki would, it escapes hostile wiki content, and a headless
browser renders it (``browser`` tests skip where Debian's chromium is missing)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from prodops_sync.standins.browser import chromium, render
from tests.reliability.harness import World, open_world
from tests.reliability.test_concurrency import _engine

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture(params=["notion", "confluence"])
def pushed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    world = open_world(request.param, tmp_path)
    try:
        _engine(world).push()
        yield world
    finally:
        world.standin.stop()


def _view(world: World, path: str = "/") -> httpx.Response:
    return httpx.get(world.standin.url + path, timeout=10)


def _page_ids(html: str) -> list[str]:
    return re.findall(r'href="(?:/wiki)?/view/([0-9a-f-]+)"', html)


def test_the_tree_lists_every_pushed_document_and_each_page_renders(pushed: World) -> None:
    index = _view(pushed)
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert "script-src" not in index.headers["content-security-policy"]  # scripts: none
    listed = set(_page_ids(index.text))
    for key, doc in pushed.state()["docs"].items():
        assert doc["remote_id"] in listed, key
    for page_id in listed:
        page = _view(pushed, f"/view/{page_id}")
        assert page.status_code == 200 and "<h1>" in page.text


def test_a_ritual_shows_its_fields_and_body(pushed: World) -> None:
    docs = pushed.state()["docs"]
    remote_id = docs["rituals/weekly-product-update"]["remote_id"]
    html = _view(pushed, f"/view/{remote_id}").text
    assert "<h1>Weekly Product Update</h1>" in html
    assert re.search(r"<th>(<p>)?(cadence|Cadence)(</p>)?</th>", html)
    assert "Five bullets per PM" in html
    assert "lozenge" in html  # the cadence select (Notion) / status-like values shown as tags


def test_the_view_needs_no_token_but_the_api_still_does(pushed: World) -> None:
    assert _view(pushed).status_code == 200
    api = "/v1/users/me" if pushed.kind == "notion" else "/rest/api/search?cql=type=page"
    assert httpx.get(pushed.standin.url + api, timeout=10).status_code == 401


def test_hostile_wiki_content_is_shown_as_text(pushed: World) -> None:
    standin = pushed.standin
    remote_id = pushed.state()["docs"]["rituals/weekly-product-update"]["remote_id"]
    if pushed.kind == "notion":
        standin.wiki_user.set_title(remote_id, HOSTILE)
        standin.wiki_user.insert_blocks(remote_id, [
            {"paragraph": {"rich_text": [{"text": {"content": "click",
                                                   "link": {"url": "https://example.com/x"}}}]}},
            {"paragraph": {"rich_text": [{"text": {"content": HOSTILE}}]}},
        ])
    else:
        standin.wiki_user.set_title(remote_id, HOSTILE)
        standin.wiki_user.edit_body(remote_id, (
            f"<p>{HOSTILE.replace('<', '&lt;')}</p>"
            '<p><a href="javascript:alert(3)">click</a></p>'
            '<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">X-1'
            "</ac:parameter></ac:structured-macro>"
        ))
    html = _view(pushed, f"/view/{remote_id}").text + _view(pushed).text
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    if pushed.kind == "confluence":
        assert "[jira macro]" in html  # an unknown macro is a visible placeholder


@pytest.mark.browser
def test_chromium_renders_the_page_properties_and_body(pushed: World, tmp_path: Path) -> None:
    if chromium() is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    remote_id = pushed.state()["docs"]["rituals/weekly-product-update"]["remote_id"]
    shot = tmp_path / "ritual.png"
    dom = render(f"{pushed.standin.url}/view/{remote_id}", screenshot=shot)
    assert "Weekly Product Update" in dom and "Five bullets per PM" in dom
    assert re.search(r"<table[^>]*>.*<th>(<p>)?(cadence|Cadence)(</p>)?</th>", dom, re.S)
    assert shot.stat().st_size > 10_000  # a real rendering, not a blank page
