"""Placeholders: storage XHTML with no faithful Markdown form, carried through Markdown.

Three HTML comments, each on one line, that canonical Markdown keeps verbatim:

* ``<!-- confluence:xhtml PAYLOAD -->`` — an element kept whole (a jira macro, a status
  lozenge, a user mention, a table with merged cells). Block-level when it stands alone as a
  paragraph, inline inside text.
* ``<!-- confluence:open PAYLOAD -->`` ... ``<!-- confluence:close PAYLOAD -->`` — a
  container whose *content* is ordinary Markdown (a layout cell, an expand macro, a coloured
  ``<span>``): the comments carry the container's original start and end text, and the
  Markdown between them stays editable.

Inside a paragraph (a status lozenge, an emoticon, a user mention, a coloured span) the same
three kinds are written as *code spans* instead, ```confluence:xhtml PAYLOAD```: an HTML
comment at the start of a line would be read as an HTML block by every CommonMark parser,
swallowing the rest of the line, while a single-backtick code span is inline text wherever it
stands (start of a paragraph, after non-ASCII text, next to entities, in a table cell or a
heading). Comments written by earlier versions are still read, inline and block-level.

PAYLOAD is the original storage text, byte for byte, with five characters percent-encoded so
that it fits in a one-line comment (and in a table cell): ``%`` ``%25``, line feed ``%0A``,
carriage return ``%0D``, ``|`` ``%7C``, a backtick ``%60``, and a ``-`` followed by another
``-`` ``%2D``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

SEPARATOR = "<!---->"
"""An empty comment the reader puts between two touching code spans (an inline
placeholder right after inline code); the writer writes nothing for it."""
ATOMIC = "xhtml"
OPEN = "open"
CLOSE = "close"

_PLACEHOLDER = re.compile(r"<!-- confluence:(xhtml|open|close) ([^\n]*?) -->\Z")
_INLINE = re.compile(r"confluence:(xhtml|open|close) ([^\n`]*)\Z")
_ENCODE = re.compile(r"[%\n\r|`]|-(?=-)")
_CODES = {"%": "%25", "\n": "%0A", "\r": "%0D", "|": "%7C", "`": "%60", "-": "%2D"}


def encode(payload: str) -> str:
    """Percent-encode the characters an HTML comment or a table cell cannot hold."""
    return _ENCODE.sub(lambda m: _CODES[m.group(0)], payload)


def decode(encoded: str) -> str:
    """Inverse of :func:`encode`."""
    return unquote(encoded)


def make(kind: str, payload: str) -> str:
    """The placeholder comment of ``kind`` (``xhtml``, ``open`` or ``close``) for ``payload``."""
    return f"<!-- confluence:{kind} {encode(payload)} -->"


def make_inline(kind: str, payload: str) -> str:
    """The inline placeholder (a code span) of ``kind`` for ``payload``."""
    return f"`confluence:{kind} {encode(payload)}`"


def read_inline(code: str) -> tuple[str, str] | None:
    """``(kind, payload)`` when ``code`` (a code_inline token's content) is a placeholder."""
    m = _INLINE.match(code)
    if m is None:
        return None
    return m.group(1), decode(m.group(2))


def read(html: str) -> tuple[str, str] | None:
    """``(kind, payload)`` when ``html`` (an html_inline/html_block token) is a placeholder."""
    m = _PLACEHOLDER.match(html.strip())
    if m is None:
        return None
    return m.group(1), decode(m.group(2))
