"""Generated documents and hostile storage input for the Confluence format."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prodops_sync.formats.confluence import StorageFormatError, from_storage, to_storage
from prodops_sync.formats.confluence.xml import NAMESPACES
from prodops_sync.markdown import canonical

# -- generated documents --------------------------------------------------------------------

_WORD = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 _*`[]()<>&#!|~\\-+.\"'é€😀\u00a0")),
    min_size=1,
    max_size=12,
)


@st.composite
def _inline(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        word = draw(_WORD)
        style = draw(st.sampled_from(["", "*", "**", "~~", "`", "link", "img", "br"]))
        core = word.strip().replace("\\", "") or "w"
        if style in ("*", "**", "~~"):
            core = "".join(c for c in core if c.isalnum()) or "w"
            parts.append(f"{style}{core}{style}")
        elif style == "`":
            parts.append("`" + core.replace("`", "") + "`")
        elif style == "link":
            parts.append(
                f"[{''.join(c for c in core if c.isalnum()) or 'l'}](https://x.org/{len(core)})"
            )
        elif style == "img":
            parts.append(f"![a{len(core)}](https://x.org/i{len(core)}.png)")
        elif style == "br":
            parts.append("w\\\nv")
        else:
            parts.append(word)
    return " ".join(parts)


@st.composite
def _block(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(
        st.sampled_from(["p", "h", "ul", "ol", "task", "code", "quote", "alert", "table", "hr"])
    )
    if kind == "p":
        return draw(_inline())
    if kind == "h":
        return "#" * draw(st.integers(1, 6)) + " " + draw(_inline())
    if kind in ("ul", "ol", "task"):
        items = []
        for n in range(draw(st.integers(1, 3))):
            marker = {"ul": "-", "ol": f"{n + 1}.", "task": "- [ ]"}[kind]
            text = draw(_inline()).replace("\\\n", " ")
            item = f"{marker} {text}"
            if depth < 2 and draw(st.booleans()):
                nested = draw(_block(depth + 1))
                item += "\n" + "\n".join("   " + line for line in nested.split("\n"))
            items.append(item)
        return "\n".join(items)
    if kind == "code":
        body = draw(st.text(alphabet=st.sampled_from(list("ab ]>\n<&`{}")), max_size=30))
        return f"```{draw(st.sampled_from(['', 'py', 'yaml']))}\n{body}\n```"
    if kind == "quote":
        return "> " + draw(_inline())
    if kind == "alert":
        alert = draw(st.sampled_from(["NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"]))
        return f"> [!{alert}]\n> " + draw(_inline()).replace("\\\n", " ")
    if kind == "table":
        cell = _WORD.map(lambda w: w.replace("\\", "").replace("\n", " "))
        cols = draw(st.integers(1, 3))
        head = "| " + " | ".join(draw(cell) for _ in range(cols)) + " |"
        rule = (
            "| "
            + " | ".join(draw(st.sampled_from(["---", ":--", ":-:", "--:"])) for _ in range(cols))
            + " |"
        )
        row = "| " + " | ".join(draw(cell) for _ in range(cols)) + " |"
        return "\n".join([head, rule, row])
    return "***"


_DOCUMENT = st.lists(_block(), min_size=1, max_size=5).map(lambda bs: "\n\n".join(bs) + "\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCUMENT)
def test_generated_documents_round_trip(doc: str) -> None:
    md = canonical(doc)
    storage = to_storage(md, current_key="rituals/generated")
    wrapped = "<r " + " ".join(f'xmlns:{k}="{v}"' for k, v in NAMESPACES.items()) + ">"
    ET.fromstring(wrapped + storage + "</r>")  # well-formed, namespace-valid XHTML
    assert from_storage(storage, current_key="rituals/generated") == md


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(text: str) -> None:
    """Any input either converts or fails with StorageFormatError, never another exception."""
    try:
        from_storage(text, page="fuzz")
    except StorageFormatError as exc:
        assert str(exc).startswith("fuzz")
    md = canonical(text)
    storage = to_storage(md)
    assert from_storage(storage) is not None


# -- hostile input --------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]><p>&lol9;</p>"
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (BILLION_LAUGHS, "malformed XHTML"),
        ("<p>&lol9;</p>", "undefined entity"),
        ('<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><p>&x;</p>', "malformed XHTML"),
        ("<p>&x;</p>", "undefined entity"),
        ("<p>open <strong>never closed</p>", "mismatched tag"),
        ("<p>first</p>\n<p>second", "not closed"),
        ("<p>bell \x07 here</p>", "U+0007"),
        ("<p>nul \x00</p>", "U+0000"),
        ("<ul>" * 5000 + "</ul>" * 5000, "nested deeper"),
    ],
)
def test_hostile_storage_is_refused_clearly(body: str, message: str) -> None:
    with pytest.raises(StorageFormatError) as info:
        from_storage(body, page="Team page")
    assert str(info.value).startswith("Team page")
    assert message in str(info.value)


def test_external_entity_is_never_read(tmp_path: pytest.TempPathFactory) -> None:
    secret = tmp_path / "secret.txt"  # type: ignore[operator]
    secret.write_text("TOP-SECRET")
    body = f'<p>x</p><!DOCTYPE p [<!ENTITY s SYSTEM "{secret.as_uri()}">]><p>&s;</p>'
    with pytest.raises(StorageFormatError) as info:
        from_storage(body, page="P")
    assert "TOP-SECRET" not in str(info.value)


def test_error_names_line_and_column() -> None:
    with pytest.raises(StorageFormatError) as info:
        from_storage("<p>ok</p>\n<p>caf&eacute; <b>bold</p>", page="Rituals/Weekly")
    assert info.value.line == 2 and info.value.column == 25
    assert str(info.value).startswith("Rituals/Weekly:2:25: malformed XHTML")


def test_ten_megabyte_body_is_refused_fast() -> None:
    body = "<p>" + "a" * (10 * 1024 * 1024) + "</p>"
    started = time.monotonic()
    with pytest.raises(StorageFormatError, match="exceeds"):
        from_storage(body, page="Big")
    assert time.monotonic() - started < 2


def test_control_characters_in_markdown_become_replacement_characters() -> None:
    storage = to_storage("a\x0bb\n")
    assert "\ufffd" in storage
    assert from_storage(storage) == "a\ufffdb\n"
