"""Well-formedness check for Confluence storage format (XHTML with ac:/ri: namespaces).

Parsed with defusedxml: no DTDs, no external or custom entities. HTML named entities that
Confluence accepts in storage (``&nbsp;``, ``&mdash;`` ...) are turned into numeric
character references first; an unknown entity is an error, as in Confluence.
"""

from __future__ import annotations

import re
from html.entities import name2codepoint

from defusedxml import ElementTree as SafeET

NAMESPACES = {
    "ac": "http://atlassian.com/content",
    "ri": "http://atlassian.com/resource/identifier",
    "at": "http://atlassian.com/template",
}
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")


class StorageFormatError(ValueError):
    """The body is not well-formed storage XHTML."""


def _replace_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _XML_ENTITIES:
        return match.group(0)
    if name in name2codepoint:
        return f"&#{name2codepoint[name]};"
    raise StorageFormatError(f'The entity "{name}" was referenced, but not declared.')


def check_storage(value: str) -> None:
    """Raise :class:`StorageFormatError` unless ``value`` is well-formed storage XHTML."""
    if "<!DOCTYPE" in value or "<!ENTITY" in value:
        raise StorageFormatError("DOCTYPE is disallowed in storage format.")
    text = _ENTITY.sub(_replace_entity, value)
    declarations = " ".join(f'xmlns:{p}="{uri}"' for p, uri in NAMESPACES.items())
    wrapped = f"<root {declarations}>{text}</root>"
    try:
        SafeET.fromstring(wrapped, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except SafeET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise StorageFormatError(
            f"Error parsing xhtml: Unexpected content at [row,col]:[{line},{column}]: {exc}"
        ) from exc
    except Exception as exc:  # defusedxml raises its own DTD/entity errors
        raise StorageFormatError(f"Error parsing xhtml: {exc}") from exc
