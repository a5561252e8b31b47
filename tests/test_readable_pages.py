"""The readable-pages contract (issue #18), checked on the example playbook pushed to each
stand-in: every Notion property name and Confluence page-properties label is a human label,
no value or cell a person reads holds JSON text or a code macro, lists of objects are
tables, references are links (Confluence) and the tool's section is marked (Notion)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prodops_sync.formats.confluence.xml import Element, parse_storage
from prodops_sync.formats.notion.fieldblocks import SECTION_ICON
from prodops_sync.formats.notion.properties import property_value
from tests.pushed import next_push_writes, pull_diff, pushed_world
from tests.reliability.harness import World


def _looks_like_json(text: str) -> bool:
    """Text a person would read as JSON: an object or array literal."""
    text = text.strip()
    if not text.startswith(("{", "[")):
        return False
    try:
        return isinstance(json.loads(text), dict | list)
    except ValueError:
        return False


@pytest.fixture(params=["notion", "confluence"])
def pushed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    yield from pushed_world(request.param, tmp_path)


def _notion_problems(world: World) -> list[str]:
    standin: Any = world.standin
    found: list[str] = []
    for ds in standin.state["data_sources"].values():
        for name in ds["properties"]:
            if "_" in name:
                found.append(f"property name {name!r}")
    for page_id, page in standin.state["pages"].items():
        if page["parent"].get("type") != "data_source_id":
            continue
        rendered = standin.render_page(page)["properties"]
        for name, value in rendered.items():
            shown = property_value(value)
            texts = shown if isinstance(shown, list) else [shown]
            for text in texts:
                if isinstance(text, str) and _looks_like_json(text):
                    found.append(f"page {page_id} property {name!r} holds JSON {text[:60]!r}")
    return found


def _iter(node: Element) -> Iterator[Element]:
    """``node`` and every element below it."""
    yield node
    for child in node.elements():
        yield from _iter(child)


def _cells(storage: str) -> list[tuple[str, Element]]:
    """(label, cell) of every row of every page-properties macro on a page."""
    out: list[tuple[str, Element]] = []

    def walk(node: Element, inside: bool) -> None:
        for child in node.children:
            if isinstance(child, str):
                continue
            here = inside or (child.tag == "ac:structured-macro"
                              and child.attrs.get("ac:name") == "details")
            if here and not inside and child.tag == "ac:structured-macro":
                rows = [r for r in _iter(child) if r.tag == "tr" and _is_field_row(r, child)]
                for row in rows:
                    cells = [c for c in row.children if isinstance(c, Element)]
                    if len(cells) == 2 and cells[0].tag == "th":
                        out.append((cells[0].text().strip(), cells[1]))
            walk(child, here)

    walk(parse_storage(storage).root, False)
    return out


def _is_field_row(row: Element, macro: Element) -> bool:
    """A row of the macro's own table (not of a table nested in one of its cells)."""
    table = next(e for e in _iter(macro) if e.tag == "table")
    return any(r is row for body in table.elements() for r in body.elements("tr")) or any(
        r is row for r in table.elements("tr"))


def _confluence_problems(world: World) -> list[str]:
    standin: Any = world.standin
    found: list[str] = []
    for page_id, content in standin.state["contents"].items():
        if content.get("type") != "page" or content.get("status") != "current":
            continue
        for label, cell in _cells(content["body"]):
            if "_" in label:
                found.append(f"page {page_id} label {label!r}")
            if any(e.tag == "ac:structured-macro" and e.attrs.get("ac:name") == "code"
                   for e in _iter(cell)):
                found.append(f"page {page_id} cell {label!r} holds a code macro")
            if _looks_like_json(cell.text()):
                found.append(f"page {page_id} cell {label!r} holds JSON")
    return found


def test_no_raw_field_name_and_no_json_anywhere_a_person_reads(pushed: World) -> None:
    problems = (_notion_problems(pushed) if pushed.kind == "notion"
                else _confluence_problems(pushed))
    assert problems == []


def test_lists_of_objects_are_tables(pushed: World) -> None:
    page = pushed.remote_id("operating-model")
    standin: Any = pushed.standin
    if pushed.kind == "notion":
        blocks = [standin.state["blocks"][b] for b in standin._visible_children(page)]
        assert blocks[0]["type"] == "callout"
        assert blocks[0]["data"]["icon"]["emoji"] == SECTION_ICON
        assert [b["type"] for b in blocks[1:3]] == ["heading_3", "table"]
        rows = standin._visible_children(blocks[2]["id"])
        assert len(rows) == 1 + len(_raci(pushed))
    else:
        cells = dict(_cells(standin.state["contents"][page]["body"]))
        raci = cells["RACI"]
        rows = [r for r in _iter(raci) if r.tag == "tr"]
        assert len(rows) == 1 + len(_raci(pushed))


def _raci(world: World) -> list[Any]:
    import yaml

    text = world.read("operating-model.md").split("---")[1]
    return list(yaml.safe_load(text)["raci"])


def test_references_are_links_in_confluence(pushed: World) -> None:
    if pushed.kind != "confluence":
        pytest.skip("Notion relations: see test_notion_relations.py")
    standin: Any = pushed.standin
    body = standin.state["contents"][pushed.remote_id("rituals/weekly-product-update")]["body"]
    cell = dict(_cells(body))["Output artifact"]
    links = [e for e in _iter(cell) if e.tag == "ri:page"]
    assert links and re.search(r"Weekly", links[0].attrs.get("ri:content-title", ""))


def test_a_link_pointed_elsewhere_in_confluence_is_pulled(pushed: World) -> None:
    if pushed.kind != "confluence":
        pytest.skip("Notion: see test_notion_relations.py")
    standin: Any = pushed.standin
    key = "rituals/weekly-product-update"
    page = pushed.remote_id(key)
    body = standin.state["contents"][page]["body"]
    title = next(e.attrs["ri:content-title"] for label, cell in _cells(body)
                 if label == "Output artifact" for e in _iter(cell) if e.tag == "ri:page")
    target = standin.state["contents"][pushed.remote_id("templates/stakeholder-roadmap-view")]
    old = f'ri:content-title="{title}"'
    assert body.count(old) >= 1
    standin.wiki_user.edit_body(
        page, body.replace(old, f'ri:content-title="{target["title"]}"', 1))
    assert pull_diff(pushed, f"{key}.md") == [
        "-output_artifact: templates/weekly-product-update",
        "+output_artifact: templates/stakeholder-roadmap-view"]
    assert next_push_writes(pushed) == 0
