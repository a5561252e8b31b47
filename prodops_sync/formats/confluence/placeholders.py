"""Placeholders: storage XHTML with no faithful Markdown form, carried through Markdown.

Three HTML comments, each on one line, that canonical Markdown keeps verbatim:

* ``<!-- confluence:xhtml PAYLOAD -->`` — an element kept whole (a jira macro, a status
  lozenge, a user mention, a table with merged cells). Block-level when it stands alone as a
  paragraph, inline inside text.
* ``<!-- confluence:open PAYLOAD -->`` ... ``<!-- confluence:close PAYLOAD -->`` — a
  container whose *content* is ordinary Markdown (a layout cell, an expand macro, a coloured
  ``<span>``): the comments carry the container's original start and end text, and the
  Markdown between them stays editable.

PAYLOAD is the original storage text, byte for byte, with five characters percent-encoded so
that it fits in a one-line comment (and in a table cell): ``%`` ``%25``, line feed ``%0A``,
carriage return ``%0D``, ``|`` ``%7C``, and a ``-`` followed by another ``-`` ``%2D``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

ATOMIC = "xhtml"
OPEN = "open"
CLOSE = "close"

_PLACEHOLDER = re.compile(r"<!-- confluence:(xhtml|open|close) ([^\n]*?) -->\Z")
_ENCODE = re.compile(r"[%\n\r|]|-(?=-)")
_CODES = {"%": "%25", "\n": "%0A", "\r": "%0D", "|": "%7C", "-": "%2D"}


def encode(payload: str) -> str:
    """Percent-encode the characters an HTML comment or a table cell cannot hold."""
    return _ENCODE.sub(lambda m: _CODES[m.group(0)], payload)


def decode(encoded: str) -> str:
    """Inverse of :func:`encode`."""
    return unquote(encoded)


def make(kind: str, payload: str) -> str:
    """The placeholder comment of ``kind`` (``xhtml``, ``open`` or ``close``) for ``payload``."""
    return f"<!-- confluence:{kind} {encode(payload)} -->"


def read(html: str) -> tuple[str, str] | None:
    """``(kind, payload)`` when ``html`` (an html_inline/html_block token) is a placeholder."""
    m = _PLACEHOLDER.match(html.strip())
    if m is None:
        return None
    return m.group(1), decode(m.group(2))
