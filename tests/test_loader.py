"""Loader: positions, dates, front matter, canonical bodies, YAML edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodops_sync.kinds import BUILTIN
from prodops_sync.markdown import canonical
from prodops_sync.playbook import (
    PlaybookError,
    load_document,
    load_playbook,
    parse_document_text,
    parse_yaml,
    positions_of,
)
from prodops_sync.playbook.loader import PositionSource
from prodops_sync.schemas import example_playbook_dir

KINDS = BUILTIN.collection_kinds

EXAMPLE = Path(__file__).resolve().parent.parent / "playbook"

RITUAL = """---
title: Standup
cadence: weekly
date_field: 2026-01-05
agenda:
  - minutes: 5
    item: Hello
---

Body   text with  spaces.

* item
"""


def test_parse_document_text_fields_positions_and_body() -> None:
    doc = parse_document_text(RITUAL, "rituals/standup.md")
    assert (doc.key, doc.kind, doc.path) == ("rituals/standup", "ritual", "rituals/standup.md")
    assert doc.fields["date_field"] == "2026-01-05"  # dates stay ISO strings
    assert doc.fields["agenda"] == [{"minutes": 5, "item": "Hello"}]
    pos = positions_of(doc)
    assert pos.of_value(("cadence",)) == (3, 10)
    assert pos.of_key(("cadence",)) == (3, 1)
    assert pos.of_value(("agenda", 0, "item")) == (7, 11)
    assert pos.of_value(("agenda", 0, "missing")) == (6, 5)  # nearest ancestor
    assert doc.body == canonical("Body   text with  spaces.\n\n* item\n")
    assert doc.extra["body_line"] == 9


def test_yaml_kind_has_no_body() -> None:
    doc = parse_document_text("title: T\ntier: 1\n", "release-tiers/t.yaml")
    assert (doc.kind, doc.body, doc.fields) == ("release-tier", "", {"title": "T", "tier": 1})


@pytest.mark.parametrize(
    ("text", "relpath", "code", "line"),
    [
        ("title: x\n", "notes/x.md", "unknown-file", 1),
        ("", "rituals/x.md", "empty-file", 1),
        ("# no front matter\n", "rituals/x.md", "front-matter-missing", 1),
        ("---\ntitle: x\n", "rituals/x.md", "front-matter-unclosed", 1),
        ("---\ntitle: x\ntitle: y\n---\n", "rituals/x.md", "yaml-duplicate-key", 3),
        ("---\n- a\n- b\n---\n", "rituals/x.md", "yaml-not-mapping", 2),
        ("title: [x\n", "risks.yaml", "yaml-syntax", 2),
        ("a: &x {b: 1}\nc:\n  <<: *x\n", "risks.yaml", "yaml-unsupported", 3),
        ("? [a]\n: b\n", "risks.yaml", "yaml-unsupported", 1),
        ("a: &a [*a]\n", "risks.yaml", "yaml-too-complex", 1),
        ("title: x\n---\ntitle: y\n", "risks.yaml", "yaml-syntax", 2),
        ("ok: 1\n<<<<<<< HEAD\n", "risks.yaml", "conflict-marker", 2),
    ],
)
def test_parse_errors_carry_position_and_code(text: str, relpath: str, code: str,
                                              line: int) -> None:
    with pytest.raises(PlaybookError) as info:
        parse_document_text(text, relpath)
    assert (info.value.code, info.value.line, info.value.file) == (code, line, relpath)
    problem = info.value.to_problem()
    assert problem.severity == "error" and problem.code == code


def test_setext_underline_is_not_a_conflict_marker() -> None:
    doc = parse_document_text("---\ntitle: x\n---\n\nTitle\n=======\n", "rituals/x.md")
    assert doc.body == "# Title\n"


def test_timestamps_and_scalars() -> None:
    data, _ = parse_yaml("d: 2026-01-05\nt: 2026-01-05T10:00:00Z\nn: null\nb: yes\nf: 1.5\n"
                         "s: '2026-01-05'\n", "x.yaml")
    assert data == {"d": "2026-01-05", "t": "2026-01-05T10:00:00Z", "n": None, "b": True,
                    "f": 1.5, "s": "2026-01-05"}


def test_load_example_playbook() -> None:
    result = load_playbook(EXAMPLE)
    assert result.problems == []
    kinds = {doc.kind for doc in result.documents}
    assert kinds == {k.name for k in KINDS}
    counts = {k: sum(d.kind == k for d in result.documents) for k in kinds}
    assert counts["ritual"] >= 5 and counts["template"] >= 5 and counts["decision"] >= 4
    assert counts["release-tier"] == 3


@pytest.mark.parametrize("path", sorted(p.relative_to(EXAMPLE).as_posix()
                                        for p in EXAMPLE.rglob("*.md")))
def test_example_markdown_files_are_canonical(path: str) -> None:
    text = (EXAMPLE / path).read_text(encoding="utf-8")
    assert canonical(text) == text


def test_example_playbook_dir_points_at_the_example() -> None:
    assert (example_playbook_dir() / "charter.md").read_bytes() == \
        (EXAMPLE / "charter.md").read_bytes()


def test_load_document_reads_crlf_and_bom(tmp_path: Path) -> None:
    (tmp_path / "risks.yaml").write_bytes(b"\xef\xbb\xbftitle: T\r\nowner: O\r\n")
    doc, problems = load_document(tmp_path, "risks.yaml")
    assert problems == [] and doc is not None
    assert doc.fields == {"title": "T", "owner": "O"}


def test_missing_playbook_directory(tmp_path: Path) -> None:
    result = load_playbook(tmp_path / "nope")
    assert [p.code for p in result.problems] == ["playbook-missing"]


def test_failed_files_are_remembered(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "x.md").write_text("---\na: [\n---\n")
    result = load_playbook(tmp_path)
    assert result.failed_keys == {"templates/x"}
    assert result.documents == []


def test_positions_are_worked_out_from_the_front_matter_only_when_asked() -> None:
    text = "---\ntitle: Weekly\ncadence: weekly\nowners:\n  - pm\n---\n# Body\n"
    doc = parse_document_text(text, "rituals/weekly.md")
    kept = doc.extra["positions"]
    assert isinstance(kept, PositionSource), "positions are not built for a valid document"
    expected = parse_yaml("title: Weekly\ncadence: weekly\nowners:\n  - pm\n",
                          "rituals/weekly.md", line_offset=1)[1]
    assert positions_of(doc) == expected
    assert positions_of(doc).of_value(("owners", 0)) == (5, 5)
    assert doc.extra["positions"] == expected, "worked out once, then kept"


def test_validating_a_valid_playbook_works_out_no_positions() -> None:
    from prodops_sync.validate import check_playbook

    report = check_playbook(example_playbook_dir())
    assert not [p for p in report.problems if p.severity == "error"]
    worked_out = [d.key for d in report.documents
                  if not isinstance(d.extra.get("positions"), PositionSource)
                  and d.path and not d.path.startswith("pages/")]
    assert worked_out == []
