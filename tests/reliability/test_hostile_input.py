"""Hostile and broken input: a clear error or a safe result, and nothing written.

Covers wiki pages whose titles would make dangerous or colliding file names, symlinks
leaving the playbook, YAML bombs, huge and deeply nested files, Confluence XHTML with
external entities, Notion pages with 10,000 blocks or deeply nested toggles, a config that
points at a non-loopback host, and a bounded fuzz of both format modules and the YAML loader.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prodops_sync.formats.confluence import StorageFormatError, from_storage, to_storage
from prodops_sync.formats.notion.blocks import from_blocks, to_blocks
from prodops_sync.playbook.problems import PlaybookError
from prodops_sync.playbook.yamlpos import parse_yaml
from prodops_sync.remotes.base import RemoteError
from tests.reliability.harness import RITUAL, World, local_files, open_world
from tests.reliability.test_concurrency import _engine

HOSTILE_TITLES = [
    "../../../etc/passwd",
    "a/b\\c",
    "..",
    "nul\x00byte",
    "CON",
    "aux",
    "LPT1",
    "x" * 400,
    "Ｒｅｌｅａｓｅ Ｒｅｖｉｅｗ",  # fullwidth look-alike of the next one
    "Release Review",
    "release review",  # case-only difference
    "Cafe\u0301 Sync",  # NFD
    "Caf\u00e9 Sync",  # NFC: the same title to a reader
    "\u202eevil\u202c.md",
    "   ",
    "🙂🙂",
]
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.md$")


@pytest.fixture(params=["notion", "confluence"])
def pushed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    world = open_world(request.param, tmp_path)
    try:
        assert _engine(world).push().count("create") == 24
        yield world
    finally:
        world.standin.stop()


def _create_wiki_ritual(world: World, title: str, text: str = "From the wiki.") -> None:
    standin: Any = world.standin
    if world.kind == "notion":
        standin.wiki_user.create_page(
            world.state()["containers"]["Rituals"], title,
            blocks=[{"paragraph": {"rich_text": [{"text": {"content": text}}]}}],
        )
    else:
        rituals = next(c["id"] for c in standin.state["contents"].values()
                       if c["title"] == "Rituals" and c["status"] == "current")
        standin.wiki_user.create_page(title, f"<p>{text}</p>", parent_id=rituals)


def _writes(world: World) -> int:
    return world.standin.request_log.writes()


def test_hostile_page_titles_become_safe_distinct_files(pushed: World) -> None:
    before = local_files(pushed.playbook)
    created = []
    for title in HOSTILE_TITLES:
        try:
            _create_wiki_ritual(pushed, title)
            created.append(title)
        except (ValueError, KeyError):
            pass  # the wiki itself refuses the title (Confluence: duplicates, NUL...)
    assert len(created) >= 10
    report = _engine(pushed).pull()
    assert not report.conflicts
    after = local_files(pushed.playbook)
    new = sorted(set(after) - set(before))
    assert len(new) == len(created)  # one file per page: nothing collided or overwrote
    for path in new:
        directory, name = path.rsplit("/", 1)
        assert directory == "rituals", path
        assert SAFE_NAME.match(name), path
        assert len(name) <= 90
        assert name.split(".")[0] not in {"con", "aux", "lpt1", "nul"}
    lowered = [p.lower() for p in new]
    assert len(set(lowered)) == len(new)  # case-insensitive file systems too
    for path in before:
        assert after[path] == before[path]  # nothing existing was touched
    assert not list(pushed.root.parent.glob("etc")) and not Path("/etc/passwd.md").exists()
    # The titles survive as titles (front matter), and the next plan is clean.
    plan = _engine(pushed).build_plan()
    assert {str(i.status) for i in plan} == {"in-sync"}


def test_symlinks_leaving_the_playbook_are_refused_and_nothing_is_pushed(
    tmp_path: Path,
) -> None:
    world = open_world("notion", tmp_path / "w")
    try:
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "secret.md").write_text("---\ntitle: Secret\n---\n\nOutside.\n")
        (world.playbook / "rituals" / "leak.md").symlink_to(outside / "secret.md")
        (world.playbook / "linked-dir").symlink_to(outside, target_is_directory=True)
        result = world.run("push")
        assert result.code == 1
        assert "symlink points outside the playbook" in result.stderr
        assert "Traceback" not in result.stderr
        assert _writes(world) == 0
        assert (outside / "secret.md").read_text() == "---\ntitle: Secret\n---\n\nOutside.\n"
    finally:
        world.standin.stop()


@pytest.mark.parametrize("pushed", ["notion"], indirect=True)
def test_pull_never_writes_through_a_symlink_to_outside(pushed: World, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    target = pushed.playbook / f"{RITUAL}.md"
    outside.write_text(target.read_text())
    original = outside.read_text()
    target.unlink()
    target.symlink_to(outside)
    page = pushed.remote_id(RITUAL)
    standin: Any = pushed.standin
    if pushed.kind == "notion":
        standin.wiki_user.add_paragraph(page, "Wiki addition.")
    else:
        standin.wiki_user.append_paragraph(page, "Wiki addition.")
    _engine(pushed).pull()
    assert outside.read_text() == original


BROKEN_FILES = {
    "yaml-bomb": (
        "release-tiers/bomb.yaml",
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                  for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
    ),
    "deep-nesting": (
        "release-tiers/deep.yaml", "title: x\nnested: " + "[" * 5000 + "]" * 5000 + "\n"
    ),
    "huge-file": ("rituals/huge.md", "---\ntitle: Huge\n---\n\n" + ("word " * 400_000) + "\n"),
    "recursive-alias": ("release-tiers/loop.yaml", "a: &a\n  b: *a\n"),
    "not-utf8": ("rituals/latin1.md", "---\ntitle: Caf\xe9\n---\n"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_FILES))
def test_broken_playbook_file_stops_push_before_any_write(tmp_path: Path, case: str) -> None:
    relpath, text = BROKEN_FILES[case]
    world = open_world("notion", tmp_path)
    try:
        path = world.playbook / relpath
        if case == "not-utf8":
            path.write_bytes(text.encode("latin-1"))
        else:
            path.write_text(text, encoding="utf-8")
        before = local_files(world.playbook)
        started = time.monotonic()
        result = world.run("push")
        assert time.monotonic() - started < 30
        assert result.code == 1, result.stderr
        assert relpath in result.stderr and "Traceback" not in result.stderr
        assert "nothing was pushed" in result.stderr
        assert _writes(world) == 0  # not even the databases
        assert local_files(world.playbook) == before
    finally:
        world.standin.stop()


@pytest.mark.parametrize("pushed", ["confluence"], indirect=True)
def test_confluence_page_with_external_entities_is_never_expanded(
    pushed: World, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    page = pushed.remote_id(RITUAL)
    standin: Any = pushed.standin
    hostile = (f'<!DOCTYPE p [<!ENTITY xxe SYSTEM "file://{secret}">]>'
               "<p>&xxe;</p>")
    with standin.lock:  # bypass the stand-in's own validation: a hostile server
        record = standin.state["contents"][page]
        record["body"] = hostile
        standin.new_version(record, by="attacker")
    before = pushed.read(f"{RITUAL}.md")
    report = None
    try:
        report = _engine(pushed).pull()
    except Exception as exc:
        assert "TOP-SECRET" not in str(exc)
        assert type(exc).__name__ in {"RemoteError", "StorageFormatError", "SyncError"}
    text = "\n".join(p.read_text() for p in pushed.playbook.rglob("*.md"))
    assert "TOP-SECRET-CONTENT" not in text
    if report is not None:
        assert pushed.read(f"{RITUAL}.md") == before or "&xxe;" not in pushed.read(
            f"{RITUAL}.md"
        )


def _nested(kind: str, depth: int) -> list[dict[str, Any]]:
    block: dict[str, Any] = {"type": "paragraph", "paragraph": {
        "rich_text": [{"type": "text", "text": {"content": "bottom"}, "plain_text": "bottom"}]}}
    for i in range(depth):
        block = {"id": f"00000000-0000-0000-0000-{i:012d}", "type": kind, "has_children": True,
                 kind: {"rich_text": [{"type": "text", "text": {"content": f"level {i}"},
                                       "plain_text": f"level {i}"}],
                        "children": [block]}}
    return [block]


@pytest.mark.parametrize("pushed", ["notion"], indirect=True)
def test_notion_deeply_nested_blocks_pull_or_fail_clearly(pushed: World) -> None:
    for kind in ("toggle", "bulleted_list_item", "quote", "callout"):
        for depth in (30, 1000):
            _deep_fetch(pushed, kind, depth)


def _deep_fetch(world: World, kind: str, depth: int) -> None:
    """Fetch the ritual page as if Notion returned ``depth`` nested ``kind`` blocks."""
    engine = _engine(world)
    engine.build_plan()
    entry = engine.entries[RITUAL]
    remote: Any = engine.remote
    remote.read_tree = lambda _block_id: _nested(kind, depth)
    started = time.monotonic()
    try:
        doc = remote.fetch(entry, RITUAL, engine.resolver)
    except RemoteError as exc:
        assert depth == 1000
        assert "nested too deeply" in str(exc) and "Weekly Product Update" in str(exc)
    else:
        # Toggles and callouts are kept as placeholders (by id); lists and quotes
        # render every level.
        assert f"level {depth - 1}" in doc.body
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("pushed", ["notion"], indirect=True)
@pytest.mark.parametrize("count", [2_000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_notion_page_with_thousands_of_blocks_is_pulled(pushed: World, count: int) -> None:
    standin: Any = pushed.standin
    page = pushed.remote_id("rituals/launch-readiness-check")
    from prodops_sync.standins.notion_schema import normalize_children

    specs = [
        spec
        for start in range(0, count, 100)
        for spec in normalize_children(
            [{"paragraph": {"rich_text": [{"text": {"content": f"Line {i}."}}]}}
             for i in range(start, start + 100)], "wiki", 0, standin.title_of,
        )
    ]
    with standin.lock:
        for start in range(0, len(specs), 100):  # the API's per-request limit
            standin.insert_blocks(page, specs[start:start + 100], by=standin.wiki_user.user_id)
    started = time.monotonic()
    report = _engine(pushed).pull()
    assert time.monotonic() - started < 60
    assert [o.action for o in report.outcomes] == ["write"]
    text = pushed.read("rituals/launch-readiness-check.md")
    assert "Line 0." in text and f"Line {count - 1}." in text


def test_config_pointing_at_a_real_host_never_connects(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from prodops_sync.cli import main

    config = tmp_path / "prodops-sync.yaml"
    (tmp_path / "playbook").mkdir()
    config.write_text(
        "playbook: playbook\ntargets:\n  real:\n    type: notion\n    root_page: abc\n"
        "    base_url: https://203.0.113.7\n    token_env: PRODOPS_TEST_TOKEN\n"
    )  # an address, so no DNS lookup stands between the client and the guard
    guard = "tests may only connect to 127.0.0.1"
    # pytest imports conftest under its own module name: compare the class by name.
    with pytest.raises(BaseException, match=guard) as caught:
        CliRunner().invoke(main, ["plan", "--config", str(config)],
                           env={"PRODOPS_TEST_TOKEN": "x"}, catch_exceptions=False)
    assert type(caught.value).__name__ == "NonLoopbackConnection"
    with socket.socket() as sock, pytest.raises(BaseException, match=guard):
        sock.connect(("10.0.0.1", 443))


# ---------------------------------------------------------------------------- fuzz
_FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(st.text(max_size=300))
def test_fuzz_yaml_loader_raises_only_playbook_errors(text: str) -> None:
    try:
        parse_yaml(text, "fuzz.yaml")
    except PlaybookError as exc:
        assert "fuzz.yaml" in str(exc) or exc.file == "fuzz.yaml"


_INLINE = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60)
_BLOCK = st.one_of(
    st.builds(lambda t: {"type": "paragraph", "paragraph": {"rich_text": [
        {"type": "text", "text": {"content": t}, "plain_text": t}]}}, _INLINE),
    st.builds(lambda t, k: {"type": k, k: {"rich_text": [
        {"type": "text", "text": {"content": t}, "plain_text": t}]}}, _INLINE,
        st.sampled_from(["heading_1", "heading_2", "quote", "bulleted_list_item",
                         "numbered_list_item", "to_do", "toggle", "callout", "code",
                         "unsupported", "synced_block", "table"])),
)


@_FUZZ
@given(st.lists(_BLOCK, max_size=12))
def test_fuzz_notion_blocks_convert_or_fail_with_value_error(blocks: list[Any]) -> None:
    try:
        text = from_blocks(blocks)
    except ValueError:
        return
    to_blocks(text)  # whatever was read can be written back


@_FUZZ
@given(st.text(max_size=300))
def test_fuzz_markdown_to_both_formats(text: str) -> None:
    to_blocks(text)
    storage = to_storage(text)
    try:
        from_storage(storage)
    except StorageFormatError as exc:  # pragma: no cover - a bug if it happens
        pytest.fail(f"own output refused: {exc}")
