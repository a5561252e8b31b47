"""Request planning: Notion's append limits, simulated without I/O."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from prodops_sync.formats.notion.blocks import from_blocks, placeholder, to_blocks
from prodops_sync.formats.notion.requests import (
    MAX_BLOCKS_PER_REQUEST,
    MAX_CHILDREN,
    AppendStep,
    ResultRef,
    plan_append_requests,
    run_plan,
)


class FakeNotionBlocks:
    """Stores appended blocks, enforces the request limits and returns first-level ids."""

    def __init__(self, root: str = "page-root") -> None:
        self.root = root
        self.children: dict[str, list[dict[str, Any]]] = {root: []}
        self.requests = 0
        self.blocks: dict[str, dict[str, Any]] = {}
        self._ids = (f"blk-{n}" for n in itertools.count())

    def append(self, parent: str, children: list[dict[str, Any]], after: str | None) -> list[str]:
        self.requests += 1
        assert parent in self.children, f"unknown parent {parent}"
        assert 0 < len(children) <= MAX_CHILDREN
        total = 0
        for block in children:
            nested = block[block["type"]].get("children", [])
            assert len(nested) <= MAX_CHILDREN
            for child in nested:  # two levels at most
                assert "children" not in child[child["type"]], "third nesting level"
            total += 1 + len(nested)
        assert total <= MAX_BLOCKS_PER_REQUEST
        created = [self._store(block) for block in children]
        siblings = self.children[parent]
        position = len(siblings) if after is None else siblings.index(after) + 1
        siblings[position:position] = created
        return created

    def _store(self, block: dict[str, Any]) -> str:
        block_id = next(self._ids)
        kind = block["type"]
        body = {k: v for k, v in block[kind].items() if k != "children"}
        self.blocks[block_id] = {"object": "block", "id": block_id, "type": kind, kind: body}
        self.children[block_id] = [self._store(c) for c in block[kind].get("children", [])]
        return block_id

    def tree(self, parent: str | None = None) -> list[dict[str, Any]]:
        """The stored tree, API-shaped, children attached under ``block[type]["children"]``."""
        out = []
        for block_id in self.children[parent or self.root]:
            block = dict(self.blocks[block_id])
            kind = block["type"]
            kids = self.tree(block_id)
            block["has_children"] = bool(kids)
            block[kind] = {**block[kind], "children": kids}
            out.append(block)
        return out


def push(markdown: str) -> tuple[FakeNotionBlocks, list[AppendStep]]:
    """Plan and run the requests for ``markdown`` against the fake."""
    fake = FakeNotionBlocks()
    steps = plan_append_requests(to_blocks(markdown))
    run_plan(steps, fake.append, fake.root)
    return fake, steps


def deep_list(depth: int) -> str:
    return "".join("  " * level + f"- level {level}\n" for level in range(depth))


@pytest.mark.parametrize(
    "markdown",
    [
        "One paragraph.\n",
        "".join(f"Paragraph {i}.\n\n" for i in range(250)),
        deep_list(9),
        "- parent\n" + "".join(f"  - child {i}\n" for i in range(150)),
        "| a | b |\n| - | - |\n" + "".join(f"| {i} | x |\n" for i in range(230)),
        "- item\n\n  | a |\n  | - |\n  | 1 |\n",
        "> quote\n>\n> - a\n>   - b\n>     - c\n",
    ],
    ids=["one", "250-paragraphs", "depth-9", "150-children", "230-row-table", "table-in-list",
         "quote-deep"],
)
def test_plan_reproduces_document_within_limits(markdown: str) -> None:
    fake, steps = push(markdown)
    assert from_blocks(fake.tree()) == from_blocks(to_blocks(markdown))
    assert fake.requests == len(steps)


def test_250_paragraphs_take_three_requests() -> None:
    _, steps = push("".join(f"Paragraph {i}.\n\n" for i in range(250)))
    assert [len(s.children) for s in steps] == [100, 100, 50]


def test_deep_children_are_addressed_to_earlier_results() -> None:
    steps = plan_append_requests(to_blocks(deep_list(4)))
    # level 0 + level 1 ride together; level 1's children wait for level 1's id, which the
    # first response does not return - so level 0 goes alone and the rest follow.
    assert steps[0].parent == "root"
    assert all(isinstance(s.parent, ResultRef) for s in steps[1:])
    assert all(s.parent.step < n for n, s in enumerate(steps) if isinstance(s.parent, ResultRef))


def test_after_chains_chunks_in_order() -> None:
    fake = FakeNotionBlocks()
    run_plan(plan_append_requests(to_blocks("first\n\nlast\n")), fake.append, fake.root)
    anchor = fake.children[fake.root][0]
    blocks = to_blocks("".join(f"p{i}\n\n" for i in range(120)))
    run_plan(plan_append_requests(blocks, after=anchor), fake.append, fake.root)
    text = from_blocks(fake.tree())
    assert text.startswith("first\n\np0\n") and text.endswith("p119\n\nlast\n")


def test_placeholders_cannot_be_created() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        plan_append_requests([placeholder("0" * 32, "toggle")])


def test_run_plan_checks_response_length() -> None:
    with pytest.raises(RuntimeError):
        run_plan(plan_append_requests(to_blocks("a\n\nb\n")), lambda p, c, a: ["x"], "root")


def test_heavy_payload_is_split_by_size() -> None:
    para = "word " * 1900
    blocks = to_blocks("".join(f"{para.strip()} {i}\n\n" for i in range(60)))
    steps = plan_append_requests(blocks)
    assert len(steps) > 1
    assert all(len(str(s.children).encode()) < 500_000 for s in steps)
