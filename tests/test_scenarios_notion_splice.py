"""The Notion block splice end to end: CLI against the Notion stand-in over HTTP."""

from __future__ import annotations

import copy
import difflib
from typing import Any

from prodops_sync.markdown import canonical
from tests.sync_harness import Workspace
from tests.test_scenarios_notion import RITUAL, RITUAL_FILE, block_with, ws

__all__ = ["ws"]  # the workspace fixture, shared with the other Notion scenarios


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines())
            if line[:1] in "+-"]


def test_wiki_colour_and_mention_survive_pull_push_and_a_nearby_git_edit(
    ws: Workspace, notion_standin: Any
) -> None:
    assert ws.run("push").exit_code == 0
    page = ws.remote_id(RITUAL)
    bullet = block_with(notion_standin, page, "nothing shipped")
    user = notion_standin.wiki_user.user_id
    notion_standin.wiki_user.edit_block(bullet, {"rich_text": [
        {"text": {"content": "Say \"nothing shipped\" "}, "annotations": {"color": "red"}},
        {"mention": {"user": {"id": user}}},
        {"text": {"content": " rather than skipping a week."},
         "annotations": {"underline": True}},
    ], "color": "default"})
    before = ws.read(RITUAL_FILE)
    pulled = ws.run("pull")
    assert pulled.exit_code == 0, pulled.output
    after = ws.read(RITUAL_FILE)
    diff = changed_lines(before, after)
    assert len(diff) == 2, diff  # one bullet out, one in
    assert '<span color="red">' in diff[1] and "<mention-user" in diff[1] and "<u>" in diff[1]
    stored = copy.deepcopy(notion_standin.state["blocks"][bullet]["data"])
    # pull then push with no edit: nothing is written
    notion_standin.request_log.clear()
    assert ws.run("push").exit_code == 0
    assert notion_standin.request_log.writes() == 0
    # a Git edit of another bullet of that list writes exactly that bullet
    ws.edit(RITUAL_FILE, "names an owner and a date.", "names an owner and a due date.")
    result = ws.run("push")
    assert result.exit_code == 0, result.output
    assert notion_standin.request_log.writes() == 1
    assert notion_standin.state["blocks"][bullet]["data"] == stored


def test_git_only_formatting_survives_a_one_paragraph_wiki_edit(
    ws: Workspace, notion_standin: Any
) -> None:
    extra = ("\n| Day | Who |\n| :-- | --: |\n| Thursday | PMs |\n\n"
             "Questions: <mailto:product-ops@example.com> or <https://example.com/faq>.\n\n"
             "- loose item\n\n- another loose item\n")
    ws.edit(RITUAL_FILE, "- Anything at risk names an owner and a date.\n",
            "- Anything at risk names an owner and a date.\n" + extra)
    path = ws.playbook / RITUAL_FILE  # the Git file is canonical (as `fmt` writes it)
    path.write_text(canonical(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert ":-- |" in ws.read(RITUAL_FILE) or ":---" in ws.read(RITUAL_FILE)
    assert ws.run("push").exit_code == 0, "push"
    before = ws.read(RITUAL_FILE)
    page = ws.remote_id(RITUAL)
    paragraph = block_with(notion_standin, page, "There is no meeting.")
    notion_standin.wiki_user.edit_text(paragraph, "There is no meeting at all.")
    assert ws.run("pull").exit_code == 0
    after = ws.read(RITUAL_FILE)
    diff = changed_lines(before, after)
    assert diff == ["- " + next(line for line in before.splitlines()
                                if line.startswith("There is no meeting.")),
                    "+ There is no meeting at all."]
    notion_standin.request_log.clear()
    assert ws.run("push").exit_code == 0
    assert notion_standin.request_log.writes() == 0
