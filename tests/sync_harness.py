"""A workspace for CLI scenario tests: a copy of the example playbook, a prodops-sync.yaml
pointing at a stand-in, and helpers to run commands and inspect the result."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from prodops_sync.cli import main

REPO = Path(__file__).resolve().parent.parent
TOKEN_ENV = "PRODOPS_TEST_TOKEN"
USER_ENV = "PRODOPS_TEST_USER"


@dataclass
class Workspace:
    root: Path
    target: str

    @property
    def playbook(self) -> Path:
        return self.root / "playbook"

    def run(self, *args: str) -> Result:
        """Run `prodops-sync ARGS --config <workspace config>`."""
        runner = CliRunner()
        env = {TOKEN_ENV: "test-token", USER_ENV: "tester@example.com"}
        argv = [*args, "--config", str(self.root / "prodops-sync.yaml")]
        return runner.invoke(main, argv, env=env, catch_exceptions=False)

    def run_json(self, *args: str) -> dict[str, Any]:
        result = self.run(*args, "--format", "json")
        assert result.exit_code in (0, 3), result.output
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def state(self) -> dict[str, Any]:
        from prodops_sync.sync.state import read_state_data

        return read_state_data(self.root / ".prodops-sync" / "state", self.target)

    def remote_id(self, key: str) -> str:
        return str(self.state()["docs"][key]["remote_id"])

    def edit(self, relpath: str, old: str, new: str) -> None:
        path = self.playbook / relpath
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relpath}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def read(self, relpath: str) -> str:
        return (self.playbook / relpath).read_text(encoding="utf-8")


def make_workspace(tmp_path: Path, target: dict[str, Any], name: str) -> Workspace:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "playbook", root / "playbook")
    config = {"playbook": "playbook", "targets": {name: target}}
    (root / "prodops-sync.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return Workspace(root, name)


def notion_workspace(tmp_path: Path, standin: Any) -> Workspace:
    return make_workspace(
        tmp_path,
        {
            "type": "notion",
            "root_page": standin.root_page_id,
            "base_url": standin.url,
            "token_env": TOKEN_ENV,
            "requests_per_second": 1000,
        },
        "notion",
    )


def confluence_workspace(tmp_path: Path, standin: Any) -> Workspace:
    return make_workspace(
        tmp_path,
        {
            "type": "confluence",
            "url": standin.url,
            "space": "PLAY",
            "user_env": USER_ENV,
            "token_env": TOKEN_ENV,
            "requests_per_second": 1000,
        },
        "wiki",
    )
