"""Confluence pages as top-level blocks: the Confluence side of the block splice.

:func:`read_blocks` cuts a storage body into top-level blocks, each with the canonical
Markdown it reads as and the exact storage slice it came from (the slices join back into
the body byte for byte). :func:`splice_storage` is the push direction: the storage for new
Markdown that keeps the stored slice of every block whose Markdown did not change and
renders only the others (:mod:`prodops_sync.formats.splice`). :func:`page_record` and
:func:`render_page` do the same for a whole page (page-properties macro + body), producing
the record the sync state keeps as the per-block base.

All functions are pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prodops_sync.formats.confluence.reader import BOOKKEEPING_ATTRS, read_spans
from prodops_sync.formats.confluence.writer import check_placeholders, to_storage_blocks
from prodops_sync.formats.confluence.xml import (
    Element,
    StorageFormatError,
    escape_attr,
    parse_storage,
)
from prodops_sync.formats.splice import (
    Block,
    Splice,
    block_texts,
    blocks_from_json,
    blocks_to_json,
    join_markdown,
    splice_into_remote,
)
from prodops_sync.links import LinkResolver
from prodops_sync.markdown import canonical

CARRIED_ATTRS = BOOKKEEPING_ATTRS | frozenset(
    {"data-layout", "data-table-width", "ac:macro-id", "ac:breakout-mode", "ac:breakout-width"}
)
"""Attributes of a block's start tag that carry over when the block is edited in Git and its
storage re-rendered (same element): identity and layout the Markdown cannot show."""


def read_blocks(
    xhtml: str,
    *,
    current_key: str = "",
    resolver: LinkResolver | None = None,
    page: str = "",
) -> list[Block]:
    """The top-level blocks of a storage body: canonical Markdown (``""`` for trivia) and
    the storage slice it came from. ``join_markdown`` of the Markdown is exactly
    ``from_storage(xhtml)``; the storage slices join back into ``xhtml``."""
    spans = read_spans(xhtml, current_key=current_key, resolver=resolver, page=page)
    markdown = canonical("\n\n".join(text for text, _, _ in spans if text) + "\n")
    texts = block_texts(markdown)
    visible = sum(1 for text, _, _ in spans if text)
    if len(texts) != visible:
        # Canonical Markdown joined or split what the reader made (never seen on the test
        # corpora): the page is one block, so a push rewrites it whole (still correct).
        return [Block(markdown.removesuffix("\n"), xhtml)] if xhtml else []
    out: list[Block] = []
    found = iter(texts)
    for text, start, end in spans:
        piece = xhtml[start:end]
        if text:
            out.append(Block(next(found), piece))
        elif out and not out[-1].markdown:
            out[-1] = Block("", out[-1].remote + piece)  # one trivia block per gap
        else:
            out.append(Block("", piece))
    return out


def storage_of(blocks: list[Block]) -> str:
    """The storage body the blocks make up."""
    return "".join(str(b.remote) for b in blocks)


def fresh_blocks(
    markdown: str, *, current_key: str = "", resolver: LinkResolver | None = None
) -> list[Block]:
    """Blocks for Markdown rendered from scratch (no base): each block with its storage."""
    texts = block_texts(markdown)
    fragments = to_storage_blocks(
        join_markdown(texts), current_key=current_key, resolver=resolver
    )
    if len(fragments) != len(texts):
        body = "".join(fragments)
        return [Block(markdown.removesuffix("\n"), body)] if body else []
    return [Block(t, f) for t, f in zip(texts, fragments, strict=True)]


def splice_storage(
    base: list[Block],
    markdown: str,
    *,
    current_key: str = "",
    resolver: LinkResolver | None = None,
    page: str = "",
) -> Splice:
    """The blocks for ``markdown`` on top of the stored ``base``: unchanged blocks keep their
    storage byte for byte, changed and new ones are rendered (in the context of the whole
    document), carrying over the start-tag attributes of the block they replace
    (:data:`CARRIED_ATTRS`). Raises :class:`StorageFormatError` when edited placeholders
    no longer make well-formed storage."""
    texts = block_texts(markdown)

    def render(blocks: Any) -> list[str]:
        return to_storage_blocks(join_markdown(blocks), current_key=current_key, resolver=resolver)

    result = splice_into_remote(base, texts, render)
    for index, old in result.replaced.items():
        block = result.blocks[index]
        carried = carry_attributes(str(old.remote), str(block.remote))
        result.blocks[index] = Block(block.markdown, carry_task_ids(str(old.remote), carried))
    if result.changed:
        check_placeholders(storage_of(result.blocks), page=page or current_key)
    return result


def carry_attributes(old: str, new: str) -> str:
    """``new`` with the :data:`CARRIED_ATTRS` of ``old``'s start tag added to its own, when
    both are one element of the same name (an edited paragraph keeps its ``local-id``); the
    same for their descendants, pairwise, while both have the same elements below them (the
    items of an edited list keep theirs)."""
    old_el = _single_element(old)
    new_el = _single_element(new)
    if old_el is None or new_el is None:
        return new
    inserts: list[tuple[int, str]] = []
    _carry(old_el, new_el, inserts)
    for at, extra in sorted(inserts, reverse=True):
        new = new[:at] + extra + new[at:]
    return new


def _carry(old: Element, new: Element, inserts: list[tuple[int, str]]) -> None:
    if old.tag != new.tag:
        return
    extra = "".join(
        f' {name}="{escape_attr(value)}"'
        for name, value in old.attrs.items()
        if name in CARRIED_ATTRS and name not in new.attrs
    )
    if extra:
        inserts.append((new.start + 1 + len(new.tag), extra))
    # Column widths are layout the Markdown does not carry: pair what is below them.
    below_old = [c for c in old.elements() if c.tag != "colgroup"]
    below_new = [c for c in new.elements() if c.tag != "colgroup"]
    if len(below_old) == len(below_new):
        for a, b in zip(below_old, below_new, strict=True):
            _carry(a, b, inserts)


def carry_task_ids(old: str, new: str) -> str:
    """``new`` (a re-rendered task list) with the ``ac:task-id`` and ``ac:task-uuid`` of
    each task of ``old`` whose text did not change, in order, and, when as many tasks were
    edited as went, of the edited ones by position: editing one task keeps the identity of
    every task (and of their reminders and reports in Confluence)."""
    old_el = _single_element(old)
    new_el = _single_element(new)
    if old_el is None or new_el is None or not old_el.tag == new_el.tag == "ac:task-list":
        return new
    old_source = parse_storage(old)
    available: list[tuple[str, str]] = []  # (task text, its id + uuid storage)
    for task in old_el.elements("ac:task"):
        ident = [c for c in task.elements() if c.tag in ("ac:task-id", "ac:task-uuid")]
        if ident:
            body = task.first("ac:task-body")
            text = body.text() if body is not None else ""
            available.append(
                (" ".join(text.split()), "".join(old_source.outer(c) for c in ident))
            )
    edits: list[tuple[int, int, str]] = []
    unmatched: list[Element] = []
    for task in new_el.elements("ac:task"):
        task_id = task.first("ac:task-id")
        body = task.first("ac:task-body")
        text = " ".join((body.text() if body is not None else "").split())
        match = next((i for i, (t, _) in enumerate(available) if t == text), None)
        if task_id is None:
            continue
        if match is None:
            unmatched.append(task_id)
            continue
        edits.append((task_id.start, task_id.end, available.pop(match)[1]))
    if len(unmatched) == len(available):
        # As many edited tasks as tasks gone: the edits were in place, in order.
        edits.extend((t.start, t.end, ident) for t, (_, ident) in zip(unmatched, available,
                                                                       strict=True))
    edits.sort()
    for start, end, replacement in reversed(edits):
        new = new[:start] + replacement + new[end:]
    return new


def _single_element(fragment: str) -> Element | None:
    try:
        source = parse_storage(fragment)
    except StorageFormatError:
        return None  # half of a container placeholder: nothing to carry
    children = [c for c in source.root.children if not (isinstance(c, str) and not c.strip())]
    if len(children) != 1 or not isinstance(children[0], Element):
        return None
    return children[0]


# -- whole pages: the record the sync state keeps ----------------------------------------------


def page_record(head: str, head_rendered: str, blocks: list[Block]) -> dict[str, Any]:
    """The per-block base of a page: its page-properties macro as the page holds it
    (``head``) with the form the fields render as now (``head_rendered``), and its body's
    blocks."""
    return {"head": head, "head_rendered": head_rendered, "blocks": blocks_to_json(blocks)}


def render_page(
    properties: str,
    markdown: str,
    base: Mapping[str, Any] | None,
    *,
    current_key: str = "",
    resolver: LinkResolver | None = None,
    page: str = "",
) -> tuple[str, dict[str, Any]]:
    """The storage to send for a page and the record of it for the next base.

    ``properties`` is the freshly rendered page-properties macro (``""`` for none) and
    ``markdown`` the canonical body. With a ``base`` (:func:`page_record`), the stored
    macro is sent when the fields render as they did, and the body is spliced
    (:func:`splice_storage`); a base of another shape is ignored (full rendering).
    """
    head = properties
    stored: list[Block] | None = None
    if base is not None:
        try:
            stored = blocks_from_json(base.get("blocks"))
        except ValueError:
            stored = None
        if stored is not None and base.get("head_rendered") == properties:
            head = str(base.get("head", properties))
    blocks: list[Block] | None = None
    if stored is not None:
        try:
            blocks = splice_storage(
                stored, markdown, current_key=current_key, resolver=resolver, page=page
            ).blocks
        except ValueError as exc:
            if isinstance(exc, StorageFormatError):
                raise
            blocks = None  # the Markdown did not split as rendered: render it whole
    if blocks is None:
        blocks = fresh_blocks(markdown, current_key=current_key, resolver=resolver)
        check_placeholders(storage_of(blocks), page=page or current_key)
    return head + storage_of(blocks), page_record(head, properties, blocks)
