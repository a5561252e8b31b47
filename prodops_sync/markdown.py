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

from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt

# mdformat plugin names (entry points of mdformat-gfm, mdformat-gfm-alerts,
# mdformat-frontmatter). "gfm" brings tables, strikethrough, task lists and autolinks.
MDFORMAT_EXTENSIONS: tuple[str, ...] = ("gfm", "gfm_alerts", "frontmatter")
MDFORMAT_OPTIONS: dict[str, Any] = {"wrap": "keep", "number": True, "end_of_line": "lf"}


def canonical(text: str) -> str:
    """Return ``text`` in canonical Markdown form. Idempotent: ``canonical(canonical(t)) ==
    canonical(t)``."""
    if not text.strip():
        return ""
    md = _parser()
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    _star_emphasis(tokens)
    return str(md.renderer.render(tokens, md.options, env))


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
    return md


def parser() -> MarkdownIt:
    """The shared markdown-it parser configured like :func:`canonical` (read-only use)."""
    return _parser()


def parse(text: str) -> list[Any]:
    """Parse ``text`` into markdown-it tokens with the canonical parser configuration."""
    return list(_parser().parse(text))
