"""Markdown ⇄ Confluence storage: the corpus round trip and editor-written storage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prodops_sync.formats.confluence import (
    StorageFormatError,
    from_storage,
    placeholders,
    to_storage,
)
from prodops_sync.formats.confluence.xml import Element, is_well_formed, parse_storage
from prodops_sync.links import MappingResolver
from prodops_sync.markdown import canonical
from prodops_sync.model import key_for_path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = sorted((ROOT / "tests" / "corpus").glob("*.md"))
PLAYBOOK = sorted((ROOT / "playbook").glob("**/*.md"))
EDITOR = sorted((ROOT / "tests" / "confluence_storage").glob("*.xhtml"))


def _playbook_resolver() -> MappingResolver:
    """Every playbook document gets a page title, as after a first push."""
    titles = {}
    for path in sorted((ROOT / "playbook").glob("**/*")):
        if path.suffix in (".md", ".yaml"):
            key = key_for_path(path.relative_to(ROOT / "playbook").as_posix())
            titles[key] = f"Page {key}"
    return MappingResolver(titles=titles)


RESOLVER = _playbook_resolver()


def _round_trip(md: str, key: str, resolver: MappingResolver | None) -> tuple[str, str]:
    storage = to_storage(md, current_key=key, resolver=resolver)
    return storage, from_storage(storage, current_key=key, resolver=resolver)


def test_corpus_present() -> None:
    assert len(CORPUS) >= 25, "the shared corpus tests/corpus/*.md is missing"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_round_trip(path: Path) -> None:
    md = canonical(path.read_text(encoding="utf-8"))
    for resolver in (None, RESOLVER):
        storage, back = _round_trip(md, "rituals/corpus-page", resolver)
        assert is_well_formed(storage)
        assert back == md


@pytest.mark.parametrize("path", PLAYBOOK, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_playbook_round_trip(path: Path) -> None:
    key = key_for_path(path.relative_to(ROOT / "playbook").as_posix())
    md = canonical(path.read_text(encoding="utf-8"))
    _storage, back = _round_trip(md, key, RESOLVER)
    assert back == md


def test_playbook_links_become_page_links() -> None:
    md = "See [the template](../templates/weekly.md#agenda) and [tier](../release-tiers/t1.yaml).\n"
    resolver = MappingResolver(titles={"templates/weekly": "Weekly & co", "release-tiers/t1": "T1"})
    storage = to_storage(md, current_key="rituals/x", resolver=resolver)
    assert '<ac:link ac:anchor="agenda"><ri:page ri:content-title="Weekly &amp; co" />' in storage
    assert '<ri:page ri:content-title="T1" />' in storage
    assert from_storage(storage, current_key="rituals/x", resolver=resolver) == md
    # Without a title for the target the link stays a relative link, and still round-trips.
    plain = to_storage(md, current_key="rituals/x", resolver=MappingResolver())
    assert "ac:link" not in plain and 'href="../templates/weekly.md#agenda"' in plain


@pytest.mark.parametrize(
    ("md", "fragment"),
    [
        ("# T\n", "<h1>T</h1>"),
        ("a *b* **c** ~~d~~ `e`\n", "a <em>b</em> <strong>c</strong> <s>d</s> <code>e</code>"),
        ("a\\\nb\n", "a<br />b"),
        ("***\n", "<hr />"),
        ("> [!NOTE]\n> n\n", '<ac:structured-macro ac:name="info"'),
        ("> [!TIP]\n> n\n", '<ac:structured-macro ac:name="tip"'),
        ("> [!IMPORTANT]\n> n\n", '<ac:parameter ac:name="title">Important</ac:parameter>'),
        ("> [!WARNING]\n> n\n", '<ac:structured-macro ac:name="note"'),
        ("> [!CAUTION]\n> n\n", '<ac:structured-macro ac:name="warning"'),
        ("```py\nx = ']]>'\n```\n", "<![CDATA[x = ']]]]><![CDATA[>']]>"),
        (
            "![alt](https://x.org/i.png)\n",
            '<ac:image ac:alt="alt"><ri:url ri:value="https://x.org/i.png" />',
        ),
        (
            'a & <b> "q" \U0001f600\n',
            'a &amp; <span class="md-html">&lt;b&gt;</span> "q" &#x1F600;',
        ),
        (
            "- [ ] a\n- [x] b\n",
            "<ac:task-status>complete</ac:task-status><ac:task-body>b</ac:task-body>",
        ),
    ],
)
def test_storage_forms(md: str, fragment: str) -> None:
    storage = to_storage(canonical(md))
    assert fragment in storage
    assert from_storage(storage) == canonical(md)


def test_task_ids_are_stable_and_deterministic() -> None:
    ids = re.compile(r"<ac:task-id>(\d+)</ac:task-id>")
    one = ids.findall(to_storage("- [ ] a\n- [ ] b\n", current_key="k"))
    two = ids.findall(to_storage("- [ ] new\n- [ ] a\n- [ ] b\n", current_key="k"))
    assert len(set(one)) == 2 and two[1:] == one
    assert ids.findall(to_storage("- [ ] a\n- [ ] a\n", current_key="k"))[0] == one[0]


def test_no_raw_html_passthrough() -> None:
    md = canonical('<script>alert("x")</script>\n\nText <img src=x onerror=alert(1)> here.\n')
    storage = to_storage(md)

    def tags(el: Element) -> set[str]:
        return {el.tag}.union(*(tags(c) for c in el.elements()))

    assert tags(parse_storage(storage).root).isdisjoint({"script", "img"})
    assert from_storage(storage) == md


@pytest.mark.parametrize("path", EDITOR, ids=lambda p: p.name)
def test_editor_storage_pulls_and_is_stable(path: Path) -> None:
    original = path.read_text(encoding="utf-8")
    resolver = MappingResolver(titles={"rituals/weekly-product-update": "Weekly product update"})
    md = from_storage(original, current_key="decisions/d", resolver=resolver, page=path.name)
    assert md == canonical(md)
    pushed = to_storage(md, current_key="decisions/d", resolver=resolver)
    assert is_well_formed(pushed)
    # Every placeholder is written back byte for byte, exactly as it was in the original.
    for match in re.finditer(r"<!-- confluence:(?:xhtml|open|close) [^\n]*? -->", md):
        found = placeholders.read(match.group(0))
        assert found is not None
        assert found[1] in original and found[1] in pushed
    # Pull -> push -> pull -> push is a fixed point.
    again = from_storage(pushed, current_key="decisions/d", resolver=resolver)
    assert again == md
    assert to_storage(again, current_key="decisions/d", resolver=resolver) == pushed


def test_editor_storage_exact_where_our_form_is_the_editors() -> None:
    exact = [
        p
        for p in EDITOR
        if p.stem.split("-", 1)[0] in {"03", "04", "06", "09", "11", "16", "26", "30"}
    ]
    assert len(exact) == 8
    for path in exact:
        original = path.read_text(encoding="utf-8")
        assert to_storage(from_storage(original)) == original, path.name


def test_editor_constructs_read_cleanly() -> None:
    def pull(name: str) -> str:
        [path] = [p for p in EDITOR if p.stem.startswith(name)]
        return from_storage(path.read_text(encoding="utf-8"))

    assert pull("03") == "- Plan\n  - Draft the brief\n  - Review with **PM lead**\n- Ship\n"
    assert pull("05").startswith("| **Tier** | **Notice** |\n")
    assert pull("07") == "> [!NOTE]\n> This page is synced from Git.\n\nBody.\n"
    assert pull("19").startswith("Line one\\\nLine two\\\n")
    assert pull("20") == "- [x] Book the room\n- [ ] Send the **agenda**\n"
    assert "\\*stars\\*" in pull("23") and "Café & crème" in pull("23")
    assert pull("29") == "First\n\n## Next\n\nSecond\n"


def test_edited_placeholder_that_breaks_xhtml_is_refused() -> None:
    md = from_storage('<p>a <span style="color: red;">b</span> c</p>')
    broken = re.sub(r"`confluence:close [^`]*`", "", md)
    with pytest.raises(StorageFormatError, match="placeholders"):
        to_storage(broken, current_key="k")


def test_placeholder_encoding_round_trips() -> None:
    payload = '<ac:x a="--->">a|b%c\n-- -</ac:x>'
    comment = placeholders.make(placeholders.ATOMIC, payload)
    assert "\n" not in comment and "--" not in comment[4:-3] and "|" not in comment
    assert placeholders.read(comment) == (placeholders.ATOMIC, payload)
    assert canonical(f"x {comment} y\n") == f"x {comment} y\n"


def test_offsets_survive_entities_and_non_ascii() -> None:
    text = '<p>é&nbsp;<b x="&amp;">ü</b></p>'
    source = parse_storage(text)
    [p] = source.root.elements()
    [b] = p.elements()
    assert source.outer(p) == text and source.outer(b) == '<b x="&amp;">ü</b>'


def test_cdata_keeps_non_ascii_and_entity_lookalikes() -> None:
    md = "```text\ncafé &nbsp; &amp; ]]> 😀\n```\n"
    storage = to_storage(md)
    assert "<![CDATA[café &nbsp; &amp; ]]]]><![CDATA[> 😀]]>" in storage
    assert from_storage(storage) == md
