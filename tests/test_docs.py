"""The docs never drift: generated references are current, every command, option and schema
field is documented, links resolve, and shell completion works as docs/completion.md says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from prodops_sync import docgen

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REGEN = "run `python -m prodops_sync.docgen` and commit the result"


def test_generated_files_are_current() -> None:
    stale = [str(p.relative_to(ROOT)) for p in docgen.stale(ROOT)]
    assert not stale, f"stale generated files {stale}: {REGEN}"


def test_every_command_and_option_is_documented() -> None:
    missing = docgen.undocumented_options((DOCS / "cli.md").read_text(encoding="utf-8"))
    assert not missing, f"undocumented in docs/cli.md: {missing}; {REGEN}"


def test_every_schema_field_is_documented() -> None:
    text = (DOCS / "playbook-format.md").read_text(encoding="utf-8")
    missing = docgen.undocumented_fields(text)
    assert not missing, f"undocumented in docs/playbook-format.md: {missing}; {REGEN}"


def test_a_new_option_without_docs_is_caught() -> None:
    from prodops_sync.cli.init import init

    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    planted = click.Option(["--planted-option"], is_flag=True, help="Planted by a test.")
    init.params.append(planted)
    try:
        assert "init --planted-option" in docgen.undocumented_options(text)
        assert docgen.cli_reference() != text
        assert "`--planted-option`" in docgen.cli_reference()
    finally:
        init.params.remove(planted)


def test_a_new_command_without_docs_is_caught() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    section = text.index("\n## `prodops-sync init`")
    end = text.index("\n## ", section + 1)
    assert "command init" in docgen.undocumented_options(text[:section] + text[end:])


def test_a_new_schema_field_without_docs_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from prodops_sync import schemas

    real = schemas.load_schema

    def with_planted(kind: str) -> dict[str, Any]:
        schema = real(kind)
        if kind == "ritual":
            schema["properties"]["planted_field"] = {"type": "string", "description": "x"}
        return schema

    text = (DOCS / "playbook-format.md").read_text(encoding="utf-8")
    monkeypatch.setattr(schemas, "load_schema", with_planted)
    assert "ritual: planted_field" in docgen.undocumented_fields(text)
    assert "| `planted_field` |" in docgen.playbook_format()


def test_docgen_check_command_reports_stale_files(tmp_path: Path) -> None:
    """`python -m prodops_sync.docgen --check` on a tree without the files: exit 1, names them;
    without --check it writes them, and the check then passes."""
    run = [sys.executable, "-m", "prodops_sync.docgen", "--root", str(tmp_path)]
    proc = subprocess.run([*run, "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "docs/cli.md: stale; run `python -m prodops_sync.docgen`" in proc.stdout
    assert subprocess.run(run, capture_output=True, check=False).returncode == 0
    assert subprocess.run([*run, "--check"], capture_output=True, check=False).returncode == 0


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # links in code are examples
    text = re.sub(r"`[^`\n]*`", "", text)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            broken.append(target)
    assert not broken, f"{page.name}: broken links {broken}"


def test_docs_index_links_every_page() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in sorted(DOCS.rglob("*.md")):
        rel = page.relative_to(DOCS).as_posix()
        if rel != "index.md":
            assert f"({rel})" in index, f"docs/index.md does not link {rel}"


def test_troubleshooting_covers_the_errors_users_hit() -> None:
    text = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    for needle in ("401", "403", "404", "409", "429", "conflict", "Retry-After"):
        assert needle in text, f"troubleshooting.md does not cover {needle}"


# --- shell completion --------------------------------------------------------------------------


def _complete(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("prodops-sync")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "prodops_sync"]
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.parametrize(("shell", "marker"), [
    ("bash", "complete -o nosort -F _prodops_sync_completion prodops-sync"),
    ("zsh", "compdef _prodops_sync_completion prodops-sync"),
    ("fish", "complete --no-files --command prodops-sync"),
])
def test_completion_scripts(shell: str, marker: str) -> None:
    if not Path(sys.executable).with_name("prodops-sync").exists():
        pytest.skip("the prodops-sync console script is not installed")
    proc = _complete({"_PRODOPS_SYNC_COMPLETE": f"{shell}_source"})
    assert proc.returncode == 0, proc.stderr
    assert marker in proc.stdout
    assert f"_PRODOPS_SYNC_COMPLETE={shell}_source prodops-sync" in (
        DOCS / "completion.md"
    ).read_text(encoding="utf-8")


def test_completion_offers_commands_and_options() -> None:
    if not Path(sys.executable).with_name("prodops-sync").exists():
        pytest.skip("the prodops-sync console script is not installed")
    proc = _complete({"_PRODOPS_SYNC_COMPLETE": "bash_complete", "COMP_WORDS": "prodops-sync ",
                      "COMP_CWORD": "1"})
    words = {line.split(",", 1)[1] for line in proc.stdout.splitlines() if "," in line}
    assert {"validate", "init", "push", "pull"} <= words
    proc = _complete({"_PRODOPS_SYNC_COMPLETE": "bash_complete",
                      "COMP_WORDS": "prodops-sync init --ta", "COMP_CWORD": "2"})
    assert "plain,--target" in proc.stdout.splitlines()
    proc = _complete({"_PRODOPS_SYNC_COMPLETE": "bash_complete",
                      "COMP_WORDS": "prodops-sync init --target ", "COMP_CWORD": "3"})
    assert {"plain,notion", "plain,confluence"} <= set(proc.stdout.splitlines())
