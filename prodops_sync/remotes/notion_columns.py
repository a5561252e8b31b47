"""Notion columns by property id: a column renamed in the wiki is still the same field.

The tool creates each database's properties under the names the playbook's schemas give
them. Notion keeps a property's id when a person renames the column, so the id each name
got is recorded in the state (``SyncState.property_ids``, per collection) the first time
a page shows it. Reading maps a page's properties back to the tool's names by id; writing
addresses renamed columns by id (the API accepts names or ids as property keys), so a
rename in the wiki neither empties the field in Git nor makes the next push add a second
column. Columns the playbook does not know are reported once.

Earlier versions named each column exactly like its field (``duration_minutes``); the tool now
names them by human label (``Duration minutes``). ``aliases`` (label -> old name) lets a
database made by an earlier version read correctly until the next push renames its columns.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any


class Columns:
    """The tool's column names of one collection and the property ids they have."""

    def __init__(
        self,
        collection: str,
        names: Iterable[str],
        ids: MutableMapping[str, str],
        aliases: Mapping[str, str] | None = None,
    ):
        self.collection = collection
        self.names = set(names)
        self.aliases = dict(aliases or {})
        """Tool name -> the name an earlier version gave the column."""
        for name, old in self.aliases.items():
            # the id an earlier version recorded under the old name is this column's id
            if old in ids and name not in ids and old not in self.names:
                ids[name] = ids.pop(old)
        self.ids = ids
        """Tool name -> property id (the state's record for this collection, updated here)."""
        self.renamed: dict[str, str] = {}
        """Tool name -> the column's name in Notion now, for renamed columns."""
        self.legacy: dict[str, str] = {}
        """Tool name -> the earlier version's name a page still shows the column under."""
        self.unknown: set[str] = set()

    def learn(self, props: dict[str, Any]) -> None:
        """Record the ids of the tool's columns a page shows under their own names."""
        for name in self.names:
            value = props.get(name)
            pid = value.get("id") if isinstance(value, dict) else None
            if isinstance(pid, str) and pid and name not in self.ids:
                self.ids[name] = pid

    def to_tool_names(self, props: dict[str, Any]) -> dict[str, Any]:
        """A page's properties keyed by the tool's names (renamed columns found by id)."""
        self.learn(props)
        by_id = {
            value.get("id"): name for name, value in props.items() if isinstance(value, dict)
        }
        out = dict(props)
        for name, old in self.aliases.items():
            value = out.get(old)
            if name not in out and isinstance(value, dict) and name not in self.ids:
                if isinstance(value.get("id"), str) and value["id"]:
                    self.ids[name] = value["id"]
                out[name] = out.pop(old)  # not renamed by a person: no drift to report
                self.legacy[name] = old
        for name, pid in self.ids.items():
            current = by_id.get(pid)
            if name in props or current is None or current == name:
                continue
            if current == self.aliases.get(name):
                out[name] = out.pop(current)  # an earlier version's name, renamed on push
                self.legacy[name] = current
                continue
            out[name] = out.pop(current)
            self.renamed[name] = current
        mapped = set(self.renamed.values()) | set(self.legacy.values())
        self.unknown.update(n for n in props if n not in self.names and n not in mapped)
        return out

    def to_wiki_keys(self, props: dict[str, Any]) -> dict[str, Any]:
        """Request properties keyed for the API: renamed columns by their id."""
        return {self.key_of(name): value for name, value in props.items()}

    def key_of(self, name: str) -> str:
        """How to address column ``name`` in a filter or request."""
        moved = name in self.renamed or name in self.legacy
        return self.ids[name] if moved and name in self.ids else name

    def messages(self) -> list[tuple[str, str]]:
        """Drift to report: renamed and unknown columns."""
        out = [
            (self.collection, f"column {name!r} is called {now!r} in Notion now; it is "
                              f"still mapped to the field by its property id")
            for name, now in sorted(self.renamed.items())
        ]
        out += [
            (self.collection, f"column {name!r} is not part of the playbook; its values are "
                              f"not synced")
            for name in sorted(self.unknown)
        ]
        return out
