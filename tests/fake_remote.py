"""An in-memory remote for engine tests: pages held as documents, versions as counters.

It implements the Remote interface faithfully (identity keys on pages, version markers,
archive, adopt) so the engine's three-way logic can be tested without HTTP; the Notion and
Confluence adapters are tested against the HTTP stand-ins.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from pathlib import Path

import yaml

from prodops_sync.kinds import KindSpec, kind_for_path
from prodops_sync.links import LinkResolver
from prodops_sync.markdown import canonical
from prodops_sync.model import Document, key_for_path
from prodops_sync.remotes.base import Remote, RemoteConflict, RemoteEntry
from prodops_sync.sync.localfiles import split_front_matter
from prodops_sync.sync.state import SyncState


class FakePage:
    def __init__(self, page_id: str, key: str | None, doc: Document) -> None:
        self.id = page_id
        self.key = key
        self.doc = doc
        self.version = 1
        self.archived = False


class FakeRemote(Remote):
    label = "fake"

    def __init__(self) -> None:
        self.pages: dict[str, FakePage] = {}
        self._ids = itertools.count(1)
        self.reads = 0
        self.writes = 0
        self.fail_on_write: int | None = None
        self.crash_after_write = False
        self.saved_meanwhile: set[str] = set()
        """Keys whose page a wiki user saves between our plan and our write (a 409)."""

    # -- wiki user ---------------------------------------------------------------------------
    def page_for(self, key: str) -> FakePage:
        return next(p for p in self.pages.values() if p.key == key and not p.archived)

    def user_edit(self, key: str, *, body: str | None = None, **fields: object) -> None:
        page = self.page_for(key)
        doc = copy.deepcopy(page.doc)
        if body is not None:
            doc.body = canonical(body)
        doc.fields.update(fields)
        page.doc = doc
        page.version += 1

    def user_create(self, kind: str, title: str, body: str = "", **fields: object) -> FakePage:
        page_id = str(next(self._ids))
        doc = Document(key="", kind=kind, fields={"title": title, **fields}, body=canonical(body))
        page = FakePage(page_id, None, doc)
        self.pages[page_id] = page
        return page

    def user_delete(self, key: str) -> None:
        self.page_for(key).archived = True

    # -- Remote --------------------------------------------------------------------------------
    def _write(self) -> None:
        """Count a write; crash before it lands (or, with crash_after_write, see _landed)."""
        self.writes += 1
        if self._crash_due() and not self.crash_after_write:
            raise KeyboardInterrupt("simulated crash before the write")

    def _landed(self) -> None:
        if self._crash_due() and self.crash_after_write:
            raise KeyboardInterrupt("simulated crash after the write")

    def _crash_due(self) -> bool:
        return self.fail_on_write is not None and self.writes >= self.fail_on_write

    def prepare(self, state: SyncState, kinds: tuple[KindSpec, ...], *, create: bool) -> None:
        self.reads += 1

    def list_entries(self, state: SyncState, kinds: tuple[KindSpec, ...]) -> list[RemoteEntry]:
        self.reads += 1
        return [self._entry(p) for p in self.pages.values() if not p.archived]

    def _entry(self, page: FakePage) -> RemoteEntry:
        return RemoteEntry(
            remote_id=page.id,
            key=page.key,
            kind=page.doc.kind,
            title=page.doc.title,
            marker=str(page.version),
            url=f"https://wiki.test/{page.id}",
        )

    def fetch(self, entry: RemoteEntry, key: str, resolver: LinkResolver) -> Document:
        self.reads += 1
        doc = copy.deepcopy(self.pages[entry.remote_id].doc)
        doc.key = key
        return doc

    def create(self, doc: Document, state: SyncState, resolver: LinkResolver) -> RemoteEntry:
        self._write()
        page = FakePage(str(next(self._ids)), doc.key, copy.deepcopy(doc))
        page.doc.path = None
        self.pages[page.id] = page
        self._landed()
        return self._entry(page)

    def update(
        self, entry: RemoteEntry, doc: Document, current: Document | None, resolver: LinkResolver
    ) -> RemoteEntry:
        self._write()
        page = self.pages[entry.remote_id]
        if doc.key in self.saved_meanwhile:
            self.saved_meanwhile.discard(doc.key)
            self.user_edit(doc.key, body=page.doc.body + "\nSaved in the wiki meanwhile.\n")
            raise RemoteConflict("page was saved in the wiki meanwhile (409)")
        page.doc = copy.deepcopy(doc)
        page.doc.path = None
        page.version += 1
        self._landed()
        return self._entry(page)

    def archive(self, entry: RemoteEntry) -> None:
        self._write()
        self.pages[entry.remote_id].archived = True

    def adopt(self, entry: RemoteEntry, key: str) -> RemoteEntry:
        self._write()
        page = self.pages[entry.remote_id]
        page.key = key
        page.doc.key = key
        return self._entry(page)

    @property
    def requests_made(self) -> int:
        return self.reads + self.writes

    @property
    def writes_made(self) -> int:
        return self.writes


def _iso_dates(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    return value


def simple_loader(root: Path) -> tuple[dict[str, Document], list[str]]:
    """A minimal playbook reader for engine tests (the real loader is tested on its own)."""
    docs: dict[str, Document] = {}
    errors: list[str] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        rel = path.relative_to(root).as_posix()
        kind = kind_for_path(rel)
        if kind is None:
            continue
        text = path.read_text(encoding="utf-8")
        if "<<<<<<<" in text:
            errors.append(f"{rel}: conflict markers")
            continue
        if kind.file_format == "yaml":
            front, body = text, ""
        else:
            front, body = split_front_matter(text)
        try:
            fields = _iso_dates(yaml.safe_load(front) or {})
        except yaml.YAMLError:
            errors.append(f"{rel}: YAML error")
            continue
        assert isinstance(fields, dict)
        key = key_for_path(rel)
        docs[key] = Document(key, kind.name, fields, canonical(body), rel)
    return docs, errors
