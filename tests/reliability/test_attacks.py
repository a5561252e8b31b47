"""The attack suite of issue #13: hostile wiki, hostile network, hostile disk, one bad page.

Every case runs the real CLI in a subprocess against a stand-in (both wikis where the
attack applies to both) and checks the whole contract (:func:`attacks.assert_held`): no
file outside the playbook, no secret in any output or file, no raw control character or
workflow command from remote text, no traceback; then its own check that nothing was lost
and the message names the document or URL. The classes follow the issue:

1. path traversal from remote data (keys, titles, attachment names)
2. secrets echoed back or mangled
3. workflow-command and terminal injection
4. broken answers (HTML, truncated JSON, error objects in a 200, endless pagination,
   trickling servers, redirects)
5. disk and process faults
6. one bad page among good ones

``docs/reliability.md`` publishes the counts; ``bench/attacks.py`` prints them.
"""

from __future__ import annotations

import base64
import os
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.reliability.attacks import (
    assert_clean_output,
    assert_held,
    failing_os_env,
    notion_rich,
    summary_env,
    tree,
)
from tests.reliability.harness import (
    FAKE_TOKEN,
    RITUAL,
    RITUAL_FILE,
    Baseline,
    World,
    cli_env,
    freeze,
    local_files,
    open_world,
)
from tests.reliability.test_concurrency import _engine

WIKIS = ["notion", "confluence"]
CLASSES = {
    1: "path traversal", 2: "secrets", 3: "injection", 4: "broken answers",
    5: "disk and process", 6: "one bad page",
}
CLASS_OF = {
    "test_new_page_with_hostile_key_is_skipped_and_named": 1,
    "test_key_of_another_kind_files_the_page_under_that_kind_or_skips_it": 1,
    "test_key_retyped_to_a_traversal_writes_nowhere": 1,
    "test_hostile_titles_of_new_pages_become_safe_files": 1,
    "test_attachment_with_a_traversal_name_lands_in_assets": 1,
    "test_token_echoed_in_an_error_body_is_never_printed": 2,
    "test_token_echoed_in_an_error_body_is_never_in_json": 2,
    "test_token_with_surrounding_whitespace_works": 2,
    "test_token_with_inner_whitespace_is_refused_without_quoting_it": 2,
    "test_remote_titles_never_issue_workflow_commands": 3,
    "test_hostile_text_in_an_error_message_is_one_line": 3,
    "test_broken_answer_on_a_read_is_one_clear_line": 4,
    "test_broken_answer_on_a_write_is_never_reported_as_done": 4,
    "test_endless_pagination_ends_with_an_error": 4,
    "test_trickling_server_is_cut_off": 4,
    "test_a_server_that_always_trickles_gives_up_clearly": 4,
    "test_disk_full_or_read_only_is_one_line_and_loses_nothing": 5,
    "test_bad_step_summary_path_is_a_warning": 5,
    "test_stale_temp_files_of_a_killed_run_are_removed": 5,
    "test_file_saved_in_the_editor_during_pull_is_not_overwritten": 5,
    "test_pull_keeps_permissions_and_crlf": 5,
    "test_one_unreadable_page_does_not_block_the_others": 6,
}
"""Each attack test's class (``bench/attacks.py`` counts cases by it)."""
EXIT_OK, EXIT_ERROR, EXIT_CONFLICT, EXIT_SKIPPED = 0, 1, 3, 4


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Baseline]:
    """The example playbook pushed once to each wiki; every case starts from a copy."""
    frozen = {}
    for kind in WIKIS:
        tmp = tmp_path_factory.mktemp(f"baseline-{kind}")
        world = open_world(kind, tmp)
        try:
            _engine(world).push()
            frozen[kind] = freeze(world, tmp)
        finally:
            world.standin.stop()
    return frozen


def _world(kind: str, tmp: Path, baselines: dict[str, Baseline]) -> Iterator[World]:
    world = open_world(kind, tmp, baselines[kind])
    try:
        yield world
    finally:
        world.standin.stop()


@pytest.fixture(params=WIKIS)
def pushed(
    request: pytest.FixtureRequest, tmp_path: Path, baselines: dict[str, Baseline]
) -> Iterator[World]:
    """A playbook pushed to a stand-in of each wiki."""
    yield from _world(request.param, tmp_path, baselines)


@pytest.fixture
def notion(tmp_path: Path, baselines: dict[str, Baseline]) -> Iterator[World]:
    yield from _world("notion", tmp_path, baselines)


def _collection_page(world: World, title: str = "Rituals") -> str:
    standin: Any = world.standin
    return str(next(c["id"] for c in standin.state["contents"].values()
                    if c["title"] == title and c["status"] == "current"))


def _new_wiki_page(world: World, title: str, key: str | None = None,
                   text: str = "Written in the wiki.") -> str:
    """A ritual created in the wiki, optionally carrying ``key`` as its identity."""
    standin: Any = world.standin
    if world.kind == "notion":
        props = {"Sync key": notion_rich(key)} if key is not None else None
        return str(standin.wiki_user.create_page(
            world.state()["containers"]["Rituals"], title, properties=props,
            blocks=[{"paragraph": {"rich_text": [{"text": {"content": text}}]}}],
        ))
    page = str(standin.wiki_user.create_page(title, f"<p>{text}</p>",
                                             parent_id=_collection_page(world)))
    if key is not None:
        standin.wiki_user.set_property(page, "prodops-sync", {"key": key})
    return page


def _set_key(world: World, page: str, key: str) -> None:
    standin: Any = world.standin
    if world.kind == "notion":
        standin.wiki_user.set_properties(page, {"Sync key": notion_rich(key)})
    else:
        standin.wiki_user.set_property(page, "prodops-sync", {"key": key})


def _edit_wiki_page(world: World, page: str, text: str) -> None:
    standin: Any = world.standin
    if world.kind == "notion":
        standin.wiki_user.add_paragraph(page, text)
    else:
        standin.wiki_user.append_paragraph(page, text)


# ============================================================== 1. path traversal
HOSTILE_KEYS = [
    "../../x",
    "../.github/workflows/pwn",
    "{tmp}/abs-pwn",
    "rituals/../../../escape",
    "rituals/.hidden",
    "rituals/con",
    "rituals/sub/deeper",
    "rituals/a:b",
    "C:\\evil",
]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_new_page_with_hostile_key_is_skipped_and_named(pushed: World, key: str) -> None:
    key = key.format(tmp=pushed.root.parent)
    _new_wiki_page(pushed, "Planted Page", key)
    before, files = tree(pushed.root.parent), local_files(pushed.playbook)
    result = pushed.run("pull")
    assert_held(pushed, before, result)
    if result.code == EXIT_OK and pushed.kind == "confluence" and key == "rituals/sub/deeper":
        # A well-formed path that is no kind's key: Confluence keys pages by the kind the
        # key names, so this page counts as one without a key, and becomes a new ritual.
        new = sorted(set(local_files(pushed.playbook)) - set(files))
        assert new == ["rituals/planted-page.md"]
        return
    assert result.code == EXIT_SKIPPED, result.stdout + result.stderr
    assert "unsafe key" in result.stdout and "Planted Page" in result.stdout
    assert local_files(pushed.playbook) == files  # nothing written, nothing lost
    again = pushed.run("push")  # and push leaves the page alone too
    assert_held(pushed, before, again)
    assert again.code == EXIT_SKIPPED and "0 archived" in again.stdout


def test_key_of_another_kind_files_the_page_under_that_kind_or_skips_it(
    pushed: World
) -> None:
    _new_wiki_page(pushed, "Planted Page", "templates/wrong-kind")
    before = tree(pushed.root.parent)
    result = pushed.run("pull")
    assert_held(pushed, before, result)
    new = [p for p in tree(pushed.playbook) - before if p.is_file()]
    if result.code == EXIT_SKIPPED:  # Notion: a row of the Rituals database
        assert not new and "unsafe key" in result.stdout
    else:  # Confluence: the key names its kind, the page is that kind's document
        assert result.code == EXIT_OK and [p.relative_to(pushed.playbook).as_posix()
                                           for p in new] == ["templates/wrong-kind.md"]


@pytest.mark.parametrize("key", ["../../x", "../.github/workflows/pwn"])
def test_key_retyped_to_a_traversal_writes_nowhere(pushed: World, key: str) -> None:
    page = pushed.remote_id(RITUAL)
    _set_key(pushed, page, key)
    _edit_wiki_page(pushed, page, "An edit next to the retyped key.")
    before = tree(pushed.root.parent)
    result = pushed.run("pull")
    assert_held(pushed, before, result)
    assert result.code in (EXIT_OK, EXIT_SKIPPED)
    assert "An edit next to the retyped key." in pushed.read(RITUAL_FILE)  # its own file


@pytest.mark.parametrize("title", ["../../etc/passwd", ".github", "con", "a/../../b"])
def test_hostile_titles_of_new_pages_become_safe_files(pushed: World, title: str) -> None:
    _new_wiki_page(pushed, title)
    before = tree(pushed.root.parent)
    result = pushed.run("pull")
    assert_held(pushed, before, result)
    assert result.code == EXIT_OK, result.stdout + result.stderr
    new = [p for p in tree(pushed.playbook) - before if p.is_file()]
    assert len(new) == 1 and new[0].parent == pushed.playbook / "rituals"
    assert not new[0].name.startswith(".")


def test_attachment_with_a_traversal_name_lands_in_assets(pushed: World) -> None:
    standin: Any = pushed.standin
    page = pushed.remote_id(RITUAL)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    standin.wiki_user.add_image(page, "../../../../pwn.png", png)
    before = tree(pushed.root.parent)
    result = pushed.run("pull")
    assert_held(pushed, before, result)
    assert result.code == EXIT_OK, result.stdout + result.stderr
    new = [p for p in tree(pushed.playbook) - before if p.is_file()]
    assert any(p.parent == pushed.playbook / "assets" and p.read_bytes() == png for p in new)


# ============================================================== 2. secrets
@pytest.mark.parametrize("command", ["plan", "push"])
def test_token_echoed_in_an_error_body_is_never_printed(pushed: World, command: str) -> None:
    pushed.standin.faults.fail_next("echo_auth", times=50)
    before = tree(pushed.root.parent)
    result = pushed.run(command)
    assert_held(pushed, before, result)
    assert result.code == EXIT_ERROR
    assert "***" in result.stderr  # the echoed header is there, its secret part is not


@pytest.mark.parametrize("command", ["plan", "push", "--format=json"])
def test_token_echoed_in_an_error_body_is_never_in_json(pushed: World, command: str) -> None:
    pushed.standin.faults.fail_next("echo_auth", times=50)
    args = ["plan", "--format", "json"] if command.startswith("--") else [command]
    before = tree(pushed.root.parent)
    result = pushed.run(*args, env=summary_env(pushed, pushed.root / "summary.md"))
    assert_held(pushed, before, result)
    assert result.code == EXIT_ERROR


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "  "])
def test_token_with_surrounding_whitespace_works(pushed: World, suffix: str) -> None:
    _edit_wiki_page(pushed, pushed.remote_id(RITUAL), "Pulled with a padded token.")
    before = tree(pushed.root.parent)
    result = pushed.run("pull", env=cli_env(FAKE_TOKEN + suffix))
    assert_held(pushed, before, result)
    assert result.code == EXIT_OK, result.stderr
    assert "Pulled with a padded token." in pushed.read(RITUAL_FILE)


def test_token_with_inner_whitespace_is_refused_without_quoting_it(notion: World) -> None:
    token = FAKE_TOKEN[:10] + "\n" + FAKE_TOKEN[10:]
    result = notion.run("plan", env=cli_env(token))
    assert_clean_output(result)
    assert result.code == 2
    assert "PRODOPS_TEST_TOKEN" in result.stderr and "whitespace" in result.stderr
    assert FAKE_TOKEN[:10] not in result.stderr and FAKE_TOKEN[10:] not in result.stderr


# ============================================================== 3. injection
INJECTIONS = [
    "Sync\n::error file=x::pwned",
    "Sync\r\n::add-mask::secret",
    "\x1b[2J\x1b[31mRed Sync\x1b[0m",
    "Sync\n::stop-commands::token",
    "Sync \u202eevil\u202c",
]


@pytest.mark.parametrize("title", INJECTIONS)
def test_remote_titles_never_issue_workflow_commands(pushed: World, title: str) -> None:
    if pushed.kind == "confluence":
        title = title.replace("\r", "").replace("\n", " ")  # Confluence titles are one line
        title = title.replace(" ::", "\u2028::")  # a line separator instead
    _set_title(pushed, pushed.remote_id(RITUAL), title)
    summary = pushed.root / "summary.md"
    before = tree(pushed.root.parent)
    runs = [pushed.run(c, env=summary_env(pushed, summary)) for c in ("plan", "pull")]
    assert_held(pushed, before, *runs)
    assert [r.code for r in runs] == [EXIT_OK, EXIT_OK], runs[-1].stderr
    for line in summary.read_text(encoding="utf-8").split("\n"):
        assert not line.lstrip().startswith("::"), line
        assert "\x1b" not in line and "<" not in line.replace("\\<", "").replace("](<", "")


def _set_title(world: World, page: str, title: str) -> None:
    standin: Any = world.standin
    standin.wiki_user.set_title(page, title)


def test_hostile_text_in_an_error_message_is_one_line(notion: World) -> None:
    standin: Any = notion.standin
    page = notion.remote_id(RITUAL)
    standin.wiki_user.set_properties(page, {"Cadence": {"select": {
        "name": "\n::error::[x\x1b[31m"}}})
    before = tree(notion.root.parent)
    result = notion.run("pull")
    assert_held(notion, before, result)
    assert result.code == EXIT_ERROR  # the wiki's version does not validate: not written
    lines = (result.stdout + result.stderr).splitlines()
    assert not any(line.startswith("::error::") or "\x1b" in line for line in lines)
    assert any("rituals/weekly-product-update" in line and "cadence" in line for line in lines)


# ============================================================== 4. broken answers
BROKEN = ["html", "truncated", "error200", "redirect"]


@pytest.mark.parametrize("fault", BROKEN)
def test_broken_answer_on_a_read_is_one_clear_line(pushed: World, fault: str) -> None:
    pushed.standin.faults.fail_next(fault, times=50)
    before, files = tree(pushed.root.parent), local_files(pushed.playbook)
    state = pushed.state_path.read_bytes()
    result = pushed.run("pull")
    assert_held(pushed, before, result)
    assert result.code == EXIT_ERROR
    assert result.stderr.count("\n") == 1 and "127.0.0.1" in result.stderr, result.stderr
    assert local_files(pushed.playbook) == files and pushed.state_path.read_bytes() == state


@pytest.mark.parametrize("fault", ["error200", "truncated"])
def test_broken_answer_on_a_write_is_never_reported_as_done(pushed: World, fault: str) -> None:
    pushed.edit(RITUAL_FILE, "## ", "## Edited in Git. ")
    match = "PATCH" if pushed.kind == "notion" else "PUT /wiki/api/v2/pages/"
    pushed.standin.faults.fail_next(fault, times=50, match=match)
    before = tree(pushed.root.parent)
    result = pushed.run("push")
    assert_held(pushed, before, result)
    assert result.code in (EXIT_ERROR, EXIT_SKIPPED), result.stdout
    assert "1 updated" not in result.stdout
    pushed.standin.faults.clear()
    again = pushed.run("push")  # the document is still to sync, and syncs now
    assert_held(pushed, before, again)
    assert again.code == EXIT_OK, again.stdout + again.stderr
    # error200: nothing was written, so the update is sent now. truncated: the write had
    # landed, so the page already holds it and only the base is recorded.
    assert ("1 updated" if fault == "error200" else "record-base") in again.stdout
    assert " 0 to sync;" in pushed.run("plan").stdout


def test_endless_pagination_ends_with_an_error(pushed: World) -> None:
    pushed.standin.faults.fail_next("endless", times=100_000)
    before = tree(pushed.root.parent)
    started = time.monotonic()
    result = pushed.run("plan")
    assert_held(pushed, before, result)
    assert result.code == EXIT_ERROR, result.stderr
    assert "same page cursor" in result.stderr or "no cursor" in result.stderr, result.stderr
    assert time.monotonic() - started < 60
    assert len(pushed.standin.request_log) < 200


def test_trickling_server_is_cut_off(pushed: World) -> None:
    config = yaml.safe_load(pushed.config.read_text())
    target = next(iter(config["targets"].values()))
    target["timeout"] = 2
    pushed.config.write_text(yaml.safe_dump(config))
    pushed.standin.faults.trickle_delay = 0.5
    pushed.standin.faults.fail_next("trickle", times=1)
    _edit_wiki_page(pushed, pushed.remote_id(RITUAL), "After the trickle.")
    before = tree(pushed.root.parent)
    started = time.monotonic()
    result = pushed.run("pull")
    assert_held(pushed, before, result)
    assert time.monotonic() - started < 30
    assert result.code == EXIT_OK and "retried" in result.stdout, result.stdout + result.stderr
    assert "After the trickle." in pushed.read(RITUAL_FILE)


def test_a_server_that_always_trickles_gives_up_clearly(notion: World) -> None:
    config = yaml.safe_load(notion.config.read_text())
    next(iter(config["targets"].values()))["timeout"] = 1
    notion.config.write_text(yaml.safe_dump(config))
    notion.standin.faults.trickle_delay = 0.4
    notion.standin.faults.fail_next("trickle", times=100)
    before = tree(notion.root.parent)
    result = notion.run("plan")
    assert_held(notion, before, result)
    assert result.code == EXIT_ERROR and "gave up" in result.stderr, result.stderr


# ============================================================== 5. disk and process
@pytest.mark.parametrize("errno_name", ["ENOSPC", "EROFS"])
def test_disk_full_or_read_only_is_one_line_and_loses_nothing(
    pushed: World, errno_name: str
) -> None:
    _edit_wiki_page(pushed, pushed.remote_id(RITUAL), "Cannot be written.")
    env = failing_os_env(pushed, errno_name)
    before, files = tree(pushed.root.parent), local_files(pushed.playbook)
    result = pushed.run("pull", env=env)
    assert_held(pushed, before, result)
    assert result.code == EXIT_ERROR
    last = result.stderr.rstrip("\n").split("\n")[-1]
    assert last.startswith("error: ") and os.strerror(getattr(__import__("errno"),
                                                                errno_name)) in last
    assert local_files(pushed.playbook) == files  # old content intact, no temp files
    again = pushed.run("pull")  # once the disk is fine, the edit arrives
    assert again.code == EXIT_OK and "Cannot be written." in pushed.read(RITUAL_FILE)


@pytest.mark.parametrize("where", ["directory", "missing-dir/summary.md"])
def test_bad_step_summary_path_is_a_warning(pushed: World, where: str) -> None:
    pushed.edit(RITUAL_FILE, "## ", "## Edited. ")
    target = pushed.root / "summary-dir"
    target.mkdir()
    path = target if where == "directory" else pushed.root / where
    before = tree(pushed.root.parent)
    result = pushed.run("push", env=summary_env(pushed, path))
    assert_held(pushed, before, result)
    assert result.code == EXIT_OK and "1 updated" in result.stdout
    assert "warning: cannot write the GitHub step summary" in result.stderr


def test_stale_temp_files_of_a_killed_run_are_removed(notion: World) -> None:
    stale = notion.playbook / "rituals" / f".{Path(RITUAL_FILE).name}.abcd1234.tmp"
    stale.write_text("half a file")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh_state_temp = notion.state_path.parent / ".notion.json.zzzz9999.tmp"
    fresh_state_temp.write_text("{")
    os.utime(fresh_state_temp, (old, old))
    before = tree(notion.root.parent)
    result = notion.run("pull")
    assert_held(notion, before, result)
    assert not stale.exists() and not fresh_state_temp.exists()


def test_file_saved_in_the_editor_during_pull_is_not_overwritten(notion: World) -> None:
    _edit_wiki_page(notion, notion.remote_id(RITUAL), "From the wiki.")
    engine = _engine(notion)
    target = notion.playbook / RITUAL_FILE
    saved_by_editor = target.read_text(encoding="utf-8").replace(
        "owner: Product Ops lead", "owner: Product Ops lead (typed in the editor)")
    write_downloads = engine.files.write_downloads

    def editor_saves(doc: Any) -> None:  # runs between our read and our replace
        write_downloads(doc)
        target.write_text(saved_by_editor, encoding="utf-8")

    engine.files.write_downloads = editor_saves  # type: ignore[method-assign]
    report = engine.pull()
    assert target.read_text(encoding="utf-8") == saved_by_editor
    assert [o.action for o in report.outcomes] == ["skipped"]
    assert "changed on disk" in report.outcomes[0].detail
    after = _engine(notion).pull()  # the next pull merges both edits
    assert after.conflicts == [] and after.count("merged") == 1
    text = target.read_text(encoding="utf-8")
    assert "typed in the editor" in text and "From the wiki." in text


def test_pull_keeps_permissions_and_crlf(pushed: World) -> None:
    target = pushed.playbook / RITUAL_FILE
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))
    target.chmod(0o640)
    assert pushed.run("push").code == EXIT_OK  # CRLF is the same content
    _edit_wiki_page(pushed, pushed.remote_id(RITUAL), "Edited in the wiki.")
    _new_wiki_page(pushed, "Brand New Ritual")
    before = tree(pushed.root.parent)
    result = pushed.run("pull")
    assert_held(pushed, before, result)
    assert result.code == EXIT_OK
    data = target.read_bytes()
    assert b"Edited in the wiki." in data and data.count(b"\r\n") == data.count(b"\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    new = pushed.playbook / "rituals" / "brand-new-ritual.md"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask


# ============================================================== 6. one bad page
def _break_page(world: World) -> None:
    """A person types a non-JSON value into a structured cell of the ritual's page."""
    standin: Any = world.standin
    page = world.remote_id(RITUAL)
    if world.kind == "notion":
        # Every property and table cell reads as text, whatever a person types; what no
        # converter can take is a list nested deeper than it recurses.
        parent = page
        for _level in range(600):
            parent = standin.wiki_user.insert_blocks(parent, [
                {"bulleted_list_item": {"rich_text": [{"text": {"content": "deeper"}}]}}])[0]
    else:
        body = standin.wiki_user.body(page)
        cell = re.search(r"<th><p>Attendees</p></th><td>.*?</td>", body)
        assert cell is not None
        broken = ('<th><p>Attendees</p></th><td><ac:structured-macro ac:name="code">'
                  "<ac:plain-text-body><![CDATA[[Alice, Bob]]></ac:plain-text-body>"
                  "</ac:structured-macro></td>")
        standin.wiki_user.edit_body(page, body.replace(cell.group(0), broken, 1))


@pytest.mark.parametrize("command", ["pull", "push"])
def test_one_unreadable_page_does_not_block_the_others(pushed: World, command: str) -> None:
    _break_page(pushed)
    other = "rituals/quarterly-planning.md"
    if command == "push":
        pushed.edit(other, "\n\n", "\n\nEdited in Git.\n\n")
    else:
        _edit_wiki_page(pushed, pushed.remote_id("rituals/quarterly-planning"),
                        "A good page changed too.")
    files = local_files(pushed.playbook)
    before = tree(pushed.root.parent)
    result = pushed.run(command)
    assert_held(pushed, before, result)
    assert result.code == EXIT_SKIPPED, result.stdout + result.stderr
    assert f"skipped       {RITUAL}" in result.stdout and "cannot be read" in result.stdout
    assert local_files(pushed.playbook)[RITUAL_FILE] == files[RITUAL_FILE]  # kept as it is
    if command == "pull":
        assert "A good page changed too." in pushed.read(other)
    else:
        assert "1 updated" in result.stdout
    plan = pushed.run("plan", "--format", "json")
    assert plan.code == EXIT_SKIPPED


def test_secret_forms_cover_basic_auth() -> None:
    """The checks above look for the base64 form a basic-auth header carries."""
    from tests.reliability.attacks import secret_forms
    from tests.reliability.harness import FAKE_USER

    header = base64.b64encode(f"{FAKE_USER}:{FAKE_TOKEN}".encode()).decode()
    assert header in secret_forms()


def test_every_attack_has_a_class() -> None:
    """The figures in docs/reliability.md count cases by class: none may be left out."""
    names = {n for n, v in globals().items() if n.startswith("test_") and callable(v)}
    attacks = names - {"test_every_attack_has_a_class", "test_secret_forms_cover_basic_auth"}
    assert attacks == set(CLASS_OF)
