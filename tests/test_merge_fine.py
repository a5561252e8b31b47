"""Field-level, item-level and table-cell merges (prodops_sync.sync.merge)."""

from __future__ import annotations

from prodops_sync.markdown import canonical
from prodops_sync.model import Document
from prodops_sync.sync.merge import (
    has_markers,
    merge_documents,
    merge_fields,
    merge_text,
    take_side,
)


def _doc(fields: dict, body: str = "") -> Document:
    return Document(key="rituals/x", kind="ritual", fields=fields, body=body)


def test_different_fields_merge_both_kept() -> None:
    base = {"title": "Weekly", "owner": "PM", "cadence": "weekly"}
    local = {**base, "cadence": "biweekly"}
    remote = {**base, "owner": "Head of Product"}
    merged, conflicts = merge_fields(base, local, remote)
    assert conflicts == []
    assert merged == {"title": "Weekly", "owner": "Head of Product", "cadence": "biweekly"}


def test_same_field_both_ways_conflicts_by_name() -> None:
    base = {"owner": "PM"}
    merged, conflicts = merge_fields(base, {"owner": "A"}, {"owner": "B"})
    assert [c.name for c in conflicts] == ["owner"]
    assert conflicts[0].paths == ["owner"]
    assert merged["owner"] == "A"


def test_list_items_added_and_removed_on_different_sides() -> None:
    base = {"attendees": ["PM", "Eng lead", "Design"]}
    local = {"attendees": ["PM", "Eng lead", "Design", "Support"]}
    remote = {"attendees": ["PM", "Design"]}
    merged, conflicts = merge_fields(base, local, remote)
    assert conflicts == []
    assert merged["attendees"] == ["PM", "Design", "Support"]


def test_list_of_objects_merges_cell_by_cell() -> None:
    row = {"activity": "Roadmap", "responsible": "PM", "accountable": "HoP"}
    other = {"activity": "Launch", "responsible": "PMM", "accountable": "HoP"}
    base = {"raci": [row, other]}
    local = {"raci": [{**row, "responsible": "Ops"}, other]}
    remote = {"raci": [{**row, "accountable": "CPO"}, {**other, "accountable": "VP"}]}
    merged, conflicts = merge_fields(base, local, remote)
    assert conflicts == []
    assert merged["raci"] == [
        {"activity": "Roadmap", "responsible": "Ops", "accountable": "CPO"},
        {"activity": "Launch", "responsible": "PMM", "accountable": "VP"},
    ]


def test_same_cell_of_list_conflicts_with_its_path() -> None:
    row = {"activity": "Roadmap", "responsible": "PM"}
    base = {"raci": [row]}
    _merged, conflicts = merge_fields(
        base, {"raci": [{**row, "responsible": "A"}]}, {"raci": [{**row, "responsible": "B"}]}
    )
    assert conflicts[0].name == "raci"
    assert conflicts[0].paths == ["raci[0].responsible"]


def test_prefer_resolves_only_what_conflicts() -> None:
    base = {"owner": "PM", "cadence": "weekly", "tags": ["a"]}
    local = {"owner": "A", "cadence": "weekly", "tags": ["a", "b"]}
    remote = {"owner": "B", "cadence": "monthly", "tags": ["a"]}
    for prefer, owner in (("local", "A"), ("remote", "B")):
        merged, conflicts = merge_fields(base, local, remote, prefer)  # type: ignore[arg-type]
        assert conflicts == []
        assert merged == {"owner": owner, "cadence": "monthly", "tags": ["a", "b"]}


TABLE = canonical(
    "# RACI\n\n| activity | R | A |\n| --- | --- | --- |\n| Roadmap | PM | HoP |\n"
    "| Launch | PMM | HoP |\n\nAfter the table.\n"
)


def test_table_cells_of_one_row_merge() -> None:
    local = TABLE.replace("| Roadmap  | PM  |", "| Roadmap  | Product ops |")
    local = canonical(local)
    remote = canonical(TABLE.replace("| HoP |\n| Launch", "| CPO |\n| Launch"))
    assert local != TABLE and remote != TABLE
    merged, conflicted = merge_text(TABLE, local, remote)
    assert not conflicted
    merged = canonical(merged)
    assert "| Roadmap  | Product ops | CPO |" in merged
    assert "| Launch   | PMM         | HoP |" in merged


def test_table_same_cell_conflicts() -> None:
    local = canonical(TABLE.replace("| Roadmap  | PM  |", "| Roadmap  | Ops |"))
    remote = canonical(TABLE.replace("| Roadmap  | PM  |", "| Roadmap  | Eng |"))
    merged, conflicted = merge_text(TABLE, local, remote)
    assert conflicted and has_markers(merged)
    assert "Ops" in take_side(merged, "local") and "Eng" not in take_side(merged, "local")
    assert "Eng" in take_side(merged, "remote")


def test_padding_only_difference_is_not_a_change() -> None:
    wide = canonical(TABLE.replace("| Launch   | PMM | HoP |", "| Launch   | PMM | HoP |"))
    merged, conflicted = merge_text(TABLE, wide, TABLE)
    assert not conflicted and merged == wide


def test_paragraph_edits_on_both_sides_still_merge() -> None:
    base = "One.\n\nTwo.\n\nThree.\n"
    merged, conflicted = merge_text(base, "One!\n\nTwo.\n\nThree.\n", "One.\n\nTwo.\n\nThree!\n")
    assert not conflicted and merged == "One!\n\nTwo.\n\nThree!\n"


def test_merge_documents_body_prefer_remote_is_clean() -> None:
    base = _doc({"owner": "PM"}, "Same.\n\nEdited.\n")
    local = _doc({"owner": "PM"}, "Same.\n\nLocal edit.\n")
    remote = _doc({"owner": "PM"}, "Same.\n\nWiki edit.\n")
    result = merge_documents(base, local, remote, prefer="remote")
    assert result.clean and result.document.body == "Same.\n\nWiki edit.\n"
    unresolved = merge_documents(base, local, remote)
    assert unresolved.body_conflict and has_markers(unresolved.document.body)


def test_take_side_keeps_text_outside_blocks() -> None:
    text = "a\n<<<<<<< local\nL\n=======\nR\n>>>>>>> notion\nz\n"
    assert take_side(text, "local") == "a\nL\nz\n"
    assert take_side(text, "remote") == "a\nR\nz\n"
    assert not has_markers(take_side(text, "local"))
