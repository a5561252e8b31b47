"""Rich text ⇄ Markdown: everything a run can carry survives Notion → Markdown → Notion."""

from __future__ import annotations

from typing import Any

import pytest

from prodops_sync.formats.notion.blocks import (
    block_fingerprint,
    for_request,
    from_blocks,
    to_blocks,
)
from prodops_sync.markdown import canonical


def ann(**marks: Any) -> dict[str, Any]:
    base = {"bold": False, "italic": False, "strikethrough": False, "underline": False,
            "code": False, "color": "default"}
    return {**base, **marks}


def text(content: str, url: str | None = None, **marks: Any) -> dict[str, Any]:
    return {"type": "text", "text": {"content": content, "link": {"url": url} if url else None},
            "annotations": ann(**marks), "plain_text": content, "href": url}


def mention(payload: dict[str, Any], shown: str, href: str | None = None,
            **marks: Any) -> dict[str, Any]:
    return {"type": "mention", "mention": payload, "annotations": ann(**marks),
            "plain_text": shown, "href": href}


def paragraph(*items: dict[str, Any], color: str = "default") -> dict[str, Any]:
    return {"object": "block", "id": "b0a1b2c3-d4e5-4f60-8172-839405a6b7c8", "type": "paragraph",
            "has_children": False, "created_time": "2025-01-01T00:00:00.000Z",
            "paragraph": {"rich_text": list(items), "color": color}}


def round_trip(block: dict[str, Any]) -> str:
    md = from_blocks([block])
    assert canonical(md) == md
    back = to_blocks(md)
    assert len(back) == 1
    assert block_fingerprint(back[0]) == block_fingerprint(block), md
    assert from_blocks(back) == md
    return md


# Mention objects as the API reference shows them (user with profile, page, database, dates
# with end and time zone, link preview, link mention, template mentions, custom emoji).
MENTIONS = [
    ({"type": "user", "user": {"object": "user", "id": "b2e19928-b427-4aad-9a9d-fde65479b1d9",
                               "name": "Ada Lovelace", "avatar_url": None, "type": "person",
                               "person": {"email": "ada@example.com"}}}, "@Ada Lovelace"),
    ({"type": "page", "page": {"id": "3c612f56-fdd0-4a30-a4d6-bda7d7426309"}}, "Roadmap",
     "https://www.notion.so/3c612f56fdd04a30a4d6bda7d7426309"),
    ({"type": "database", "database": {"id": "a1d8501e-1ac1-43e9-a6bd-ea9fe6c8822b"}},
     "Launch tracker"),
    ({"type": "date", "date": {"start": "2022-12-16", "end": None, "time_zone": None}},
     "2022-12-16"),
    ({"type": "date", "date": {"start": "2025-03-01T09:00:00.000+01:00",
                               "end": "2025-03-01T10:30:00.000+01:00",
                               "time_zone": "Europe/Berlin"}}, "March 1, 2025 9:00 AM"),
    ({"type": "link_preview", "link_preview": {
        "url": "https://workspace.slack.com/archives/C04/p1671116731497739"}},
     "https://workspace.slack.com/archives/C04/p1671116731497739"),
    ({"type": "link_mention", "link_mention": {
        "href": "https://github.com/makenotion/notion-sdk-js", "title": "notion-sdk-js",
        "icon_url": "https://github.com/favicon.ico", "link_provider": "GitHub"}},
     "notion-sdk-js"),
    ({"type": "template_mention", "template_mention": {
        "type": "template_mention_date", "template_mention_date": "today"}}, "@Today"),
    ({"type": "template_mention", "template_mention": {
        "type": "template_mention_user", "template_mention_user": "me"}}, "@Me"),
    ({"type": "custom_emoji", "custom_emoji": {
        "id": "45ce454c-d427-4f53-9489-e5d0f3d1db6b", "name": "bufo",
        "url": "https://s3-us-west-2.amazonaws.com/public.notion-static.com/bufo.png"}},
     ":bufo:"),
]


@pytest.mark.parametrize("case", MENTIONS, ids=lambda c: c[0]["type"] + str(len(c[1])))
def test_every_mention_type_round_trips_by_identity(case: tuple[Any, ...]) -> None:
    payload, shown, *href = case
    block = paragraph(text("See "), mention(payload, shown, *href), text(" today."))
    md = round_trip(block)
    kind = payload["type"].replace("_", "-")
    assert f"<mention-{kind}" in md and shown.split(":")[-1] in md


def test_mention_keeps_its_annotations() -> None:
    block = paragraph(mention(MENTIONS[0][0], "@Ada Lovelace", bold=True, color="red"))
    md = round_trip(block)
    assert md.startswith('<span color="red">**<mention-user')


def test_colours_underline_and_equations_read_in_git() -> None:
    block = paragraph(
        text("Red ", color="red"), text("on yellow", color="yellow_background"),
        text(" under", underline=True), text(" and "),
        {"type": "equation", "equation": {"expression": "E = mc^2"},
         "annotations": ann(), "plain_text": "E = mc^2", "href": None},
        text(" end"),
    )
    md = round_trip(block)
    assert md == ('<span color="red">Red </span><span color="yellow_background">on yellow'
                  "</span><u> under</u> and <equation>E = mc^2</equation> end\n")


def test_bold_and_italic_runs_with_edge_spaces_never_show_stars() -> None:
    block = paragraph(text("Owner:"), text(" Ada ", bold=True), text("and"),
                      text(" Grace", italic=True), text(" done"))
    md = round_trip(block)
    assert "\\*" not in md
    assert md == "Owner: **Ada** and *Grace* done\n"


def test_emphasis_next_to_punctuation_falls_back_to_html_elements() -> None:
    block = paragraph(text("foo"), text('"bar"', bold=True), text("baz"))
    md = round_trip(block)
    assert md == 'foo<strong>"bar"</strong>baz\n'


def test_equation_with_markdown_punctuation_and_newline() -> None:
    block = paragraph({"type": "equation", "equation": {"expression": "a_1 * b_2 <\n[x](y)"},
                       "plain_text": "a_1 * b_2 <\n[x](y)"})
    round_trip(block)


def test_git_authored_inline_elements_become_annotations() -> None:
    blocks = to_blocks('Some <u>underlined</u> and <span color="blue">blue</span> text\n')
    items = blocks[0]["paragraph"]["rich_text"]
    assert items[1] == {"type": "text", "text": {"content": "underlined"},
                        "annotations": {"underline": True}}
    assert items[3]["annotations"] == {"color": "blue"}


def test_unknown_inline_html_stays_text() -> None:
    blocks = to_blocks('a <span class="x">b</span> <u>open\n')
    contents = [i["text"]["content"] for i in blocks[0]["paragraph"]["rich_text"]]
    assert "".join(contents) == 'a <span class="x">b</span> <u>open'


def test_requests_never_carry_read_only_fields() -> None:
    blocks = to_blocks('<mention-user id="u1">@Ada</mention-user>\n')
    item = blocks[0]["paragraph"]["rich_text"][0]
    assert item["plain_text"] == "@Ada"  # reads back as written
    sent = for_request(blocks)[0]["paragraph"]["rich_text"][0]
    assert sent == {"type": "mention", "mention": {"type": "user", "user": {"id": "u1"}}}


def test_mention_text_edit_does_not_change_the_mention() -> None:
    edited = to_blocks('<mention-user id="u1">@Someone else</mention-user>\n')
    original = to_blocks('<mention-user id="u1">@Ada</mention-user>\n')
    assert block_fingerprint(edited[0]) == block_fingerprint(original[0])


def test_nearby_text_edit_keeps_mentions_and_colours() -> None:
    block = paragraph(text("Ask "), mention(MENTIONS[0][0], "@Ada Lovelace"),
                      text(" about it", color="green"))
    md = from_blocks([block]).replace("Ask", "Please ask")
    items = to_blocks(md)[0]["paragraph"]["rich_text"]
    assert items[0]["text"]["content"] == "Please ask "
    assert items[1]["mention"] == {"type": "user",
                                   "user": {"id": "b2e19928-b427-4aad-9a9d-fde65479b1d9"}}
    assert items[2]["annotations"] == {"color": "green"}


def test_colour_inside_a_table_cell() -> None:
    md = ("| a | b |\n| --- | --- |\n"
          '| <span color="red">x</span> | <mention-user id="u&#124;1">@A</mention-user> |\n')
    table = to_blocks(md)[0]
    cells = table["table"]["children"][1]["table_row"]["cells"]
    assert cells[0][0]["annotations"] == {"color": "red"}
    assert cells[1][0]["mention"]["user"]["id"] == "u|1"
    assert from_blocks([table]) == canonical(md)


def test_edge_spaces_next_to_a_space_keep_both_spaces() -> None:
    # moving the spaces out would give "and  **bold**", which canonical Markdown collapses
    block = paragraph(text("and "), text(" bold ", bold=True), text("done"))
    md = round_trip(block)
    assert md == "and <strong> bold </strong>done\n"


def test_block_colour_rides_on_the_text_as_a_comment() -> None:
    block = paragraph(text("Coloured paragraph"), color="blue_background")
    md = round_trip(block)
    assert md == "Coloured paragraph <!-- notion:color=blue_background -->\n"
    heading = {**block, "type": "heading_2",
               "heading_2": {"rich_text": [text("Title")], "color": "red",
                             "is_toggleable": False}}
    assert round_trip(heading) == "## Title <!-- notion:color=red -->\n"


def test_a_literal_comment_in_text_is_not_a_colour() -> None:
    block = paragraph(text("ends with <!-- notion:color=red -->"))
    md = round_trip(block)
    assert to_blocks(md)[0]["paragraph"].get("color") is None


def test_table_header_flags_ride_on_the_first_cell() -> None:
    def row(*cells: str) -> dict[str, Any]:
        return {"object": "block", "type": "table_row", "id": "r" + cells[0],
                "table_row": {"cells": [[text(c)] for c in cells]}}

    table = {"object": "block", "id": "t1", "type": "table", "has_children": True,
             "table": {"table_width": 2, "has_column_header": False, "has_row_header": True,
                       "children": [row("a", "b"), row("c", "d")]}}
    md = from_blocks([table])
    assert md.startswith("| a <!-- notion:column_header=false row_header=true --> | b ")
    back = to_blocks(md)[0]
    assert back["table"]["has_column_header"] is False
    assert back["table"]["has_row_header"] is True
    assert block_fingerprint(back) == block_fingerprint(table)


def test_validate_and_fmt_accept_the_inline_elements(tmp_path: Any) -> None:
    import shutil
    from pathlib import Path

    from prodops_sync.validate import check_playbook

    root = Path(__file__).resolve().parent.parent / "playbook"
    playbook = tmp_path / "playbook"
    shutil.copytree(root, playbook)
    ritual = playbook / "rituals" / "weekly-product-update.md"
    extra = ('\nAsk <mention-user id="u1">@Ada</mention-user> by '
             '<mention-date start="2025-07-01" end="2025-07-04">July 1</mention-date>: '
             '<span color="red">late</span>, <u>firm</u>, <equation>x^2</equation> '
             "<!-- notion:color=yellow_background -->\n")
    text = ritual.read_text(encoding="utf-8") + extra
    ritual.write_text(text, encoding="utf-8")
    assert canonical(text) == text  # fmt leaves it as written
    report = check_playbook(playbook)
    assert [p for p in report.problems if p.severity == "error"] == []
