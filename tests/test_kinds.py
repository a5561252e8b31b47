"""The kinds registry: built-in kinds as data, team kinds from prodops-sync.yaml, switching
built-ins off, config errors with lines, free pages in the loader and validator, docgen."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from prodops_sync import docgen
from prodops_sync.cli import main
from prodops_sync.kinds import BUILTIN, BUILTIN_DECLARATIONS, PAGE_KIND, use
from prodops_sync.playbook.loader import load_playbook
from prodops_sync.sync.config import ConfigError, find_registry, load_config
from prodops_sync.validate import check_playbook
from tests.kinds_fixture import make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def _check(repo: Path):  # type: ignore[no-untyped-def]
    with use(find_registry(repo / "playbook")):
        return check_playbook(repo / "playbook")


def _errors(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{p.file}:{p.line}:{p.column}: {p.field}: {p.message}" for p in report.problems
            if p.severity == "error"]


def test_builtin_kinds_are_declared_as_data() -> None:
    assert [k.name for k in BUILTIN.kinds] == list(BUILTIN_DECLARATIONS)
    ritual = BUILTIN["ritual"]
    assert (ritual.directory, ritual.collection, ritual.title_field) == (
        "rituals", "Rituals", "title")
    assert BUILTIN.for_path("pages/a/b/c.md").name == PAGE_KIND
    assert BUILTIN.for_path("okrs/x.md") is None


def test_team_kinds_validate_and_cross_reference(repo: Path) -> None:
    report = _check(repo)
    assert _errors(report) == []
    with use(find_registry(repo / "playbook")):
        counts = report.counts_by_kind()
    assert counts["okr"] == 1 and counts["service"] == 1
    assert counts[PAGE_KIND] == 5  # glossary, guides, onboarding, billing, runbooks (folder)
    by_key = {d.key: d for d in report.documents}
    with use(find_registry(repo / "playbook")):
        assert by_key["services/billing"].title == "Billing"  # title_field: name
        assert by_key["okrs/activation"].title == "Make activation self-serve"


def test_team_kind_schema_errors_name_file_line_and_column(repo: Path) -> None:
    path = repo / "playbook/okrs/activation.md"
    path.write_text(path.read_text().replace("quarter: 2026-Q3", "quarter: Q3")
                    .replace("confidence: 0.7", "confidence: 7"))
    (repo / "playbook/services/billing.yaml").write_text(
        "name: Billing\nowner: Payments team\nlifecycle: live\nrunbook: pages/runbooks/nope\n")
    errors = _errors(_check(repo))
    assert "okrs/activation.md:3:10: $.quarter: 'Q3' does not match '^20[0-9]{2}-Q[1-4]$'" \
        in errors
    assert any(e.startswith("okrs/activation.md:6:13: $.confidence:") for e in errors)
    assert any(e.startswith("services/billing.yaml:3:12: $.lifecycle: 'live' is not one of")
               for e in errors)
    assert "services/billing.yaml:4:10: $.runbook: 'pages/runbooks/nope' does not exist" \
        in errors


def test_x_ref_between_kinds_reports_the_wrong_kind(repo: Path) -> None:
    path = repo / "playbook/okrs/activation.md"
    path.write_text(path.read_text().replace("  - services/billing", "  - services/payroll")
                    .replace("rituals/weekly-product-update", "rituals/standup"))
    errors = _errors(_check(repo))
    assert "okrs/activation.md:7:16: $.review_ritual: 'rituals/standup' does not exist" in errors
    assert "okrs/activation.md:9:5: $.supports[0]: 'services/payroll' does not exist" in errors


def test_unknown_file_hint_names_pages_and_kinds(repo: Path) -> None:
    (repo / "playbook/interviews").mkdir()
    (repo / "playbook/interviews/loop.md").write_text("---\ntitle: Loop\n---\n")
    problems = [p for p in _check(repo).problems if p.code == "unknown-file"]
    assert [p.file for p in problems] == ["interviews/loop.md"]
    assert "pages/" in problems[0].message and "kinds:" in problems[0].message
    assert "okrs/*.md" in problems[0].message  # team kinds are among the expected places


def test_switching_off_builtin_kinds(repo: Path) -> None:
    config = repo / "prodops-sync.yaml"
    config.write_text(config.read_text().replace(
        "kinds:\n", "kinds:\n  charter: false\n  release-tier: false\n"))
    registry = load_config(config).registry
    assert "charter" not in registry and "release-tier" not in registry
    assert registry.disabled == {"charter", "release-tier"}
    report = _check(repo)
    codes = {p.code for p in report.problems}
    assert "charter-missing" not in codes
    unknown = sorted(p.file for p in report.problems if p.code == "unknown-file")
    assert unknown[0] == "charter.md" and all(
        f == "charter.md" or f.startswith("release-tiers/") for f in unknown)


def test_switching_off_a_kind_others_refer_to_is_a_config_error(repo: Path) -> None:
    config = repo / "prodops-sync.yaml"
    config.write_text(config.read_text().replace("kinds:\n", "kinds:\n  template: false\n"))
    with pytest.raises(ConfigError, match=r"prodops-sync.yaml:3:3: \$\.kinds\.template: kind "
                       r"'[a-z-]+': field '[a-z_]+' refers to kind 'template', which is "
                       "switched off"):
        load_config(config)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("schema: schemas/okr.schema.json", "schema: schemas/nope.json",
         r"prodops-sync.yaml:5:13: \$\.kinds\.okr\.schema: schema file 'schemas/nope.json' "
         "not found"),
        ("dir: services", "dir: rituals",
         r"prodops-sync.yaml:8:10: \$\.kinds\.service\.dir: dir 'rituals' is the same "
         "directory as kind 'ritual'"),
        ("dir: services", "dir: pages/services",
         r"prodops-sync.yaml:8:10: \$\.kinds\.service\.dir: dir 'pages/services' is a "
         "directory overlapping kind 'page'"),
        ("dir: okrs", "dir: ../okrs",
         r"prodops-sync.yaml:4:10: \$\.kinds\.okr\.dir: dir '../okrs' must be a folder inside"),
        ("  okr:\n", "  ritual:\n",
         r"prodops-sync.yaml:3:3: \$\.kinds\.ritual: 'ritual' is a built-in kind"),
        ("collection: OKRs", "collection: Rituals",
         r"prodops-sync.yaml:6:17: \$\.kinds\.okr\.collection: collection 'Rituals' is already "
         "used by kind 'ritual'"),
        ("title_field: name", "title_field: label",
         r"prodops-sync.yaml:10:18: \$\.kinds\.service\.title_field: .*no 'label' property"),
        ("format: yaml", "format: docx",
         r"prodops-sync.yaml:11:13: \$\.kinds\.service\.format: 'docx' is not allowed; "
         "use one of: markdown, yaml, any"),
    ],
)
def test_config_errors_name_file_and_line(repo: Path, old: str, new: str, message: str) -> None:
    config = repo / "prodops-sync.yaml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message):
        load_config(config)


def test_schema_that_is_not_json_names_the_schema_line(repo: Path) -> None:
    (repo / "schemas/okr.schema.json").write_text('{\n  "type": "object",\n  oops\n}\n')
    with pytest.raises(ConfigError, match=r"prodops-sync.yaml:5:13: .*not valid JSON.*"
                       r"\(schemas/okr.schema.json:3:3\)"):
        load_config(repo / "prodops-sync.yaml")


def test_invalid_json_schema_is_refused(repo: Path) -> None:
    (repo / "schemas/okr.schema.json").write_text(
        '{"type": "object", "properties": {"title": {"type": "strin"}}}')
    with pytest.raises(ConfigError, match=r"not a valid JSON Schema at \$\.properties\.title"):
        load_config(repo / "prodops-sync.yaml")


def test_free_pages_load_with_titles_and_folders(repo: Path) -> None:
    with use(find_registry(repo / "playbook")):
        docs = {d.key: d for d in load_playbook(repo / "playbook").documents
                if d.kind == PAGE_KIND}
    assert sorted(docs) == ["pages/glossary", "pages/guides/index", "pages/guides/onboarding",
                            "pages/runbooks/billing", "pages/runbooks/index"]
    assert docs["pages/guides/index"].title == "Guides"  # front matter
    assert docs["pages/guides/onboarding"].title == "Onboarding"  # first heading
    assert docs["pages/glossary"].title == "glossary"  # file name
    folder = docs["pages/runbooks/index"]  # folder without index.md: an empty page
    assert (folder.title, folder.body, folder.path) == ("runbooks", "", None)


def test_free_pages_get_markdown_rules_only(repo: Path) -> None:
    page = repo / "playbook/pages/glossary.md"
    page.write_text("---\ntitle: Glossary\nowner: me\n---\n\nSee [x](missing.md).\n"
                    "\n#### Deep\n")
    report = _check(repo)
    found = sorted((p.file, p.line, p.code) for p in report.problems
                   if p.file == "pages/glossary.md")
    assert found == [("pages/glossary.md", 3, "schema"), ("pages/glossary.md", 6,
                     "link-broken"), ("pages/glossary.md", 8, "heading-depth")]


def test_duplicate_page_titles_only_clash_among_siblings(repo: Path) -> None:
    (repo / "playbook/pages/runbooks/onboarding.md").write_text("# Onboarding\n")
    assert not [p for p in _check(repo).problems if p.code == "duplicate-title"]
    (repo / "playbook/pages/guides/welcome.md").write_text("# Onboarding\n")
    clashes = [p for p in _check(repo).problems if p.code == "duplicate-title"]
    assert [p.file for p in clashes] == ["pages/guides/welcome.md"]


def test_validate_cli_reads_the_kinds_of_the_config(repo: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["validate", "playbook"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["validate", "playbook/okrs/activation.md"])
    assert result.exit_code == 0, result.output
    (repo / "schemas/okr.schema.json").unlink()
    result = CliRunner().invoke(main, ["validate", "playbook"])
    assert result.exit_code == 2
    assert "schema file 'schemas/okr.schema.json' not found" in result.output


def test_docgen_lists_team_kinds_of_the_repo(repo: Path) -> None:
    files = docgen.generated(repo)
    text = files[repo / "docs" / "playbook-format.md"]
    assert "| [`okr`](#okr) | `okrs/*.md` or `okrs/*.yaml` |" in text
    assert "## service" in text and "| `lifecycle` |" in text
    assert "## page" in text
    with use(load_config(repo / "prodops-sync.yaml").registry):
        assert not docgen.undocumented_fields(text)


def test_validate_a_page_file_named_like_a_singleton(repo: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    page = repo / "playbook/pages/team/charter.md"
    page.parent.mkdir()
    page.write_text("# Our team charter\n\nWhat the team owns.\n")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["validate", "playbook/pages/team/charter.md"])
    assert result.exit_code == 0, result.output
    assert "page 7" in result.output  # validated as a page of the playbook, not a charter
