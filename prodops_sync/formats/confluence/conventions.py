"""The fixed conventions shared by the Confluence writer and reader.

Kept in one module so that the two directions cannot drift apart; each is documented in
docs/formats/confluence.md.
"""

from __future__ import annotations

from functools import lru_cache

from prodops_sync.markdown import parse

# GitHub alert -> (Confluence panel macro, title parameter). Confluence has four panel macros
# for five alerts; the colours match GitHub's (note = yellow, warning = red in Confluence).
# IMPORTANT shares ``info`` with NOTE and is told apart by its title parameter.
ALERT_TO_MACRO: dict[str, tuple[str, str]] = {
    "NOTE": ("info", ""),
    "TIP": ("tip", ""),
    "IMPORTANT": ("info", "Important"),
    "WARNING": ("note", ""),
    "CAUTION": ("warning", ""),
}
MACRO_TO_ALERT: dict[tuple[str, str], str] = {v: k for k, v in ALERT_TO_MACRO.items()}

CLASS_LOOSE = "md-loose"
"""``class`` of a ``<ul>``/``<ol>`` written from a loose Markdown list (blank lines between
items)."""
CLASS_AUTOLINK = "md-autolink"
"""``class`` of an ``<a>`` written from an angle-bracket autolink ``<https://...>``."""
CLASS_LINK = "md-link"
"""``class`` of an ``<a>`` written from ``[url](url)``, which would otherwise read back as a
bare URL."""
CLASS_UNDERSCORE = "md-underscore"
"""``class`` of ``<em>``/``<strong>`` written from ``_x_`` / ``__x__`` (canonical Markdown
keeps the delimiter the author chose)."""
CLASS_HTML = "md-html"
"""``class`` of the ``<span>`` that shows inline raw HTML from Markdown as text."""
HTML_BLOCK_TITLE = "Markdown HTML"
"""``title`` of the code macro that shows a raw HTML block from Markdown as code."""
FRONT_MATTER_TITLE = "Front matter"
"""``title`` of the code macro that carries YAML front matter (first block only)."""
MD_INFO_PARAM = "md-info"
"""Code macro parameter holding a fence info string longer than the language."""


@lru_cache(maxsize=4096)
def bare_autolink(text: str) -> str | None:
    """The href GFM gives ``text`` when it stands alone as a bare autolink
    (``https://x.org``, ``www.x.org``, ``me@x.org``), else None."""
    if not text or any(c in text for c in " \t\n<>[]`\\*_"):
        return None
    tokens = parse(text)
    if len(tokens) != 3 or tokens[1].type != "inline":
        return None
    children = tokens[1].children or []
    if (
        len(children) == 3
        and children[0].type == "gfm_autolink_open"
        and children[1].type == "text"
        and children[1].content == text
    ):
        return str(children[0].attrs.get("href", ""))
    return None
