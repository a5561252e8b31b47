"""Block-level diff and splice, shared by both wikis and both directions.

A page is a sequence of top-level *blocks*. The sync base keeps, for every block, both its
Markdown (the exact text of that block in the Git file) and its *remote* representation
(the Confluence storage fragment, the Notion block JSON) it came from or was written as.
With that base:

* **push** (:func:`splice_into_remote`): the new Markdown is split into top-level blocks and
  matched against the base's Markdown blocks by fingerprint (sequence matching, like
  ``diff``). Every block whose Markdown did not change keeps its stored remote form, byte for
  byte; only changed and new blocks are rendered.
* **pull** (:func:`splice_into_markdown`): the new remote blocks are matched against the
  base's remote blocks. Every block the wiki did not change keeps its Git Markdown; only
  changed and new blocks are converted.

So whatever nobody edited stays what its side stored: a Confluence macro's parameters, a
Notion block's id and colour, the exact Markdown someone wrote in Git.

*Trivia* are remote blocks with no Markdown form at all (an empty spacing paragraph, the
whitespace between two elements): their Markdown is ``""``. They never appear in the
Markdown, so a Markdown diff cannot see them; on push each rides on the visible block before
it (kept while that block is kept or rewritten, dropped with it when it is deleted).

Everything here is pure (no I/O) and remote-agnostic: the remote representation is any
JSON-serialisable value, compared through a key function (default: the text itself for a
string, canonical JSON otherwise).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from prodops_sync.markdown import canonical, parse

Render = Callable[[Sequence[str]], Sequence[Any]]
"""``render(markdown_blocks)``: the remote form of every given Markdown block, in order
(called with *all* new blocks, so that rendering can depend on context such as numbering;
the splice uses only the results it needs)."""
Convert = Callable[[Sequence[Any]], Sequence[str]]
"""``convert(remote_blocks)``: the Markdown of every given remote block, in order (``""``
for trivia); called with all new remote blocks, as :data:`Render` is."""


@dataclass(frozen=True)
class Block:
    """One top-level block as both sides hold it.

    ``markdown`` is the block's Markdown text without the blank line that separates it from
    the next block (``""`` for trivia); ``remote`` is its remote representation.
    """

    markdown: str
    remote: Any

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for the sync state)."""
        return {"markdown": self.markdown, "remote": self.remote}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Block:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` for another shape."""
        if not isinstance(data, Mapping) or not isinstance(data.get("markdown"), str):
            raise ValueError(f"not a stored block: {data!r:.80}")
        if "remote" not in data:
            raise ValueError(f"stored block without a remote form: {data!r:.80}")
        return cls(data["markdown"], data["remote"])


@dataclass(frozen=True)
class Splice:
    """The result of a splice: the new block sequence and what had to be produced anew."""

    blocks: list[Block]
    """The blocks both sides hold after the splice (the next base)."""
    produced: list[int] = field(default_factory=list)
    """Indexes into :attr:`blocks` of blocks that were rendered or converted anew."""
    deleted: int = 0
    """Base blocks that are gone (rewritten blocks count here too)."""
    replaced: dict[int, Block] = field(default_factory=dict)
    """For produced blocks that took the place of a base block (an edit in place), the
    base block they replace, by index into :attr:`blocks`; a format can carry over what
    rode on it (Confluence ``local-id``, a Notion block id)."""

    @property
    def changed(self) -> bool:
        """True when anything differs from the base (a block new, rewritten or gone)."""
        return bool(self.produced or self.deleted)

    def markdown(self) -> str:
        """The Markdown text of the blocks (see :func:`join_markdown`)."""
        return join_markdown(b.markdown for b in self.blocks)


def fingerprint(text: str) -> str:
    """A short, stable digest identifying a block's content."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def remote_key(remote: Any) -> str:
    """Default identity of a remote block: a string is itself, anything else its canonical
    JSON (sorted keys), so that equal content compares equal whatever the key order."""
    if isinstance(remote, str):
        return remote
    return json.dumps(remote, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# -- Markdown blocks ---------------------------------------------------------------------------


def split_markdown(text: str) -> list[str]:
    """Split Markdown into its top-level blocks as exact source slices.

    Each slice runs from the first line of a top-level block (markdown-it's token ``map``) to
    the first line of the next, so it carries its trailing blank lines; text before the first
    block belongs to the first slice. ``"".join(split_markdown(t)) == t`` for every ``t``.
    A text with no block (empty, or only blank lines) is one slice, or none when empty.
    """
    if not text:
        return []
    starts = sorted(
        {
            tok.map[0]
            for tok in parse(text)
            if tok.level == 0 and tok.nesting >= 0 and tok.map is not None
        }
    )
    lines = text.splitlines(keepends=True)
    if not starts:
        return [text]
    starts[0] = 0
    bounds = [*starts, len(lines)]
    return ["".join(lines[a:b]) for a, b in itertools.pairwise(bounds) if a < b]


def block_texts(text: str) -> list[str]:
    """The top-level blocks of ``text`` without the blank lines around them.

    For canonical Markdown, ``join_markdown(block_texts(t)) == t``.
    """
    return [_trim(s) for s in split_markdown(text) if s.strip()]


def join_markdown(blocks: Iterable[str]) -> str:
    """Join block texts with one blank line between them and a final newline; trivia
    (``""``) take no room. The inverse of :func:`block_texts` for canonical Markdown."""
    visible = [b for b in blocks if b]
    return "\n\n".join(visible) + "\n" if visible else ""


def _trim(slice_: str) -> str:
    """A block slice without leading and trailing blank lines and without its final
    newline."""
    lines = slice_.splitlines(keepends=True)
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "".join(lines).removesuffix("\n").removesuffix("\r")


# -- diff ------------------------------------------------------------------------------------


def diff(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """Sequence-match two lists of block fingerprints: ``difflib`` opcodes
    (``equal``/``replace``/``insert``/``delete``, ``i1, i2, j1, j2``).

    The common prefix and suffix are matched first, as ``diff`` does: among equally long
    matchings of repeated blocks (two identical paragraphs, one edited) it keeps every
    unedited block paired with itself, so its stored form stays in its place.
    """
    old, new = list(old), list(new)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old), len(new)) - head
        and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]
    ):
        tail += 1
    ops: list[tuple[str, int, int, int, int]] = []
    if head:
        ops.append(("equal", 0, head, 0, head))
    middle = SequenceMatcher(
        None, old[head : len(old) - tail], new[head : len(new) - tail], autojunk=False
    )
    for op, i1, i2, j1, j2 in middle.get_opcodes():
        if i1 == i2 and j1 == j2:
            continue
        ops.append((op, i1 + head, i2 + head, j1 + head, j2 + head))
    if tail:
        ops.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    return ops


# -- push: Markdown edits into the stored remote body -----------------------------------------


def splice_into_remote(
    base: Sequence[Block], new_markdown: Sequence[str], render: Render
) -> Splice:
    """The remote blocks for ``new_markdown`` (top-level block texts, see
    :func:`block_texts`), keeping the stored remote form of every block whose Markdown did
    not change.

    ``render`` is called at most once, and only when some block is new or changed. It must
    return one remote block per Markdown block; a different count raises ``ValueError``.
    """
    new_markdown = list(new_markdown)
    # Visible base blocks, each with the trivia that follow it; trivia before the first
    # visible block lead the page and are always kept.
    visible: list[Block] = []
    riders: list[list[Block]] = []
    leading: list[Block] = []
    for block in base:
        if block.markdown:
            visible.append(block)
            riders.append([])
        elif riders:
            riders[-1].append(block)
        else:
            leading.append(block)
    rendered: Sequence[Any] | None = None

    def rendered_at(j: int) -> Any:
        nonlocal rendered
        if rendered is None:
            rendered = list(render(new_markdown))
            if len(rendered) != len(new_markdown):
                raise ValueError(
                    f"render returned {len(rendered)} blocks for {len(new_markdown)} "
                    "Markdown blocks"
                )
        return rendered[j]

    out: list[Block] = list(leading)
    produced: list[int] = []
    replaced: dict[int, Block] = {}
    deleted = 0
    old_keys = [fingerprint(b.markdown) for b in visible]
    new_keys = [fingerprint(m) for m in new_markdown]
    for op, i1, i2, j1, j2 in diff(old_keys, new_keys):
        if op == "equal":
            for i in range(i1, i2):
                out.append(visible[i])
                out.extend(riders[i])
            continue
        for j in range(j1, j2):
            if op == "replace" and j - j1 < i2 - i1:
                replaced[len(out)] = visible[i1 + j - j1]
            produced.append(len(out))
            out.append(Block(new_markdown[j], rendered_at(j)))
        if op == "replace":
            # The spacing that followed the rewritten blocks stays where it was.
            for i in range(i1, i2):
                out.extend(riders[i])
        deleted += i2 - i1
    return Splice(out, produced, deleted, replaced)


# -- pull: wiki edits into the Git Markdown -----------------------------------------------------


def splice_into_markdown(
    base: Sequence[Block],
    new_remote: Sequence[Any],
    convert: Convert,
    *,
    key: Callable[[Any], str] = remote_key,
) -> Splice:
    """The blocks for ``new_remote`` (the page's top-level remote blocks now), keeping the
    Git Markdown of every block the wiki did not change.

    Blocks are compared by ``key`` (default :func:`remote_key`). ``convert`` is called at
    most once, and only when some block is new or changed; it must return one Markdown text
    per remote block (``""`` for trivia), else ``ValueError``.
    """
    new_remote = list(new_remote)
    converted: Sequence[str] | None = None

    def converted_at(j: int) -> str:
        nonlocal converted
        if converted is None:
            converted = list(convert(new_remote))
            if len(converted) != len(new_remote):
                raise ValueError(
                    f"convert returned {len(converted)} texts for {len(new_remote)} "
                    "remote blocks"
                )
        return converted[j]

    out: list[Block] = []
    produced: list[int] = []
    replaced: dict[int, Block] = {}
    deleted = 0
    old_keys = [fingerprint(key(b.remote)) for b in base]
    new_keys = [fingerprint(key(r)) for r in new_remote]
    for op, i1, i2, j1, j2 in diff(old_keys, new_keys):
        if op == "equal":
            # The stored remote form equals the new one; the new one is kept so that the
            # base always holds exactly what the remote holds.
            out.extend(Block(base[i].markdown, new_remote[j1 + n]) for n, i in
                       enumerate(range(i1, i2)))
            continue
        for j in range(j1, j2):
            if op == "replace" and j - j1 < i2 - i1:
                replaced[len(out)] = base[i1 + j - j1]
            produced.append(len(out))
            out.append(Block(converted_at(j), new_remote[j]))
        deleted += i2 - i1
    return Splice(out, produced, deleted, replaced)


def keep_markdown(base: Sequence[Block], new: Sequence[Block]) -> Splice:
    """:func:`splice_into_markdown` for a page already read into blocks (``new``: each
    remote block with its fresh conversion): the Git Markdown of every block the wiki did
    not change is kept, the fresh conversion used for the rest."""
    return splice_into_markdown(base, [b.remote for b in new], lambda _: [b.markdown for b in new])


def blocks_to_json(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """The JSON form of a block sequence (for the sync state)."""
    return [b.to_dict() for b in blocks]


def blocks_from_json(data: Any) -> list[Block]:
    """Inverse of :func:`blocks_to_json`; ``ValueError`` for another shape."""
    if not isinstance(data, list):
        raise ValueError("stored blocks are not a list")
    return [Block.from_dict(item) for item in data]


# -- page records (the per-block base in the sync state) -----------------------------------------
#
# A record is a JSON object with a ``blocks`` list (:func:`blocks_to_json`) and any
# remote-specific keys beside it, which these functions pass through untouched.


def record_matches(record: Any, markdown: str) -> bool:
    """True when ``record``'s blocks make up exactly ``markdown``: only such a record can
    serve as the base of a document whose body is ``markdown``."""
    if not isinstance(record, Mapping):
        return False
    try:
        blocks = blocks_from_json(record.get("blocks"))
    except ValueError:
        return False
    return join_markdown(b.markdown for b in blocks) == markdown


def keep_git_markdown(base: Any, read: Any) -> tuple[str, dict[str, Any]] | None:
    """For a page read anew (``read``: its record, each block with its fresh conversion)
    on top of the record of the last sync (``base``): the body that keeps the Git Markdown
    of every block the wiki did not change, and the record to go with it.

    None when either record is unusable, or when the kept blocks do not make canonical
    Markdown together (a block whose form depends on its neighbours, such as two lists
    that would merge): the fresh conversion is then the body.
    """
    if not isinstance(base, Mapping) or not isinstance(read, Mapping):
        return None
    try:
        result = keep_markdown(blocks_from_json(base.get("blocks")),
                               blocks_from_json(read.get("blocks")))
    except ValueError:
        return None
    markdown = result.markdown()
    if canonical(markdown) != markdown:
        return None
    return markdown, {**read, "blocks": blocks_to_json(result.blocks)}
