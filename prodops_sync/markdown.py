"""The project's canonical Markdown form.

Canonical Markdown is CommonMark plus the GitHub extensions the playbook uses (tables,
strikethrough, task lists, autolinks, GitHub alerts) and YAML front matter, written the way
mdformat writes it. Every converter reads into and writes out of this form, so "round trip"
always means: ``canonical(md) == writer(reader(canonical(md)))`` byte for byte.

Choices (kept here, in one place):

* line wrapping is kept as written (``wrap: keep``): a sync tool must not reflow paragraphs;
* ordered lists are numbered consecutively, so the start number and the count survive;
* emphasis is written with ``*`` and ``**`` (``_x_`` becomes ``*x*``);
* bullets alternate ``-`` / ``*`` only where CommonMark needs it to separate adjacent lists;
* the text always ends with exactly one newline, and an empty document is the empty string.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from markdown_it import MarkdownIt

# mdformat plugin names (entry points of mdformat-gfm, mdformat-gfm-alerts,
# mdformat-frontmatter). "gfm" brings tables, strikethrough, task lists and autolinks.
MDFORMAT_EXTENSIONS: tuple[str, ...] = ("gfm", "gfm_alerts", "frontmatter")
MDFORMAT_OPTIONS: dict[str, Any] = {"wrap": "keep", "number": True, "end_of_line": "lf"}


def canonical(text: str) -> str:
    """Return ``text`` in canonical Markdown form. Idempotent: ``canonical(canonical(t)) ==
    canonical(t)``."""
    return canonical_with_outline(text)[0]


class OutlineItem(NamedTuple):
    """A token of a Markdown text that the validation rules look at."""

    type: str
    """``heading_open`` or ``link_open``."""
    line: int | None
    """0-based line (in the parsed text) of the nearest enclosing block, None if unknown."""
    value: str
    """The heading tag (``h4``) or the link's href."""


Outline = tuple[OutlineItem, ...]


def outline(tokens: list[Any]) -> Outline:
    """The headings and links of a parsed text, in document order, each with the line of its
    block: what the validation rules need of a body, without keeping its token tree."""
    items: list[OutlineItem] = []
    for token in tokens:
        _outline_token(token, token, items)
        for child in token.children or ():
            _outline_token(child, token, items)
    return tuple(items)


def _outline_token(token: Any, block: Any, items: list[OutlineItem]) -> None:
    if token.type == "heading_open":
        value = str(token.tag)
    elif token.type == "link_open":
        value = str(token.attrs.get("href", ""))
    else:
        return
    items.append(OutlineItem(token.type, block.map[0] if block.map else None, value))


def canonical_with_outline(text: str) -> tuple[str, Outline]:
    """``canonical(text)`` and the :func:`outline` of ``text`` (as written, so that its line
    numbers are those of ``text``), from one parse: the loader needs both of every body."""
    if not text.strip():
        return "", ()
    md = _parser()
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    found = outline(tokens)  # before _star_emphasis, which rewrites emphasis markup only
    _star_emphasis(tokens)
    return str(md.renderer.render(tokens, md.options, env)), found


_EMPHASIS = {"em_open": "em_close", "strong_open": "strong_close"}
_EMPHASIS_TYPES = {*_EMPHASIS, *_EMPHASIS.values()}
# Characters that take part in delimiter runs or escapes: next to them, the author's ``_``
# is kept (changing it could change how the neighbouring run parses).
_DELIMITER_CHARS = ("*", "_", "~", "`", "\\")


def _star_emphasis(tokens: list[Any]) -> None:
    """Write emphasis with ``*``/``**`` whatever the author used: the wikis cannot tell
    ``_x_`` from ``*x*``, so keeping both would make every sync see a change that is not
    there. Where ``_`` emphasis is valid, ``*`` is too (its rules are the looser ones),
    except right next to another ``*`` delimiter, where the two would merge (``*_a_*``
    is not ``**a**``): there the author's ``_`` stays."""
    for token in tokens:
        if token.children:
            _star_inline(token.children)


def _star_inline(children: list[Any]) -> None:
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    for index, token in enumerate(children):
        if token.type in _EMPHASIS:
            stack.append(index)
        elif token.type in _EMPHASIS.values() and stack:
            pairs.append((stack.pop(), index))
    for opening, closing in pairs:
        if not children[opening].markup.startswith("_"):
            continue
        neighbours = (
            _neighbour(children, opening, -1), _neighbour(children, opening, 1),
            _neighbour(children, closing, -1), _neighbour(children, closing, 1),
        )
        before_open, after_open, before_close, after_close = neighbours
        if any(
            n is not None and n.type in _EMPHASIS_TYPES and n.markup.startswith("*")
            for n in neighbours
        ) or any(
            n is not None and n.type == "text" and touches(n.content)
            for n, touches in (
                (before_open, lambda t: t.endswith(_DELIMITER_CHARS)),
                (after_open, lambda t: t.startswith(_DELIMITER_CHARS)),
                (before_close, lambda t: t.endswith(_DELIMITER_CHARS)),
                (after_close, lambda t: t.startswith(_DELIMITER_CHARS)),
            )
        ):
            continue
        star = "*" * len(children[opening].markup)
        children[opening].markup = children[closing].markup = star


def _neighbour(children: list[Any], index: int, step: int) -> Any:
    """The nearest token next to ``children[index]`` that is not empty text."""
    index += step
    while 0 <= index < len(children):
        token = children[index]
        if not (token.type == "text" and token.content == ""):
            return token
        index += step
    return None


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Build the exact parser mdformat uses for canonical(), so that token trees seen by the
    # converters and the text canonical() writes never disagree about what is a table, an
    # alert or a task list.
    from mdformat._util import build_mdit  # mdformat's own parser factory
    from mdformat.renderer import MDRenderer

    md: MarkdownIt = build_mdit(
        MDRenderer, mdformat_opts=MDFORMAT_OPTIONS, extensions=MDFORMAT_EXTENSIONS
    )
    _fast_char_reference()
    return md


class _CharReferencePattern:
    """mdformat's character-reference pattern with a ``sub`` that gives the same result
    faster.

    mdformat escapes character references in every text token with
    ``re_char_reference().sub(<template>, text)``. A string replacement makes ``re`` look
    the template up in a cache keyed by the pattern, and hashing a compiled pattern hashes its
    whole code: for this pattern (every HTML5 entity name, 16 KB) that is about 45 us per text
    token, a third of the time of rendering a playbook. A reference starts with ``&``, so a
    text without one is returned as it is, and the usual template is applied with a function
    (no template cache); anything else goes to the real pattern.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def sub(self, repl: Any, string: str, count: int = 0) -> str:
        if "&" not in string:
            return string
        if repl == r"\\\g<0>":
            return self.pattern.sub(_escape_match, string, count)
        return self.pattern.sub(repl, string, count)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pattern, name)


def _escape_match(match: re.Match[str]) -> str:
    return "\\" + match.group(0)


def _fast_char_reference() -> None:
    """Point mdformat's text renderer at :class:`_CharReferencePattern` (only if mdformat
    still has the function this works around; otherwise leave it alone)."""
    try:
        from mdformat.renderer import _context
    except ImportError:  # pragma: no cover - mdformat reorganised
        return
    original = getattr(_context, "re_char_reference", None)
    if original is None or getattr(original, "prodops_fast", False):
        return
    pattern = original()
    if not isinstance(pattern, re.Pattern):  # pragma: no cover - mdformat changed it
        return
    fast = _CharReferencePattern(pattern)

    def re_char_reference() -> Any:
        return fast

    re_char_reference.prodops_fast = True  # type: ignore[attr-defined]
    _context.re_char_reference = re_char_reference  # type: ignore[assignment]


def parser() -> MarkdownIt:
    """The shared markdown-it parser configured like :func:`canonical` (read-only use)."""
    return _parser()


def parse(text: str) -> list[Any]:
    """Parse ``text`` into markdown-it tokens with the canonical parser configuration."""
    return list(_parser().parse(text))
