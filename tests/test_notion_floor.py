"""Notion requests at the floor (#21): a first push creates every page once and reads
nothing back, links to pages not created yet cost one append per page (no placeholder
patched and read back), and an edit is one write per changed block plus a batched look-up.
Every saving keeps the promise that no wiki edit is lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prodops_sync.formats.notion.blocks import to_blocks
from prodops_sync.formats.notion.fieldblocks import render_section
from prodops_sync.links import PENDING_URL
from prodops_sync.playbook.loader import load_playbook
from prodops_sync.remotes.notion import NotionRemote
from prodops_sync.schemas import load_schema
from prodops_sync.sync.config import credentials, load_config
from prodops_sync.sync.engine import Engine
from prodops_sync.sync.linkorder import creation_order, link_targets
from prodops_sync.sync.state import StateStore
from tests.sync_harness import TOKEN_ENV, Workspace, notion_workspace

RITUAL = "rituals/weekly-product-update"
RITUAL_FILE = "rituals/weekly-product-update.md"
APPEND = "PATCH /v1/blocks/{block_id}/children"


@pytest.fixture
def ws(tmp_path: Path, notion_standin: Any) -> Workspace:
    return notion_workspace(tmp_path, notion_standin)


def _engine(ws: Workspace, standin: Any, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """An in-process engine on the workspace (so a test can step into a run)."""
    monkeypatch.setenv(TOKEN_ENV, "test-token")
    config = load_config(ws.root / "prodops-sync.yaml")
    target = config.target(ws.target)
    remote = NotionRemote.from_target(target, credentials(target), clock=standin.clock.time)
    return Engine(config.playbook_dir, remote, StateStore(config.state_dir, ws.target))


def _pages_created_before_a_target(ws: Workspace) -> int:
    """How many documents link to a document created after them, in the creation order
    the engine uses (each costs one append)."""
    docs = {d.key: d for d in load_playbook(ws.playbook).documents}
    links = {key: link_targets(key, doc.body) for key, doc in docs.items()}
    created: set[str] = set()
    count = 0
    for key in creation_order(sorted(docs), links):
        count += bool(links[key] & (set(docs) - created))
        created.add(key)
    return count


def _all_blocks_json(standin: Any) -> str:
    return json.dumps(standin.state["blocks"], ensure_ascii=False)


def test_first_push_creates_each_page_once_and_reads_nothing_back(
    ws: Workspace, notion_standin: Any
) -> None:
    result = ws.run("push")
    assert result.exit_code == 0, result.output
    counts = notion_standin.request_log.counts()
    assert counts["POST /v1/pages"] == 24
    # No page read, no block listing but the root page's (looking for databases), no block
    # patched or deleted: links wait for their targets instead of being patched.
    assert counts.get("GET /v1/pages/{page_id}", 0) == 0
    assert counts.get("GET /v1/blocks/{block_id}/children", 0) == 1
    assert counts.get("PATCH /v1/blocks/{block_id}", 0) == 0
    assert counts.get("DELETE /v1/blocks/{block_id}", 0) == 0
    # One append per page created before a page it links to; nothing else is appended
    # (no page of the example playbook has more than 100 blocks or deep nesting).
    assert 0 < counts[APPEND] == _pages_created_before_a_target(ws)
    assert PENDING_URL not in _all_blocks_json(notion_standin)
    # The listing (at most 2 queries per database) and the look-ups by key: a query per 25
    # creates or completions per database (at most 2 here), not one per document.
    assert counts["POST /v1/data_sources/{ds_id}/query"] <= 2 * 5 + 2 * 5
    notion_standin.request_log.clear()
    again = ws.run("push")
    assert again.exit_code == 0
    assert notion_standin.request_log.writes() == 0
    assert {d["status"] for d in ws.run_json("plan")["documents"]} == {"in-sync"}


def _appended_to(standin: Any) -> set[str]:
    """Ids of the pages the requests logged so far appended blocks to."""
    return {e.path.split("/")[3] for e in standin.request_log.entries
            if e.endpoint == APPEND and e.status == 200}


def test_edit_is_one_write_and_the_block_ids_it_learns_are_kept(
    ws: Workspace, notion_standin: Any
) -> None:
    ws.run("push")
    completed = _appended_to(notion_standin)
    notion_standin.clock.advance(300)
    ws.edit(RITUAL_FILE, "There is no meeting.", "There is no meeting at all.")
    notion_standin.request_log.clear()
    assert "1 updated" in ws.run("push").output
    counts = notion_standin.request_log.counts()
    assert counts["PATCH /v1/blocks/{block_id}"] == 1
    assert notion_standin.request_log.writes() == 1
    # A page created complete: its create's answer had no block ids, so one listing of its
    # top-level blocks (a page whose body was appended knows them from the append).
    listings = 0 if ws.remote_id(RITUAL) in completed else 1
    assert counts.get("GET /v1/blocks/{block_id}/children", 0) == listings
    assert counts.get("GET /v1/pages/{page_id}", 0) == 0
    # The next edit of the page knows every id: the write and the look-ups only.
    notion_standin.clock.advance(300)
    ws.edit(RITUAL_FILE, "Longer is not better.", "Longer is rarely better.")
    notion_standin.request_log.clear()
    assert "1 updated" in ws.run("push").output
    counts = notion_standin.request_log.counts()
    assert counts["PATCH /v1/blocks/{block_id}"] == 1
    assert counts.get("GET /v1/blocks/{block_id}/children", 0) == 0
    assert counts.get("GET /v1/pages/{page_id}", 0) == 0
    # ...and so does an edit of the block written last time (its id came with the update).
    notion_standin.clock.advance(300)
    ws.edit(RITUAL_FILE, "There is no meeting at all.", "There is no meeting, ever.")
    notion_standin.request_log.clear()
    assert "1 updated" in ws.run("push").output
    counts = notion_standin.request_log.counts()
    assert notion_standin.request_log.writes() == counts["PATCH /v1/blocks/{block_id}"] == 1
    assert counts.get("GET /v1/blocks/{block_id}/children", 0) == 0
    text = notion_standin.wiki_user.page_text(ws.remote_id(RITUAL))
    assert any("There is no meeting, ever." in line for line in text)
    assert {d["status"] for d in ws.run_json("plan")["documents"]} == {"in-sync"}


def test_editing_a_page_whose_body_was_appended_lists_nothing(
    ws: Workspace, notion_standin: Any
) -> None:
    ws.run("push")
    completed = _appended_to(notion_standin)
    keys = [k for k, d in ws.state()["docs"].items() if d["remote_id"] in completed]
    assert keys, "no page of the example links to a page created after it"
    key = sorted(keys)[0]
    relpath = next(p.relative_to(ws.playbook).as_posix() for p in ws.playbook.rglob("*.md")
                   if p.relative_to(ws.playbook).as_posix() == key + ".md")
    paragraph = next(line for line in ws.read(relpath).split("\n\n")[1:]
                     if line[:1].isalpha() and "\n" not in line and "[" not in line)
    notion_standin.clock.advance(300)
    ws.edit(relpath, paragraph, paragraph + " Edited in Git.")
    notion_standin.request_log.clear()
    assert "1 updated" in ws.run("push").output
    counts = notion_standin.request_log.counts()
    assert notion_standin.request_log.writes() == counts["PATCH /v1/blocks/{block_id}"] == 1
    assert counts.get("GET /v1/blocks/{block_id}/children", 0) == 0
    assert counts.get("GET /v1/pages/{page_id}", 0) == 0


def test_wiki_edit_after_the_listing_is_seen_by_the_look_up_and_kept(
    ws: Workspace, notion_standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.run("push")
    notion_standin.clock.advance(300)
    ws.edit(RITUAL_FILE, "There is no meeting.", "There is no call.")
    engine = _engine(ws, notion_standin, monkeypatch)
    original = engine.build_plan

    def plan_then_wiki_edit(**kwargs: Any) -> Any:
        items = original(**kwargs)
        # Someone adds a paragraph in Notion after the listing, before our write.
        notion_standin.wiki_user.add_paragraph(ws.remote_id(RITUAL), "Added in Notion.")
        return items

    engine.build_plan = plan_then_wiki_edit  # type: ignore[method-assign]
    report = engine.push()
    assert [(o.key, o.action) for o in report.outcomes] == [(RITUAL, "skip-conflict")]
    text = notion_standin.wiki_user.page_text(ws.remote_id(RITUAL))
    assert "Added in Notion." in text
    assert not any("There is no call." in line for line in text)


def test_wiki_edit_to_a_new_page_before_its_rest_is_appended_is_kept(
    ws: Workspace, notion_standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _engine(ws, notion_standin, monkeypatch)
    remote = engine.remote
    create = remote.create
    edited: list[str] = []

    def create_then_wiki_edit(doc: Any, state: Any, resolver: Any) -> Any:
        entry = create(doc, state, resolver)
        if entry.written_body is not None and not edited:
            # The page shows its start; someone adds to it before the run writes the rest.
            notion_standin.wiki_user.add_paragraph(entry.remote_id, "Early wiki note.")
            edited.append(doc.key)
        return entry

    remote.create = create_then_wiki_edit  # type: ignore[method-assign]
    engine.push()
    (key,) = edited
    page = ws.remote_id(key)
    assert "Early wiki note." in notion_standin.wiki_user.page_text(page)
    # The rest was not appended over a page the run no longer knows; pull brings the
    # wiki note into the file, the next push completes the page.
    assert ws.state()["docs"][key].get("refetch")
    assert ws.run("pull").exit_code in (0, 3)
    path = next(p for p in ws.playbook.rglob("*.md")
                if p.relative_to(ws.playbook).as_posix().removesuffix(".md") == key)
    assert "Early wiki note." in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fault", ["500", "drop_after"])
def test_a_lost_append_of_a_pages_rest_is_finished_once_by_the_rerun(
    ws: Workspace, notion_standin: Any, fault: str
) -> None:
    # The first append of the run fails: not at all ("500") or after it landed, its answer
    # lost ("drop_after"). The run stops; the rerun finishes the page without a second copy.
    notion_standin.faults.fail_next(fault, match="PATCH /v1/blocks/")
    first = ws.run("push")
    assert first.exit_code != 0
    assert "rerun to resume" in first.output
    again = ws.run("push")
    assert again.exit_code == 0, again.output
    assert PENDING_URL not in _all_blocks_json(notion_standin)
    assert {d["status"] for d in ws.run_json("plan")["documents"]} == {"in-sync"}
    # Every page holds each of its blocks once (its field tables, then its body).
    docs = {d.key: d for d in load_playbook(ws.playbook).documents}
    for key, recorded in ws.state()["docs"].items():
        doc = docs[key]
        held = notion_standin._visible_children(recorded["remote_id"])
        section = render_section(doc.fields, load_schema(doc.kind))
        assert len(held) == len(section) + len(to_blocks(doc.body, current_key=key)), key


def test_creation_order_puts_link_targets_first_and_breaks_cycles_once() -> None:
    targets = {"a": {"b"}, "b": {"c"}, "c": set(), "x": {"y"}, "y": {"x"}, "z": {"z"}}
    order = creation_order(["a", "b", "c", "x", "y", "z"], targets)
    assert order.index("c") < order.index("b") < order.index("a")
    assert sorted(order) == ["a", "b", "c", "x", "y", "z"]
    # A two-page cycle: one page goes first with a link to a page not created yet.
    early = [k for k in order if targets[k] - {k} - set(order[: order.index(k)])]
    assert early in (["x"], ["y"])


def _early(order: list[str], targets: dict[str, set[str]]) -> list[str]:
    """Pages of ``order`` created before one of their targets."""
    return [k for n, k in enumerate(order) if targets[k] - {k} - set(order[:n])]


def test_creation_order_leaves_no_page_early_that_could_wait_for_its_targets() -> None:
    # Two cycles sharing page "a" (a->b->a, a->c->d->a) and pages linking into them: one
    # early page ("a") breaks both; the greedy step alone may pick more, the fitting pass
    # moves back every page whose targets can all come first.
    targets = {"a": {"b", "c"}, "b": {"a"}, "c": {"d"}, "d": {"a"}, "e": {"a", "d"},
               "f": {"e", "b"}}
    order = creation_order(list(targets), targets)
    assert sorted(order) == sorted(targets)
    assert len(_early(order, targets)) == 1


def test_creation_order_keeps_every_page_once_on_a_dense_random_graph() -> None:
    import random

    rng = random.Random(3)
    keys = [f"k{i}" for i in range(300)]
    targets = {k: {keys[rng.randrange(300)] for _ in range(8)} for k in keys}
    order = creation_order(keys, targets)
    assert sorted(order) == sorted(keys)
    # The pages created before a target of theirs come first...
    early = _early(order, targets)
    assert 0 < len(early) < len(keys) * 0.8
    assert order[: len(early)] == early
    # ...and each page after them finds all its targets created.
    late = order[len(early):]
    assert _early(late, {k: targets[k] - set(early) for k in late}) == []


def test_link_targets_are_the_playbook_documents_a_body_links_to() -> None:
    body = ("See [the ritual](../rituals/weekly-product-update.md#agenda), "
            "[itself](0001-slack-only-weekly-update.md), <https://example.com> and "
            "[a site](https://example.com/x.md).\n")
    assert link_targets("decisions/0001-slack-only-weekly-update", body) == {
        "rituals/weekly-product-update"
    }
