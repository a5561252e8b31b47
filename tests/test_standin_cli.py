"""``prodops-sync emulate``: starts, prints what a user needs, serves the official clients."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from atlassian import Confluence
from click.testing import CliRunner
from notion_client import Client

from prodops_sync.cli.emulate import emulate, is_loopback


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "prodops_sync", "emulate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    output = ""
    for line in proc.stdout:
        output += line
        if line.startswith("Press Ctrl-C"):
            break
    return proc, output


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=10)


def test_emulate_notion_serves_the_official_client(tmp_path: Path) -> None:
    root = "5f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5"
    proc, out = start("notion", "--port", "0", "--root-page", root, "--data", str(tmp_path))
    try:
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", out)
        assert url, out
        assert f"root page id: {root}" in out and f"base_url: {url.group(1)}" in out
        found = Client(auth="x", base_url=url.group(1)).search()["results"]
        assert [r["id"] for r in found] == [root]
    finally:
        assert stop(proc) == 0
    assert (tmp_path / "notion.json").exists()


def test_emulate_confluence_serves_the_official_client() -> None:
    proc, out = start("confluence", "--space", "OPS", "--rate", "0", "--flavor", "datacenter")
    try:
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", out)
        assert url, out
        assert "space: OPS" in out and "deployment: datacenter" in out
        c = Confluence(url=url.group(1), username="u", password="t")
        assert c.get_space("OPS", expand="homepage")["homepage"]["title"].startswith("OPS")
    finally:
        assert stop(proc) == 0


def test_emulate_confluence_cloud_serves_v2_under_wiki() -> None:
    proc, out = start("confluence", "--space", "OPS", "--rate", "0")
    try:
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+/wiki)", out)
        assert url, out
        assert "flavor: cloud" in out and "deployment: cloud" in out
        answer = requests.get(f"{url.group(1)}/api/v2/spaces", params={"keys": "OPS"},
                              auth=("u", "t"), timeout=5)
        assert answer.status_code == 200 and answer.json()["results"][0]["key"] == "OPS"
    finally:
        assert stop(proc) == 0


def test_emulate_refuses_a_remote_host_without_the_flag() -> None:
    result = CliRunner().invoke(emulate, ["notion", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--allow-remote-host" in result.output


def test_emulate_rejects_a_bad_root_page() -> None:
    result = CliRunner().invoke(emulate, ["notion", "--root-page", "not-a-uuid"])
    assert result.exit_code == 2 and "not a Notion page id" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
