"""The Notion stand-in driven through the official notion-client, unchanged."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from notion_client import APIResponseError, Client
from notion_client.errors import HTTPResponseError

from prodops_sync.standins.notion import NotionStandin


def para(text: str, children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"rich_text": [{"type": "text", "text": {"content": text}}]}
    if children is not None:
        body["children"] = children
    return {"object": "block", "type": "paragraph", "paragraph": body}


def client(standin: NotionStandin, **kwargs: Any) -> Client:
    kwargs.setdefault("auth", "x")
    return Client(base_url=standin.url, **kwargs)


def new_page(c: Client, standin: NotionStandin, title: str = "Doc") -> str:
    page = c.pages.create(
        parent={"page_id": standin.root_page_id},
        properties={"title": {"title": [{"text": {"content": title}}]}},
    )
    return str(page["id"])


def all_children(c: Client, block_id: str, page_size: int | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        kwargs: dict[str, Any] = {}
        if cursor:
            kwargs["start_cursor"] = cursor
        if page_size:
            kwargs["page_size"] = page_size
        res = c.blocks.children.list(block_id, **kwargs)
        out.extend(res["results"])
        if not res["has_more"]:
            return out
        cursor = res["next_cursor"]


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b[b["type"]]["rich_text"][0]["plain_text"] for b in blocks]


def api_error(fn: Any, *args: Any, **kwargs: Any) -> APIResponseError:
    with pytest.raises(APIResponseError) as info:
        fn(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------- the acceptance flow
def test_create_page_append_150_blocks_and_read_back_in_order(
    notion_standin: NotionStandin,
) -> None:
    c = client(notion_standin)
    found = c.search(query="Playbook")["results"]
    assert [r["id"] for r in found] == [notion_standin.root_page_id]
    page_id = new_page(c, notion_standin)
    blocks = [para(f"block {i}") for i in range(150)]
    first = c.blocks.children.append(page_id, children=blocks[:100])
    second = c.blocks.children.append(page_id, children=blocks[100:])
    assert len(first["results"]) == 100 and len(second["results"]) == 50
    listing = c.blocks.children.list(page_id)
    assert listing["has_more"] is True and len(listing["results"]) == 100
    got = all_children(c, page_id)
    assert texts(got) == [f"block {i}" for i in range(150)]
    assert texts(all_children(c, page_id, page_size=7)) == [f"block {i}" for i in range(150)]
    counts = notion_standin.request_log.counts()
    assert counts["PATCH /v1/blocks/{block_id}/children"] == 2
    assert notion_standin.request_log.writes() == 3  # page create + two appends


def test_ids_are_uuids_and_times_round_down_to_the_minute(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page = c.pages.retrieve(new_page(c, notion_standin))
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", page["id"]
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z", page["created_time"])
    assert page["properties"]["title"]["title"][0]["plain_text"] == "Doc"
    # ids without dashes are accepted too, as by Notion
    assert c.pages.retrieve(page["id"].replace("-", ""))["id"] == page["id"]


def test_append_after_and_position_insert_in_place(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page_id = new_page(c, notion_standin)
    ids = [
        b["id"]
        for b in c.blocks.children.append(page_id, children=[para("a"), para("c")])["results"]
    ]
    c.blocks.children.append(page_id, children=[para("b")], after=ids[0])
    c.blocks.children.append(page_id, children=[para("start")], position={"type": "start"})
    c.blocks.children.append(
        page_id,
        children=[para("after c")],
        position={"type": "after_block", "after_block": {"id": ids[1]}},
    )
    assert texts(all_children(c, page_id)) == ["start", "a", "b", "c", "after c"]


def test_block_update_delete_and_nested_children(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page_id = new_page(c, notion_standin)
    res = c.blocks.children.append(
        page_id,
        children=[
            {
                "type": "toggle",
                "toggle": {
                    "rich_text": [{"text": {"content": "t"}}],
                    "children": [para("inner", [para("deepest")])],
                },
            },
            para("gone"),
        ],
    )
    toggle, gone = (b["id"] for b in res["results"])
    assert res["results"][0]["has_children"] is True
    inner = all_children(c, toggle)
    assert texts(inner) == ["inner"] and texts(all_children(c, inner[0]["id"])) == ["deepest"]
    updated = c.blocks.update(
        toggle, toggle={"rich_text": [{"text": {"content": "T2"}, "annotations": {"bold": True}}]}
    )
    assert updated["toggle"]["rich_text"][0]["annotations"]["bold"] is True
    assert c.blocks.delete(gone)["in_trash"] is True
    assert [b["id"] for b in all_children(c, page_id)] == [toggle]
    err = api_error(c.blocks.update, gone, paragraph={"rich_text": []})
    assert err.code == "validation_error"
    err = api_error(c.blocks.update, toggle, paragraph={"rich_text": []})
    assert err.code == "validation_error"  # the type of a block cannot change


def test_child_pages_appear_as_child_page_blocks(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page_id = new_page(c, notion_standin, "Parent")
    child = c.pages.create(
        parent={"page_id": page_id}, properties={"title": {"title": [{"text": {"content": "Kid"}}]}}
    )
    listing = all_children(c, page_id)
    assert listing[0]["type"] == "child_page" and listing[0]["id"] == child["id"]
    assert listing[0]["child_page"] == {"title": "Kid"}


# ---------------------------------------------------------------- databases and data sources
@pytest.fixture
def rituals(notion_standin: NotionStandin) -> tuple[Client, str, str]:
    c = client(notion_standin)
    db = c.databases.create(
        parent={"type": "page_id", "page_id": notion_standin.root_page_id},
        title=[{"text": {"content": "Rituals"}}],
        initial_data_source={
            "properties": {
                "Name": {"title": {}},
                "Key": {"rich_text": {}},
                "Cadence": {"select": {"options": [{"name": "weekly"}, {"name": "monthly"}]}},
                "Tags": {"multi_select": {}},
                "Order": {"number": {}},
            }
        },
    )
    return c, db["id"], db["data_sources"][0]["id"]


def row(c: Client, ds: str, name: str, key: str, cadence: str, order: int) -> dict[str, Any]:
    return dict(
        c.pages.create(
            parent={"type": "data_source_id", "data_source_id": ds},
            properties={
                "Name": {"title": [{"text": {"content": name}}]},
                "Key": {"rich_text": [{"text": {"content": key}}]},
                "Cadence": {"select": {"name": cadence}},
                "Order": {"number": order},
            },
        )
    )


def test_database_with_data_source_and_query_filters(
    notion_standin: NotionStandin, rituals: tuple[Client, str, str]
) -> None:
    c, db_id, ds = rituals
    assert c.databases.retrieve(db_id)["data_sources"][0]["name"] == "Rituals"
    assert set(c.data_sources.retrieve(ds)["properties"]) == {
        "Name",
        "Key",
        "Cadence",
        "Tags",
        "Order",
    }
    row(c, ds, "Standup", "ritual:standup", "weekly", 2)
    row(c, ds, "Review", "ritual:review", "monthly", 1)
    row(c, ds, "Retro", "ritual:retro", "weekly", 3)
    by_key = c.data_sources.query(
        ds, filter={"property": "Key", "rich_text": {"equals": "ritual:review"}}
    )
    assert [p["properties"]["Name"]["title"][0]["plain_text"] for p in by_key["results"]] == [
        "Review"
    ]
    weekly = c.data_sources.query(
        ds,
        filter={
            "and": [
                {"property": "Cadence", "select": {"equals": "weekly"}},
                {"property": "Key", "rich_text": {"contains": "RE"}},
            ]
        },
    )
    assert len(weekly["results"]) == 1
    ordered = c.data_sources.query(ds, sorts=[{"property": "Order", "direction": "descending"}])
    assert [p["properties"]["Order"]["number"] for p in ordered["results"]] == [3, 2, 1]
    page1 = c.data_sources.query(
        ds, page_size=2, sorts=[{"property": "Order", "direction": "ascending"}]
    )
    assert page1["has_more"] is True
    page2 = c.data_sources.query(
        ds,
        page_size=2,
        start_cursor=page1["next_cursor"],
        sorts=[{"property": "Order", "direction": "ascending"}],
    )
    assert [p["properties"]["Order"]["number"] for p in page2["results"]] == [3]
    # parent by database_id still works when the database has one data source
    p = c.pages.create(parent={"database_id": db_id}, properties={"Name": {"title": []}})
    assert p["parent"]["data_source_id"] == ds


def test_last_edited_time_filter_follows_the_clock(
    notion_standin: NotionStandin, rituals: tuple[Client, str, str]
) -> None:
    c, _, ds = rituals
    old = row(c, ds, "Old", "k:old", "weekly", 1)
    notion_standin.clock.advance(600)
    cutoff = notion_standin.clock.now().strftime("%Y-%m-%dT%H:%M:00.000Z")
    new = row(c, ds, "New", "k:new", "weekly", 2)
    recent = c.data_sources.query(
        ds, filter={"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": cutoff}}
    )
    assert [p["id"] for p in recent["results"]] == [new["id"]]
    notion_standin.clock.advance(120)
    c.pages.update(old["id"], properties={"Order": {"number": 5}})
    recent = c.data_sources.query(
        ds, filter={"timestamp": "last_edited_time", "last_edited_time": {"after": cutoff}}
    )
    assert {p["id"] for p in recent["results"]} == {old["id"]}


def test_select_options_are_created_and_data_source_schema_updates(
    rituals: tuple[Client, str, str],
) -> None:
    c, _, ds = rituals
    row(c, ds, "A", "k:a", "quarterly", 1)
    options = c.data_sources.retrieve(ds)["properties"]["Cadence"]["select"]["options"]
    assert "quarterly" in [o["name"] for o in options]
    updated = c.data_sources.update(
        ds, properties={"Owner": {"rich_text": {}}, "Tags": None, "Order": {"name": "Rank"}}
    )
    assert set(updated["properties"]) == {"Name", "Key", "Cadence", "Owner", "Rank"}
    rows = c.data_sources.query(ds)["results"]
    assert rows[0]["properties"]["Rank"]["number"] == 1


def test_archive_page_makes_it_read_only_and_hides_it(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page_id = new_page(c, notion_standin, "Doomed")
    assert c.pages.update(page_id, in_trash=True)["in_trash"] is True
    assert c.search(query="Doomed")["results"] == []
    err = api_error(c.pages.update, page_id, properties={"title": [{"text": {"content": "x"}}]})
    assert err.code == "validation_error" and "archived" in str(err)
    err = api_error(c.blocks.children.append, page_id, children=[para("x")])
    assert err.code == "validation_error"
    assert c.pages.update(page_id, archived=False)["in_trash"] is False


def test_page_property_item_endpoint(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page_id = new_page(c, notion_standin, "Props")
    res = c.pages.properties.retrieve(page_id, "title")
    assert res["object"] == "list" and res["results"][0]["title"]["plain_text"] == "Props"


# ---------------------------------------------------------------- documented limits and errors
def test_limit_100_blocks_per_append(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page_id = new_page(c, notion_standin)
    err = api_error(c.blocks.children.append, page_id, children=[para(str(i)) for i in range(101)])
    assert err.status == 400 and err.code == "validation_error"
    assert "body.children.length should be ≤ `100`" in str(err)
    assert all_children(c, page_id) == []  # nothing was written


def test_limit_two_levels_of_nesting(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page_id = new_page(c, notion_standin)
    too_deep = para("1", [para("2", [para("3", [para("4")])])])
    err = api_error(c.blocks.children.append, page_id, children=[too_deep])
    assert err.code == "validation_error"
    assert (
        "paragraph.children[0].paragraph.children[0].paragraph.children should be not present"
        in str(err)
    )
    c.blocks.children.append(page_id, children=[para("1", [para("2", [para("3")])])])  # ok


def test_limit_rich_text_content_2000_chars(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page_id = new_page(c, notion_standin)
    c.blocks.children.append(page_id, children=[para("x" * 2000)])
    err = api_error(c.blocks.children.append, page_id, children=[para("x" * 2001)])
    assert err.code == "validation_error" and "text.content.length should be ≤ `2000`" in str(err)


def test_limit_100_rich_text_items(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page_id = new_page(c, notion_standin)
    items = [{"type": "text", "text": {"content": "a"}}] * 101
    err = api_error(
        c.blocks.children.append, page_id, children=[{"paragraph": {"rich_text": items}}]
    )
    assert err.code == "validation_error" and "rich_text.length should be ≤ `100`" in str(err)


def test_unknown_property_is_rejected(
    notion_standin: NotionStandin, rituals: tuple[Client, str, str]
) -> None:
    c, _, ds = rituals
    err = api_error(
        c.pages.create, parent={"data_source_id": ds}, properties={"Nope": {"rich_text": []}}
    )
    assert err.code == "validation_error" and "Nope is not a property that exists" in str(err)
    err = api_error(
        c.data_sources.query, ds, filter={"property": "Nope", "rich_text": {"equals": "x"}}
    )
    assert err.code == "validation_error"


def test_unknown_block_type_is_rejected(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    page_id = new_page(c, notion_standin)
    err = api_error(
        c.blocks.children.append, page_id, children=[{"type": "sparkle", "sparkle": {}}]
    )
    assert err.code == "validation_error"
    err = api_error(
        c.blocks.children.append,
        page_id,
        children=[{"type": "paragraph", "paragraph": {"rich_text": [], "colour": "red"}}],
    )
    assert err.code == "validation_error"


def test_page_size_over_100_is_rejected(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    err = api_error(c.blocks.children.list, notion_standin.root_page_id, page_size=101)
    assert err.code == "validation_error"


def test_missing_token_is_401_unauthorized(notion_standin: NotionStandin) -> None:
    c = Client(base_url=notion_standin.url)
    err = api_error(c.search)
    assert err.status == 401 and err.code == "unauthorized"


def test_fixed_token_rejects_others() -> None:
    with NotionStandin(token="ntn_right") as standin:
        assert client(standin, auth="ntn_right").users.me()["type"] == "bot"
        err = api_error(Client(auth="ntn_wrong", base_url=standin.url).search)
        assert err.code == "unauthorized"
        assert Client(auth="ntn_right", base_url=standin.url).search()["object"] == "list"


def test_missing_notion_version_is_400(notion_standin: NotionStandin) -> None:
    c = Client(auth="x", base_url=notion_standin.url, notion_version="")
    # notion-client does not know this code, so it raises its generic HTTPResponseError
    with pytest.raises(HTTPResponseError) as info:
        c.search()
    assert info.value.status == 400
    assert json.loads(info.value.body)["code"] == "missing_version"


def test_unknown_and_unshared_ids_are_404_object_not_found(notion_standin: NotionStandin) -> None:
    c = client(notion_standin)
    err = api_error(c.pages.retrieve, "0b7bd3e0-5b7a-4bdb-9a6f-3c8f0f2bd2a1")
    assert err.status == 404 and err.code == "object_not_found"
    private = notion_standin.wiki_user.create_page(None, "Private notes")
    err = api_error(c.pages.retrieve, private)
    assert err.code == "object_not_found"
    assert c.search(query="Private")["results"] == []
    err = api_error(c.blocks.children.list, private)
    assert err.code == "object_not_found"


def test_rate_limiter_answers_429_rate_limited_with_retry_after() -> None:
    # a slow refill (one token per 100 s) keeps the test independent of machine speed
    with NotionStandin(rate=0.01, burst=3) as standin:
        c = client(standin, retry=False)
        for _ in range(3):
            c.search()
        err = api_error(c.search)
        assert err.status == 429 and err.code == "rate_limited"
        assert int(err.headers["retry-after"]) >= 1
    assert standin.request_log.statuses()[429] == 1
