"""Safe parsing of Confluence storage XHTML into a small tree that remembers source offsets.

Storage format is an XHTML *fragment* with ``ac:``/``ri:`` prefixed elements and HTML named
entities (``&nbsp;``). We parse it with expat under the same rules defusedxml applies: no
DTD, no entity declarations, no external entities. HTML named entities are rewritten to
numeric character references *before* parsing, so no entity expansion is ever enabled.

Every element keeps the offsets of its original text (and of its start tag), so that an
element the Markdown side cannot express is written back byte for byte.
"""

from __future__ import annotations

import bisect
import html.entities
import re
import xml.parsers.expat
from dataclasses import dataclass, field

MAX_STORAGE_CHARS = 5 * 1024 * 1024
"""Largest storage body accepted (characters); Confluence's own page limit is about 5 MB."""
MAX_DEPTH = 200
"""Deepest element nesting accepted; deeper input is hostile or broken, never a recursion crash."""

NAMESPACES = {
    "ac": "http://atlassian.com/content",
    "ri": "http://atlassian.com/resource/identifier",
    "at": "http://atlassian.com/template",
}
_ROOT = "prodops-root"
_PREFIX = f"<{_ROOT} " + " ".join(f'xmlns:{k}="{v}"' for k, v in NAMESPACES.items()) + ">\n"
_SUFFIX = f"\n</{_ROOT}>"

# XML 1.0 Char production minus the discouraged C0 controls.
_INVALID_XML_CHARS = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SUBSTITUTION = re.compile(
    r"&([A-Za-z][A-Za-z0-9]*);|<!\[CDATA\[(.*?)\]\]>|([^\x00-\x7f]+)", re.DOTALL
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})


class StorageFormatError(ValueError):
    """Storage XHTML that cannot be read (malformed, too large, hostile) or written."""

    def __init__(self, message: str, *, page: str = "", line: int = 0, column: int = 0):
        self.page = page
        self.line = line
        self.column = column
        self.reason = message
        where = page or "<storage>"
        if line:
            where += f":{line}:{column}"
        super().__init__(f"{where}: {message}")


@dataclass
class Element:
    """One XHTML element: qualified name, attributes in source order, children, offsets."""

    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)
    start: int = 0
    """Offset of ``<`` of the start tag in the original text."""
    start_end: int = 0
    """Offset just after the start tag's ``>``."""
    end_start: int = 0
    """Offset of the end tag's ``<`` (== end for an empty element)."""
    end: int = 0
    """Offset just after the element's last ``>``."""

    def elements(self, tag: str | None = None) -> list[Element]:
        """Child elements, optionally only those named ``tag``."""
        return [
            c for c in self.children if isinstance(c, Element) and (tag is None or c.tag == tag)
        ]

    def first(self, tag: str) -> Element | None:
        """The first child element named ``tag``."""
        found = self.elements(tag)
        return found[0] if found else None

    def text(self) -> str:
        """All text below this element, concatenated."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


@dataclass
class Source:
    """A parsed storage document: the root element and the original text."""

    root: Element
    text: str

    def slice(self, start: int, end: int) -> str:
        """The original text between two offsets."""
        return self.text[start:end]

    def outer(self, el: Element) -> str:
        """The original text of ``el``, tags included."""
        return self.text[el.start : el.end]


def _prepare(text: str) -> tuple[str, list[int], list[int]]:
    """Map HTML named entities and non-ASCII characters to numeric references.

    The result is pure ASCII (so expat's byte offsets are character offsets) and needs no
    entity declarations. Inside CDATA sections entities are literal text, so only non-ASCII
    characters are touched there, by closing the section around a character reference
    (expat reports the same text). Returns the prepared text and, per substitution, its start
    offset in the prepared text and the cumulative growth (prepared minus original length).
    """
    out: list[str] = []
    starts: list[int] = []
    growth: list[int] = []
    pos = 0
    plen = 0
    delta = 0
    for m in _SUBSTITUTION.finditer(text):
        name, cdata_text, non_ascii = m.group(1), m.group(2), m.group(3)
        if name is not None:
            if name in _XML_ENTITIES or name not in html.entities.name2codepoint:
                continue  # XML's own entities stay; unknown ones make expat report an error
            repl = f"&#{html.entities.name2codepoint[name]};"
        elif cdata_text is not None:
            if cdata_text.isascii():
                continue
            repl = (
                "<![CDATA["
                + _NON_ASCII.sub(
                    lambda c: "]]>" + "".join(f"&#{ord(ch)};" for ch in c.group(0)) + "<![CDATA[",
                    cdata_text,
                )
                + "]]>"
            )
        else:
            repl = "".join(f"&#{ord(ch)};" for ch in non_ascii)
        out.append(text[pos : m.start()])
        plen += m.start() - pos
        starts.append(plen)
        out.append(repl)
        plen += len(repl)
        delta += len(repl) - (m.end() - m.start())
        growth.append(delta)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), starts, growth


class _Builder:
    """Expat handlers that build the :class:`Element` tree with original offsets."""

    def __init__(self, wrapped: str, starts: list[int], growth: list[int], page: str):
        self.wrapped = wrapped
        self.starts = starts
        self.growth = growth
        self.page = page
        self.offset = len(_PREFIX)
        self.stack: list[Element] = []
        self.root: Element | None = None
        self.parser = xml.parsers.expat.ParserCreate()  # no namespace processing: keep "ac:x"
        p = self.parser
        p.ordered_attributes = False
        p.buffer_text = True
        p.StartElementHandler = self.start
        p.EndElementHandler = self.end
        p.CharacterDataHandler = self.data
        # defusedxml's rules: refuse DTDs, entity declarations and external references.
        p.StartDoctypeDeclHandler = self.forbid
        p.EntityDeclHandler = self.forbid
        p.UnparsedEntityDeclHandler = self.forbid
        p.ExternalEntityRefHandler = self.forbid
        p.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def original(self, prepared_offset: int) -> int:
        """Map an offset in the wrapped prepared text to one in the original text."""
        off = prepared_offset - self.offset
        # The substitutions that lie wholly before ``off``: those starting strictly before
        # it (a tag never starts or ends inside one). An element ending right where a
        # substitution starts (``<ac:emoticon />한``) must not count that substitution's
        # growth, hence bisect_left.
        i = bisect.bisect_left(self.starts, off) - 1
        return off - (self.growth[i] if i >= 0 else 0)

    def forbid(self, *_: object) -> int:
        raise StorageFormatError(
            "DTDs and entity declarations are not allowed in storage format",
            page=self.page,
            line=self.parser.CurrentLineNumber - 1,
            column=self.parser.CurrentColumnNumber + 1,
        )

    def _tag_end(self, at: int) -> int:
        """Offset just after the ``>`` closing the tag starting at ``at`` (quotes respected)."""
        text = self.wrapped
        quote = ""
        i = at
        while i < len(text):
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == ">":
                return i + 1
            i += 1
        return len(text)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        at = self.parser.CurrentByteIndex
        if len(self.stack) > MAX_DEPTH:
            raise StorageFormatError(
                f"elements nested deeper than {MAX_DEPTH} levels",
                page=self.page,
                line=self.parser.CurrentLineNumber - 1,
                column=self.parser.CurrentColumnNumber + 1,
            )
        el = Element(name, dict(attrs))
        el.start = at
        el.start_end = self._tag_end(at)
        if self.stack:
            self.stack[-1].children.append(el)
        else:
            self.root = el
        self.stack.append(el)

    def end(self, name: str) -> None:
        el = self.stack.pop()
        at = self.parser.CurrentByteIndex
        empty = at == el.start_end and self.wrapped[at - 2 : at] == "/>"
        if empty:
            el.end_start = el.end = at
        else:
            el.end_start = at
            el.end = self._tag_end(at)
        if el is not self.root:
            for attr in ("start", "start_end", "end_start", "end"):
                setattr(el, attr, self.original(getattr(el, attr)))

    def data(self, text: str) -> None:
        if not self.stack:
            return
        children = self.stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += text
        else:
            children.append(text)


def parse_storage(text: str, *, page: str = "") -> Source:
    """Parse a storage-format fragment safely; raise :class:`StorageFormatError` if unreadable."""
    if len(text) > MAX_STORAGE_CHARS:
        raise StorageFormatError(
            f"storage body of {len(text)} characters exceeds the {MAX_STORAGE_CHARS} limit",
            page=page,
        )
    bad = _INVALID_XML_CHARS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise StorageFormatError(
            f"character U+{ord(bad.group(0)):04X} is not allowed in XHTML",
            page=page,
            line=line,
            column=column,
        )
    prepared, starts, growth = _prepare(text)
    wrapped = _PREFIX + prepared + _SUFFIX
    builder = _Builder(wrapped, starts, growth, page)
    try:
        builder.parser.Parse(wrapped.encode("ascii"), True)
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.ErrorString(exc.code) if exc.code else str(exc)
        last_line = text.count("\n") + 1
        if exc.lineno > last_line + 1:  # the error is in our closing wrapper tag
            message += " (an element is not closed before the end of the body)"
            line, column = last_line, len(text) - (text.rfind("\n") + 1) + 1
        else:
            absolute = _line_start(wrapped, exc.lineno) + exc.offset
            orig = min(max(builder.original(absolute), 0), len(text))
            line = max(exc.lineno - 1, 1)
            column = orig - (text.rfind("\n", 0, orig) + 1) + 1
        raise StorageFormatError(
            f"malformed XHTML: {message}", page=page, line=line, column=column
        ) from None
    assert builder.root is not None
    return Source(builder.root, text)


def _line_start(text: str, lineno: int) -> int:
    """Offset of the start of 1-based line ``lineno`` of ``text``."""
    pos = 0
    for _ in range(lineno - 1):
        pos = text.find("\n", pos) + 1
    return pos


def is_well_formed(fragment: str) -> bool:
    """True when ``fragment`` parses as a storage-format fragment."""
    try:
        parse_storage(fragment)
    except StorageFormatError:
        return False
    return True


def clean_text(text: str) -> str:
    """Replace characters XML 1.0 cannot carry (C0 controls, lone surrogates) with U+FFFD."""
    return _INVALID_XML_CHARS.sub("\ufffd", text)


def escape_text(text: str) -> str:
    """Escape text content; characters outside the BMP become numeric references."""
    text = clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ASTRAL.sub(lambda m: f"&#x{ord(m.group(0)):X};", text)


def escape_attr(text: str) -> str:
    """Escape an attribute value written between double quotes."""
    return escape_text(text).replace('"', "&quot;").replace("\n", "&#10;")


def cdata(text: str) -> str:
    """Wrap ``text`` in CDATA sections, splitting at every ``]]>``."""
    text = clean_text(text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
