"""Sync state: the base of three-way sync, a snapshot plus an append-only journal per target.

For every document the state records what both sides held after the last successful sync
(the *base*: canonical fields and body), the remote page id, and the remote's version marker
at that time (Confluence version number, Notion ``last_edited_time``). The engine saves the
state after every completed step, so an interrupted run resumes where it stopped; before a
remote write it records the content being written as ``pending``, so a rerun recognises a
half-finished write of its own and completes it instead of reporting a conflict.

Storage (see docs/architecture.md, "Where the base lives"):

* ``<target>.json``, the **snapshot**: the whole state as one JSON object, one line per
  value and one per document record, sorted (diffable by record, committed to the state
  branch in CI, and read a line at a time), written atomically only when the state is
  *compacted*: at the end of every run, and whenever the journal has grown as large as the
  snapshot (so the cost stays amortised O(1) per saved record).
* ``<target>.journal``, the **journal**: one JSON line per changed record, appended and
  fsynced by every :meth:`StateStore.save`. A save therefore costs O(changed records), not
  O(all documents): saving after each of 5,000 documents no longer re-serialises the
  other 4,999. Loading replays the journal over the snapshot; a torn last line (the process
  was killed in the middle of a write) is ignored, since its save never returned.

Which records changed is tracked, not recomputed: :class:`SyncState` keeps its documents in a
:class:`DocTable` that notices assignments and deletions, and :class:`DocState` tells its
table when one of its fields is assigned. A field holding a mutable value (a dict, a list)
that is changed *in place* is not noticed: assign a new value, or call
:meth:`SyncState.touch`. The test suite turns on a check (``PRODOPS_SYNC_STATE_CHECK=1``)
that fails loudly on an in-place change nobody announced.

Adding a field: give it a default in :class:`DocState` (or :class:`SyncState`). Old files
load with the default; nested dataclasses, lists and dicts of them are rebuilt from the
type hints; keys a newer version wrote that this version does not know are dropped.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import types
import typing
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from prodops_sync.jsonstream import buffered, dumps, json_chunks, loads_shared
from prodops_sync.safety import scrub
from prodops_sync.sync.files import atomic_write_chunks, atomic_write_text

STATE_VERSION = 3
"""Version 3: the snapshot has one line per record, so it loads line by line. Version 2
(snapshot + journal, the snapshot indented) and 1 (snapshot only, no generation) still load."""
READABLE_VERSIONS = (1, 2, 3)
MIN_COMPACT_BYTES = 1 << 20
"""The journal is compacted once it is larger than the snapshot and than this."""
CHECK_ENV = "PRODOPS_SYNC_STATE_CHECK"
LISTING_VERSION = 1
"""Version of the listing sidecar; another version is ignored (a full listing rebuilds it)."""
LISTING_DEPTH = 4
"""The listing file's levels written key by key: file, listings, container, rows."""


class StateError(Exception):
    """The state file is unreadable or locked by another run."""


REBIND_HELP = (
    "If the same pages are there now (the root page, space or parent page was moved or "
    "renamed), rerun with --rebind: documents keep their pages, found again by their "
    "keys. To start over against the new place, rerun with --resync: the recorded state is "
    "set aside (pages there are matched by key; differing documents become conflicts). "
    "Neither archives nor deletes anything."
)


class BindingError(StateError):
    """The sync state belongs to other containers than the configured target names (or its
    containers are gone): syncing would treat every document as deleted or new."""

    def __init__(self, target: str, problem: str) -> None:
        super().__init__(
            f"target {target!r}: {problem}; nothing was written. {REBIND_HELP}"
        )
        self.target = target
        self.problem = problem


class Packed:
    """A record field kept compressed in memory and decoded when it is read.

    The per-block base is most of a state (a Notion page's blocks as Notion JSON, with
    annotations and ids: about 9 KB per document), and a run reads it only for the pages
    it writes or reads. As Python objects, 5,000 of them took about 300 MB; packed (zlib of
    the compact JSON) they take about 10 MB. Each read decodes a fresh copy, so a change
    made in place to what was read is not kept: assign the field a new value (the rule for
    every record field, see the module docstring)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}_packed"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return None  # the dataclass default
        text = self.text(obj)
        return None if text is None else json.loads(text)

    def __set__(self, obj: Any, value: Any) -> None:
        packed = None if value is None else zlib.compress(
            dumps(value).encode(), 1)
        obj.__dict__[self.slot] = packed

    def text(self, obj: Any) -> str | None:
        """The field's compact JSON text, without decoding it into objects."""
        packed = obj.__dict__.get(self.slot)
        return None if packed is None else zlib.decompress(packed).decode()


@dataclass
class DocState:
    """What the last sync left for one document."""

    remote_id: str
    marker: str = ""
    """The remote's version marker after the last sync (opaque to the engine)."""
    base: dict[str, Any] | None = None
    """``model.content_of(document)`` as both sides held it after the last sync."""
    base_hash: str | None = None
    url: str = ""
    pending: str | None = None
    """Hash of content a push started writing and has not confirmed (journal)."""
    relink: bool = False
    """The page was written with links to pages that did not exist yet (placeholder
    URLs); push rewrites it once they exist, even if a run was interrupted meanwhile."""
    splice: dict[str, Any] | None = Packed()  # type: ignore[assignment]
    """The per-block base (:mod:`prodops_sync.formats.splice`): for every top-level block of
    the body, its Markdown and the remote form it came from or was written as, plus
    remote-specific parts (Confluence: the page-properties macro as stored). Push keeps the
    stored form of every block Git did not change; pull keeps the Git Markdown of every
    block the wiki did not change. None: render and convert whole pages. Kept
    :class:`Packed` in memory."""
    remote_key: str | None = None
    """The identity key the page carries, when it differs from the document's key (a file
    renamed in Git whose page still carries the old key until push renames it)."""
    refetch: bool = False
    """Read the page on the next run whatever its marker says (push found a wiki edit its
    marker did not show, e.g. one made with the tool's own token in the same minute)."""

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        owner = self.__dict__.get("_owner")
        if owner is not None:
            owner[0].dirty.add(owner[1])


class DocTable(dict[str, DocState]):
    """The documents of a state by key; remembers which keys changed since the last save."""

    def __init__(self, items: dict[str, DocState] | None = None) -> None:
        super().__init__()
        self.dirty: set[str] = set()
        for key, value in (items or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: DocState) -> None:
        object.__setattr__(value, "_owner", (self, key))
        super().__setitem__(key, value)
        self.dirty.add(key)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.dirty.add(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.dirty.add(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, DocState]:
        key, value = super().popitem()
        self.dirty.add(key)
        return key, value

    def setdefault(self, key: str, default: DocState | None = None) -> DocState:
        if key not in self:
            if default is None:
                raise TypeError("DocTable.setdefault needs a DocState")
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        self.dirty.update(self)
        super().clear()


@dataclass
class SyncState:
    """The whole state of one target."""

    target: str
    containers: dict[str, str] = field(default_factory=dict)
    """Remote containers by collection name (Notion data source ids, Confluence page ids)."""
    binding: dict[str, str] = field(default_factory=dict)
    """Which target the containers belong to (Notion root page; Confluence space and parent
    page), as the remote describes it: a configuration that names another place is refused
    instead of syncing against the wrong containers (see docs/sync.md)."""
    property_ids: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per collection, the property id of each property the tool created, by the name it
    gave it (Notion ids survive a column rename in the wiki)."""
    docs: dict[str, DocState] = field(default_factory=DocTable)
    synced_at: str | None = None
    """When the last push or pull finished (UTC, ISO 8601); informational."""
    assets: dict[str, dict[str, str]] = field(default_factory=dict)
    """Uploaded files by ``<document key>:<asset key>``: content ``hash`` and the wiki's
    ``ref`` (Notion file upload id, Confluence attachment name). Assign a new dict to
    change it."""
    asset_refs: dict[str, str] = field(default_factory=dict)
    """Wiki files known to be playbook assets: ``<page id>/<attachment name>`` or a
    Notion file URL without its signature -> asset key."""

    def __post_init__(self) -> None:
        if not isinstance(self.docs, DocTable):
            self.docs = DocTable(self.docs)
        self.listings: dict[str, Any] = {}
        """The remote's cached listing of each container (by container id), kept in a
        sidecar file, not in the snapshot or journal (see :meth:`set_listing`)."""
        self.listings_changed = False

    def set_listing(self, container: str, data: dict[str, Any] | None) -> None:
        """Replace the cached listing of ``container`` (None: forget it).

        A listing cache is a mirror of what the wiki listed at some moment, with that
        moment: a remote lists only what changed since then. It is independent of the
        documents' records, so it is saved whole, once, at the next save (a sidecar file,
        ``<target>.listing.json``), never journaled; losing it costs one full listing."""
        if data is None:
            self.listings.pop(container, None)
        else:
            self.listings[container] = data
        self.listings_changed = True

    def touch(self, key: str) -> None:
        """Mark ``key``'s record changed after changing one of its values in place."""
        _table(self).dirty.add(key)

    def meta(self) -> dict[str, Any]:
        """Everything but the documents, JSON-ready (small: saved whole when it changes)."""
        return {
            f.name: _to_data(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name != "docs"
        }

    def to_json(self, generation: int = 0) -> str:
        """Serialise as a snapshot (stable key order, so the file diffs well in git)."""
        return "".join(self.json_chunks(generation))

    def json_chunks(self, generation: int = 0) -> Iterator[str]:
        """:meth:`to_json` line by line: one JSON object, laid out with one line per value
        of the state and one per document record (sorted), so it diffs by record and
        :func:`_read_snapshot` can load it a line at a time. The text is never joined:
        compacting the state of thousands of documents needs little memory beyond the state
        itself, and packed fields are written from their text, not decoded."""
        yield "{\n"
        yield f'"version": {STATE_VERSION},\n"generation": {generation},\n'
        for name, value in _sorted_meta(self.meta()).items():
            yield f"{_compact(name)}: {_compact(value)},\n"
        yield '"docs": {\n'
        keys = sorted(self.docs)
        for number, key in enumerate(keys, 1):
            comma = "," if number < len(keys) else ""
            yield f"{_compact(key)}: {record_json(self.docs[key])}{comma}\n"
        yield "}\n}\n"

    @classmethod
    def from_json(cls, text: str, target: str) -> SyncState:
        """Parse a snapshot's text."""
        return _state_from_snapshot(json.loads(text), target)[0]


def _compact(value: Any) -> str:
    return dumps(value)


def record_json(record: DocState) -> str:
    """One document record as compact JSON, its fields in field order; a :class:`Packed`
    field is written from its stored text."""
    parts = []
    for f in dataclasses.fields(record):
        packed = DocState.__dict__.get(f.name)
        if isinstance(packed, Packed):
            text = packed.text(record)
            value = "null" if text is None else text
        else:
            value = _compact(_to_data(getattr(record, f.name)))
        parts.append(f"{_compact(f.name)}:{value}")
    return "{" + ",".join(parts) + "}"


def _table(state: SyncState) -> DocTable:
    if not isinstance(state.docs, DocTable):  # someone assigned a plain dict
        state.docs = DocTable(state.docs)
        state.docs.dirty.update(state.docs)
    return state.docs


def _sorted_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: dict(sorted(v.items())) if isinstance(v, dict) else v for k, v in meta.items()}


# -- (de)serialisation of records: dataclasses <-> JSON data, driven by type hints ------------


def _to_data(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_data(v) for v in value]
    return value


def _from_data(hint: Any, value: Any) -> Any:
    """Rebuild ``value`` (JSON data) as type ``hint``: dataclasses (unknown keys dropped,
    missing ones defaulted), optionals, lists and dicts of them; anything else as is."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _from_data(options[0], value) if len(options) == 1 else value
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(hint) or (Any,)
        return [_from_data(item, v) for v in value]
    if origin is dict and isinstance(value, dict):
        args = typing.get_args(hint)
        item = args[1] if len(args) == 2 else Any
        return {k: _from_data(item, v) for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {hint.__name__}, got {value!r:.60}")
        hints = _hints(hint)
        known = {f.name for f in dataclasses.fields(hint) if f.init}
        return hint(**{k: _from_data(hints[k], v) for k, v in value.items() if k in known})
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _doc_from_data(value: Any) -> DocState:
    doc = _from_data(DocState, value)
    if not isinstance(doc, DocState):
        raise TypeError(f"expected a document record, got {value!r:.60}")
    return doc


def _apply_meta(state: SyncState, meta: dict[str, Any]) -> None:
    hints = _hints(SyncState)
    for f in dataclasses.fields(SyncState):
        if f.name != "docs" and f.name in meta:
            setattr(state, f.name, _from_data(hints[f.name], meta[f.name]))


def _state_from_snapshot(data: Any, target: str) -> tuple[SyncState, int]:
    if not isinstance(data, dict):
        raise StateError("the state is not a JSON object")
    if data.get("version") not in READABLE_VERSIONS:
        raise StateError(
            f"unsupported state version {data.get('version')!r} (this prodops-sync reads "
            f"{', '.join(map(str, READABLE_VERSIONS))}; a newer version wrote it?)"
        )
    state = SyncState(target=str(data.get("target") or target))
    _apply_meta(state, {k: v for k, v in data.items() if k not in ("version", "generation")})
    docs = data.get("docs") or {}
    if not isinstance(docs, dict):
        raise StateError("'docs' is not an object")
    state.docs = DocTable({key: _doc_from_data(value) for key, value in docs.items()})
    generation = data.get("generation", 0)
    if not isinstance(generation, int):
        raise StateError("'generation' is not a number")
    return state, generation


def _dump_line(record: dict[str, Any]) -> bytes:
    return (dumps(record) + "\n").encode()


def _doc_line(key: str, record: DocState) -> bytes:
    """The journal line of a changed record (as ``_dump_line({"doc": ..., "state": ...})``
    would write it, packed fields from their text)."""
    return f'{{"doc":{_compact(key)},"state":{record_json(record)}}}\n'.encode()


_V3_HEAD = b'"version": 3,'


def _read_snapshot(path: Path, target: str) -> tuple[SyncState, int, int] | None:
    """The snapshot at ``path`` (state, generation, size in bytes), None when there is
    none. A version-3 snapshot is read a line at a time, so loading never holds the whole
    text, nor all of it decoded, at once; older versions are parsed whole."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        first, second = handle.readline(), handle.readline()
        if first.rstrip(b"\r\n") != b"{" or not second.startswith(_V3_HEAD):
            data = json.loads((first + second + handle.read()).decode("utf-8"))
            state, generation = _state_from_snapshot(data, target)
            return state, generation, size
        return (*_stream_v3(handle, second, target), size)


def _stream_v3(handle: Any, second: bytes, target: str) -> tuple[SyncState, int]:
    """The rest of a version-3 snapshot after its first line; ``second`` is its second."""
    meta: dict[str, Any] = {}
    docs: dict[str, DocState] = {}
    section = meta
    number, line, closed = 2, second, False
    while line:
        text = line.rstrip(b"\r\n").rstrip(b",")
        if text == b'"docs": {':
            section = docs
        elif text == b"}" and section is docs:
            section, closed = meta, True
        elif text == b"}" and closed:
            break
        else:
            try:
                ((name, value),) = json.loads(b"{" + text + b"}").items()
                if section is docs:
                    docs[name] = _doc_from_data(value)
                else:
                    meta[name] = value
            except (ValueError, TypeError) as exc:
                raise StateError(f"line {number}: {exc}") from None
        line = handle.readline()
        number += 1
    else:
        raise StateError("the snapshot ends before its last line (cut short?)")
    meta["docs"] = {}
    state, generation = _state_from_snapshot(meta, target)
    state.docs = DocTable(docs)
    return state, generation


class StateStore:
    """Reads, locks and saves one target's state: a snapshot plus an append-only journal."""

    def __init__(self, directory: Path, target: str) -> None:
        self.path = directory / f"{target}.json"
        self.journal_path = directory / f"{target}.journal"
        self.listing_path = directory / f"{target}.listing.json"
        self.target = target
        self._lock = FileLock(str(directory / f"{target}.lock"))
        self._generation = 0
        self._snapshot_bytes = 0
        self._journal_bytes = 0
        self._journal_fd: int | None = None
        self._meta_written: str | None = None
        self._check = os.environ.get(CHECK_ENV) == "1"
        self._written: dict[str, str] = {}
        """Check mode only: each record as last written."""

    # -- reading ------------------------------------------------------------------------------

    def load(self) -> SyncState:
        """The saved state (snapshot + journal), or an empty one on the first run."""
        self._close_journal()
        try:
            read = _read_snapshot(self.path, self.target)
        except (ValueError, TypeError, KeyError, StateError) as exc:
            raise StateError(f"{self.path}: unreadable sync state: {exc}") from None
        if read is None:
            state, self._generation, self._snapshot_bytes = SyncState(target=self.target), 0, 0
        else:
            state, self._generation, self._snapshot_bytes = read
        self._journal_bytes = self._replay(state)
        self._meta_written = json.dumps(state.meta(), sort_keys=True)
        state.listings = self._load_listings()
        table = _table(state)
        table.dirty.clear()
        if self._check:
            self._written = {k: json.dumps(_to_data(v)) for k, v in table.items()}
        return state

    def _load_listings(self) -> dict[str, Any]:
        """The listing caches of the sidecar file; empty when it is missing, unreadable or
        of another version (a cache: the remote then lists everything once)."""
        try:
            # Rows repeat small objects (every column's id and type): shared, not copied.
            data = loads_shared(self.listing_path.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != LISTING_VERSION:
            return {}
        listings = data.get("listings")
        return listings if isinstance(listings, dict) else {}

    def _save_listings(self, state: SyncState) -> None:
        """Write the listing caches if they changed since they were loaded or saved."""
        if not state.listings_changed:
            return
        # Piece by piece (a row per piece): the text of thousands of rows is never whole.
        pieces = json_chunks({"version": LISTING_VERSION, "listings": state.listings},
                             depth=LISTING_DEPTH, sort_keys=True)
        atomic_write_chunks(self.listing_path,
                            (scrub(c).encode() for c in buffered(chain(pieces, ["\n"]))))
        state.listings_changed = False

    def _replay(self, state: SyncState) -> int:
        """Apply the journal's records to ``state``; the journal's valid length in bytes
        (0 when there is none or it belongs to an older snapshot)."""
        try:
            raw = self.journal_path.read_bytes()
        except FileNotFoundError:
            return 0
        lines = raw.split(b"\n")
        # The last element is what follows the final newline: empty, or a line whose write
        # was cut short by a kill. Its save never returned, so it is not part of the state.
        complete, valid = lines[:-1], len(raw) - len(lines[-1])
        if not complete:
            return 0
        where = f"{self.journal_path}"
        try:
            header = json.loads(complete[0])
            if header.get("generation") != self._generation:
                # Left over from before the last compaction (killed before it was removed):
                # the snapshot already holds all of it.
                return 0
            for number, line in enumerate(complete[1:], 2):
                where = f"{self.journal_path}:{number}"
                record = json.loads(line)
                if "doc" in record:
                    key = str(record["doc"])
                    if record.get("deleted"):
                        state.docs.pop(key, None)
                    else:
                        state.docs[key] = _doc_from_data(record["state"])
                elif "meta" in record:
                    _apply_meta(state, record["meta"])
                else:
                    raise StateError("unknown journal record")
        except (ValueError, TypeError, KeyError, AttributeError, StateError) as exc:
            raise StateError(f"{where}: unreadable sync journal: {exc}") from None
        return valid

    # -- writing ------------------------------------------------------------------------------

    def save(self, state: SyncState) -> None:
        """Record what changed since the last save: one fsynced journal append, O(changed).
        Compacts into the snapshot once the journal has grown as large as the snapshot."""
        table = _table(state)
        if self._check:
            self._check_untracked(table)
        lines = []
        meta = json.dumps(state.meta(), sort_keys=True)
        if meta != self._meta_written:
            lines.append(_dump_line({"meta": state.meta()}))
        for key in sorted(table.dirty):
            record = table.get(key)
            if record is None:
                lines.append(_dump_line({"doc": key, "deleted": True}))
                self._written.pop(key, None)
            else:
                lines.append(_doc_line(key, record))
                if self._check:
                    self._written[key] = json.dumps(_to_data(record))
        if lines:
            self._append(scrub(b"".join(lines).decode()).encode())
        self._meta_written = meta
        table.dirty.clear()
        self._save_listings(state)
        if self._journal_bytes > max(MIN_COMPACT_BYTES, self._snapshot_bytes):
            self.compact(state)

    def compact(self, state: SyncState) -> None:
        """Write the whole state as a new snapshot (atomically) and drop the journal."""
        self._close_journal()
        # No credential in a file CI commits: each piece is scrubbed (a string value is one
        # piece, so a secret inside one is found as in the whole text).
        chunks = (scrub(c).encode() for c in buffered(state.json_chunks(self._generation + 1)))
        size = atomic_write_chunks(self.path, chunks)
        # From here the snapshot holds everything: a journal left behind by a kill before the
        # next line belongs to the previous generation and is ignored on load.
        self._generation += 1
        self._snapshot_bytes = size
        self.journal_path.unlink(missing_ok=True)
        self._journal_bytes = 0
        self._meta_written = json.dumps(state.meta(), sort_keys=True)
        _table(state).dirty.clear()
        self._save_listings(state)

    def close(self) -> None:
        """Release the journal's file handle (the state stays saved)."""
        self._close_journal()

    def _append(self, data: bytes) -> None:
        if self._journal_fd is None:
            self._open_journal()
        assert self._journal_fd is not None
        view = memoryview(data)
        while view:
            written = os.write(self._journal_fd, view)
            view = view[written:]
        os.fsync(self._journal_fd)
        self._journal_bytes += len(data)

    def _open_journal(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._journal_bytes == 0:
            # A fresh journal for this generation (replacing a stale one atomically).
            header = _dump_line({"journal": STATE_VERSION, "generation": self._generation})
            atomic_write_text(self.journal_path, header.decode())
            self._journal_bytes = len(header)
        else:
            # Cut a torn tail off before appending after it.
            os.truncate(self.journal_path, self._journal_bytes)
        self._journal_fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND)

    def _close_journal(self) -> None:
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None

    def _check_untracked(self, table: DocTable) -> None:
        """Check mode: fail on a record changed in place without being marked."""
        for key, record in table.items():
            if key in table.dirty:
                continue
            if self._written.get(key) != json.dumps(_to_data(record)):
                raise StateError(
                    f"state record {key!r} was changed in place without being marked: assign "
                    f"its field a new value or call SyncState.touch({key!r})"
                )

    def lock(self, timeout: float = 0) -> FileLock:
        """Take the target's lock so two runs never sync one target at once."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=timeout)
        except Timeout:
            raise StateError(
                f"another prodops-sync run is syncing target {self.target!r} "
                f"(lock {self._lock.lock_file}); wait for it to finish"
            ) from None
        return self._lock


def read_state_data(directory: Path, target: str) -> dict[str, Any]:
    """The saved state of ``target`` (snapshot and journal) as snapshot JSON data, for
    tests and tools that inspect it."""
    store = StateStore(directory, target)
    data: dict[str, Any] = json.loads(store.load().to_json(store._generation))
    return data
