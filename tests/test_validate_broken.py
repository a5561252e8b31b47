"""Broken playbooks, one defect each: the example playbook copied to a temporary directory
with a single edit. Each test asserts the exact file, line, field and rule reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from prodops_sync.playbook.problems import Problem
from prodops_sync.validate import validate_playbook

EXAMPLE = Path(__file__).resolve().parent.parent / "playbook"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A fresh copy of the example playbook."""
    root = tmp_path / "playbook"
    shutil.copytree(EXAMPLE, root)
    return root


def edit(root: Path, relpath: str, old: str, new: str) -> int:
    """Replace the single occurrence of ``old`` in the file; return the 1-based line where
    ``new`` starts (where a problem about it should be reported)."""
    path = root / relpath
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {relpath}"
    start = text.index(old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:start].count("\n") + 1


def line_of(root: Path, relpath: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, line in enumerate((root / relpath).read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {relpath}")


def errors(root: Path) -> list[Problem]:
    return [p for p in validate_playbook(root) if p.severity == "error"]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_example_playbook_is_valid(book: Path) -> None:
    assert validate_playbook(book) == []


def test_bad_enum(book: Path) -> None:
    line = edit(book, "rituals/weekly-product-update.md", "cadence: weekly", "cadence: sometimes")
    p = only(errors(book))
    assert (p.file, p.line, p.column, p.field, p.code) == (
        "rituals/weekly-product-update.md", line, 10, "$.cadence", "schema")
    assert p.message.startswith("'sometimes' is not one of ['daily', 'weekly'")


def test_missing_required_field(book: Path) -> None:
    edit(book, "templates/insights-digest.md", "owner: Product Ops lead\n", "")
    p = only(errors(book))
    assert (p.file, p.line, p.field, p.code) == ("templates/insights-digest.md", 2, "$.owner",
                                                 "schema")
    assert "'owner' is a required property" in p.message


def test_ritual_output_without_template(book: Path) -> None:
    line = edit(book, "rituals/quarterly-planning.md", "output_artifact: templates/quarterly-plan",
                "output_artifact: templates/quarterly-report")
    p = only(errors(book))
    assert (p.file, p.line, p.column, p.field, p.code) == (
        "rituals/quarterly-planning.md", line, 18, "$.output_artifact", "ritual-output-missing")


def test_ritual_without_output_is_just_a_meeting(book: Path) -> None:
    edit(book, "rituals/quarterly-planning.md", "output_artifact: templates/quarterly-plan\n", "")
    p = only(errors(book))
    assert (p.file, p.field) == ("rituals/quarterly-planning.md", "$.output_artifact")


def test_output_artifact_must_be_a_template(book: Path) -> None:
    edit(book, "rituals/quarterly-planning.md", "output_artifact: templates/quarterly-plan",
         "output_artifact: rituals/weekly-product-update")
    p = only(errors(book))
    assert (p.field, p.code) == ("$.output_artifact", "schema")
    assert "is not a template key" in p.message


def test_two_accountables(book: Path) -> None:
    line = edit(book, "operating-model.md", "    accountable: [Head of Product]\n    consulted: "
                "[PMs, Engineering leads]", "    accountable: [Head of Product, Product Ops lead]"
                "\n    consulted: [PMs, Engineering leads]")
    p = only(errors(book))
    assert (p.file, p.line, p.field, p.code) == ("operating-model.md", line,
                                                 "$.raci[0].accountable", "raci-accountable")
    assert "exactly one Accountable (has 2" in p.message


def test_no_accountable(book: Path) -> None:
    edit(book, "operating-model.md", "accountable: [PM owning the decision]", "accountable: []")
    p = only(errors(book))
    assert (p.field, p.code) == ("$.raci[5].accountable", "raci-accountable")


def test_duplicate_yaml_key(book: Path) -> None:
    line = edit(book, "release-tiers/tier-1-low.yaml", "level: low\n",
                "level: low\nlevel: medium\n")
    p = only(errors(book))
    assert (p.file, p.line, p.column, p.field, p.code) == (
        "release-tiers/tier-1-low.yaml", line + 1, 1, "$.level", "yaml-duplicate-key")
    assert f"first defined on line {line}" in p.message


def test_duplicate_key_in_front_matter_nested(book: Path) -> None:
    line = edit(book, "insights-pipeline.md", "    volume: high\n    signal_quality: high\n"
                "    owner: Support lead", "    volume: high\n    volume: low\n"
                "    signal_quality: high\n    owner: Support lead")
    p = only(errors(book))
    assert (p.line, p.column, p.field) == (line + 1, 5, "$.sources[0].volume")


def test_yaml_syntax_error(book: Path) -> None:
    line = edit(book, "charter.md", "title: Product Ops Charter", "title: [unclosed")
    p = only(errors(book))
    assert (p.file, p.code) == ("charter.md", "yaml-syntax")
    assert line <= p.line <= line + 2
    assert p.message.startswith("YAML syntax error")


def test_yaml_syntax_error_line_in_yaml_file(book: Path) -> None:
    line = edit(book, "risks.yaml", "updated: 2026-11-23", "updated: : :\n  - bad")
    p = only(errors(book))
    assert (p.file, p.code, p.line) == ("risks.yaml", "yaml-syntax", line)


def test_binary_file(book: Path) -> None:
    (book / "templates" / "logo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    p = only(errors(book))
    assert (p.file, p.line, p.column, p.code) == ("templates/logo.md", 1, 1, "binary-file")


def test_unknown_file(book: Path) -> None:
    (book / "ritual").mkdir()
    (book / "ritual" / "standup.md").write_text("---\ntitle: Standup\n---\n")
    p = only(errors(book))
    assert (p.file, p.line, p.code) == ("ritual/standup.md", 1, "unknown-file")
    assert "rituals/*.md" in p.message


def test_dot_files_are_ignored(book: Path) -> None:
    (book / ".DS_Store").write_bytes(b"\x00\x01")
    (book / "rituals" / ".gitkeep").write_text("")
    assert validate_playbook(book) == []


def test_non_utf8_file(book: Path) -> None:
    (book / "rituals" / "legacy.md").write_bytes(b"---\ntitle: Caf\xe9 chat\n---\n")
    p = only(errors(book))
    assert (p.file, p.line, p.column, p.code) == ("rituals/legacy.md", 2, 11, "encoding")


def test_empty_file(book: Path) -> None:
    (book / "decisions" / "0006-empty.md").write_text("\n  \n")
    p = only(errors(book))
    assert (p.file, p.code) == ("decisions/0006-empty.md", "empty-file")


def test_file_over_size_limit(book: Path) -> None:
    text = (book / "templates/insights-digest.md").read_text()
    (book / "templates/insights-digest.md").write_text(text + "x" * (1024 * 1024))
    p = only(errors(book))
    assert (p.file, p.code) == ("templates/insights-digest.md", "too-large")


def test_unknown_field(book: Path) -> None:
    line = edit(book, "rituals/monthly-insights-review.md", "cadence: monthly",
                "cadence: monthly\ncadense: monthly")
    p = only(errors(book))
    assert (p.file, p.line, p.column, p.field, p.code) == (
        "rituals/monthly-insights-review.md", line + 1, 1, "$.cadense", "schema")
    assert p.message.startswith("unknown field 'cadense'")


def test_nested_unknown_field(book: Path) -> None:
    line = edit(book, "charter.md", "  - name: Ad-hoc status requests",
                "  - name: Ad-hoc status requests\n    unit: messages")
    p = only(errors(book))
    assert (p.line, p.column, p.field) == (line + 1, 5, "$.success_metrics[1].unit")


def test_bad_date(book: Path) -> None:
    line = edit(book, "decisions/0002-centralised-product-ops.md", "review_date: 2027-02-26",
                "review_date: 2027-02-30")
    p = only(errors(book))
    assert (p.line, p.column, p.field, p.code) == (line, 14, "$.review_date", "schema")
    assert "is not a date" in p.message


def test_broken_internal_link(book: Path) -> None:
    edit(book, "charter.md", "[insights pipeline](insights-pipeline.md)",
         "[insights pipeline](insights-pipelines.md)")
    p = only(errors(book))
    assert (p.file, p.line, p.field, p.code) == (
        "charter.md", line_of(book, "charter.md", "insights-pipelines.md"), "$body",
        "link-broken")


def test_link_to_a_playbook_document_that_does_not_exist(book: Path) -> None:
    edit(book, "charter.md", "(operating-model.md)", "(rituals/daily-standup.md)")
    p = only(errors(book))
    assert "'rituals/daily-standup.md', which is not in the playbook" in p.message


def test_broken_link_in_list_inside_yaml_linked_file(book: Path) -> None:
    edit(book, "decisions/0003-three-release-tiers.md", "(../release-tiers/tier-2-medium.yaml)",
         "(../release-tiers/tier-4-extreme.yaml)")
    p = only(errors(book))
    assert p.line == line_of(book, "decisions/0003-three-release-tiers.md", "tier-4-extreme")


def test_external_and_anchor_links_are_not_checked(book: Path) -> None:
    text = (book / "charter.md").read_text()
    (book / "charter.md").write_text(
        text + "\nSee [x](https://example.com/a.md), [y](#why-now) and [z](../README.md).\n")
    assert errors(book) == []


def test_supersedes_mismatch(book: Path) -> None:
    line = edit(book, "decisions/0001-slack-only-weekly-update.md",
                "superseded_by: decisions/0004-wiki-weekly-update",
                "superseded_by: decisions/0002-centralised-product-ops")
    found = errors(book)
    assert [(p.file, p.line, p.field, p.code) for p in found] == [
        ("decisions/0001-slack-only-weekly-update.md", line, "$.superseded_by",
         "supersedes-mismatch"),
        ("decisions/0004-wiki-weekly-update.md",
         line_of(book, "decisions/0004-wiki-weekly-update.md", "  - decisions/0001"),
         "$.supersedes[0]", "supersedes-mismatch"),
    ]


def test_supersedes_missing_target(book: Path) -> None:
    edit(book, "decisions/0004-wiki-weekly-update.md",
         "  - decisions/0001-slack-only-weekly-update", "  - decisions/0009-nothing")
    found = errors(book)
    assert ("decisions/0004-wiki-weekly-update.md", "$.supersedes[0]", "ref-missing") in [
        (p.file, p.field, p.code) for p in found]
    # and 0001 now points at a successor that does not point back
    assert any(p.file.startswith("decisions/0001") and p.code == "supersedes-mismatch"
               for p in found)


def test_superseded_status_needs_successor(book: Path) -> None:
    edit(book, "decisions/0005-dedicated-feedback-tool.md", "status: rejected",
         "status: superseded")
    p = only(errors(book))
    assert (p.field, p.code) == ("$.status", "supersedes-mismatch")


def test_decision_review_before_date(book: Path) -> None:
    edit(book, "decisions/0003-three-release-tiers.md", "review_date: 2027-01-15",
         "review_date: 2026-01-15")
    assert only(errors(book)).code == "decision-review-date"


def test_charter_without_non_goals(book: Path) -> None:
    text = (book / "charter.md").read_text()
    start = text.index("non_goals:\n")
    end = text.index("decision_rights:")
    (book / "charter.md").write_text(text[:start] + "non_goals: []\n" + text[end:])
    p = only(errors(book))
    assert (p.file, p.line, p.field, p.code) == ("charter.md", line_of(book, "charter.md",
                                                 "non_goals"), "$.non_goals", "charter-non-goals")


def test_charter_without_measurable_metric(book: Path) -> None:
    text = (book / "charter.md").read_text()
    start = text.index("success_metrics:\n")
    end = text.index("key_risks:")
    metric = ("success_metrics:\n  - name: Happiness\n    baseline: unknown\n"
              "    target: more\n    measured_by: vibes\n")
    (book / "charter.md").write_text(text[:start] + metric + text[end:])
    p = only(errors(book))
    assert (p.field, p.code) == ("$.success_metrics", "charter-metrics")


def test_no_next_steps(book: Path) -> None:
    text = (book / "risks.yaml").read_text()
    (book / "risks.yaml").write_text(text[: text.index("next_steps:")] + "next_steps: []\n")
    p = only(errors(book))
    assert (p.file, p.field, p.code) == ("risks.yaml", "$.next_steps", "next-steps-missing")


def test_missing_risks_file(book: Path) -> None:
    (book / "risks.yaml").unlink()
    found = errors(book)
    assert [(p.file, p.code) for p in found] == [
        ("risks.yaml", "risks-missing"),
        ("rollout-plan.md", "link-broken"),  # the plan links to risks.yaml
    ]


def test_missing_optional_singleton_is_a_warning(book: Path) -> None:
    (book / "rollout-plan.md").unlink()
    (book / "charter.md").write_text((book / "charter.md").read_text())
    found = validate_playbook(book)
    assert [(p.severity, p.code) for p in found] == [("warning", "rollout-plan-missing")]


def test_conflict_markers(book: Path) -> None:
    line = edit(book, "templates/quarterly-plan.md", "## Product ops retro\n",
                "<<<<<<< ours\n## Product ops retro\n=======\n## Retro\n>>>>>>> theirs\n")
    p = only(errors(book))
    assert (p.file, p.line, p.code) == ("templates/quarterly-plan.md", line, "conflict-marker")


def test_deep_heading_is_a_warning(book: Path) -> None:
    edit(book, "templates/quarterly-plan.md", "## Product ops retro", "#### Product ops retro")
    found = validate_playbook(book)
    assert [(p.file, p.line, p.severity, p.code) for p in found] == [
        ("templates/quarterly-plan.md", line_of(book, "templates/quarterly-plan.md", "####"),
         "warning", "heading-depth")]


def test_non_canonical_body_is_a_warning(book: Path) -> None:
    edit(book, "rituals/weekly-product-update.md", "- Five bullets", "* Five bullets")
    p = only(validate_playbook(book))
    assert (p.severity, p.code) == ("warning", "not-canonical")


def test_alias_bomb_is_refused(book: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    (book / "release-tiers" / "tier-9-bomb.yaml").write_text(bomb)
    p = only(errors(book))
    assert (p.file, p.code) == ("release-tiers/tier-9-bomb.yaml", "yaml-too-complex")


def test_symlink_outside_playbook(book: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret\n---\n")
    (book / "templates" / "secret.md").symlink_to(outside)
    (book / "decisions" / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    found = errors(book)
    assert sorted((p.file, p.code) for p in found) == [
        ("decisions/elsewhere", "symlink-outside"), ("templates/secret.md", "symlink-outside")]


def test_duplicate_title_in_collection(book: Path) -> None:
    edit(book, "templates/quarterly-plan.md", "title: Quarterly Plan", "title: Insights Digest")
    p = only(errors(book))
    assert (p.field, p.code) == ("$.title", "duplicate-title")


def test_front_matter_missing(book: Path) -> None:
    (book / "rituals" / "standup.md").write_text("# Standup\n\nEvery day.\n")
    p = only(errors(book))
    assert (p.file, p.line, p.code) == ("rituals/standup.md", 1, "front-matter-missing")


def test_placeholder_owner(book: Path) -> None:
    edit(book, "templates/quarterly-plan.md", "owner: Head of Product", "owner: TBD")
    p = only(errors(book))
    assert (p.field, p.code) == ("$.owner", "owner-missing")


def test_duplicate_tier_number(book: Path) -> None:
    edit(book, "release-tiers/tier-3-high.yaml", "tier: 3", "tier: 2")
    p = only(errors(book))
    assert (p.file, p.code) == ("release-tiers/tier-3-high.yaml", "tier-duplicate")
