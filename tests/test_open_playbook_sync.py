"""Team-defined kinds and free pages through the engine (CLI) against both stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

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
        assert props["Quarter"]["type"] == "rich_text"
        assert props["Status"]["type"] == "select"
        assert props["Confidence"]["type"] == "number"
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
        standin.wiki_user.set_properties(page, {"Status": {"select": {"name": "at-risk"}}})
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
            "Owner": {"rich_text": [{"text": {"content": "Discovery team"}}]},
            "Lifecycle": {"select": {"name": "experimental"}},
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


# --- free pages ---------------------------------------------------------------------------


def _is_notion(standin: Any) -> bool:
    return isinstance(standin.state.get("pages"), dict)


def _parent_of(standin: Any, page_id: str) -> str:
    if _is_notion(standin):
        parent = standin.state["pages"][page_id]["parent"]
        assert parent["type"] == "page_id", parent  # an ordinary page, not a database row
        return str(parent["page_id"])
    return str(standin.state["contents"][page_id]["parent"])


def _title_of(standin: Any, page_id: str) -> str:
    if _is_notion(standin):
        return str(standin.title_of(page_id))
    return str(standin.state["contents"][page_id]["title"])


def _text(standin: Any, page_id: str) -> str:
    if _is_notion(standin):
        return "\n".join(standin.wiki_user.page_text(page_id))
    return str(standin.wiki_user.body(page_id))


def _create_page(standin: Any, parent: str, title: str, text: str) -> str:
    if _is_notion(standin):
        return str(standin.wiki_user.create_page(parent, title, blocks=[
            {"paragraph": {"rich_text": [{"text": {"content": text}}]}}]))
    return str(standin.wiki_user.create_page(title, f"<p>{text}</p>", parent_id=parent))


def test_free_pages_are_a_page_tree_under_pages(side: tuple[Workspace, Any]) -> None:
    ws, standin = side
    root = ws.state()["containers"]["Pages"]
    guides = ws.remote_id("pages/guides/index")
    onboarding = ws.remote_id("pages/guides/onboarding")
    runbooks = ws.remote_id("pages/runbooks/index")
    assert _parent_of(standin, guides) == root
    assert _parent_of(standin, onboarding) == guides
    assert _parent_of(standin, runbooks) == root
    assert _parent_of(standin, ws.remote_id("pages/runbooks/billing")) == runbooks
    assert _parent_of(standin, ws.remote_id("pages/glossary")) == root
    assert _title_of(standin, guides) == "Guides"
    assert _title_of(standin, onboarding) == "Onboarding"
    assert _title_of(standin, runbooks) == "runbooks"  # a folder without index.md
    assert _title_of(standin, ws.remote_id("pages/glossary")).startswith("glossary")
    assert set(plan_of(ws).values()) == {("in-sync", "none", "none")}


def test_links_between_pages_and_documents_resolve_both_ways(
    side: tuple[Workspace, Any],
) -> None:
    ws, standin = side
    ritual = ws.remote_id("rituals/weekly-product-update")
    onboarding = ws.remote_id("pages/guides/onboarding")
    okr = ws.remote_id("okrs/activation")
    if _is_notion(standin):
        def links(page: str) -> set[str]:
            found = set()
            for child in standin._visible_children(page):
                block = standin.state["blocks"].get(child) or {}
                for run in block.get("data", {}).get("rich_text", []):
                    url = ((run.get("text") or {}).get("link") or {}).get("url")
                    if url:
                        found.add(url.rstrip("/").rsplit("/", 1)[-1].split("-")[-1])
            return found
        assert ritual.replace("-", "") in links(onboarding)
        assert onboarding.replace("-", "") in links(okr)
    else:
        assert 'ri:content-title="Weekly Product Update' in standin.wiki_user.body(onboarding)
        assert 'ri:content-title="Onboarding' in standin.wiki_user.body(okr)
    # Read back, the links are the same relative links as in the files: nothing to sync.
    assert set(plan_of(ws).values()) == {("in-sync", "none", "none")}


def test_page_edited_in_the_wiki_is_pulled(side: tuple[Workspace, Any]) -> None:
    ws, standin = side
    page = ws.remote_id("pages/runbooks/billing")
    if _is_notion(standin):
        for child in standin._visible_children(page):
            block = standin.state["blocks"].get(child) or {}
            text = "".join(r.get("plain_text", r.get("text", {}).get("content", ""))
                           for r in block.get("data", {}).get("rich_text", []))
            if "Page the Payments team." in text:
                standin.wiki_user.edit_text(child, "Page the Payments on-call.")
                break
        else:
            raise AssertionError("list item not found")
    else:
        standin.wiki_user.replace_text(page, "Page the Payments team.",
                                       "Page the Payments on-call.")
    assert plan_of(ws)["pages/runbooks/billing"] == ("remote-changed", "none", "write")
    assert ws.run("pull").exit_code == 0
    assert ws.read("pages/runbooks/billing.md") == (
        "# Billing runbook\n\n1. Check the payment provider's status page.\n"
        "2. Page the Payments on-call.\n")
    assert plan_of(ws)["pages/runbooks/billing"][0] == "in-sync"


def test_page_renamed_in_the_wiki_gets_a_title_in_front_matter(
    side: tuple[Workspace, Any],
) -> None:
    ws, standin = side
    page = ws.remote_id("pages/glossary")
    standin.wiki_user.set_title(page, "Glossary of terms")
    assert ws.run("pull").exit_code == 0
    assert ws.read("pages/glossary.md") == (
        "---\ntitle: Glossary of terms\n---\n\nTerms we use: *activation*, *tier*, *ritual*.\n")
    assert plan_of(ws)["pages/glossary"][0] == "in-sync"


def test_page_created_in_the_wiki_comes_back_as_a_file(side: tuple[Workspace, Any]) -> None:
    ws, standin = side
    guides = ws.remote_id("pages/guides/index")
    title = "Über uns: Team & Rollen"
    _create_page(standin, guides, title, "Wer macht was.")
    key = "pages/guides/über-uns-team-rollen"
    assert plan_of(ws)[key] == ("new-remote", "none", "create")
    assert ws.run("pull").exit_code == 0
    text = ws.read(f"{key}.md")
    front, body = text.removeprefix("---\n").split("---\n", 1)
    assert yaml.safe_load(front) == {"title": title} and body == "\nWer macht was.\n"
    assert set(plan_of(ws).values()) == {("in-sync", "none", "none")}
    # and a push after that changes nothing in the wiki
    assert ws.run_json("push")["writes"] == 0


def test_page_created_under_a_leaf_page_turns_it_into_a_folder(
    side: tuple[Workspace, Any],
) -> None:
    ws, standin = side
    glossary = ws.remote_id("pages/glossary")
    _create_page(standin, glossary, "Acronyms", "PM, PMM, GTM.")
    assert ws.run("pull").exit_code == 0
    assert not (ws.playbook / "pages/glossary.md").exists()
    assert ws.read("pages/glossary/index.md").endswith("Terms we use: *activation*, *tier*, "
                                                       "*ritual*.\n")
    assert ws.read("pages/glossary/acronyms.md").endswith("PM, PMM, GTM.\n")
    assert ws.remote_id("pages/glossary/index") == glossary
    assert set(plan_of(ws).values()) == {("in-sync", "none", "none")}


def test_page_moved_in_the_wiki_moves_the_file(side: tuple[Workspace, Any]) -> None:
    ws, standin = side
    onboarding = ws.remote_id("pages/guides/onboarding")
    runbooks = ws.remote_id("pages/runbooks/index")
    standin.wiki_user.move_page(onboarding, runbooks)
    dry = ws.run_json("pull", "--dry-run")
    assert any(o["action"] == "move" for o in dry["outcomes"])
    assert (ws.playbook / "pages/guides/onboarding.md").exists()  # a dry run moves nothing
    result = ws.run("pull")
    assert result.exit_code == 0, result.output
    assert not (ws.playbook / "pages/guides/onboarding.md").exists()
    moved = ws.read("pages/runbooks/onboarding.md")
    # its relative links now start from the new folder
    assert "[weekly update ritual](../../rituals/weekly-product-update.md)" in moved
    assert ws.remote_id("pages/runbooks/onboarding") == onboarding
    assert set(plan_of(ws).values()) == {("in-sync", "none", "none")}


def test_local_page_changes_are_pushed(side: tuple[Workspace, Any]) -> None:
    ws, standin = side
    ws.edit("pages/glossary.md", "Terms we use", "The terms we use")
    (ws.playbook / "pages/guides/faq.md").write_text("# FAQ\n\nAsk in #product-ops.\n")
    ws.edit("services/billing.yaml", "pages/runbooks/billing", "pages/glossary")
    (ws.playbook / "pages/runbooks/billing.md").unlink()  # the folder page goes too
    result = ws.run("push")
    assert result.exit_code == 0, result.output
    assert "The terms we use" in _text(standin, ws.remote_id("pages/glossary"))
    faq = ws.remote_id("pages/guides/faq")
    assert _parent_of(standin, faq) == ws.remote_id("pages/guides/index")
    assert _title_of(standin, faq).startswith("FAQ")
    assert "pages/runbooks/billing" not in ws.state()["docs"]
    assert "pages/runbooks/index" not in ws.state()["docs"]
    assert set(plan_of(ws).values()) == {("in-sync", "none", "none")}


def test_lost_state_finds_the_pages_again(side: tuple[Workspace, Any]) -> None:
    ws, _standin = side
    ids = {k: v["remote_id"] for k, v in ws.state()["docs"].items() if k.startswith("pages/")}
    (ws.root / ".prodops-sync/state" / f"{ws.target}.json").unlink()
    result = ws.run("push")
    assert result.exit_code == 0, result.output
    again = {k: v["remote_id"] for k, v in ws.state()["docs"].items() if k.startswith("pages/")}
    assert again == ids  # the same pages, no duplicates


@pytest.mark.parametrize("kind", ["notion", "confluence"])
def test_switched_off_builtin_kinds_do_not_sync(kind: str, tmp_path: Path) -> None:
    from prodops_sync.standins import ConfluenceStandin, NotionStandin

    with (NotionStandin() if kind == "notion" else ConfluenceStandin()) as standin:
        ws = (notion_workspace if kind == "notion" else confluence_workspace)(tmp_path, standin)
        config = ws.root / "prodops-sync.yaml"
        data = yaml.safe_load(config.read_text())
        data["kinds"] = {"rollout-plan": False}
        config.write_text(yaml.safe_dump(data))
        plan = (ws.playbook / "rollout-plan.md").read_text()
        (ws.playbook / "rollout-plan.md").unlink()
        result = ws.run("push")
        assert result.exit_code == 0, result.output
        docs = ws.state()["docs"]
        assert "rollout-plan" not in docs and "charter" in docs
        # Its file is an unknown file now: push refuses it, pointing at pages/ and kinds:.
        (ws.playbook / "rollout-plan.md").write_text(plan)
        result = ws.run("push")
        assert result.exit_code != 0
        assert "rollout-plan.md" in result.output and "kinds:" in result.output
