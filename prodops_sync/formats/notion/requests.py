"""Split a block tree into append-children requests that respect Notion's limits.

Limits (developers.notion.com, request limits): at most 100 blocks in any ``children``
array, at most two levels of nesting in one request, at most 1,000 blocks and 500 KB per
request. The append response lists only the *first-level* blocks it created (with ids), so
a block whose subtree is deeper than the request allows is sent without its children and the
children follow in later steps, addressed to the id the earlier response returned.

Protocol: :func:`plan_append_requests` returns a list of :class:`AppendStep`. Steps run in
order. A step's ``parent`` (and ``after``) is either a real block/page id (``str``) or a
:class:`ResultRef` - "the id of ``results[index]`` in the response to step ``step``".
:func:`run_plan` executes a plan with a caller-supplied ``append`` function (the I/O layer:
``append(parent_id, children, after) -> [created ids]``), resolving references as it goes.
Appending each parent's children in step order reproduces the document exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prodops_sync.formats.notion.blocks import block_children, is_placeholder

MAX_CHILDREN = 100
MAX_BLOCKS_PER_REQUEST = 1000
MAX_REQUEST_BYTES = 450_000  # Notion allows 500 KB; keep headroom for the envelope
Block = dict[str, Any]


@dataclass(frozen=True)
class ResultRef:
    """The id of ``results[index]`` in the response to step number ``step``."""

    step: int
    index: int


Target = str | ResultRef


@dataclass(frozen=True)
class AppendStep:
    """One ``PATCH /v1/blocks/{parent}/children`` request."""

    parent: Target
    children: list[Block]
    after: Target | None = None


def _strip(block: Block) -> Block:
    """A request-shaped copy of ``block`` without children and API-only keys."""
    kind = str(block["type"])
    body = {k: v for k, v in (block.get(kind) or {}).items() if k != "children"}
    return {"object": "block", "type": kind, kind: body}


def _with_children(block: Block, children: list[Block]) -> Block:
    stripped = _strip(block)
    if children:
        stripped[stripped["type"]]["children"] = children
    return stripped


def _size(block: Block) -> int:
    return len(json.dumps(block, ensure_ascii=False).encode("utf-8"))


def plan_append_requests(
    blocks: Sequence[Block], parent: Target = "root", *, after: Target | None = None
) -> list[AppendStep]:
    """Plan the append-children requests that create ``blocks`` (to_blocks output) under
    ``parent`` (a block/page id; ``"root"`` by default for the caller to substitute), after
    ``after`` when given. Placeholder markers cannot be created and raise ``ValueError``."""
    steps: list[AppendStep] = []
    _plan(list(blocks), parent, after, steps)
    return steps


def _plan(
    blocks: list[Block], parent: Target, after: Target | None, steps: list[AppendStep]
) -> None:
    deferred: list[tuple[ResultRef, list[Block]]] = []
    i = 0
    while i < len(blocks):
        chunk: list[Block] = []
        chunk_deferred: list[tuple[int, list[Block]]] = []
        count = 0
        size = 0
        while i < len(blocks) and len(chunk) < MAX_CHILDREN:
            block = blocks[i]
            if is_placeholder(block):
                raise ValueError(
                    "a placeholder stands for an existing block and cannot be created"
                )
            kids = block_children(block)
            later: list[Block] = []
            if block["type"] == "table":
                # A table cannot be created empty: its first rows always ride along.
                kids, later = kids[:MAX_CHILDREN], kids[MAX_CHILDREN:]
            inline = bool(kids) and len(kids) <= MAX_CHILDREN and not any(
                block_children(k) for k in kids
            )
            entry = _with_children(block, [_strip(k) for k in kids] if inline else [])
            weight = 1 + (len(kids) if inline else 0)
            entry_size = _size(entry)
            if chunk and (count + weight > MAX_BLOCKS_PER_REQUEST
                          or size + entry_size > MAX_REQUEST_BYTES):
                break
            if entry_size > MAX_REQUEST_BYTES and inline and block["type"] != "table":
                inline, entry = False, _with_children(block, [])  # too heavy to ride along
                weight, entry_size = 1, _size(entry)
            if kids and not inline:
                chunk_deferred.append((len(chunk), kids))
            elif later:
                chunk_deferred.append((len(chunk), later))
            chunk.append(entry)
            count += weight
            size += entry_size
            i += 1
        step_no = len(steps)
        steps.append(AppendStep(parent=parent, children=chunk, after=after))
        # The next chunk for the same parent goes right after this chunk's last block.
        after = ResultRef(step_no, len(chunk) - 1) if after is not None else None
        deferred.extend((ResultRef(step_no, index), kids) for index, kids in chunk_deferred)
    for ref, kids in deferred:
        _plan(kids, ref, None, steps)


def resolve(target: Target, results: Sequence[Sequence[str]], root: str) -> str:
    """The real id for ``target`` given the created ids of the steps run so far."""
    if isinstance(target, ResultRef):
        return results[target.step][target.index]
    return root if target == "root" else target


AppendFn = Callable[[str, list[Block], str | None], list[str]]


def run_plan(steps: Sequence[AppendStep], append: AppendFn, root: str) -> list[list[str]]:
    """Execute ``steps`` with ``append(parent_id, children, after_id) -> created ids`` (the
    first-level ids, in order). Returns the ids created by every step."""
    results: list[list[str]] = []
    for step in steps:
        parent_id = resolve(step.parent, results, root)
        after_id = resolve(step.after, results, root) if step.after is not None else None
        created = append(parent_id, step.children, after_id)
        if len(created) != len(step.children):
            raise RuntimeError(
                f"append to {parent_id} returned {len(created)} ids for "
                f"{len(step.children)} blocks"
            )
        results.append(list(created))
    return results
