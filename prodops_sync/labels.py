"""Human labels for schema fields: what a wiki reader sees instead of ``duration_minutes``.

Both wikis show a field under the same label: the schema's ``title`` when it has one, else
the field name with ``_`` and ``-`` as spaces and the first letter capital
(``output_artifact`` -> ``Output artifact``). Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


def field_label(name: str, prop: Mapping[str, Any] | None = None) -> str:
    """The label shown for field ``name`` (schema ``title`` first, else the readable name)."""
    title = (prop or {}).get("title")
    if isinstance(title, str) and title.strip():
        return " ".join(title.split())
    words = " ".join(name.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:] if words else name


def field_labels(
    props: Mapping[str, Any], *, reserved: Collection[str] = ()
) -> dict[str, str]:
    """Field name -> label for every field of a schema's ``properties``, unique among
    themselves and against ``reserved`` (names the caller uses for its own columns).

    A label that two fields would share, or that is reserved, gets the field's position
    appended (``Owner 2``), so the mapping stays one-to-one and stable for a given schema."""
    out: dict[str, str] = {}
    taken = {r.casefold() for r in reserved}
    for position, (name, prop) in enumerate(props.items(), start=1):
        label = field_label(name, prop if isinstance(prop, Mapping) else None)
        if label.casefold() in taken:
            label = f"{label} {position}"
        taken.add(label.casefold())
        out[name] = label
    return out
