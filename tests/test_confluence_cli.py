"""`prodops-sync convert` between Markdown and Confluence storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from prodops_sync.cli import main
from prodops_sync.cli.convert import split_front_matter
from prodops_sync.kinds import kind_for_path
from prodops_sync.markdown import canonical

ROOT = Path(__file__).resolve().parents[1]
PLAYBOOK_MD = sorted((ROOT / "playbook").glob("**/*.md"))


@pytest.mark.parametrize("path", PLAYBOOK_MD, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_convert_playbook_file_both_ways(path: Path, tmp_path: Path) -> None:
    kind = kind_for_path(path.relative_to(ROOT / "playbook").as_posix())
    assert kind is not None
    runner = CliRunner()
    pushed = runner.invoke(
        main,
        ["convert", "--from", "markdown", "--to", "confluence", "--kind", kind.name, str(path)],
    )
    assert pushed.exit_code == 0, pushed.output
    assert pushed.output.startswith('<ac:structured-macro ac:name="details"')
    storage = tmp_path / "page.xhtml"
    storage.write_text(pushed.output, encoding="utf-8")
    pulled = runner.invoke(
        main,
        ["convert", "--from", "confluence", "--to", "markdown", "--kind", kind.name, str(storage)],
    )
    assert pulled.exit_code == 0, pulled.output
    # Fields and body come back exactly (YAML quoting style is the front-matter writer's).
    expected_fields, expected_body = split_front_matter(canonical(path.read_text(encoding="utf-8")))
    fields, body = split_front_matter(pulled.output)
    assert fields == expected_fields
    assert body == expected_body


def test_convert_without_kind_keeps_front_matter(tmp_path: Path) -> None:
    source = tmp_path / "doc.md"
    source.write_text("---\ntitle: X\n---\n\n# Hello\n", encoding="utf-8")
    runner = CliRunner()
    pushed = runner.invoke(
        main, ["convert", "--from", "markdown", "--to", "confluence", str(source)]
    )
    assert pushed.exit_code == 0
    storage = tmp_path / "doc.xhtml"
    storage.write_text(pushed.output, encoding="utf-8")
    pulled = runner.invoke(
        main, ["convert", "--from", "confluence", "--to", "markdown", str(storage)]
    )
    assert pulled.output == "---\ntitle: X\n---\n\n# Hello\n"


def test_malformed_storage_is_one_line_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xhtml"
    bad.write_text("<p>ok</p>\n<p>x<b></p>", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["convert", "--from", "confluence", "--to", "markdown", str(bad)]
    )
    assert result.exit_code == 1
    assert result.output.strip().endswith("line 2, column 10: malformed XHTML: mismatched tag")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
