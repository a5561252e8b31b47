"""Notion conversion fidelity: figures for issue 16 (prints them; asserts nothing).

Run from the repository root: ``python bench/notion_fidelity.py``.

1. Markdown → Notion → Markdown, exact byte for byte, on tests/corpus and on the CommonMark
   spec examples (0.31.2) Notion can represent: by the converter alone, and through the
   block splice (push, then a wiki edit of *another* block, then pull: what Git-only
   formatting survives).
2. Notion pages: pull then push with no edit, block writes with the splice and when every
   block is rendered again from its Markdown (what a Git edit elsewhere in the same block
   costs). tests/notion_pages holds block trees shaped like the API reference's block,
   rich-text and mention objects (the ``heldout-*`` pages are never used by tests);
   bench/data/notion-real holds 29 real pages exported from a Notion workspace (held out:
   never used by tests, see bench/data/README.md).
3. Push → one-paragraph wiki edit → pull on every file of tests/corpus: files whose Git
   text changed in exactly that paragraph.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prodops_sync.formats import splice  # noqa: E402
from prodops_sync.formats.notion.blocks import from_blocks, to_blocks  # noqa: E402
from prodops_sync.formats.notion.blocksplice import pull_body, push_body  # noqa: E402
from prodops_sync.markdown import canonical  # noqa: E402
from prodops_sync.remotes.notion_diff import cheapest_ops, count_writes  # noqa: E402
from prodops_sync.standins.notion_schema import NotionValidationError  # noqa: E402
from tests.notion_shapes import as_api  # noqa: E402

SPEC = ROOT / "bench" / "data" / "commonmark-0.31.2.json"
CORPUS = sorted((ROOT / "tests" / "corpus").glob("[0-9][0-9][0-9]-*.md"))
PAGES = sorted((ROOT / "tests" / "notion_pages").glob("*.json"))
REAL = sorted((ROOT / "bench" / "data" / "notion-real").glob("*.json"))
FRONT = re.compile(r"\A---\n.*?\n---\n+", re.S)
# Sections whose examples are raw HTML or reference definitions: Notion has no form for
# them (an HTML block becomes a code block that comes back as the same HTML, but inline
# HTML and definitions do not).
UNREPRESENTABLE_SECTIONS = {"HTML blocks", "Raw HTML", "Link reference definitions"}
WIKI_PARAGRAPH = {"object": "block", "type": "paragraph",
                  "paragraph": {"rich_text": [{"type": "text",
                                               "text": {"content": "Added in the wiki."}}]}}


def representable(md: str) -> bool:
    """Whether Notion can represent the example: no front matter, no h4–h6 (Notion has
    three levels), no image inside text, no inline HTML, no reference definition left
    after formatting."""
    if not md.strip() or md.startswith("---\n"):
        return False  # empty, or YAML front matter (fields travel as page properties)
    if re.search(r"^ {0,3}#{4,6}( |$)", md, re.M) or re.search(r"^ {0,3}\[[^\]]+\]:", md, re.M):
        return False
    for block in to_blocks(md):
        body = block.get(block["type"], {})
        if block["type"] == "code" and body.get("language") == "html":
            return False
        for item in body.get("rich_text", []):
            content = (item.get("text") or {}).get("content", "")
            if re.search(r"<[A-Za-z/!?]", content):
                return False
    return "![" not in md or all(b["type"] == "image" for b in to_blocks(md)
                                 if b["type"] in ("paragraph", "image"))


def through_splice(md: str) -> bool:
    """Push ``md``, let the wiki add a paragraph at the end, pull: is ``md`` kept exactly?"""
    blocks, base = push_body(None, md)
    try:
        tree = as_api(blocks) + as_api([copy.deepcopy(WIKI_PARAGRAPH)])
    except NotionValidationError:
        return False  # Notion would refuse the request
    pulled, _ = pull_body(base, tree)
    return pulled == canonical(md + "\n\nAdded in the wiki.\n")


def percent(n: int, total: int) -> str:
    return f"{n}/{total} ({100 * n / total:.1f}%)" if total else "0/0"


def section_round_trips() -> None:
    print("1. Markdown -> Notion -> Markdown, exact")
    corpus = [canonical(FRONT.sub("", p.read_text(encoding="utf-8"))) for p in CORPUS]
    corpus = [c for c in corpus if c]
    spec_all = json.loads(SPEC.read_text(encoding="utf-8"))
    spec = []
    for example in spec_all:
        if example["section"] in UNREPRESENTABLE_SECTIONS:
            continue
        md = canonical(example["markdown"])
        if representable(md):
            spec.append((example, md))
    for label, texts in (("tests/corpus", corpus), ("CommonMark spec", [m for _e, m in spec])):
        alone = sum(from_blocks(to_blocks(md)) == md for md in texts)
        spliced = sum(through_splice(md) for md in texts)
        print(f"   {label:16} converter alone {percent(alone, len(texts)):>17}   "
              f"with the splice {percent(spliced, len(texts)):>17}")
    print(f"   (spec: {len(spec)} of {len(spec_all)} examples Notion can represent)")
    misses: dict[str, int] = {}
    for example, md in spec:
        if from_blocks(to_blocks(md)) != md:
            misses[example["section"]] = misses.get(example["section"], 0) + 1
    shown = ", ".join(f"{k} {v}" for k, v in sorted(misses.items(), key=lambda kv: -kv[1]))
    print(f"   converter-alone misses by spec section: {shown or 'none'}")


def section_pages() -> None:
    print("2. Notion pages: pull then push with no edit (block writes)")
    totals = {"tuned": [0, 0, 0, 0], "held out": [0, 0, 0, 0], "real, held out": [0, 0, 0, 0]}
    for path in [*PAGES, *REAL]:
        tree = json.loads(path.read_text(encoding="utf-8"))["results"]
        md, base = pull_body(None, tree)
        send, _ = push_body(base, md)
        with_splice = count_writes(cheapest_ops("page", tree, send))
        rerender = count_writes(cheapest_ops("page", tree, to_blocks(md)))
        group = "held out" if path.name.startswith("heldout-") else "tuned"
        if path in REAL:
            group = "real, held out"
        blocks = _count(tree)
        if group != "real, held out" or with_splice or rerender:
            print(f"   {path.stem[:40]:40} {blocks:4} blocks   with the splice {with_splice} "
                  f"writes   every block rendered again {rerender} writes")
        for n, value in enumerate((1, blocks, with_splice, rerender)):
            totals[group][n] += value
    for group, (pages, blocks, spliced, rerender) in totals.items():
        print(f"   {group:14} {pages:2} pages, {blocks:4} blocks: {spliced} writes with the "
              f"splice, {rerender} when rendered again")


def _count(blocks: list[dict[str, Any]]) -> int:
    total = 0
    for block in blocks:
        total += 1
        body = block.get(block["type"], {})
        total += _count(body.get("children", []) if isinstance(body, dict) else [])
    return total


def section_wiki_edit() -> None:
    print("3. push -> one-paragraph wiki edit -> pull, every file of tests/corpus")
    exact = 0
    for path in CORPUS:
        md = canonical(FRONT.sub("", path.read_text(encoding="utf-8")))
        blocks, base = push_body(None, md + "\nA closing paragraph.\n" if md else "Para.\n")
        md = canonical(md + "\nA closing paragraph.\n" if md else "Para.\n")
        tree = as_api(blocks)
        target = max(n for n, b in enumerate(tree) if b["type"] == "paragraph")
        tree[target]["paragraph"]["rich_text"][0]["text"]["content"] = "Edited in the wiki."
        pulled, _ = pull_body(base, tree)
        before, after = splice.block_texts(md), splice.block_texts(pulled)
        changed = [a for a, b in zip(before, after, strict=False) if a != b]
        if len(before) == len(after) and changed == ["A closing paragraph."]:
            exact += 1
    print(f"   exactly that paragraph changed: {percent(exact, len(CORPUS))}")


def main() -> None:
    section_round_trips()
    section_pages()
    section_wiki_edit()


if __name__ == "__main__":
    main()
