"""The validate speed-ups (#21) give the same answers as the slow paths they shortcut."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from prodops_sync.markdown import canonical, canonical_with_outline, outline, parse
from prodops_sync.playbook import yamlpos
from prodops_sync.playbook.loader import load_playbook, split_front_matter
from prodops_sync.playbook.problems import PlaybookError
from prodops_sync.validate import validate_documents

REPO = Path(__file__).resolve().parent.parent

TRICKY_YAML = [
    "a: 1\n", "a:\n", "a: [1, 2]\nb: {c: d}\n", "title: café — ☕ 😀\n", "a: 1\na: 2\n",
    "a: &x [1]\nb: *x\n", "<<: {a: 1}\n", "? a\n: b\n", "a: {b: , c: d}\n", "a: x\tb\n",
    "a: !!str 1\n", "a: >#\n  x\n", "- - - x\n", "a: 2026-01-01\n", "a: [\n", "a: 'x\n",
    "\ufeffa: 1\n", "a: 1", "---\na: 1\n...\n", "a: b: c\n", "key with spaces: yes\n",
]


def _outcome(parse_yaml, text):  # type: ignore[no-untyped-def]
    try:
        data, positions = parse_yaml(text, "f.yaml", 1)
    except PlaybookError as exc:
        return ("error", exc.to_problem())
    return ("ok", repr(data), positions.values, positions.keys)


def _example_yaml() -> list[str]:
    texts = []
    for path in sorted((REPO / "playbook").rglob("*")):
        if path.suffix == ".md":
            texts.append(split_front_matter(path.read_text(encoding="utf-8"), path.name)[0])
        elif path.suffix == ".yaml":
            texts.append(path.read_text(encoding="utf-8"))
    return texts


@pytest.mark.parametrize("text", TRICKY_YAML + _example_yaml())
def test_libyaml_path_matches_pure_python(text: str) -> None:
    assert _outcome(yamlpos.parse_yaml, text) == _outcome(yamlpos._parse_pure, text)


def test_canonical_outline_matches_a_separate_parse() -> None:
    for path in sorted((REPO / "playbook").rglob("*.md")):
        body = split_front_matter(path.read_text(encoding="utf-8"), path.name)[1]
        text, found = canonical_with_outline(body)
        assert text == canonical(body)
        assert found == outline(parse(body))


def test_char_reference_escaping_unchanged() -> None:
    # mdformat escapes text that would read as a character reference; the fast path only
    # skips texts without '&'.
    text = "a &amp;amp; b &copy; c & d &#65; e\n\n\\&x; and `&amp;`\n"
    assert canonical(text) == canonical(canonical(text))
    assert "&" in canonical(text)


def test_parallel_load_gives_the_same_result(tmp_path: Path) -> None:
    root = tmp_path / "playbook"
    shutil.copytree(REPO / "playbook", root)
    (root / "rituals" / "broken.md").write_text("---\ntitle: [\n---\n\nx\n", encoding="utf-8")
    (root / "rituals" / "bad-link.md").write_text(
        (root / "rituals" / "weekly-product-update.md").read_text(encoding="utf-8")
        .replace("title: Weekly Product Update", "title: Bad link")
        + "\nSee [nothing](../templates/none.md).\n", encoding="utf-8")
    serial = load_playbook(root, workers=1)
    parallel = load_playbook(root, workers=2)
    assert [d.key for d in parallel.documents] == [d.key for d in serial.documents]
    assert [(d.fields, d.body) for d in parallel.documents] == \
        [(d.fields, d.body) for d in serial.documents]
    assert parallel.problems == serial.problems and parallel.failed_keys == serial.failed_keys
    assert validate_documents(parallel.documents, unloaded=parallel.failed_keys) == \
        validate_documents(serial.documents, unloaded=serial.failed_keys)
    assert any(p.code == "link-broken" for p in validate_documents(parallel.documents))
