"""Team-defined kinds and free pages through the engine (CLI) against both stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kinds_fixture import add_team_content
from tests.sync_harness import Workspace, confluence_workspace, notion_workspace


@pytest.fixture(params=["notion", "confluence"])
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Workspace, Any]]:
    """A pushed workspace with team kinds and free pages, and its stand-in."""
    from prodops_sync.standins import ConfluenceStandin, NotionStandin

    kind = request.param
    with (NotionStandin() if kind == "notion" else ConfluenceStandin()) as standin:
        make = notion_workspace if kind == "notion" else confluence_workspace
        ws = make(tmp_path, standin)
        add_team_content(ws.root)
        result = ws.run("push")
        assert result.exit_code == 0, result.output
        yield ws, standin


def plan_of(ws: Workspace) -> dict[str, tuple[str, str, str]]:
    return {d["key"]: (d["status"], d["push"], d["pull"])
            for d in ws.run_json("plan")["documents"]}


def test_team_kinds_get_their_own_collection(side: tuple[Workspace, Any]) -> None:
    ws, standin = side
    containers = ws.state()["containers"]
    assert {"OKRs", "Services"} <= set(containers)
    okr, service = ws.remote_id("okrs/activation"), ws.remote_id("services/billing")
    if isinstance(standin.state.get("pages"), dict):  # Notion: a database with schema properties
        ds = standin.state["data_sources"][containers["OKRs"]]
        props = ds["properties"]
        assert props["quarter"]["type"] == "rich_text"
        assert props["status"]["type"] == "select"
        assert props["confidence"]["type"] == "number"
        page = standin.state["pages"][okr]
        assert page["parent"]["data_source_id"] == containers["OKRs"]
        titles = [n for n, p in standin.state["data_sources"][containers["Services"]]
                  ["properties"].items() if p["type"] == "title"]
        assert titles  # the service's title field (name) became the title
        assert standin.wiki_user.page_text(service) == []  # YAML kind: fields only
    else:  # Confluence: pages with page properties under a collection page with a report
        contents = standin.state["contents"]
        collection = contents[containers["OKRs"]]
        assert "detailssummary" in collection["body"]
        record = contents[okr]
        assert record["parent"] == containers["OKRs"]
        assert record["title"] == "Make activation self-serve"
        assert "<p>2026-Q3</p>" in record["body"] and "details" in record["body"]
        assert contents[service]["title"] == "Billing"
    assert set(plan_of(ws).values()) == {("in-sync", "none", "none")}


def test_team_kind_field_edited_in_the_wiki_is_pulled(side: tuple[Workspace, Any]) -> None:
    ws, standin = side
    page = ws.remote_id("okrs/activation")
    if isinstance(standin.state.get("pages"), dict):
        standin.wiki_user.set_properties(page, {"status": {"select": {"name": "at-risk"}}})
    else:
        cell = "<td><p>on-track</p></td>"
        body = standin.wiki_user.body(page)
        assert cell in body
        standin.wiki_user.edit_body(page, body.replace(cell, "<td><p>at-risk</p></td>"))
    assert plan_of(ws)["okrs/activation"] == ("remote-changed", "none", "write")
    assert ws.run("pull").exit_code == 0
    text = ws.read("okrs/activation.md")
    assert "status: at-risk" in text and "quarter: 2026-Q3" in text
    assert plan_of(ws)["okrs/activation"][0] == "in-sync"


def test_team_kind_record_created_in_the_wiki_comes_back(side: tuple[Workspace, Any]) -> None:
    ws, standin = side
    parent = ws.state()["containers"]["Services"]
    if isinstance(standin.state.get("pages"), dict):
        standin.wiki_user.create_page(parent, "Search", properties={
            "owner": {"rich_text": [{"text": {"content": "Discovery team"}}]},
            "lifecycle": {"select": {"name": "experimental"}},
        })
    else:
        body = ("<ac:structured-macro ac:name=\"details\"><ac:rich-text-body><table><tbody>"
                "<tr><th><p>Owner</p></th><td><p>Discovery team</p></td></tr>"
                "<tr><th><p>Lifecycle</p></th><td><p>experimental</p></td></tr>"
                "</tbody></table></ac:rich-text-body></ac:structured-macro>")
        standin.wiki_user.create_page("Search", body, parent_id=parent)
    assert plan_of(ws)["services/search"] == ("new-remote", "none", "create")
    assert ws.run("pull").exit_code == 0
    text = ws.read("services/search.yaml")
    assert "name: Search" in text and "lifecycle: experimental" in text
