"""Canonical Markdown writes emphasis with * and ** (the wikis cannot tell _x_ from *x*)."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from prodops_sync.markdown import canonical

HTML = MarkdownIt("commonmark").enable("strikethrough")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("_a_ and __b__ and snake_case_word", "*a* and **b** and snake_case_word\n"),
        ("__a _b_ c__", "**a *b* c**\n"),
        ("(_x_), _x_. _x_:", "(*x*), *x*. *x*:\n"),
        ("x_y_z", "x_y_z\n"),
        # Next to a * delimiter the author's _ stays: *_a_* is em inside em, not strong.
        ("*_a_*", "*_a_*\n"),
        ("**_a_**", "**_a_**\n"),
        ("__aa__**a**b", "__aa__**a**b\n"),
    ],
)
def test_emphasis_markers(text: str, expected: str) -> None:
    result = canonical(text)
    assert result == expected
    assert canonical(result) == result
    assert HTML.render(result) == HTML.render(text)
