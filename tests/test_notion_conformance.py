"""The Notion stand-in answers as Notion documents it, and the client copes (issue #17).

Documented behaviour checked here (developers.notion.com, "Request limits" and "Status
codes"): size limits return ``400 validation_error`` naming the path; ``409
conflict_error`` is retryable; a request without, or with an unknown, ``Notion-Version`` is
refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from notion_client import APIResponseError, Client

from prodops_sync.standins import NotionStandin
from tests.pushed import pushed_world
from tests.reliability.harness import RITUAL_FILE, World, open_world
from tests.reliability.test_concurrency import _engine


@pytest.fixture
def pushed(tmp_path: Path) -> Iterator[World]:
    yield from pushed_world("notion", tmp_path)


def test_conflict_error_is_retried_and_the_push_finishes(pushed: World) -> None:
    pushed.edit(RITUAL_FILE, "## ", "## Edited in Git. ")
    pushed.standin.faults.fail_next("409", times=3, match="PATCH")
    report = _engine(pushed).push()
    assert report.count("update") == 1 and report.retries >= 3
    assert [str(i.status) for i in _engine(pushed).plan().items
            if str(i.status) != "in-sync"] == []
    injected = [kind for _, kind, _ in pushed.standin.faults.injected]
    assert injected.count("409") == 3


def _client(standin: NotionStandin, version: str | None = "2025-09-03") -> Client:
    return Client(auth="secret", base_url=standin.url, notion_version=version or "")


def _paragraphs(n: int, text: str = "x") -> list[dict[str, Any]]:
    return [{"paragraph": {"rich_text": [{"text": {"content": text}}]}} for _ in range(n)]


def _error(call: Any) -> APIResponseError:
    with pytest.raises(APIResponseError) as caught:
        call()
    return caught.value


def test_more_than_1000_blocks_in_one_request_is_refused(notion_standin: NotionStandin) -> None:
    c = _client(notion_standin)
    page = c.pages.create(parent={"page_id": notion_standin.root_page_id},
                          properties={"title": {"title": [{"text": {"content": "Big"}}]}})
    # 100 toggles with 10 children each: 1,100 block elements, every array within 100.
    toggles = [{"toggle": {"rich_text": [{"text": {"content": f"t{i}"}}],
                           "children": _paragraphs(10)}} for i in range(100)]
    err = _error(lambda: c.blocks.children.append(page["id"], children=toggles))
    assert err.status == 400 and err.code == "validation_error"
    assert "1000" in str(err)
    ok = [{"toggle": {"rich_text": [{"text": {"content": f"t{i}"}}],
                      "children": _paragraphs(8)}} for i in range(100)]  # 900 blocks
    assert len(c.blocks.children.append(page["id"], children=ok)["results"]) == 100


def test_a_request_over_500_kb_is_refused(notion_standin: NotionStandin) -> None:
    c = _client(notion_standin)
    page = c.pages.create(parent={"page_id": notion_standin.root_page_id},
                          properties={"title": {"title": [{"text": {"content": "Big"}}]}})
    blocks = [{"paragraph": {"rich_text": [{"text": {"content": "y" * 2000}}] * 3}}
              for _ in range(100)]  # 100 x 6,000 characters: about 600 KB
    err = _error(lambda: c.blocks.children.append(page["id"], children=blocks))
    assert err.status == 400 and err.code == "validation_error" and "500KB" in str(err)


def _row_error(standin: NotionStandin, ptype: str, value: Any) -> APIResponseError:
    """The error of creating a row whose property ``P`` (of type ``ptype``) is ``value``."""
    c = _client(standin)
    db = c.databases.create(
        parent={"type": "page_id", "page_id": standin.root_page_id},
        title=[{"text": {"content": "Limits"}}],
        initial_data_source={"properties": {"Name": {"title": {}}, "P": {ptype: {}}}},
    )
    return _error(lambda: c.pages.create(
        parent={"data_source_id": db["data_sources"][0]["id"]},
        properties={"Name": {"title": [{"text": {"content": "n"}}]}, "P": {ptype: value}},
    ))


@pytest.mark.parametrize(("ptype", "count", "limit"), [
    ("multi_select", 101, 100), ("people", 101, 100)])
def test_property_arrays_over_their_limit_are_refused(
    notion_standin: NotionStandin, ptype: str, count: int, limit: int
) -> None:
    values: Any
    if ptype == "multi_select":
        values = [{"name": f"o{i}"} for i in range(count)]
    else:
        values = [{"id": f"{i:08d}-0000-0000-0000-000000000000"} for i in range(count)]
    err = _row_error(notion_standin, ptype, values)
    assert err.status == 400 and err.code == "validation_error"
    assert f"should be ≤ `{limit}`" in str(err)


@pytest.mark.parametrize(("ptype", "length"), [("email", 201), ("phone_number", 201),
                                                ("url", 2001)])
def test_text_like_properties_over_their_limit_are_refused(
    notion_standin: NotionStandin, ptype: str, length: int
) -> None:
    err = _row_error(notion_standin, ptype, "a" * length)
    assert err.status == 400 and err.code == "validation_error"
    assert f"length should be ≤ `{length - 1}`" in str(err)


def test_unknown_notion_version_is_refused(notion_standin: NotionStandin) -> None:
    answer = httpx.get(f"{notion_standin.url}/v1/users/me", headers={
        "Authorization": "Bearer secret", "Notion-Version": "2019-01-01"})
    assert answer.status_code == 400
    body = answer.json()
    assert body["object"] == "error" and body["code"] == "validation_error"
    assert "Notion-Version" in body["message"] and "request_id" in body


def test_unknown_and_missing_versions_are_refused(notion_standin: NotionStandin) -> None:
    err = _error(lambda: _client(notion_standin, "2021-05-13").users.me())
    assert err.status == 400 and err.code == "validation_error"
    # notion-client does not know the code `missing_version`, so read the raw answer.
    raw = httpx.get(f"{notion_standin.url}/v1/users/me", headers={"Authorization": "Bearer x"})
    assert raw.status_code == 400 and raw.json()["code"] == "missing_version"


@pytest.mark.parametrize("version", ["2025-09-03", "2026-03-11"])
def test_both_supported_versions_are_served(notion_standin: NotionStandin, version: str) -> None:
    c = _client(notion_standin, version)
    page = c.pages.create(parent={"page_id": notion_standin.root_page_id},
                          properties={"title": {"title": [{"text": {"content": "V"}}]}})
    assert page["in_trash"] is False
    # 2026-03-11 dropped the deprecated `archived` field from every answer.
    assert ("archived" in page) is (version == "2025-09-03")
    first = c.blocks.children.append(page["id"], children=_paragraphs(1, "a"))["results"][0]
    c.blocks.children.append(page["id"], children=_paragraphs(1, "b"),
                             position={"type": "after_block", "after_block": {"id": first["id"]}})
    c.blocks.children.append(page["id"], children=_paragraphs(1, "z"), position={"type": "start"})
    texts = [b["paragraph"]["rich_text"][0]["plain_text"]
             for b in c.blocks.children.list(page["id"])["results"]]
    assert texts == ["z", "a", "b"]


def test_version_2026_refuses_the_fields_it_removed(notion_standin: NotionStandin) -> None:
    c = _client(notion_standin, "2026-03-11")
    page = c.pages.create(parent={"page_id": notion_standin.root_page_id},
                          properties={"title": {"title": [{"text": {"content": "V"}}]}})
    first = c.blocks.children.append(page["id"], children=_paragraphs(1))["results"][0]
    err = _error(lambda: c.blocks.children.append(page["id"], children=_paragraphs(1),
                                                  after=first["id"]))
    assert err.status == 400 and err.code == "validation_error" and "body.after" in str(err)
    err = _error(lambda: c.pages.update(page["id"], archived=True))
    assert err.code == "validation_error" and "body.archived" in str(err)
    assert c.pages.update(page["id"], in_trash=True)["in_trash"] is True


@pytest.mark.parametrize("version", ["2025-09-03", "2026-03-11"])
def test_the_tool_syncs_on_each_version(tmp_path: Path, version: str) -> None:
    world = open_world("notion", tmp_path)
    config_file = world.root / "prodops-sync.yaml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for target in config["targets"].values():
        target["notion_version"] = version
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    try:
        _engine(world).push()
        assert world.standin.versions_seen == {version}
        world.edit(RITUAL_FILE, "## ", "## Inserted in Git.\n\nNew paragraph.\n\n## ")
        report = _engine(world).push()
        assert report.count("update") == 1
        assert [str(i.status) for i in _engine(world).plan().items
                if str(i.status) != "in-sync"] == []
    finally:
        world.standin.stop()


def test_plain_text_code_and_default_background_are_accepted(
    notion_standin: NotionStandin,
) -> None:
    c = _client(notion_standin)
    page = c.pages.create(parent={"page_id": notion_standin.root_page_id},
                          properties={"title": {"title": [{"text": {"content": "C"}}]}})
    blocks = [
        {"code": {"language": "plain text", "rich_text": [{"text": {"content": "x"}}]}},
        {"paragraph": {"rich_text": [{"text": {"content": "y"}}], "color": "default_background"}},
    ]
    assert len(c.blocks.children.append(page["id"], children=blocks)["results"]) == 2


def test_answers_carry_request_id_and_lists_the_survey_link(
    notion_standin: NotionStandin,
) -> None:
    c = _client(notion_standin)
    page = c.pages.create(parent={"page_id": notion_standin.root_page_id},
                          properties={"title": {"title": [{"text": {"content": "R"}}]}})
    listing = c.blocks.children.list(page["id"])
    assert page["request_id"] and listing["request_id"] != page["request_id"]
    assert listing["developer_survey"].startswith("https://")
    assert page["public_url"] is None
