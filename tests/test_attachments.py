"""Images and files both ways (scenario style, both stand-ins): a local image or file a
document links to is uploaded once per content; a file a person adds in the wiki comes
back into playbook/assets/ with a safe name."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sync_harness import Workspace, confluence_workspace, notion_workspace

RITUAL = "rituals/weekly-product-update"
RITUAL_FILE = f"{RITUAL}.md"
ANCHOR = "## Rules\n"
# A real 1x1 PNG, and a second one with another colour.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PNG2 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@pytest.fixture(params=["notion", "confluence"])
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Workspace, Any, str]]:
    from prodops_sync.standins import ConfluenceStandin, NotionStandin

    kind = request.param
    with (NotionStandin() if kind == "notion" else ConfluenceStandin()) as standin:
        make = notion_workspace if kind == "notion" else confluence_workspace
        ws = make(tmp_path, standin)
        assert ws.run("push").exit_code == 0
        yield ws, standin, kind


def _link_image(ws: Workspace, data: bytes = PNG, name: str = "flow.png") -> None:
    (ws.playbook / "assets").mkdir(exist_ok=True)
    (ws.playbook / "assets" / name).write_bytes(data)
    ws.edit(RITUAL_FILE, ANCHOR, f"![Update flow](../assets/{name})\n\n{ANCHOR}")


def _uploads(standin: Any, kind: str, page: str) -> list[bytes]:
    """The files the wiki holds for the page (Confluence) or workspace (Notion)."""
    if kind == "notion":
        return [base64.b64decode(u["data"]) for u in standin.state["file_uploads"].values()
                if u["data"]]
    atts = standin.state["contents"][page].get("attachments", {})
    return [base64.b64decode(a["data"]) for a in atts.values()]


def _status(ws: Workspace) -> str:
    doc = next(d for d in ws.run_json("plan")["documents"] if d["key"] == RITUAL)
    return str(doc["status"])


def test_local_image_uploaded_once(side: tuple[Workspace, Any, str]) -> None:
    ws, standin, kind = side
    _link_image(ws)
    standin.request_log.clear()
    push = ws.run_json("push")
    assert push["conflicts"] == 0
    page = ws.remote_id(RITUAL)
    assert _uploads(standin, kind, page) == [PNG]
    if kind == "confluence":
        body = standin.wiki_user.body(page)
        assert '<ri:attachment ri:filename="flow.png" />' in body
    else:
        blocks = [standin.render_block(b) for b in standin._visible_children(page)]
        images = [b for b in blocks if b["type"] == "image"]
        assert len(images) == 1 and images[0]["image"]["type"] == "file"
        assert "X-Amz-Signature" in images[0]["image"]["file"]["url"]
    # Unchanged file: never uploaded again; the page reads back as the file says.
    again = ws.run_json("push")
    assert again["writes"] == 0
    assert _status(ws) == "in-sync"
    assert ws.run_json("pull")["writes"] == 0
    assert "![Update flow](../assets/flow.png)" in ws.read(RITUAL_FILE)
    assert ws.run("diff", RITUAL).exit_code == 0


def test_changed_file_uploaded_once(side: tuple[Workspace, Any, str]) -> None:
    ws, standin, kind = side
    _link_image(ws)
    ws.run("push")
    (ws.playbook / "assets" / "flow.png").write_bytes(PNG2)
    standin.request_log.clear()
    push = ws.run_json("push")
    page = ws.remote_id(RITUAL)
    uploads = _uploads(standin, kind, page)
    assert PNG2 in uploads
    assert [o["action"] for o in push["outcomes"]] == ["upload"]
    assert ws.run_json("push")["writes"] == 0
    assert _status(ws) == "in-sync"


def test_image_added_in_the_wiki_comes_back(side: tuple[Workspace, Any, str]) -> None:
    ws, standin, _kind = side
    page = ws.remote_id(RITUAL)
    standin.wiki_user.add_image(page, "whiteboard photo.png", PNG2)
    pull = ws.run_json("pull")
    assert pull["conflicts"] == 0
    saved = ws.playbook / "assets" / "whiteboard photo.png"
    assert saved.read_bytes() == PNG2
    text = ws.read(RITUAL_FILE)
    assert "](../assets/whiteboard%20photo.png)" in text
    from prodops_sync.sync.engine import load_local

    assert load_local(ws.playbook)[1] == []  # the pulled playbook validates
    assert ws.run_json("push")["writes"] == 0
    assert _status(ws) == "in-sync"
    assert ws.run_json("pull")["writes"] == 0


def test_hostile_wiki_file_name_stays_in_assets(side: tuple[Workspace, Any, str]) -> None:
    ws, standin, kind = side
    page = ws.remote_id(RITUAL)
    # XML cannot carry an escape character, so Confluence names get only the rest.
    escape = "\x1b[31m" if kind == "notion" else ""
    standin.wiki_user.add_image(page, f"../../.github/workflows/pwn\u202e{escape}.png", PNG)
    assert ws.run_json("pull")["conflicts"] == 0
    files = sorted(p.relative_to(ws.root).as_posix() for p in ws.root.rglob("*")
                   if p.is_file() and ".prodops-sync" not in p.parts)
    outside = [f for f in files if not f.startswith("playbook/")]
    assert outside == ["prodops-sync.yaml"]
    assets = sorted(p.name for p in (ws.playbook / "assets").iterdir())
    assert len(assets) == 1 and "\n" not in assets[0] and not assets[0].startswith(".")
    assert (ws.playbook / "assets" / assets[0]).read_bytes() == PNG


def test_linked_file_becomes_a_wiki_file(side: tuple[Workspace, Any, str]) -> None:
    ws, standin, kind = side
    (ws.playbook / "assets").mkdir()
    (ws.playbook / "assets" / "spec.pdf").write_bytes(b"%PDF-1.4\n%fake but real-shaped\n")
    ws.edit(RITUAL_FILE, ANCHOR, f"[Rollout spec](../assets/spec.pdf)\n\n{ANCHOR}")
    assert ws.run_json("push")["conflicts"] == 0
    page = ws.remote_id(RITUAL)
    if kind == "confluence":
        assert '<ri:attachment ri:filename="spec.pdf" />' in standin.wiki_user.body(page)
    else:
        types = [standin.render_block(b)["type"] for b in standin._visible_children(page)]
        assert "file" in types
    assert ws.run_json("push")["writes"] == 0
    assert _status(ws) == "in-sync"


def test_file_over_the_limit_is_refused_before_any_write(
    side: tuple[Workspace, Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from prodops_sync.remotes.confluence import ConfluenceRemote
    from prodops_sync.remotes.notion import NotionRemote

    ws, standin, _kind = side
    monkeypatch.setattr(NotionRemote, "max_asset_bytes", 50)
    monkeypatch.setattr(ConfluenceRemote, "max_asset_bytes", 50)
    _link_image(ws, PNG + b"\0" * 100)
    standin.request_log.clear()
    result = ws.run("push")
    assert result.exit_code == 1
    assert "assets/flow.png is 170 bytes" in result.output and "nothing was pushed" in result.output
    assert standin.request_log.writes() == 0
