"""The generic block diff and splice (prodops_sync/formats/splice.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prodops_sync.formats.splice import (
    Block,
    block_texts,
    diff,
    join_markdown,
    remote_key,
    splice_into_markdown,
    splice_into_remote,
    split_markdown,
)
from prodops_sync.markdown import canonical

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.md"))


def render_upper(blocks: Sequence[str]) -> list[str]:
    return [f"<R>{b.upper()}</R>" for b in blocks]


def convert_lower(remote: Sequence[Any]) -> list[str]:
    return [str(r).removeprefix("<R>").removesuffix("</R>").lower() for r in remote]


# -- splitting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS[:200], ids=lambda p: p.name)
def test_split_is_exact_and_blocks_join_back(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "".join(split_markdown(text)) == text
    canon = canonical(text)
    assert "".join(split_markdown(canon)) == canon
    assert join_markdown(block_texts(canon)) == canon


def test_split_keeps_leading_and_trailing_blank_lines() -> None:
    text = "\n\n# Title\n\npara one\ncontinued\n\n\n- a\n- b\n\n"
    slices = split_markdown(text)
    assert slices == ["\n\n# Title\n\n", "para one\ncontinued\n\n\n", "- a\n- b\n\n"]
    assert block_texts(text) == ["# Title", "para one\ncontinued", "- a\n- b"]


def test_split_of_front_matter_fence_and_html() -> None:
    text = "---\na: 1\n---\n\n```py\nx\n\ny\n```\n\n<!-- c -->\n\npara\n"
    assert block_texts(text) == ["---\na: 1\n---", "```py\nx\n\ny\n```", "<!-- c -->", "para"]


def test_split_of_empty_and_blank_text() -> None:
    assert split_markdown("") == []
    assert split_markdown("\n\n") == ["\n\n"]
    assert block_texts("\n\n") == []
    assert join_markdown([]) == ""
    assert join_markdown(["", ""]) == ""


@given(st.lists(st.sampled_from(["# h", "para", "- a\n- b", "> q", "***", "```\nc\n```"]),
                max_size=8))
def test_split_property_exact(parts: list[str]) -> None:
    text = "\n\n".join(parts) + ("\n" if parts else "")
    assert "".join(split_markdown(text)) == text


# -- push ----------------------------------------------------------------------------------------


def base_of(markdown: list[str]) -> list[Block]:
    return [Block(m, r) for m, r in zip(markdown, render_upper(markdown), strict=True)]


def test_unchanged_markdown_keeps_remote_and_never_renders() -> None:
    base = [Block("a", "<stored-a/>"), Block("", "<p/>"), Block("b", "<stored-b/>")]

    def render(_: Sequence[str]) -> list[str]:
        raise AssertionError("nothing changed, nothing to render")

    result = splice_into_remote(base, ["a", "b"], render)
    assert result.blocks == base
    assert not result.changed


def test_one_edited_block_is_the_only_one_rendered() -> None:
    base = [Block("a", "<stored-a/>"), Block("b", "<stored-b/>"), Block("c", "<stored-c/>")]
    result = splice_into_remote(base, ["a", "B2", "c"], render_upper)
    assert [b.remote for b in result.blocks] == ["<stored-a/>", "<R>B2</R>", "<stored-c/>"]
    assert result.produced == [1]
    assert result.changed


def test_insert_delete_and_move() -> None:
    base = [Block("a", "A"), Block("b", "B"), Block("c", "C")]
    inserted = splice_into_remote(base, ["new", "a", "b", "c"], render_upper)
    assert [b.remote for b in inserted.blocks] == ["<R>NEW</R>", "A", "B", "C"]
    deleted = splice_into_remote(base, ["a", "c"], render_upper)
    assert [b.remote for b in deleted.blocks] == ["A", "C"]
    assert deleted.deleted == 1 and deleted.changed and not deleted.produced
    moved = splice_into_remote(base, ["b", "c", "a"], render_upper)
    assert [b.remote for b in moved.blocks] == ["B", "C", "<R>A</R>"]


def test_trivia_ride_on_the_block_before_them() -> None:
    base = [
        Block("", "<lead/>"),
        Block("a", "A"),
        Block("", "<gap/>"),
        Block("b", "B"),
        Block("", "<tail/>"),
    ]
    kept = splice_into_remote(base, ["A2", "b"], render_upper)
    assert [b.remote for b in kept.blocks] == ["<lead/>", "<R>A2</R>", "<gap/>", "B", "<tail/>"]
    dropped = splice_into_remote(base, ["b"], render_upper)
    assert [b.remote for b in dropped.blocks] == ["<lead/>", "B", "<tail/>"]


def test_render_must_answer_every_block() -> None:
    with pytest.raises(ValueError, match="render returned 0 blocks for 1"):
        splice_into_remote([Block("a", "A")], ["b"], lambda _: [])


def test_render_sees_every_new_block_for_context() -> None:
    seen: list[list[str]] = []

    def render(blocks: Sequence[str]) -> list[str]:
        seen.append(list(blocks))
        return [f"{i}:{b}" for i, b in enumerate(blocks)]

    result = splice_into_remote([Block("a", "A"), Block("b", "B")], ["a", "x", "b"], render)
    assert seen == [["a", "x", "b"]]
    assert [b.remote for b in result.blocks] == ["A", "1:x", "B"]


@given(
    st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=10),
    st.data(),
)
def test_property_one_edit_changes_only_that_block(md: list[str], data: st.DataObject) -> None:
    base = [Block(m, f"stored:{m}:{i}") for i, m in enumerate(md)]
    assert splice_into_remote(base, md, render_upper).blocks == base
    at = data.draw(st.integers(0, len(md) - 1))
    edited = list(md)
    edited[at] = md[at] + "!"
    result = splice_into_remote(base, edited, render_upper)
    remotes = [b.remote for b in result.blocks]
    expected = [b.remote for b in base]
    expected[at] = f"<R>{edited[at].upper()}</R>"
    assert remotes == expected
    assert [b.markdown for b in result.blocks] == edited


@given(
    st.lists(st.text("abcd", min_size=1, max_size=2), max_size=8),
    st.lists(st.text("abcd", min_size=1, max_size=2), max_size=8),
)
def test_property_result_always_matches_new_markdown(old: list[str], new: list[str]) -> None:
    base = base_of(old)
    result = splice_into_remote(base, new, render_upper)
    assert [b.markdown for b in result.blocks] == new
    # Every block's remote form is its stored one or a fresh rendering of the same text.
    for block in result.blocks:
        assert block.remote == f"<R>{block.markdown.upper()}</R>"


# -- pull ------------------------------------------------------------------------------------------


def test_pull_keeps_git_markdown_of_blocks_the_wiki_left_alone() -> None:
    # The Git file wrote "*a*" but the wiki's converter would say "_a_": kept as written.
    base = [Block("*a*", "<R>A</R>"), Block("b", "<R>B</R>")]
    result = splice_into_markdown(base, ["<R>A</R>", "<R>B-edited</R>"], convert_lower)
    assert [b.markdown for b in result.blocks] == ["*a*", "b-edited"]
    assert result.produced == [1]
    assert result.markdown() == "*a*\n\nb-edited\n"


def test_pull_unchanged_never_converts() -> None:
    base = [Block("a", {"type": "p", "text": "a"}), Block("", {"type": "p", "text": ""})]

    def convert(_: Sequence[Any]) -> list[str]:
        raise AssertionError("nothing changed, nothing to convert")

    # Key order differs: canonical JSON compares them equal.
    same = [{"text": "a", "type": "p"}, {"text": "", "type": "p"}]
    result = splice_into_markdown(base, same, convert)
    assert not result.changed
    assert [b.markdown for b in result.blocks] == ["a", ""]


def test_pull_with_a_custom_key_ignores_volatile_parts() -> None:
    base = [Block("a", {"id": "1", "t": "a", "edited": "10:00"})]
    new = [{"id": "1", "t": "a", "edited": "10:05"}]
    result = splice_into_markdown(
        base, new, convert_lower, key=lambda r: remote_key({**r, "edited": None})
    )
    assert not result.changed
    assert result.blocks[0].remote == new[0]  # the base follows what the wiki holds now


def test_convert_must_answer_every_block() -> None:
    with pytest.raises(ValueError, match="convert returned"):
        splice_into_markdown([], ["x"], lambda _: [])


@given(
    st.lists(st.text("xyz", min_size=1, max_size=2), max_size=8),
    st.lists(st.text("xyz", min_size=1, max_size=2), max_size=8),
)
def test_property_pull_result_follows_the_wiki(old: list[str], new: list[str]) -> None:
    base = [Block(f"git:{r}", f"<R>{r}</R>") for r in old]
    remote = [f"<R>{r}</R>" for r in new]
    result = splice_into_markdown(base, remote, convert_lower)
    assert [b.remote for b in result.blocks] == remote
    for block in result.blocks:
        inner = str(block.remote)[3:-4]
        assert block.markdown in (f"git:{inner}", inner.lower())


# -- helpers --------------------------------------------------------------------------------


def test_block_serialisation_round_trips_and_checks_shape() -> None:
    block = Block("a", {"x": [1]})
    assert Block.from_dict(block.to_dict()) == block
    with pytest.raises(ValueError):
        Block.from_dict({"markdown": 3, "remote": ""})
    with pytest.raises(ValueError):
        Block.from_dict({"markdown": ""})


def test_diff_opcodes() -> None:
    assert diff(["a", "b"], ["a", "c"]) == [("equal", 0, 1, 0, 1), ("replace", 1, 2, 1, 2)]


def test_diff_keeps_repeated_blocks_in_place() -> None:
    assert diff([], []) == []
    assert diff(["a", "a"], ["a!", "a"]) == [("replace", 0, 1, 0, 1), ("equal", 1, 2, 1, 2)]
    base = [Block("a", "first"), Block("a", "second")]
    result = splice_into_remote(base, ["a", "x", "a"], render_upper)
    assert [b.remote for b in result.blocks] == ["first", "<R>X</R>", "second"]
