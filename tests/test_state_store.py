"""The sync state's storage: snapshot + append-only journal, crash-safe and O(changed)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from prodops_sync.sync import state as state_mod
from prodops_sync.sync.state import DocState, StateError, StateStore, SyncState


def _doc(n: int, body: str = "text") -> DocState:
    return DocState(
        remote_id=f"id-{n}",
        marker=f"m{n}",
        base={"key": f"k{n}", "kind": "decision", "fields": {"title": f"T{n}"}, "body": body},
        base_hash=f"h{n}",
    )


def _reload(tmp_path: Path) -> SyncState:
    return StateStore(tmp_path, "t").load()


def test_save_appends_only_what_changed(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "t")
    state = store.load()
    for n in range(200):
        state.docs[f"k{n}"] = _doc(n, body="x" * 500)
        store.save(state)
    size = store.journal_path.stat().st_size
    state.docs["k7"].pending = "abc"
    store.save(state)
    grown = store.journal_path.stat().st_size - size
    # One record (about one document's size), not the whole state.
    assert 0 < grown < 1000
    store.save(state)  # nothing changed: nothing written
    assert store.journal_path.stat().st_size - size == grown
    reloaded = _reload(tmp_path)
    assert reloaded.docs["k7"].pending == "abc"
    assert len(reloaded.docs) == 200
    assert not store.path.exists()  # no snapshot yet: the journal alone holds it


def test_deletions_containers_and_meta_are_journaled(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "t")
    state = store.load()
    state.docs["a"] = _doc(1)
    state.docs["b"] = _doc(2)
    state.containers["Rituals"] = "ds-1"
    store.save(state)
    state.docs.pop("a")
    del state.docs["b"]
    state.docs["c"] = _doc(3)
    state.containers["Rituals#schema"] = "digest"
    store.save(state)
    reloaded = _reload(tmp_path)
    assert set(reloaded.docs) == {"c"}
    assert reloaded.containers == {"Rituals": "ds-1", "Rituals#schema": "digest"}


def test_compact_writes_a_diffable_snapshot_and_drops_the_journal(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "t")
    state = store.load()
    state.docs["b"] = _doc(2)
    state.docs["a"] = _doc(1)
    state.synced_at = "2026-12-02T04:00:00+00:00"
    store.save(state)
    store.compact(state)
    assert not store.journal_path.exists()
    data = json.loads(store.path.read_text(encoding="utf-8"))
    assert data["version"] == state_mod.STATE_VERSION
    assert list(data["docs"]) == ["a", "b"]
    assert store.path.read_text(encoding="utf-8").count("\n") > 10  # indented, line-diffable
    # Journal after a snapshot replays on top of it.
    state.docs["a"].marker = "moved"
    store.save(state)
    assert _reload(tmp_path).docs["a"].marker == "moved"
    assert _reload(tmp_path).synced_at == "2026-12-02T04:00:00+00:00"


def test_torn_last_line_is_ignored_and_cut_before_the_next_append(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "t")
    state = store.load()
    state.docs["a"] = _doc(1)
    store.save(state)
    # A kill in the middle of the next append leaves half a line.
    with store.journal_path.open("ab") as handle:
        handle.write(b'{"doc":"b","state":{"remote_id":"x"')
    store2 = StateStore(tmp_path, "t")
    state2 = store2.load()
    assert set(state2.docs) == {"a"}
    state2.docs["c"] = _doc(3)
    store2.save(state2)
    assert set(_reload(tmp_path).docs) == {"a", "c"}


def test_a_journal_left_by_a_kill_during_compaction_is_ignored(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "t")
    state = store.load()
    state.docs["a"] = _doc(1)
    store.save(state)
    stale = store.journal_path.read_bytes()
    store.compact(state)
    state.docs.pop("a")
    store.save(state)
    store.compact(state)
    # Killed after the snapshot was replaced but before the old journal was removed:
    store.journal_path.write_bytes(stale)
    assert _reload(tmp_path).docs == {}


def test_corrupt_journal_line_names_the_file_and_line(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "t")
    state = store.load()
    state.docs["a"] = _doc(1)
    store.save(state)
    with store.journal_path.open("ab") as handle:
        handle.write(b"not json\n")
        handle.write(b'{"doc":"b","deleted":true}\n')
    with pytest.raises(StateError, match=r"t\.journal:3: unreadable sync journal"):
        _reload(tmp_path)


def test_compaction_triggers_when_the_journal_outgrows_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_mod, "MIN_COMPACT_BYTES", 2_000)
    store = StateStore(tmp_path, "t")
    state = store.load()
    for n in range(100):
        state.docs[f"k{n}"] = _doc(n)
        store.save(state)
    assert store.path.exists()  # compacted at least once on the way
    assert store.journal_path.stat().st_size <= max(2_000, store.path.stat().st_size) + 400
    assert len(_reload(tmp_path).docs) == 100


def test_version_1_state_files_migrate(tmp_path: Path) -> None:
    old = {
        "version": 1,
        "target": "t",
        "synced_at": None,
        "containers": {"Rituals": "ds"},
        "docs": {
            "a": {
                "remote_id": "r",
                "marker": "1",
                "base": None,
                "base_hash": None,
                "url": "",
                "pending": None,
            }
        },  # written before `relink` existed
    }
    (tmp_path / "t.json").write_text(json.dumps(old), encoding="utf-8")
    state = _reload(tmp_path)
    assert state.docs["a"].remote_id == "r"
    assert state.docs["a"].relink is False
    assert state.containers == {"Rituals": "ds"}


def test_newer_version_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text('{"version": 99}', encoding="utf-8")
    with pytest.raises(StateError, match="unsupported state version 99"):
        _reload(tmp_path)


@dataclass
class _Block:
    markdown: str
    remote: dict[str, object] = field(default_factory=dict)


def test_nested_dataclass_fields_round_trip(tmp_path: Path) -> None:
    # How a later field (say, a per-block base) is stored: rebuilt from its type hints.
    hints = {"blocks": list[_Block] | None}
    assert state_mod._from_data(
        hints["blocks"],
        [{"markdown": "a", "remote": {"x": 1}}, {"markdown": "b", "extra": "dropped"}],
    ) == [_Block("a", {"x": 1}), _Block("b")]
    assert state_mod._to_data([_Block("a")]) == [{"markdown": "a", "remote": {}}]


def test_in_place_change_without_touch_fails_in_check_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(state_mod.CHECK_ENV, "1")
    store = StateStore(tmp_path, "t")
    state = store.load()
    state.docs["a"] = _doc(1)
    store.save(state)
    base = state.docs["a"].base
    assert base is not None
    base["body"] = "changed in place"
    with pytest.raises(StateError, match="changed in place without being marked"):
        store.save(state)
    state.touch("a")
    store.save(state)
    assert _reload(tmp_path).docs["a"].base == base


def test_plain_dict_assigned_to_docs_is_saved_whole(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "t")
    state = store.load()
    state.docs = {"a": _doc(1)}
    store.save(state)
    assert set(_reload(tmp_path).docs) == {"a"}


def _spliced(n: int) -> DocState:
    doc = _doc(n)
    doc.splice = {"blocks": [{"markdown": f"Para {n} ✓", "remote": [
        {"type": "paragraph", "id": f"b{n}", "paragraph": {"rich_text": [
            {"text": {"content": f"Para {n} ✓"}, "annotations": {"bold": False}}]}}]}]}
    return doc


def test_a_version_3_snapshot_is_one_json_object_with_a_line_per_record(
        tmp_path: Path) -> None:
    store = StateStore(tmp_path, "t")
    state = store.load()
    for n in range(3):
        state.docs[f"k{n}"] = _spliced(n)
    state.containers["Rituals"] = "ds-1"
    store.save(state)
    store.compact(state)
    text = store.path.read_text(encoding="utf-8")
    data = json.loads(text)  # still one JSON document, for tools that read it whole
    assert data["version"] == 3 and list(data["docs"]) == ["k0", "k1", "k2"]
    assert data["docs"]["k1"]["splice"] == _spliced(1).splice
    lines = text.splitlines()
    assert sum(line.startswith('"k') for line in lines) == 3  # one line per record
    reloaded = _reload(tmp_path)
    assert reloaded.docs == state.docs
    assert reloaded.containers == {"Rituals": "ds-1"}


def test_a_version_2_indented_snapshot_still_loads(tmp_path: Path) -> None:
    record = {"remote_id": "id-1", "marker": "m1", "splice": {"blocks": []}}
    (tmp_path / "t.json").write_text(json.dumps(
        {"version": 2, "generation": 4, "target": "t", "containers": {"A": "1"},
         "docs": {"k1": record}}, indent=2), encoding="utf-8")
    store = StateStore(tmp_path, "t")
    state = store.load()
    assert state.docs["k1"].splice == {"blocks": []} and state.containers == {"A": "1"}
    state.docs["k1"].marker = "m2"
    store.save(state)
    store.compact(state)
    assert json.loads(store.path.read_text())["version"] == 3
    assert _reload(tmp_path).docs["k1"].marker == "m2"


def test_a_version_3_snapshot_cut_short_is_refused_clearly(tmp_path: Path) -> None:
    store = StateStore(tmp_path, "t")
    state = store.load()
    for n in range(3):
        state.docs[f"k{n}"] = _spliced(n)
    store.compact(state)
    text = store.path.read_text(encoding="utf-8")
    store.path.write_text(text[: text.index('"k2"')], encoding="utf-8")
    with pytest.raises(StateError, match=r"t\.json: unreadable sync state: .*cut short"):
        _reload(tmp_path)
    store.path.write_text(text.replace('"k1": {', '"k1": {{', 1), encoding="utf-8")
    with pytest.raises(StateError, match=r"t\.json: unreadable sync state: line \d+"):
        _reload(tmp_path)


def test_the_block_base_is_packed_in_memory_and_read_as_a_fresh_copy() -> None:
    doc = _spliced(1)
    assert not any(isinstance(v, dict) and "blocks" in v for v in vars(doc).values())
    assert any(isinstance(v, bytes) for v in vars(doc).values())
    first = doc.splice
    assert first is not None
    first["blocks"].clear()  # a change in place is not kept: assign a new value instead
    assert doc.splice == _spliced(1).splice
    doc.splice = None
    assert doc.splice is None
    assert DocState(remote_id="x").splice is None
