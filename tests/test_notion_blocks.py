"""Markdown ⇄ Notion blocks: corpus round trip and per-block-type unit tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from prodops_sync.formats.notion.blocks import (
    ALERT_COLOR,
    ALERT_EMOJI,
    block_fingerprint,
    from_blocks,
    is_placeholder,
    placeholder_id,
    to_blocks,
)
from prodops_sync.formats.notion.richtext import utf16_len
from prodops_sync.links import MappingResolver
from prodops_sync.markdown import canonical

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "tests" / "corpus").glob("[0-9][0-9][0-9]-*.md"))
PLAYBOOK = ROOT / "playbook"
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def body_of(text: str) -> str:
    match = FRONT_MATTER.match(text)
    return text[match.end():] if match else text


def test_corpus_is_large_and_canonical() -> None:
    assert len(CORPUS) >= 80
    for path in CORPUS:
        text = path.read_text(encoding="utf-8")
        assert canonical(text) == text, path.name


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_round_trip(path: Path) -> None:
    md = canonical(path.read_text(encoding="utf-8"))
    assert from_blocks(to_blocks(md)) == md


def playbook_docs() -> list[Path]:
    return sorted(PLAYBOOK.rglob("*.md")) if PLAYBOOK.is_dir() else []


@pytest.mark.parametrize("path", playbook_docs(), ids=lambda p: str(p.relative_to(PLAYBOOK)))
def test_playbook_round_trip(path: Path) -> None:
    key = str(path.relative_to(PLAYBOOK).with_suffix(""))
    md = canonical(body_of(path.read_text(encoding="utf-8")))
    resolver = MappingResolver(urls={"templates/weekly-product-update":
                                     "https://www.notion.so/0123456789abcdef0123456789abcdef"})
    blocks = to_blocks(md, current_key=key, resolver=resolver)
    assert from_blocks(blocks, current_key=key, resolver=resolver) == md


# -- helpers -----------------------------------------------------------------------------------

def only(markdown: str) -> dict[str, Any]:
    blocks = to_blocks(markdown)
    assert len(blocks) == 1, blocks
    return blocks[0]


def text(content: str, **annotations: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "text", "text": {"content": content}}
    if annotations:
        item["annotations"] = annotations
    return item


def api_text(content: str, url: str | None = None, **annotations: Any) -> dict[str, Any]:
    """A rich-text item as the API returns it."""
    ann = {"bold": False, "italic": False, "strikethrough": False, "underline": False,
           "code": False, "color": "default", **annotations}
    return {"type": "text", "text": {"content": content, "link": {"url": url} if url else None},
            "annotations": ann, "plain_text": content, "href": url}


def api_block(kind: str, body: dict[str, Any], children: list[Any] | None = None,
              block_id: str = "5c6a2821-6bb1-4a7e-b6e1-c50111515c3d") -> dict[str, Any]:
    block = {"object": "block", "id": block_id, "type": kind,
             "created_time": "2025-01-01T00:00:00.000Z", "has_children": bool(children),
             "in_trash": False, kind: dict(body)}
    if children is not None:
        block[kind]["children"] = children
    return block


# -- block types, both directions --------------------------------------------------------------

def test_paragraph_both_ways() -> None:
    block = only("Hello **bold** and *it* ~~s~~ `c`.\n")
    assert block["type"] == "paragraph"
    assert block["paragraph"]["rich_text"] == [
        text("Hello "), text("bold", bold=True), text(" and "), text("it", italic=True),
        text(" "), text("s", strikethrough=True), text(" "), text("c", code=True), text("."),
    ]
    api = api_block("paragraph", {"rich_text": [api_text("Hello "), api_text("bold", bold=True),
                                                api_text(".")], "color": "default"})
    assert from_blocks([api]) == "Hello **bold**.\n"


@pytest.mark.parametrize("level", [1, 2, 3])
def test_headings_both_ways(level: int) -> None:
    block = only("#" * level + " Title\n")
    assert block["type"] == f"heading_{level}"
    api = api_block(f"heading_{level}", {"rich_text": [api_text("Title")],
                                          "is_toggleable": False, "color": "default"})
    assert from_blocks([api]) == "#" * level + " Title\n"


@pytest.mark.parametrize("level", [4, 5, 6])
def test_deep_headings_become_heading_3(level: int) -> None:
    assert only("#" * level + " Deep\n")["type"] == "heading_3"


def test_lists_both_ways() -> None:
    blocks = to_blocks("- a\n  1. b\n     - [x] c\n")
    assert blocks[0]["type"] == "bulleted_list_item"
    inner = blocks[0]["bulleted_list_item"]["children"][0]
    assert inner["type"] == "numbered_list_item"
    todo = inner["numbered_list_item"]["children"][0]
    assert todo == {"object": "block", "type": "to_do",
                    "to_do": {"rich_text": [text("c")], "checked": True}}
    api = api_block("bulleted_list_item", {"rich_text": [api_text("a")]}, [
        api_block("to_do", {"rich_text": [api_text("b")], "checked": False}, []),
        api_block("numbered_list_item", {"rich_text": [api_text("c")]}, []),
    ])
    assert from_blocks([api]) == "- a\n  - [ ] b\n  1. c\n"


def test_quote_both_ways() -> None:
    block = only("> a\n>\n> b\n")
    assert block["quote"]["rich_text"] == [text("a")]
    assert block["quote"]["children"][0]["type"] == "paragraph"
    api = api_block("quote", {"rich_text": [api_text("said")], "color": "default"}, [])
    assert from_blocks([api]) == "> said\n"


@pytest.mark.parametrize("kind", sorted(ALERT_EMOJI))
def test_alerts_both_ways(kind: str) -> None:
    block = only(f"> [!{kind}]\n> Careful.\n")
    assert block["type"] == "callout"
    assert block["callout"]["icon"] == {"type": "emoji", "emoji": ALERT_EMOJI[kind]}
    api = api_block("callout", {"rich_text": [api_text("Careful.")],
                                "icon": {"type": "emoji", "emoji": ALERT_EMOJI[kind]},
                                "color": "gray_background"}, [])
    md = from_blocks([api])
    assert md == f"> [!{kind}]\n> Careful. <!-- notion:color=gray_background -->\n"
    assert block_fingerprint(to_blocks(md)[0]) == block_fingerprint(api)
    api["callout"]["color"] = ALERT_COLOR[kind]  # the alert's own colour needs no marker
    assert from_blocks([api]) == f"> [!{kind}]\n> Careful.\n"


def test_callout_with_other_icon_is_kept_as_placeholder() -> None:
    api = api_block("callout", {"rich_text": [api_text("Team lunch")],
                                "icon": {"type": "emoji", "emoji": "🍕"}}, [])
    out = from_blocks([api])
    assert out.startswith("<!-- notion:block id=5c6a2821-6bb1-4a7e-b6e1-c50111515c3d type=callout")
    assert is_placeholder(to_blocks(out)[0])


@pytest.mark.parametrize(
    ("info", "language", "caption"),
    [("python", "python", None), ("", "plain text", None), ("py", "python", "py"),
     ("gherkin-ish", "plain text", "gherkin-ish"), ("c++", "c++", None),
     ("python title=x.py", "python", "python title=x.py")],
)
def test_code_languages_both_ways(info: str, language: str, caption: str | None) -> None:
    md = f"```{info}\nx = 1\n```\n"
    block = only(md)
    assert block["code"]["language"] == language
    got = block["code"].get("caption")
    assert (got[0]["text"]["content"] if got else None) == caption
    assert from_blocks([block]) == md


def test_code_user_caption_is_not_lost() -> None:
    api = api_block("code", {"rich_text": [api_text("SELECT 1")], "language": "sql",
                             "caption": [api_text("Daily query")]})
    out = from_blocks([api])
    assert out == '```sql caption="Daily query"\nSELECT 1\n```\n'
    assert from_blocks(to_blocks(out)) == out
    # the caption comes back exactly, without the language name put in front of it
    assert block_fingerprint(to_blocks(out)[0]) == block_fingerprint(api)


def test_equation_both_ways() -> None:
    block = only("```math\na^2\n```\n")
    assert block == {"object": "block", "type": "equation", "equation": {"expression": "a^2"}}
    assert from_blocks([api_block("equation", {"expression": "a^2"})]) == "```math\na^2\n```\n"


def test_table_both_ways() -> None:
    block = only("| a | **b** |\n| - | - |\n| 1 | 2 |\n")
    assert block["table"]["table_width"] == 2 and block["table"]["has_column_header"]
    rows = block["table"]["children"]
    assert rows[0]["table_row"]["cells"] == [[text("a")], [text("b", bold=True)]]
    api = api_block("table", {"table_width": 2, "has_column_header": True,
                              "has_row_header": False}, [
        api_block("table_row", {"cells": [[api_text("x")], [api_text("y|z")]]}, None),
        api_block("table_row", {"cells": [[], [api_text("1")]]}, None),
    ])
    assert from_blocks([api]) == "| x   | y\\|z |\n| --- | ---- |\n|     | 1    |\n"


def test_divider_both_ways() -> None:
    assert only("---\n") == {"object": "block", "type": "divider", "divider": {}}
    assert from_blocks([api_block("divider", {})]) == "---\n".replace("---", "_" * 70)


def test_image_both_ways() -> None:
    block = only("![Diagram](https://example.com/d.png)\n")
    assert block["image"]["external"] == {"url": "https://example.com/d.png"}
    api = api_block("image", {"type": "external", "caption": [api_text("Diagram")],
                              "external": {"url": "https://example.com/d.png"}})
    assert from_blocks([api]) == "![Diagram](https://example.com/d.png)\n"


def test_hard_and_soft_breaks() -> None:
    block = only("a\\\nb\nc\n")
    assert block["paragraph"]["rich_text"] == [text("a\nb \nc")]
    assert from_blocks([api_block("paragraph", {"rich_text": [api_text("x\ny")]})]) == "x\\\ny\n"


def test_links_resolve_to_pages_and_back() -> None:
    url = "https://www.notion.so/Weekly-update-0123456789abcdef0123456789abcdef"
    resolver = MappingResolver(urls={"templates/weekly-product-update": url})
    md = "See [it](../templates/weekly-product-update.md#agenda).\n"
    block = only_with(md, "rituals/weekly", resolver)
    assert block["paragraph"]["rich_text"][1]["text"]["link"] == {"url": url + "#agenda"}
    assert from_blocks([block], current_key="rituals/weekly", resolver=resolver) == md
    # A bare page id (or any URL ending in it) resolves through its canonical notion.so URL.
    resolver = MappingResolver(urls={
        "templates/weekly-product-update": "https://www.notion.so/0123456789abcdef0123456789abcdef"})
    api = api_block("paragraph", {"rich_text": [
        api_text("it", url="/0123456789abcdef0123456789abcdef")]})
    assert from_blocks([api], current_key="rituals/weekly", resolver=resolver) == (
        "[it](../templates/weekly-product-update.md)\n")


def only_with(md: str, key: str, resolver: MappingResolver) -> dict[str, Any]:
    blocks = to_blocks(md, current_key=key, resolver=resolver)
    assert len(blocks) == 1
    return blocks[0]


def test_page_mention_stays_a_mention_linking_to_the_playbook_file() -> None:
    resolver = MappingResolver(urls={"charter": "https://www.notion.so/" + "a" * 32})
    item = {"type": "mention", "plain_text": "Charter", "href": "https://www.notion.so/" + "a" * 32,
            "mention": {"type": "page", "page": {"id": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}},
            "annotations": {"bold": False}}
    api = api_block("paragraph", {"rich_text": [api_text("See "), item]})
    md = from_blocks([api], current_key="rituals/x", resolver=resolver)
    assert md == ('See <mention-page id="aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa">'
                  "[Charter](../charter.md)</mention-page>\n")
    back = to_blocks(md, current_key="rituals/x", resolver=resolver)
    assert block_fingerprint(back[0]) == block_fingerprint(api)


def test_date_and_user_mentions_keep_their_text_and_identity() -> None:
    date = {"type": "mention", "plain_text": "2025-03-01",
            "mention": {"type": "date", "date": {"start": "2025-03-01", "end": None}}}
    user = {"type": "mention", "plain_text": "@Ada",
            "mention": {"type": "user", "user": {"object": "user", "id": "u1", "name": "Ada"}}}
    api = api_block("paragraph", {"rich_text": [date, api_text(" by "), user]})
    md = from_blocks([api])
    assert md == ('<mention-date start="2025-03-01">2025-03-01</mention-date> by '
                  '<mention-user id="u1">@Ada</mention-user>\n')
    assert block_fingerprint(to_blocks(md)[0]) == block_fingerprint(api)


def test_long_text_is_split_on_utf16_units() -> None:
    md = "🚀" * 1500 + "\n"  # 3,000 UTF-16 units
    items = only(md)["paragraph"]["rich_text"]
    assert [utf16_len(i["text"]["content"]) for i in items] == [2000, 1000]
    assert from_blocks(to_blocks(md)) == md


def test_more_than_100_runs_split_and_rejoin() -> None:
    md = " ".join(f"**b{i}**" for i in range(150)) + "\n"
    blocks = to_blocks(md)
    assert len(blocks) == 4  # 299 runs, 99 per block plus the continuation marker
    assert all(len(b["paragraph"]["rich_text"]) <= 100 for b in blocks)
    assert from_blocks(blocks) == md


# -- placeholders -------------------------------------------------------------------------------

UNKNOWN_API_BLOCKS = [
    api_block("toggle", {"rich_text": [api_text("Details")], "color": "default"},
              [api_block("paragraph", {"rich_text": [api_text("hidden")]}, [])],
              "11111111-1111-1111-1111-111111111111"),
    api_block("bookmark", {"caption": [], "url": "https://example.com/post"}, None,
              "22222222-2222-2222-2222-222222222222"),
    api_block("embed", {"caption": [], "url": "https://www.youtube.com/watch?v=x"}, None,
              "33333333-3333-3333-3333-333333333333"),
    api_block("child_page", {"title": "Meeting notes --> 2025"}, None,
              "44444444-4444-4444-4444-444444444444"),
    api_block("child_database", {"title": "Tasks"}, None, "55555555-5555-5555-5555-555555555555"),
    api_block("synced_block", {"synced_from": {"type": "block_id", "block_id": "x"}}, [],
              "66666666-6666-6666-6666-666666666666"),
    api_block("column_list", {}, [api_block("column", {}, [])],
              "77777777-7777-7777-7777-777777777777"),
    api_block("link_to_page", {"type": "page_id", "page_id": "abc"}, None,
              "88888888-8888-8888-8888-888888888888"),
    api_block("table_of_contents", {"color": "default"}, None,
              "99999999-9999-9999-9999-999999999999"),
    api_block("image", {"type": "file", "caption": [],
                        "file": {"url": "https://s3/x.png", "expiry_time": "2025"}}, None,
              "aaaaaaaa-1111-1111-1111-111111111111"),
    api_block("paragraph", {"rich_text": []}, None, "bbbbbbbb-1111-1111-1111-111111111111"),
    api_block("unsupported", {}, None, "cccccccc-1111-1111-1111-111111111111"),
]


@pytest.mark.parametrize("block", UNKNOWN_API_BLOCKS, ids=lambda b: b["type"])
def test_unknown_blocks_become_placeholders(block: dict[str, Any]) -> None:
    md = from_blocks([api_block("paragraph", {"rich_text": [api_text("before")]}), block,
                      api_block("paragraph", {"rich_text": [api_text("after")]})])
    assert f"<!-- notion:block id={block['id']} type={block['type']}" in md
    assert canonical(md) == md
    back = to_blocks(md)
    assert [b["type"] for b in back] == ["paragraph", "prodops_placeholder", "paragraph"]
    assert is_placeholder(back[1]) and placeholder_id(back[1]) == block["id"]
    assert back[1]["prodops_placeholder"]["type"] == block["type"]
    assert from_blocks(back) == md


def test_placeholder_inside_a_list_item() -> None:
    toggle = UNKNOWN_API_BLOCKS[0]
    api = api_block("bulleted_list_item", {"rich_text": [api_text("item")]}, [toggle])
    md = from_blocks([api])
    child = to_blocks(md)[0]["bulleted_list_item"]["children"][0]
    assert is_placeholder(child) and placeholder_id(child) == toggle["id"]


def test_unfetched_children_are_an_error() -> None:
    block = api_block("toggle", {"rich_text": []}, None)
    block["has_children"] = True
    md = from_blocks([block])  # a placeholder keeps it without needing the children
    assert "type=toggle" in md
    quote = api_block("quote", {"rich_text": [api_text("q")]}, None)
    quote["has_children"] = True
    with pytest.raises(ValueError, match="not fetched"):
        from_blocks([quote])


def test_html_block_round_trips_through_code() -> None:
    md = "<div align=\"center\">\n\nx\n\n</div>\n"
    blocks = to_blocks(md)
    assert blocks[0]["type"] == "code" and blocks[0]["code"]["language"] == "html"
    assert from_blocks(blocks) == md


# -- fingerprints --------------------------------------------------------------------------------

def test_fingerprint_equal_for_api_and_generated() -> None:
    generated = to_blocks("- **a** [l](https://x.io)\n  - b\n")[0]
    api = api_block("bulleted_list_item", {
        "rich_text": [api_text("a", bold=True), api_text(" "), api_text("l", url="https://x.io")],
        "color": "default"},
        [api_block("bulleted_list_item", {"rich_text": [api_text("b")], "color": "default"}, [])])
    assert block_fingerprint(api) == block_fingerprint(generated)
    changed = to_blocks("- **a** [l](https://x.io)\n  - c\n")[0]
    assert block_fingerprint(changed) != block_fingerprint(generated)


def test_fingerprint_ignores_how_text_is_split() -> None:
    one = api_block("paragraph", {"rich_text": [api_text("abcdef")]})
    two = api_block("paragraph", {"rich_text": [api_text("abc"), api_text("def")]})
    assert block_fingerprint(one) == block_fingerprint(two)
    bold = api_block("paragraph", {"rich_text": [api_text("abc", bold=True), api_text("def")]})
    assert block_fingerprint(bold) != block_fingerprint(one)
