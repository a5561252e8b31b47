"""Pages people and other tools wrote survive pull and push (tests/confluence_corpus).

The corpus holds real-shaped storage: Cloud-editor pages (``local-id`` everywhere, layouts,
ADF extensions), Data Center pages (``thead``, ``colgroup``, macros with ids), and pages
published by md2conf, mark and sphinxcontrib-confluencebuilder (v1 and v2 editor); its
README names the sources. A quarter of it is held out for bench/confluence_fidelity.py and
never tuned on, so the property tests here run on the rest (and on tests/confluence_storage).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prodops_sync.formats.confluence import from_storage, to_storage
from prodops_sync.formats.confluence.blocks import (
    carry_attributes,
    read_blocks,
    render_page,
    splice_storage,
    storage_of,
)
from prodops_sync.formats.confluence.xml import StorageFormatError, parse_storage
from prodops_sync.formats.splice import Block, block_texts, blocks_to_json, join_markdown

HERE = Path(__file__).parent
CORPUS = HERE / "confluence_corpus"


def held_out(name: str) -> bool:
    """Same split as bench/confluence_fidelity.py."""
    return hashlib.sha256(name.encode()).digest()[0] % 4 == 0


PAGES = sorted(
    p
    for p in [*CORPUS.glob("*.xhtml"), *(HERE / "confluence_storage").glob("*.xhtml")]
    if not held_out(p.name)
)


def record_of(blocks: list[Block]) -> dict[str, object]:
    return {"head": "", "head_rendered": "", "blocks": blocks_to_json(blocks)}


def test_the_corpus_is_wide() -> None:
    names = [p.name for p in CORPUS.glob("*.xhtml")]
    for prefix in ("cloud-", "dc-", "md2conf-", "mark-", "cfb-v1-", "cfb-v2-", "cfb-set-"):
        assert sum(n.startswith(prefix) for n in names) >= 5, prefix
    assert len(PAGES) >= 150


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pull_then_push_sends_the_page_back_byte_for_byte(path: Path) -> None:
    storage = path.read_text(encoding="utf-8")
    blocks = read_blocks(storage, page=path.name)
    assert storage_of(blocks) == storage
    markdown = join_markdown(b.markdown for b in blocks)
    assert markdown == from_storage(storage)
    sent, record = render_page("", markdown, record_of(blocks), page=path.name)
    assert sent == storage  # nothing changed: sync sends no update
    assert record["blocks"] == blocks_to_json(blocks)
    # Without a base (full rendering) the page is never refused nor wrapped into code.
    full = to_storage(markdown)
    assert "Markdown HTML" not in full or "Markdown HTML" in storage
    assert from_storage(full) == markdown


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(PAGES), st.data())
def test_one_block_edited_only_that_block_differs(path: Path, data: st.DataObject) -> None:
    storage = path.read_text(encoding="utf-8")
    blocks = read_blocks(storage)
    texts = block_texts(join_markdown(b.markdown for b in blocks))
    editable = [
        i for i, t in enumerate(texts) if t[:1].isalnum() and "\n" not in t and "`" not in t
    ]
    if not editable:
        return
    at = data.draw(st.sampled_from(editable))
    edited = list(texts)
    edited[at] = texts[at] + " plus one edit"
    result = splice_storage(blocks, join_markdown(edited))
    visible_old = [b for b in blocks if b.markdown]
    visible_new = [b for b in result.blocks if b.markdown]
    assert [b.markdown for b in visible_new] == edited
    for k, (old, new) in enumerate(zip(visible_old, visible_new, strict=True)):
        if k == at:
            assert "plus one edit" in str(new.remote)
        else:
            assert new.remote == old.remote
    assert [b.remote for b in blocks if not b.markdown] == [
        b.remote for b in result.blocks if not b.markdown
    ]
    parse_storage(storage_of(result.blocks))  # still well-formed


# -- the failure classes of issue 15, as minimal repros -----------------------------------------

INLINE_FIRST = [
    '<p><ac:emoticon ac:name="tick" /> Done</p>',
    '<p><ac:link><ri:user ri:account-id="557058:abc" /></ac:link> will review</p>',
    '<p><ac:structured-macro ac:name="status" ac:schema-version="1"><ac:parameter '
    'ac:name="title">DONE</ac:parameter></ac:structured-macro> shipped</p>',
    '<p><span style="color: rgb(255,0,0);">red</span> and <ac:emoticon ac:name="smile" /></p>',
    '<p>a <ac:emoticon ac:name="smile" />한국어</p>',
    '<p>x <span style="color: red;">y</span>&rarr; z</p>',
    '<p>✅ <ac:emoticon ac:name="tick" />&nbsp;<span style="color: red;">é</span></p>',
    '<p>Inline <code>x</code><span style="color: red;"><code>y</code></span></p>',
]


@pytest.mark.parametrize("storage", INLINE_FIRST)
def test_inline_constructs_anywhere_are_never_html_blocks(storage: str) -> None:
    markdown = from_storage(storage)
    assert not markdown.startswith("<!--")  # an HTML comment there would be an HTML block
    full = to_storage(markdown)
    assert full == storage.replace("&rarr;", "→").replace("&nbsp;", "\u00a0")
    assert "Markdown HTML" not in full
    # Edited around the placeholder, the paragraph keeps its inline element.
    edited = markdown.replace("\n", " more words\n", 1)
    assert parse_storage(to_storage(edited))


def test_local_id_rides_on_its_block_and_survives_an_edit() -> None:
    storage = '<p local-id="a1">First</p><p local-id="b2">Second</p>'
    markdown = from_storage(storage)
    assert markdown == "First\n\nSecond\n"  # editable Markdown, not an opaque placeholder
    blocks = read_blocks(storage)
    result = splice_storage(blocks, "First\n\nSecond, edited\n")
    assert storage_of(result.blocks) == (
        '<p local-id="a1">First</p><p local-id="b2">Second, edited</p>'
    )


def test_carry_attributes_only_between_elements_of_one_name() -> None:
    assert carry_attributes('<p local-id="x">a</p>', "<p>b</p>") == '<p local-id="x">b</p>'
    assert carry_attributes('<p local-id="x">a</p>', "<h1>b</h1>") == "<h1>b</h1>"
    assert carry_attributes(
        '<table data-layout="wide" class="c"><tbody /></table>', "<table><tbody /></table>"
    ) == '<table data-layout="wide"><tbody /></table>'
    opener = '<ac:structured-macro ac:name="expand"><ac:rich-text-body>'
    assert carry_attributes(opener, "<p>x</p>") == "<p>x</p>"


def test_what_nobody_edited_stays_byte_identical_on_a_cloud_page() -> None:
    storage = (CORPUS / "cloud-table-layout.xhtml").read_text(encoding="utf-8")
    blocks = read_blocks(storage)
    markdown = join_markdown(b.markdown for b in blocks)
    edited = markdown.replace("Numbers are from", "Figures are from")
    result = splice_storage(blocks, edited)
    sent = storage_of(result.blocks)
    table = storage[storage.index("<table") : storage.index("</table>") + 8]
    assert table in sent  # colgroup, widths, data-layout and ac:local-id untouched
    assert '<p local-id="t1">Figures are from the BI dashboard.</p>' in sent


def test_edited_table_keeps_its_layout_attributes() -> None:
    storage = (CORPUS / "cloud-table-layout.xhtml").read_text(encoding="utf-8")
    blocks = read_blocks(storage)
    markdown = join_markdown(b.markdown for b in blocks)
    sent = storage_of(splice_storage(blocks, markdown.replace("38%", "39%")).blocks)
    assert '<table data-table-width="760" data-layout="default" ac:local-id=' in sent
    assert "39%" in sent and "<p local-id=\"t1\">" in sent


def test_unknown_macros_keep_parameters_and_body_when_a_neighbour_is_edited() -> None:
    storage = (CORPUS / "dc-jira-drawio-gliffy.xhtml").read_text(encoding="utf-8")
    blocks = read_blocks(storage)
    markdown = join_markdown(b.markdown for b in blocks)
    sent = storage_of(splice_storage(blocks, markdown.replace("source of truth", "truth")).blocks)
    for name in ("jira", "drawio", "gliffy"):
        start = storage.index(f'<ac:structured-macro ac:name="{name}"')
        end = storage.index("</ac:structured-macro>", start) + len("</ac:structured-macro>")
        assert storage[start:end] in sent


def test_edit_inside_an_expand_keeps_the_expand_and_its_parameters() -> None:
    storage = (CORPUS / "dc-expand-nested.xhtml").read_text(encoding="utf-8")
    blocks = read_blocks(storage)
    markdown = join_markdown(b.markdown for b in blocks)
    assert "too frequent" in markdown
    sent = storage_of(splice_storage(blocks, markdown.replace("too frequent", "too often")).blocks)
    assert sent == storage.replace("too frequent", "too often")


def test_placeholders_edited_into_malformed_storage_are_refused_with_the_page() -> None:
    storage = (
        '<ac:structured-macro ac:name="expand"><ac:rich-text-body><p>a</p>'
        "</ac:rich-text-body></ac:structured-macro>"
    )
    blocks = read_blocks(storage)
    markdown = join_markdown(b.markdown for b in blocks)
    broken = re.sub(r"<!-- confluence:close [^\n]* -->\n", "", markdown)
    with pytest.raises(StorageFormatError, match=r"rituals/x.*placeholders"):
        render_page("", broken, record_of(blocks), current_key="rituals/x", page="rituals/x")


def test_empty_spacing_paragraphs_are_kept_as_trivia() -> None:
    storage = "<p>a</p><p /><p class=\"auto-cursor-target\"><br /></p><p>b</p>"
    blocks = read_blocks(storage)
    assert [b.markdown for b in blocks] == ["a", "", "b"]
    sent = storage_of(splice_storage(blocks, "a\n\nb edited\n").blocks)
    assert sent == "<p>a</p><p /><p class=\"auto-cursor-target\"><br /></p><p>b edited</p>"


def test_page_properties_macro_is_kept_while_the_fields_render_the_same() -> None:
    head = (
        '<ac:structured-macro ac:name="details" ac:macro-id="m1"><ac:rich-text-body><table>'
        "<tbody><tr><th>Owner</th><td>Ann</td></tr></tbody></table></ac:rich-text-body>"
        "</ac:structured-macro>"
    )
    rendered = "<ac:structured-macro ac:name=\"details\">…</ac:structured-macro>"
    blocks = read_blocks("<p>body</p>")
    record = {"head": head, "head_rendered": rendered, "blocks": blocks_to_json(blocks)}
    sent, _ = render_page(rendered, "body\n", record)
    assert sent == head + "<p>body</p>"
    changed, new_record = render_page("<new-fields/>", "body\n", record)
    assert changed == "<new-fields/><p>body</p>"
    assert new_record["head"] == "<new-fields/>"


def test_a_base_of_another_shape_means_full_rendering() -> None:
    sent, record = render_page("", "# T\n\ntext\n", {"blocks": "not a list"})
    assert sent == "<h1>T</h1><p>text</p>"
    assert [b["markdown"] for b in record["blocks"]] == ["# T", "text"]


def test_an_edited_list_keeps_the_local_ids_of_its_items() -> None:
    storage = (CORPUS / "cloud-status-first.xhtml").read_text(encoding="utf-8")
    blocks = read_blocks(storage)
    markdown = join_markdown(b.markdown for b in blocks)
    sent = storage_of(splice_storage(blocks, markdown.replace("Faster exports", "Fast")).blocks)
    assert sent == storage.replace("Faster exports", "Fast")


def test_an_edited_task_list_keeps_every_task_id_and_uuid() -> None:
    storage = (CORPUS / "cloud-tasks.xhtml").read_text(encoding="utf-8")
    blocks = read_blocks(storage)
    markdown = join_markdown(b.markdown for b in blocks)
    sent = storage_of(splice_storage(blocks, markdown.replace("the recap", "the notes")).blocks)
    for ident in ("<ac:task-id>31</ac:task-id><ac:task-uuid>2f6a9b1c",
                  "<ac:task-id>32</ac:task-id><ac:task-uuid>7c8d9e0f"):
        assert ident in sent
    assert "send the notes" in sent
    # A task added: the others keep theirs, the new one gets a derived id.
    grown = storage_of(splice_storage(
        blocks, markdown.replace("\n- [x]", "\n- [ ] Brand new\n- [x]")
    ).blocks)
    assert grown.count("<ac:task-uuid>") == 2 and "Brand new" in grown
    assert "<ac:task-id>31</ac:task-id>" in grown and "<ac:task-id>32</ac:task-id>" in grown
