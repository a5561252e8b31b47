"""Sync keeps what nobody edited on a page a person wrote in Confluence (block splice).

Against the Confluence stand-in, through the CLI: a person rewrites a ritual's page in the
wiki with Cloud-editor and Data Center content; pull brings it into Git; a push right after
sends nothing; a one-paragraph Git edit changes only that paragraph's storage; a
one-paragraph wiki edit changes only that paragraph of the Git file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prodops_sync.formats.confluence.properties import split_page
from tests.sync_harness import Workspace, confluence_workspace

RITUAL = "rituals/weekly-product-update"
RITUAL_FILE = f"{RITUAL}.md"
CORPUS = Path(__file__).parent / "confluence_corpus"
PAGES = ["cloud-status-first.xhtml", "dc-jira-drawio-gliffy.xhtml", "cloud-table-layout.xhtml"]


@pytest.fixture
def wiki(tmp_path: Path) -> Iterator[tuple[Workspace, Any, str]]:
    from prodops_sync.standins import ConfluenceStandin

    with ConfluenceStandin() as standin:
        ws = confluence_workspace(tmp_path, standin)
        assert ws.run("push").exit_code == 0
        page = ws.remote_id(RITUAL)
        properties, _ = split_page(standin.wiki_user.body(page))
        human = "".join((CORPUS / name).read_text(encoding="utf-8") for name in PAGES)
        standin.wiki_user.edit_body(page, properties + human)
        yield ws, standin, page


def writes(ws: Workspace, command: str) -> int:
    report = ws.run_json(command)
    assert report["conflicts"] == 0, report
    return int(report["writes"])


def test_pull_then_push_of_a_page_a_person_wrote_sends_nothing(
    wiki: tuple[Workspace, Any, str],
) -> None:
    ws, standin, page = wiki
    before = standin.wiki_user.body(page)
    assert writes(ws, "pull") == 0
    text = ws.read(RITUAL_FILE)
    assert "shipped in the March release" in text and "`confluence:xhtml " in text
    assert "Markdown HTML" not in text
    assert writes(ws, "push") == 0
    assert standin.wiki_user.body(page) == before
    statuses = {d["key"]: d["status"] for d in ws.run_json("plan")["documents"]}
    assert statuses[RITUAL] == "in-sync"


def test_one_paragraph_git_edit_changes_only_that_block(
    wiki: tuple[Workspace, Any, str],
) -> None:
    ws, standin, page = wiki
    assert writes(ws, "pull") == 0
    before = standin.wiki_user.body(page)
    ws.edit(RITUAL_FILE, "Numbers are from the BI dashboard.", "Numbers come from BI.")
    assert writes(ws, "push") == 1
    after = standin.wiki_user.body(page)
    assert after == before.replace(
        '<p local-id="t1">Numbers are from the BI dashboard.</p>',
        '<p local-id="t1">Numbers come from BI.</p>',
    )
    # A second push has nothing to do.
    assert writes(ws, "push") == 0


def test_one_paragraph_wiki_edit_changes_only_that_block_of_the_file(
    wiki: tuple[Workspace, Any, str],
) -> None:
    ws, standin, page = wiki
    assert writes(ws, "pull") == 0
    before = ws.read(RITUAL_FILE)
    standin.wiki_user.replace_text(page, "The diagram above", "The diagram below")
    assert writes(ws, "pull") == 0
    after = ws.read(RITUAL_FILE)
    assert after == before.replace("The diagram above", "The diagram below")
    assert writes(ws, "push") == 0


def test_git_formatting_of_blocks_the_wiki_left_alone_is_kept(
    wiki: tuple[Workspace, Any, str],
) -> None:
    ws, standin, page = wiki
    assert writes(ws, "pull") == 0
    # A Git-side edit pushed, then a wiki edit elsewhere pulled: the Git text stays.
    ws.edit(RITUAL_FILE, "Faster exports", "Faster *exports*")
    assert writes(ws, "push") == 1
    standin.wiki_user.replace_text(page, "Tracking:", "Tracking here:")
    assert writes(ws, "pull") == 0
    text = ws.read(RITUAL_FILE)
    assert "Faster *exports*" in text and "Tracking here:" in text
    state = ws.state()["docs"][RITUAL]
    assert state["splice"] is not None and state["splice"]["blocks"]
