"""`convert` and `fmt` on every kind of playbook file, YAML files included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from prodops_sync.cli import main
from prodops_sync.cli.convert import infer_kind

PLAYBOOK = Path(__file__).resolve().parent.parent / "playbook"
TO_NOTION = ["convert", "--from", "markdown", "--to", "notion"]
FILES = sorted(p for p in PLAYBOOK.rglob("*") if p.suffix in (".md", ".yaml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(PLAYBOOK).as_posix())
@pytest.mark.parametrize("target", ["notion", "confluence"])
def test_convert_works_on_every_playbook_file(path: Path, target: str) -> None:
    result = CliRunner().invoke(main, ["convert", "--from", "markdown", "--to", target, str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip()


def test_yaml_file_converts_as_fields_with_kind_from_its_path() -> None:
    path = PLAYBOOK / "release-tiers" / "tier-1-low.yaml"
    result = CliRunner().invoke(main, [*TO_NOTION, str(path)])
    data = json.loads(result.output)
    assert data["children"] == []  # comments are not content
    assert data["properties"]["Name"]["title"][0]["text"]["content"] == "Tier 1 - Low"
    assert data["properties"]["Lead time days"] == {"number": 0}


def test_yaml_problems_name_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "release-tiers" / "bad.yaml"
    path.parent.mkdir()
    path.write_text("title: a\ntitle: b\n", encoding="utf-8")
    result = CliRunner().invoke(main, [*TO_NOTION, str(path)])
    assert result.exit_code == 1
    assert "line 2, column 1" in result.output and "duplicate" in result.output.lower()


@pytest.mark.parametrize(
    ("name", "kind"),
    [("playbook/rituals/x.md", "ritual"), ("charter.md", "charter"),
     ("a/release-tiers/t.yaml", "release-tier"), ("notes/x.md", None)],
)
def test_infer_kind(name: str, kind: str | None) -> None:
    assert infer_kind(name) == kind


def test_fmt_skips_yaml_files_named_explicitly() -> None:
    path = PLAYBOOK / "risks.yaml"
    before = path.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["fmt", "--check", str(path)])
    assert result.exit_code == 0
    assert path.read_text(encoding="utf-8") == before
