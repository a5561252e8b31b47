"""The canonical-body cache: a warm run gives exactly what a cold run gives, parsing only
what changed; a cache that is stale, foreign, broken or unwritable is never trusted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import prodops_sync.playbook.bodycache as bodycache
from prodops_sync.cli import main
from prodops_sync.playbook.bodycache import BodyCache, BodyMemo, default_cache_dir
from prodops_sync.playbook.loader import load_playbook
from prodops_sync.validate import check_playbook

EXAMPLE = Path(__file__).resolve().parent.parent / "playbook"
RITUAL = "rituals/weekly-product-update.md"


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    root = tmp_path / "playbook"
    shutil.copytree(EXAMPLE, root)
    return root


def _outcome(root: Path, cache: Path | None) -> tuple[list[object], list[tuple[object, ...]]]:
    report = check_playbook(root, cache_dir=cache)
    bodies = [(d.key, d.body, d.extra.get("body_outline")) for d in report.documents]
    return list(report.problems), bodies


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = bodycache.canonical_with_outline

    def counting(text: str):  # type: ignore[no-untyped-def]
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(bodycache, "canonical_with_outline", counting)
    return parsed


def test_a_warm_run_reports_what_a_cold_run_reports(
        playbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A body that is not canonical (and a broken link) must come out the same from memory.
    path = playbook / RITUAL
    path.write_text(path.read_text() + "\n* a star bullet\n\n[gone](../nowhere.md)\n")
    cold = _outcome(playbook, None)
    assert any(p.code == "markdown-not-canonical" for p in cold[0]) or cold[0]
    cache = tmp_path / "cache"
    first = _outcome(playbook, cache)
    parsed = _count_parses(monkeypatch)
    warm = _outcome(playbook, cache)
    assert first == cold and warm == cold
    assert parsed == []  # nothing parsed again


def test_only_a_changed_body_is_parsed_again_and_stale_entries_go(
        playbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    check_playbook(playbook, cache_dir=cache)
    before = json.loads((cache / "bodies.json").read_text())["bodies"]
    path = playbook / RITUAL
    path.write_text(path.read_text().replace("There is no meeting.", "There is no call."))
    parsed = _count_parses(monkeypatch)
    warm = _outcome(playbook, cache)
    assert len(parsed) == 1 and "There is no call." in parsed[0]
    assert warm == _outcome(playbook, None)
    after = json.loads((cache / "bodies.json").read_text())["bodies"]
    assert len(after) == len(before)  # the old body's entry was dropped, the new one kept
    assert len(set(after) - set(before)) == 1


@pytest.mark.parametrize("content", [
    "not json", json.dumps({"tag": "v0;other", "bodies": {}}), json.dumps([1, 2]),
])
def test_a_foreign_or_broken_cache_file_is_an_empty_cache(
        playbook: Path, tmp_path: Path, content: str) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "bodies.json").write_text(content)
    assert BodyCache(cache).load().entries == {}
    assert _outcome(playbook, cache) == _outcome(playbook, None)


def test_malformed_entries_are_skipped_not_trusted(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    good = ["# T\n", '[["heading_open",0,"h1"]]']
    (cache / "bodies.json").write_text(json.dumps({"tag": bodycache.cache_tag(), "bodies": {
        "a": good, "b": [3, "[]"], "d": "junk", "f": [None, [["heading_open", 0, "h1"]]],
        "c": [None, '[["heading_open","x","h1"]]'], "e": [None, '[["link_open",1]]'],
        "g": [None, "not json"],
    }}))
    memo = BodyCache(cache).load()
    assert set(memo.entries) == {"a", "c", "e", "g"}
    # An outline that does not decode is not trusted: the body is parsed instead.
    for digest in ("c", "e", "g"):
        assert bodycache.decode_outline(memo.entries[digest][1]) is None
    assert bodycache.decode_outline(memo.entries["a"][1]) == (
        bodycache.OutlineItem("heading_open", 0, "h1"),)


def test_an_unwritable_cache_is_no_error(playbook: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory would go")
    assert _outcome(playbook, blocker / "cache") == _outcome(playbook, None)


def test_worker_processes_learn_into_the_memo(playbook: Path) -> None:
    memo = BodyMemo()
    serial = load_playbook(playbook, workers=1)
    parallel = load_playbook(playbook, workers=2, memo=memo)
    assert [d.body for d in parallel.documents] == [d.body for d in serial.documents]
    markdown_docs = [d for d in serial.documents if d.path.endswith(".md")]
    assert len(memo.used) == len({d.extra["raw_body"] for d in markdown_docs})


def test_the_cli_caches_beside_the_playbook_and_no_cache_writes_none(
        playbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(bodycache.CACHE_DIR_ENV, raising=False)
    runner = CliRunner()
    where = default_cache_dir(playbook)
    assert where == playbook.parent / ".prodops-sync" / "cache" / "validate-playbook"
    result = runner.invoke(main, ["validate", "--no-cache", str(playbook)])
    assert result.exit_code == 0, result.output
    assert not where.exists()
    result = runner.invoke(main, ["validate", str(playbook)])
    assert result.exit_code == 0, result.output
    assert (where / "bodies.json").is_file()
    again = runner.invoke(main, ["validate", str(playbook)])
    assert again.output == result.output


def test_the_cache_directory_can_be_moved_by_environment(
        playbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bodycache.CACHE_DIR_ENV, str(tmp_path / "ci-cache"))
    assert default_cache_dir(playbook) == tmp_path / "ci-cache" / "validate-playbook"


def test_an_entry_whose_outline_does_not_decode_is_parsed_again(
        playbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    check_playbook(playbook, cache_dir=cache)
    path = cache / "bodies.json"
    data = json.loads(path.read_text())
    data["bodies"] = {d: [c, "[[1,2,3]]"] for d, (c, _o) in data["bodies"].items()}
    path.write_text(json.dumps(data))
    parsed = _count_parses(monkeypatch)
    assert _outcome(playbook, cache) == _outcome(playbook, None)
    assert len(parsed) >= len(data["bodies"])
