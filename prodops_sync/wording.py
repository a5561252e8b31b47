"""Small helpers for the words the CLI prints (one place, so "1 requests" cannot come back)."""

from __future__ import annotations

import unicodedata

# Irregular plurals of the nouns the CLI counts; every other noun takes an "s".
_IRREGULAR = {"entry": "entries", "retry": "retries", "is": "are"}


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, the noun in the plural unless ``count`` is 1: ``1 request``,
    ``2 requests``, ``0 conflicts``, ``3 entries``."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {_IRREGULAR.get(noun, noun + 's')}"


def visible(text: str) -> str:
    """``text`` for a terminal or CI log line: control and format characters (ANSI escapes,
    carriage returns, bidi overrides, zero-width marks) from the wiki are shown as ``\\uXXXX``
    instead of acting on the terminal; tab is kept."""
    return "".join(
        ch if ch == "\t" or unicodedata.category(ch)[0] != "C" else f"\\u{ord(ch):04x}"
        for ch in text
    )
