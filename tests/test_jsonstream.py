"""prodops_sync.jsonstream: pieces that join to json.dumps's text, and loads with shared
small objects that still equal json.loads's result."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from prodops_sync.jsonstream import buffered, json_chunks, loads_shared

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def reference(value: Any, sort_keys: bool) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)


@given(VALUES, st.integers(min_value=0, max_value=4), st.booleans())
def test_the_pieces_join_to_the_text_of_json_dumps(value: Any, depth: int, sort_keys: bool
                                                    ) -> None:
    pieces = list(json_chunks(value, depth=depth, sort_keys=sort_keys))
    assert "".join(pieces) == reference(value, sort_keys)
    assert "".join(buffered(pieces, size=7)) == reference(value, sort_keys)


def test_each_entry_of_the_outer_levels_is_its_own_piece() -> None:
    rows = {f"id{n}": {"title": "x" * 10, "n": n} for n in range(3)}
    pieces = list(json_chunks({"listings": {"c": rows}}, depth=3))
    assert sum(1 for p in pieces if p.startswith('{"title"')) == len(rows)


def test_buffered_never_splits_a_piece() -> None:
    pieces = ["ab", "cdef", "g", "hij"]
    batches = list(buffered(pieces, size=3))
    assert "".join(batches) == "abcdefghij"
    assert batches == ["abcdef", "ghij"]


@given(VALUES)
def test_loads_shared_equals_json_loads(value: Any) -> None:
    text = reference(value, sort_keys=False)
    assert loads_shared(text) == json.loads(text)
    assert loads_shared(text.encode()) == json.loads(text)


def test_equal_small_flat_objects_are_one_object() -> None:
    row = {"properties": {"A": {"id": "wE8n", "type": "rich_text"},
                          "B": {"id": "Go8x", "type": "select"}},
           "last_edited_by": {"id": "bot"}}
    data = loads_shared(json.dumps({"r1": row, "r2": row}))
    first, second = data["r1"], data["r2"]
    assert first["properties"]["A"] is second["properties"]["A"]
    assert first["last_edited_by"] is second["last_edited_by"]
    # Objects holding objects stay apart: a caller may change a row in place.
    assert first is not second and first["properties"] is not second["properties"]


def test_values_that_python_finds_equal_stay_apart_when_json_does_not() -> None:
    data = loads_shared('[{"v": 1}, {"v": true}, {"v": 1.0}, {"v": "1"}]')
    assert [type(d["v"]) for d in data] == [int, bool, float, str]
    assert len({id(d) for d in data}) == 4


def test_large_flat_objects_are_not_shared() -> None:
    big = {f"k{n}": n for n in range(11)}
    data = loads_shared(json.dumps([big, big]))
    assert data[0] == data[1] and data[0] is not data[1]


def test_empty_objects_are_never_shared() -> None:
    data = loads_shared('{"a": {"items": {}}, "b": {"items": {}}}')
    data["a"]["items"]["row"] = 1
    assert data["b"]["items"] == {}
