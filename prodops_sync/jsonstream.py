"""Large JSON files written and read without holding a second copy of them in memory (pure).

``json.dumps`` of a cache of thousands of entries builds the whole text, and its pieces
before that, beside the data: at 5,000 documents the validate body cache took 60 MB more
while it was written than the data it wrote. :func:`json_chunks` yields the same text piece
by piece (one piece per entry of the outer objects); the caller writes them as they come
(``atomic_write_chunks``).

Reading, ``json.loads`` makes a fresh dict for every small object, and a listing cache holds
thousands of identical ones (a Notion row's ``{"id": "wE8n", "type": "rich_text"}`` for every
column of every row). :func:`loads_shared` makes equal small flat objects one shared object.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

SEPARATORS = (",", ":")


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """Compact JSON, non-ASCII kept (the form the project's caches are written in)."""
    return json.dumps(value, ensure_ascii=False, separators=SEPARATORS, sort_keys=sort_keys)


def json_chunks(value: Any, *, depth: int, sort_keys: bool = False) -> Iterator[str]:
    """``dumps(value, sort_keys=sort_keys)`` in pieces: the objects of the ``depth``
    outermost levels are written key by key; everything below as one piece per value.
    Joined, the pieces are exactly the text of :func:`dumps`."""
    if depth <= 0 or not isinstance(value, dict):
        yield dumps(value, sort_keys=sort_keys)
        return
    if not value:
        yield "{}"
        return
    keys = sorted(value) if sort_keys else list(value)
    for number, key in enumerate(keys):
        yield ("{" if number == 0 else ",") + dumps(key) + ":"
        yield from json_chunks(value[key], depth=depth - 1, sort_keys=sort_keys)
    yield "}"


def buffered(pieces: Iterable[str], size: int = 1 << 16) -> Iterator[str]:
    """``pieces`` joined into strings of about ``size`` characters (writing the encoder's
    pieces one by one would be a system call each). A piece is never split, so scrubbing
    each string finds every secret the joined text holds."""
    batch: list[str] = []
    length = 0
    for piece in pieces:
        batch.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(batch)
            batch, length = [], 0
    if batch:
        yield "".join(batch)


_SCALARS = (str, int, float, bool, type(None))
_SHARED_MAX_KEYS = 10


def loads_shared(text: str | bytes) -> Any:
    """``json.loads(text)``, with equal flat objects of one to ten scalar values returned
    as one shared dict. The result compares equal to ``json.loads``'s; only
    a caller that never changes such a small object in place may use it."""
    shared: dict[tuple[Any, ...], dict[str, Any]] = {}

    def share(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # Never an empty object: it is where a caller adds entries (a container's rows).
        if 0 < len(pairs) <= _SHARED_MAX_KEYS and all(
                type(v) in _SCALARS for _, v in pairs):
            # The value's type is part of the key: 1, 1.0 and True are equal in Python.
            signature = tuple((k, (type(v).__name__, v)) for k, v in pairs)
            found = shared.get(signature)
            if found is None:
                found = shared[signature] = dict(pairs)
            return found
        return dict(pairs)

    return json.loads(text, object_pairs_hook=share)
