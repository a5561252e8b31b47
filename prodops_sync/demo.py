"""The end-to-end demo behind `prodops-sync demo`: validate, push to a local stand-in, edit
in the "wiki" the way a person would, pull the edit back and show the file diff.

It needs no credentials and no network: the stand-in runs in this process on 127.0.0.1.
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from prodops_sync.schemas import example_playbook_dir

DEMO_TOKEN_ENV = "PRODOPS_DEMO_TOKEN"
DEMO_USER_ENV = "PRODOPS_DEMO_USER"
EDITED_KEY = "rituals/weekly-product-update"
EDITED_FILE = "rituals/weekly-product-update.md"
OLD_TEXT = "Five bullets per PM, ten minutes to write."
NEW_TEXT = "Five bullets per PM, ten minutes to write, one link per bullet."

Echo = Callable[[str], None]


@dataclass
class DemoResult:
    """What the demo did, for tests and for the closing summary."""

    workdir: Path
    push_writes: int
    pull_diff: str
    second_push_writes: int


def prepare_workdir(workdir: Path, standin_url: str, target: str, extra: dict[str, Any]) -> Path:
    """Copy the example playbook into ``workdir`` and write a config for the stand-in."""
    if (workdir / "playbook").exists():
        shutil.rmtree(workdir / "playbook")
    shutil.rmtree(workdir / ".prodops-sync", ignore_errors=True)
    shutil.copytree(example_playbook_dir(), workdir / "playbook")
    # The stand-in runs in this process: no need for the real services' rate limits.
    spec: dict[str, Any] = {
        "type": target, "token_env": DEMO_TOKEN_ENV, "requests_per_second": 200, **extra
    }
    if target == "notion":
        spec["base_url"] = standin_url
    else:
        spec["url"] = standin_url
        spec["user_env"] = DEMO_USER_ENV
    config = {"playbook": "playbook", "targets": {target: spec}}
    path = workdir / "prodops-sync.yaml"
    path.write_text(
        "# Written by `prodops-sync demo`: a target on a local stand-in.\n"
        + yaml.safe_dump(config, sort_keys=False),
        encoding="utf-8",
    )
    return path


def _wiki_edit(target: str, standin: Any, remote_id: str) -> None:
    """Edit one sentence of the weekly-update ritual page as a wiki user would."""
    if target == "notion":
        from prodops_sync.formats.notion.richtext import plain_text

        for child in standin._visible_children(remote_id):
            block = standin.state["blocks"].get(child)
            text = plain_text(block["data"].get("rich_text", [])) if block else ""
            if OLD_TEXT in text:
                standin.wiki_user.edit_text(child, text.replace(OLD_TEXT, NEW_TEXT))
                return
        raise RuntimeError("demo: the paragraph to edit was not found in Notion")
    standin.wiki_user.replace_text(remote_id, OLD_TEXT, NEW_TEXT)


def run_demo(
    workdir: Path,
    target: str = "notion",
    echo: Echo = print,
    serve: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the whole demo in ``workdir`` and narrate it through ``echo``. ``serve``, when
    given, is called with the stand-in's HTML view URL at the end, while the stand-in still
    runs (``prodops-sync demo --serve`` waits there until Ctrl-C)."""
    from prodops_sync.cli.progress import Progress
    from prodops_sync.cli.sync import summary_line
    from prodops_sync.remotes.factory import open_remote
    from prodops_sync.sync.config import credentials, load_config
    from prodops_sync.sync.engine import Engine, SyncError
    from prodops_sync.sync.state import StateStore
    from prodops_sync.validate import validate_playbook

    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault(DEMO_TOKEN_ENV, "demo-token")
    os.environ.setdefault(DEMO_USER_ENV, "demo@example.com")
    if target == "notion":
        from prodops_sync.standins import NotionStandin

        standin: Any = NotionStandin()
    else:
        from prodops_sync.standins import ConfluenceStandin

        standin = ConfluenceStandin()
    with standin:
        extra = {"root_page": standin.root_page_id} if target == "notion" else {"space": "PLAY"}
        config_path = prepare_workdir(workdir, standin.url, target, extra)
        echo(f"1. Example playbook copied to {workdir / 'playbook'}")
        errors = [p for p in validate_playbook(workdir / "playbook") if p.severity == "error"]
        if errors:
            raise SyncError(f"demo: the example playbook does not validate: {errors[0]}")
        echo("2. prodops-sync validate: the playbook is valid")
        echo(f"   {target} stand-in listening on {standin.url}")
        view_url = f"{standin.url}/"

        def engine() -> Engine:
            config = load_config(config_path)
            tgt = config.target(target)
            remote = open_remote(tgt, credentials(tgt))
            store = StateStore(config.state_dir, tgt.name)
            return Engine(config.playbook_dir, remote, store, kinds=config.registry,
                          progress=Progress(quiet=True))

        push = engine().push()
        echo(f"3. prodops-sync push: {summary_line(push)}")
        remote_id = str(_state(workdir, target)["docs"][EDITED_KEY]["remote_id"])
        before = (workdir / "playbook" / EDITED_FILE).read_text(encoding="utf-8")
        _wiki_edit(target, standin, remote_id)
        echo(f"4. A wiki user edited the page of {EDITED_FILE} in {target}")
        pull = engine().pull()
        echo(f"5. prodops-sync pull: {summary_line(pull)}")
        after = (workdir / "playbook" / EDITED_FILE).read_text(encoding="utf-8")
        diff = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                f"a/playbook/{EDITED_FILE}",
                f"b/playbook/{EDITED_FILE}",
            )
        )
        echo("   The wiki edit, as a reviewable change to the playbook:")
        echo("".join(f"   {line}" for line in diff.splitlines(keepends=True)).rstrip())
        again = engine().push()
        echo(f"6. prodops-sync push again: {summary_line(again)}")
        if serve is None:
            echo(f"   The pages as the wiki shows them: {view_url} (run with --serve to "
                 "keep it open)")
        else:
            serve(view_url)
    return DemoResult(workdir, push.writes, diff, again.writes)


def _state(workdir: Path, target: str) -> dict[str, Any]:
    from prodops_sync.sync.state import read_state_data

    return read_state_data(workdir / ".prodops-sync" / "state", target)
