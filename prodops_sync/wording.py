"""Small helpers for the words the CLI prints (one place, so "1 requests" cannot come back)."""

from __future__ import annotations

from prodops_sync.safety import one_line

# Irregular plurals of the nouns the CLI counts; every other noun takes an "s".
_IRREGULAR = {"entry": "entries", "retry": "retries", "is": "are"}


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, the noun in the plural unless ``count`` is 1: ``1 request``,
    ``2 requests``, ``0 conflicts``, ``3 entries``."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {_IRREGULAR.get(noun, noun + 's')}"


def visible(text: str) -> str:
    """``text`` for a terminal or CI log line (see :func:`prodops_sync.safety.one_line`):
    control and format characters from the wiki are shown as ``\\uXXXX``; tab is kept."""
    return one_line(text)
