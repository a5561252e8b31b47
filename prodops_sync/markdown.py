"""The project's canonical Markdown form.

Canonical Markdown is CommonMark plus the GitHub extensions the playbook uses (tables,
strikethrough, task lists, autolinks, GitHub alerts) and YAML front matter, written the way
mdformat writes it. Every converter reads into and writes out of this form, so "round trip"
always means: ``canonical(md) == writer(reader(canonical(md)))`` byte for byte.

Choices (kept here, in one place):

* line wrapping is kept as written (``wrap: keep``): a sync tool must not reflow paragraphs;
* ordered lists are numbered consecutively, so the start number and the count survive;
* bullets alternate ``-`` / ``*`` only where CommonMark needs it to separate adjacent lists;
* the text always ends with exactly one newline, and an empty document is the empty string.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import mdformat
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
    return str(mdformat.text(text, extensions=MDFORMAT_EXTENSIONS, options=MDFORMAT_OPTIONS))


def is_canonical(text: str) -> bool:
    """True when ``text`` is already in canonical form."""
    return canonical(text) == text


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
