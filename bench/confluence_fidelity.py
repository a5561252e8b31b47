"""Confluence fidelity on storage bodies people (and other tools) wrote.

For every page of a corpus (default: ``tests/confluence_corpus`` and
``tests/confluence_storage``) this runs what sync does, with the per-block base:

* **pull**: storage -> blocks (Markdown + storage slice) -> the Git file's Markdown;
* **push back** unchanged: the Markdown spliced into the stored body. "Pushed back" means
  the page was read without refusal and the body to send is byte-identical to the page
  (so sync sends no update); "wrapped" counts bodies that gained a ``Markdown HTML`` code
  macro; "words lost" compares the words of the page's text with those of the body sent;
* **one-paragraph edit**: the middle editable paragraph of the Markdown gets a word; "edits
  local" means every other block of the body stayed byte-identical and the paragraph's new
  storage holds the word;
* **every block edited in turn**: the same for each paragraph, heading and list of the
  page (a word appended to its last line), one at a time;
* **macros byte-identical**: every ``ac:structured-macro`` not inside the edited paragraph
  appears byte for byte in the body sent after that edit.

The same figures without a base (the first push after a lost state, full rendering) are
printed for comparison, as is the Markdown -> storage -> Markdown round trip of
``tests/corpus``. Pages are split into a tuning part and a held-out part by a hash of the
file name (one in four held out); the held-out part is never used to tune the converter.

Run: ``python bench/confluence_fidelity.py [DIR ...] [--verbose]``. Exit status 1 if a
page of the corpus is refused or loses a word on the sync path.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prodops_sync.formats.confluence import from_storage, to_storage  # noqa: E402
from prodops_sync.formats.confluence.blocks import (  # noqa: E402
    read_blocks,
    render_page,
)
from prodops_sync.formats.confluence.xml import (  # noqa: E402
    Element,
    StorageFormatError,
    parse_storage,
)
from prodops_sync.formats.splice import Block, block_texts, join_markdown  # noqa: E402
from prodops_sync.markdown import canonical  # noqa: E402

DEFAULT_DIRS = [REPO / "tests" / "confluence_corpus", REPO / "tests" / "confluence_storage"]
MARK = "zqxedit"
_WORD = re.compile(r"\w+", re.UNICODE)
_BOOKKEEPING = frozenset({"ac:task-id", "ac:task-uuid"})  # ids, not words anyone reads


def held_out(name: str) -> bool:
    """One page in four, by a hash of its file name, is held out from tuning."""
    return hashlib.sha256(name.encode()).digest()[0] % 4 == 0


def words(storage: str) -> list[str]:
    """The words a reader sees: text content plus macro parameters and CDATA bodies."""
    found: list[str] = []

    def walk(el: Element) -> None:
        for child in el.children:  # element boundaries separate words (<h1>A</h1><p>B</p>)
            if isinstance(child, str):
                found.extend(_WORD.findall(child))
            elif child.tag not in _BOOKKEEPING:
                walk(child)

    walk(parse_storage(storage).root)
    return found


def macros(el: Element, out: list[Element]) -> list[Element]:
    """Outermost ``ac:structured-macro`` elements and every one nested inside them."""
    for child in el.elements():
        if child.tag == "ac:structured-macro":
            out.append(child)
        macros(child, out)
    return out


@dataclass
class Figures:
    pages: int = 0
    readable: int = 0
    refused: list[str] = field(default_factory=list)
    pushed_back: int = 0
    wrapped: int = 0
    words_lost: int = 0
    pages_losing_words: list[str] = field(default_factory=list)
    editable: int = 0
    edits_local: int = 0
    not_local: list[str] = field(default_factory=list)
    macros: int = 0
    macros_identical: int = 0
    full_pushed_back: int = 0
    full_words_lost: int = 0
    full_macros_identical: int = 0
    block_edits: int = 0
    block_edits_local: int = 0
    block_edits_refused: int = 0
    one_block: list[str] = field(default_factory=list)
    """Pages whose Markdown did not split into the blocks read (kept as one block)."""


def lost(before: list[str], after: list[str]) -> int:
    """Words of ``before`` missing from ``after`` (as a multiset)."""
    remaining: dict[str, int] = {}
    for w in after:
        remaining[w] = remaining.get(w, 0) + 1
    missing = 0
    for w in before:
        if remaining.get(w, 0):
            remaining[w] -= 1
        else:
            missing += 1
    return missing


def evaluate(name: str, storage: str, fig: Figures) -> None:
    fig.pages += 1
    try:
        parse_storage(storage)
    except StorageFormatError:
        return  # not storage format at all (a tool's HTML that Confluence would reject)
    fig.readable += 1
    try:
        blocks = read_blocks(storage, page=name)
        markdown = join_markdown(b.markdown for b in blocks)
        record = {"head": "", "head_rendered": "", "blocks": [b.to_dict() for b in blocks]}
        sent, _ = render_page("", markdown, record, page=name)
    except StorageFormatError as exc:
        fig.refused.append(f"{name}: {exc}")
        return
    before = words(storage)
    if sent == storage:
        fig.pushed_back += 1
    if "Markdown HTML" in sent and "Markdown HTML" not in storage:
        fig.wrapped += 1
    missing = lost(before, words(sent))
    fig.words_lost += missing
    if missing:
        fig.pages_losing_words.append(name)
    found = macros(parse_storage(storage).root, [])
    page_macros = [storage[m.start : m.end] for m in found]
    if len(blocks) == 1 and blocks[0].markdown and "\n\n" in blocks[0].markdown:
        fig.one_block.append(name)
    # Without a base: full rendering of the pulled Markdown.
    try:
        full = to_storage(from_storage(storage))
        fig.full_pushed_back += full == storage
        fig.full_words_lost += lost(before, words(full))
        fig.full_macros_identical += sum(1 for m in page_macros if m in full)
    except StorageFormatError:
        fig.full_words_lost += len(before)
    every_block(name, blocks, record, fig)
    # One-paragraph edit.
    texts = block_texts(markdown)
    editable = [
        i for i, t in enumerate(texts)
        if t and t[0].isalnum() and "\n" not in t and "`confluence:" not in t
    ]
    if not editable:
        fig.macros += len(page_macros)
        fig.macros_identical += len(page_macros)  # nothing edited: sent as stored
        return
    fig.editable += 1
    at = editable[len(editable) // 2]
    edited = list(texts)
    edited[at] = texts[at] + f" {MARK}"
    try:
        sent_edit, new_record = render_page("", join_markdown(edited), record, page=name)
    except StorageFormatError as exc:
        fig.not_local.append(f"{name}: refused after edit: {exc}")
        return
    new_blocks = new_record["blocks"]
    old_visible = [b for b in blocks if b.markdown]
    new_visible = [b for b in new_blocks if b["markdown"]]
    others_same = len(old_visible) == len(new_visible) and all(
        o.remote == n["remote"]
        for k, (o, n) in enumerate(zip(old_visible, new_visible, strict=True))
        if k != at
    )
    trivia_same = [b.remote for b in blocks if not b.markdown] == [
        b["remote"] for b in new_blocks if not b["markdown"]
    ]
    if others_same and trivia_same and MARK in str(new_visible[at]["remote"]):
        fig.edits_local += 1
    else:
        fig.not_local.append(name)
    # Macros around the edited paragraph (an expand holding it) changed by the edit itself.
    offsets, pos = [], 0
    for b in blocks:
        offsets.append((pos, pos + len(str(b.remote))))
        pos += len(str(b.remote))
    visible_at = [k for k, b in enumerate(blocks) if b.markdown][at]
    lo, hi = offsets[visible_at]
    kept = [storage[m.start : m.end] for m in found if not (m.start <= lo and hi <= m.end)]
    fig.macros += len(kept)
    fig.macros_identical += sum(1 for m in kept if m in sent_edit)


def every_block(
    name: str, blocks: list[Block], record: dict[str, Any], fig: Figures
) -> None:
    """Edit each paragraph, heading and list of the page in turn (a word appended to its
    last line) and check that only that block's storage changed."""
    texts = [b.markdown for b in blocks if b.markdown]
    for at, text in enumerate(texts):
        if not re.match(r"(#{1,6} |[-*] |\d+[.)] |[\w*`\[])", text) or text.startswith("```"):
            continue
        edited = list(texts)
        edited[at] = text + f" {MARK}"
        fig.block_edits += 1
        try:
            _, new_record = render_page("", join_markdown(edited), record, page=name)
        except StorageFormatError:
            fig.block_edits_refused += 1
            continue
        new_visible = [b["remote"] for b in new_record["blocks"] if b["markdown"]]
        old_visible = [b.remote for b in blocks if b.markdown]
        if len(new_visible) == len(old_visible) and all(
            o == n for k, (o, n) in enumerate(zip(old_visible, new_visible, strict=True))
            if k != at
        ) and MARK in str(new_visible[at]):
            fig.block_edits_local += 1
        else:
            fig.not_local.append(f"{name}: block {at}")


def round_trip() -> tuple[int, int]:
    """Markdown -> storage -> Markdown on tests/corpus: (exact, total)."""
    files = sorted((REPO / "tests" / "corpus").glob("*.md"))
    exact = 0
    for path in files:
        md = canonical(path.read_text(encoding="utf-8"))
        try:
            exact += from_storage(to_storage(md)) == md
        except StorageFormatError:
            continue  # refused: not exact
    return exact, len(files)


def pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.1f}%)" if d else "0/0"


def report(label: str, fig: Figures, verbose: bool) -> None:
    print(f"\n{label}: {fig.pages} pages, {fig.readable} well-formed storage")
    print(f"  pages pushed back unchanged (no update)  {pct(fig.pushed_back, fig.readable)}")
    print(f"  refused on pull or push                  {len(fig.refused)}")
    print(f"  wrapped into a code macro                {fig.wrapped}")
    print(f"  words lost                               {fig.words_lost}"
          f" ({len(fig.pages_losing_words)} pages)")
    print(f"  pages read as one block (fallback)       {len(fig.one_block)}")
    print(f"  one-paragraph edit stays local           {pct(fig.edits_local, fig.editable)}")
    local = pct(fig.block_edits_local, fig.block_edits)
    print(f"  every block edited in turn: stays local  {local}"
          f", refused {fig.block_edits_refused}")
    print(f"  macros byte-identical after the edit     {pct(fig.macros_identical, fig.macros)}")
    print(f"  without a base (full render): pushed back {pct(fig.full_pushed_back, fig.readable)}"
          f", words lost {fig.full_words_lost}"
          f", macros identical {pct(fig.full_macros_identical, fig.macros)}")
    if verbose:
        for line in fig.refused + fig.pages_losing_words + fig.not_local + fig.one_block:
            print(f"    - {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    parser.add_argument("--verbose", action="store_true", help="list failing pages")
    args = parser.parse_args()
    tune, held = Figures(), Figures()
    for directory in args.dirs:
        for path in sorted(directory.glob("*.xhtml")):
            fig = held if held_out(path.name) else tune
            evaluate(path.name, path.read_text(encoding="utf-8"), fig)
    report("tuning part", tune, args.verbose)
    report("held-out part (never tuned on)", held, args.verbose)
    exact, total = round_trip()
    print(f"\nMarkdown -> storage -> Markdown round trip (tests/corpus): {pct(exact, total)}")
    bad = tune.refused or held.refused or tune.words_lost or held.words_lost
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
