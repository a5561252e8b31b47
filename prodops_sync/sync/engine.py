"""The sync engine: build a three-way plan, then apply it step by step, journaled.

The engine is remote-agnostic. It reads the local playbook, the state (the base) and the
remote's cheap listing; fetches only pages whose markers say they may have changed;
classifies every document (:mod:`prodops_sync.sync.planner`); and applies push or pull
actions one at a time, saving the state after every completed step so an interrupted run
resumes without duplicates.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prodops_sync import links
from prodops_sync.formats.splice import keep_git_markdown, record_matches
from prodops_sync.kinds import KindSpec, Registry, use
from prodops_sync.links import MappingResolver
from prodops_sync.model import Document, content_hash, content_of
from prodops_sync.pages import page_depth
from prodops_sync.remotes.base import ContainerGone, Remote, RemoteConflict, RemoteEntry
from prodops_sync.safety import UnsafePath, check_key, inside
from prodops_sync.schemas import load_schema
from prodops_sync.sync.assets import AssetError, AssetSync
from prodops_sync.sync.failures import document_failure
from prodops_sync.sync.files import (
    atomic_write_text,
    digest,
    read_bytes,
    remove_stale_temps,
    slugify,
    unique_stem,
)
from prodops_sync.sync.identity import (
    Assignment,
    assign_entries,
    detect_renames,
    rekeyed,
)
from prodops_sync.sync.linkorder import creation_order, link_targets
from prodops_sync.sync.localfiles import render_document
from prodops_sync.sync.merge import MergeResult, Prefer, has_markers, merge_documents, take_side
from prodops_sync.sync.pagetree import assign_page_keys
from prodops_sync.sync.planner import PlanItem, PullAction, PushAction, Status, plan
from prodops_sync.sync.state import BindingError, DocState, StateStore, SyncState

ProgressCallback = Callable[[int, int, str], None]

ON_CONFLICT_PUSH = ("skip", "merge", "local", "wiki")
"""What push does with a page changed on both sides: skip it (report), push a clean
three-way merge, or merge letting the Git (local) or wiki side win where both changed the
same thing. The last three also write the merged document into the file."""
ON_CONFLICT_PULL = ("merge", "local", "wiki")
"""What pull does where both sides changed the same thing: leave conflict markers, or
let the Git (local) or wiki side win. Non-overlapping edits merge either way."""
_PREFER: dict[str, Prefer] = {"merge": None, "local": "local", "wiki": "remote"}


class SyncError(Exception):
    """A sync run cannot proceed (invalid playbook, too many deletions...), nothing written."""


@dataclass
class Outcome:
    """What happened to one document in an applied run."""

    key: str
    title: str
    status: Status
    action: str
    detail: str = ""
    url: str = ""
    path: str = ""


@dataclass
class Notice:
    """Something the plan shows on its own line: a rename, a move, a page deleted in the
    wiki, schema drift, a duplicate page, a re-bound target."""

    kind: str
    key: str
    detail: str


@dataclass
class Report:
    """The result of a plan, push or pull."""

    mode: str
    items: list[PlanItem]
    outcomes: list[Outcome] = field(default_factory=list)
    requests: int = 0
    writes: int = 0
    retries: int = 0
    dry_run: bool = False
    urls: dict[str, str] = field(default_factory=dict)
    """Wiki page URL of each document that has a page."""
    warnings: list[str] = field(default_factory=list)
    """Things that did not stop the run but need a look (a wiki file that could not be
    downloaded, say)."""
    notices: list[Notice] = field(default_factory=list)
    """Renames, moves, wiki deletions, drift and duplicates, one line each."""

    def count(self, action: str) -> int:
        """How many documents got ``action``."""
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def invalid(self) -> list[Outcome]:
        """Documents pull did not write because the wiki's version fails validation."""
        return [o for o in self.outcomes if o.action == "invalid"]

    @property
    def skipped(self) -> list[Outcome]:
        """Documents left alone because their page could not be read or converted, or
        carries an unsafe key (exit code 4)."""
        return [o for o in self.outcomes if o.action == "skipped"]

    @property
    def conflicts(self) -> list[Outcome]:
        """Documents left in conflict."""
        return [o for o in self.outcomes if o.action in ("conflict", "skip-conflict")]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (documented in docs/sync.md)."""
        return {
            "mode": self.mode,
            "dry_run": self.dry_run,
            "requests": self.requests,
            "writes": self.writes,
            "retries": self.retries,
            "documents": [
                {
                    "key": item.key,
                    "title": item.title,
                    "status": str(item.status),
                    "push": str(item.push),
                    "pull": str(item.pull),
                    "url": self.urls.get(item.key, ""),
                }
                for item in self.items
            ],
            "outcomes": [o.__dict__ for o in self.outcomes],
            "notices": [n.__dict__ for n in self.notices],
            "conflicts": len(self.conflicts),
            "skipped": len(self.skipped),
            "warnings": self.warnings,
        }


PENDING_URL = links.PENDING_URL
_NOTION_ID = re.compile(r"([0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})$")


def _page_id(url: str) -> str | None:
    """The 32-hex page id at the end of a Notion URL or id, without dashes."""
    match = _NOTION_ID.search(url.rstrip("/").split("?")[0].split("#")[0].lower())
    return match.group(1).replace("-", "") if match else None


class EngineResolver(MappingResolver):
    """Link resolver built from the state, the local playbook and the remote listing.

    A link to a document whose page does not exist yet (first push) resolves to a
    placeholder URL under :data:`PENDING_URL` that maps back to the same key, so the page
    is valid for the API and reads back unchanged; the engine rewrites such pages once
    their targets exist.
    """

    def __init__(self) -> None:
        super().__init__()
        self.misses: set[str] = set()
        self.file_lookup: Callable[[str, str], str | None] | None = None
        """Maps a wiki file to a playbook asset (the engine's :class:`AssetSync`)."""

    def asset_for_remote(self, ref: str, name: str) -> str | None:
        if self.file_lookup is not None:
            return self.file_lookup(ref, name)
        return super().asset_for_remote(ref, name)

    def url_for(self, key: str) -> str | None:
        url = self.urls.get(key)
        if url:
            return url
        if key in self.titles:
            self.misses.add(key)
            return PENDING_URL + key
        return None

    def key_for_url(self, url: str) -> str | None:
        if url.startswith(PENDING_URL):
            return url[len(PENDING_URL) :] or None
        wanted = _page_id(url)
        for key, known in self.urls.items():
            if known == url or (wanted is not None and _page_id(known) == wanted):
                return key
        return None



# After push acts on a document in one of these states, the page holds the local document.
_REMOTE_HOLDS_LOCAL = frozenset({
    Status.IN_SYNC, Status.LOCAL_CHANGED, Status.BOTH_SAME, Status.NEW_LOCAL,
    Status.LOCAL_EDIT_REMOTE_DELETE,
})

LocalLoader = Callable[[Path], tuple[dict[str, Document], list[str]]]


def load_local(playbook_dir: Path) -> tuple[dict[str, Document], list[str]]:
    """The playbook's documents by key, and its validation errors (as printable lines)."""
    from prodops_sync.playbook.bodycache import default_cache_dir
    from prodops_sync.validate import check_playbook  # import late: heavy (jsonschema)

    # One load for both documents and problems, with validate's cache of bodies.
    report = check_playbook(playbook_dir, cache_dir=default_cache_dir(playbook_dir))
    errors = [
        f"{p.file}:{p.line}:{p.column}: {p.field}: {p.message}"
        for p in report.problems
        if p.severity == "error"
    ]
    for doc in report.documents:
        # What only validation reads (YAML positions: a hundred objects per document).
        for name in _VALIDATION_ONLY:
            doc.extra.pop(name, None)
    return {doc.key: doc for doc in report.documents}, errors


_VALIDATION_ONLY = ("positions", "raw_body", "body_outline")


class Engine:
    """Plans and applies a sync between one playbook directory and one remote."""

    def __init__(
        self,
        playbook_dir: Path,
        remote: Remote,
        store: StateStore,
        *,
        kinds: Registry | None = None,
        progress: ProgressCallback | None = None,
        loader: LocalLoader = load_local,
        bind: str | None = None,
    ) -> None:
        """``bind`` is None, ``"rebind"`` or ``"resync"``: what to do when the state belongs
        to other containers than the target names (see :meth:`_bind`)."""
        self.playbook_dir = playbook_dir
        self.remote = remote
        self.store = store
        if kinds is None:
            from prodops_sync.sync.config import find_registry  # late: config imports jsonschema

            kinds = find_registry(playbook_dir)
        self.registry = kinds
        """The playbook's kinds (built-in and the team's); current during every run."""
        self.progress = progress or (lambda _i, _n, _m: None)
        self.loader = loader
        self.state = SyncState(target=store.target)
        self.entries: dict[str, RemoteEntry] = {}
        self.resolver = EngineResolver()
        self.local_errors: list[str] = []
        self.files = AssetSync(playbook_dir, remote, self.resolver, lambda: self.state)
        self.resolver.file_lookup = self.files.asset_for_remote
        self.local: dict[str, Document] = {}
        self.page_moves: dict[str, str] = {}
        """Free pages the wiki moved (new key -> old key); pull moves their files."""
        if bind not in (None, "rebind", "resync"):
            raise ValueError(f"bind must be None, 'rebind' or 'resync', not {bind!r}")
        self.bind = bind
        self.notices: list[Notice] = []
        self.invalid: dict[str, str] = {}
        """Documents whose wiki version fails validation, with the problem (pull skips them)."""
        self.found_existing: list[tuple[PlanItem, RemoteEntry, Outcome]] = []
        """Creates that found a page another run had just made (see :meth:`_adopt_existing`)."""
        self.duplicates: list[tuple[str, RemoteEntry]] = []
        """Extra pages carrying a key another page holds (see :mod:`.identity`)."""
        self.skipped: dict[str, Outcome] = {}
        """Documents this run leaves alone (unreadable page, unsafe key), by key."""
        self.set_aside: str | None = None
        """The state a ``resync`` replaced (as JSON); saved beside the new one by a run
        that writes."""

    # -- planning -------------------------------------------------------------------------

    def build_plan(self, *, create_containers: bool = False) -> list[PlanItem]:
        """Read all three sides and classify every document. Makes no remote writes unless
        ``create_containers`` (push on its first run creates the databases / parent pages)."""
        with use(self.registry):
            return self._build_plan(create_containers=create_containers)

    def _build_plan(self, *, create_containers: bool) -> list[PlanItem]:
        self.state = self.store.load()
        self.files.load()
        self.notices = []
        self.skipped = {}
        self._bind()
        local, self.local_errors = self.loader(self.playbook_dir)
        self.local = local
        # An invalid playbook is never pushed, so its first push creates no containers either.
        create = create_containers and not self.local_errors
        # The "Pages" tree is looked for and made once the playbook has free pages (an
        # empty tree page, and a lookup per run, are no use to a playbook without any).
        kinds = tuple(k for k in self.registry.kinds if not k.is_page or k.collection in
                      self.state.containers or any(d.kind == k.name for d in local.values()))
        try:
            self.remote.prepare(self.state, kinds, create=create)
            entries = self.remote.list_entries(self.state, kinds)
        except ContainerGone as exc:
            raise BindingError(self.store.target, str(exc)) from None
        pages = self.registry.pages
        page_entries = [e for e in entries if pages is not None and e.kind == pages.name]
        assignment = assign_entries(
            [e for e in entries if pages is None or e.kind != pages.name], self.state.docs
        )
        self._assign_keys(assignment, local, page_entries)
        self.duplicates = assignment.duplicates
        # Under the key the state files it under (a record moved by a rename keeps the old
        # key inside its stored content until the next write).
        base = {
            key: rekeyed(_document_from_content(s.base), key)
            for key, s in self.state.docs.items()
            if s.base is not None
        }
        renames = self._follow_renames(local, base)
        for key, doc in local.items():
            self.resolver.titles[key] = doc.title
            if doc.path:
                self.resolver.paths[key] = doc.path
        for key, entry in self.entries.items():
            if entry.url:
                self.resolver.urls.setdefault(key, entry.url)
            self.resolver.titles.setdefault(key, entry.title)
        remote_docs = self._remote_documents(base)
        pending = {k: s.pending for k, s in self.state.docs.items() if s.pending}
        # A document whose page could not be read is left out of the plan altogether: it
        # must read neither as deleted in the wiki nor as changed.
        for key in self.skipped:
            for side in (local, remote_docs, base, pending):
                side.pop(key, None)
        items = plan(local, remote_docs, base, pending)
        self._annotate(items, assignment.key_changes, renames)
        return items

    def _wiki_problem(self, item: PlanItem) -> str:
        """Why the wiki's version of a document pull would write fails validation where the
        Git version (or the base) did not (a new select option, a cleared required field):
        ``field: message``, or empty. Pages created in the wiki are not judged: their file
        is new, and validate shows what it lacks."""
        if item.pull not in (PullAction.WRITE, PullAction.MERGE) or item.remote is None:
            return ""
        reference = item.local or item.base
        if reference is None:
            return ""
        from prodops_sync.validate import validate_documents  # heavy (jsonschema)

        def errors(doc: Document) -> list[str]:
            copy = Document(item.key, doc.kind, doc.fields, doc.body, path=self._path_for(item))
            return [
                f"{p.field}: {p.message}"
                for p in validate_documents([copy], whole_playbook=False)
                if p.severity == "error"
            ]

        known = set(errors(reference))
        new = [e for e in errors(item.remote) if e not in known]
        return "; ".join(new[:3])

    def _follow_renames(
        self, local: dict[str, Document], base: dict[str, Document]
    ) -> dict[str, str]:
        """Files renamed in Git (``git mv``): a document that went and a new one of the same
        kind with similar content are one document. Its state record, base and page move to
        the new key (the page keeps carrying the old key until push renames it), so the
        page is renamed, never archived and created again. ``{new key: old key}``."""
        def keyed(kind: str) -> bool:  # free pages follow the tree (see _assign_page_keys)
            spec = self.registry.get(kind)
            return spec is not None and not spec.is_page

        gone = {k: base[k] for k in self.state.docs
                if k in base and k not in local and keyed(base[k].kind)}
        new = {k: d for k, d in local.items()
               if k not in self.state.docs and k not in self.entries and keyed(d.kind)}
        renames = detect_renames(gone, new) if gone and new else {}
        for new_key, old_key in renames.items():
            record = self.state.docs.pop(old_key)
            entry = self.entries.pop(old_key, None)
            record.remote_key = record.remote_key or old_key
            self.state.docs[new_key] = record
            base[new_key] = rekeyed(base.pop(old_key), new_key)
            if entry is not None:
                self.entries[new_key] = entry
        return renames

    def _annotate(
        self, items: list[PlanItem], key_changes: dict[str, str], renames: dict[str, str]
    ) -> None:
        """Record on each item the key its page carries and where it was renamed from, and
        collect the plan's own lines: renames, key changes, moves, wiki deletions and
        duplicate pages."""
        for item in items:
            entry = self.entries.get(item.key)
            recorded = self.state.docs.get(item.key)
            kind = self.registry.get(entry.kind) if entry is not None else None
            # Free pages are keyed by their place in the tree, not by a key they carry.
            carries_key = kind is not None and not kind.is_page
            if carries_key and entry is not None and recorded is not None and entry.key != item.key:
                item.page_key = entry.key or ""
            item.renamed_from = renames.get(item.key)
            if item.renamed_from:
                self.notices.append(Notice(
                    "rename", item.key,
                    f"renamed in Git from {item.renamed_from}; push renames the same page",
                ))
            if item.key in key_changes:
                shown = repr(key_changes[item.key]) if key_changes[item.key] else "nothing"
                self.notices.append(Notice(
                    "key-changed", item.key,
                    f"the page's sync key was changed in the wiki to {shown}; the page is "
                    f"still this document (by its id) and push writes its key back",
                ))
            if entry is not None and entry.location:
                self.notices.append(Notice(
                    "moved", item.key, f"moved in the wiki {entry.location}; kept there",
                ))
            if item.status in (Status.DELETED_REMOTE, Status.LOCAL_EDIT_REMOTE_DELETE):
                self.notices.append(Notice(
                    "deleted-in-wiki", item.key,
                    "deleted in the wiki; push --restore brings it back from Git (the same "
                    "page, from the trash, when it is still there), pull --prune deletes the "
                    "file",
                ))
        self.invalid = {}
        for item in items:
            problem = self._wiki_problem(item)
            if problem:
                self.invalid[item.key] = problem
                self.notices.append(Notice(
                    "drift", item.key,
                    f"the wiki's version does not validate ({problem}); pull will not write "
                    f"it: fix the page, or push --force the Git version",
                ))
        for where, message in self.remote.drift():
            self.notices.append(Notice("drift", where, message))
        for key, entry in self.duplicates:
            self.notices.append(Notice(
                "duplicate", key,
                f"another page also carries this key ({entry.url or entry.remote_id}); push "
                f"archives it if it holds nothing new, else merge it by hand and delete it",
            ))

    def _bind(self) -> None:
        """Check that the state belongs to the containers the target names.

        A state whose recorded binding differs from the target's is refused
        (:class:`BindingError`) unless the run was asked to ``rebind`` (keep the documents'
        identities and find the containers again at the new place: the recorded page ids
        are dropped, so pages are found again by their keys) or ``resync`` (set the state
        aside, as if it were lost: pages are matched by key, differing documents become
        conflicts). Neither deletes anything: a document whose page is not found is
        "deleted in the wiki", which push leaves alone and pull only reports.
        """
        current = self.remote.binding()
        recorded = self.state.binding
        if not current or recorded == current:
            return
        if not recorded:
            # A first run, or a state written before bindings were recorded: adopt.
            self.state.binding = dict(current)
            return
        was, now = _describe_binding(recorded), _describe_binding(current)
        if self.bind == "resync":
            self.notices.append(Notice("resync", "", f"state set aside: was {was}, now {now}"))
            self.set_aside = self.state.to_json()
            # Cleared in place, so the store records every forgotten document.
            self.state.docs.clear()
            self.state.containers = {}
            self.state.property_ids = {}
            self.state.binding = dict(current)
            return
        if self.bind == "rebind":
            self.notices.append(Notice("rebind", "", f"re-bound from {was} to {now}"))
            self.state.binding = dict(current)
            # Container ids are found again at the new place; the schema digests stay, so
            # re-found databases are not rewritten (their schema is what we made it).
            self.state.containers = {k: v for k, v in self.state.containers.items() if "#" in k}
            for recorded_doc in self.state.docs.values():
                recorded_doc.remote_id = ""
                recorded_doc.marker = ""
                recorded_doc.url = ""
            return
        raise BindingError(
            self.store.target,
            f"the sync state belongs to {was}, but the configuration names {now}",
        )

    def _assign_keys(
        self, assignment: Assignment, local: dict[str, Document], page_entries: list[RemoteEntry]
    ) -> None:
        """Take the listing keyed by document (:func:`assign_entries`); free pages are keyed
        by their place in the tree; pages without a key (created in the wiki) get a new key
        from their title, unique among local files and other pages."""
        self.entries = {}
        pages = self.registry.pages
        if pages is not None:
            self._assign_page_keys(page_entries, local, pages)
        for key, entry in assignment.entries.items():
            if key in self.state.docs:
                if not self._moved_to_other_kind(key, entry):
                    self.entries[key] = entry
            elif self._safe_key(key, entry):
                self.entries[key] = entry
        unkeyed = assignment.unkeyed
        unpushed = {  # documents without a page yet (a create journaled has no page id)
            (doc.kind, doc.title): key for key, doc in local.items()
            if key not in self.entries
            and (key not in self.state.docs or not self.state.docs[key].remote_id)
        }
        for entry in unkeyed:
            kind = self.registry.get(entry.kind)
            if kind is None or not kind.is_record:
                continue  # a page added next to singletons: not ours to manage
            same = unpushed.pop((entry.kind, entry.title), None)
            if same is not None:
                # A create killed between the page and its key (Confluence Cloud: three
                # writes), or a page someone made for a document not pushed yet: the same
                # document either way. Planned as both added: equal, it is adopted; not
                # equal, a conflict, so nobody's text is lost.
                entry.key = None
                self.entries[same] = entry
                continue
            directory = kind.directory
            taken = {
                posixpath.basename(k)
                for k in [*local, *self.entries, *self.state.docs]
                if posixpath.dirname(k) == directory
            }
            stem = unique_stem(slugify(entry.title), taken)
            key = f"{directory}/{stem}"
            entry.key = None  # the page has no key yet; adopt() will store it
            self.entries[key] = entry

    def _moved_to_other_kind(self, key: str, entry: RemoteEntry) -> bool:
        """True (and the document skipped, saying why) when the page of ``key`` now sits in
        another kind's collection (a Notion row dragged into another database): read as
        that kind, its fields would be lost, so it is left alone until moved back."""
        was = str((self.state.docs[key].base or {}).get("kind", ""))
        old, new = self.registry.get(was), self.registry.get(entry.kind)
        if old is None or new is None or old.name == new.name:
            return False
        where = (f"the {new.collection!r} database" if new.collection != old.collection
                 else f"kind {new.name!r}")
        self._skip(key, entry.title, f"the page was moved in the wiki to {where}; a "
                   f"{old.name} belongs in {old.collection!r}: move it back (nothing was "
                   "changed on either side)")
        return True

    def _safe_key(self, key: str, entry: RemoteEntry, *, skip: bool = True) -> bool:
        """Whether ``key``, carried by a page the state does not know, may name a file: a
        wiki user can type anything into a Notion ``Sync key`` cell or a Confluence content
        property. An unsafe one (``../../x``, ``.github/...``, another kind's directory) is
        reported and its page left alone (see :mod:`prodops_sync.safety`); with ``skip``
        false it is only not trusted (free pages then take their key from the tree)."""
        kind = self.registry.get(entry.kind)
        try:
            if kind is None:
                raise UnsafePath(f"unknown kind {entry.kind!r}")
            check_key(key, kind)
        except UnsafePath as exc:
            if not skip:
                return False
            where = f" ({entry.url})" if entry.url else ""
            self._skip(key, entry.title, f"the wiki page {entry.title!r}{where} carries the "
                       f"unsafe key {key!r} ({exc}); it is left alone: correct its key in "
                       "the wiki, or clear it to have the page pulled as a new document")
            return False
        return True

    def _assign_page_keys(
        self, entries: list[RemoteEntry], local: dict[str, Document], pages: KindSpec
    ) -> None:
        """Key the free pages from the page tree (see :mod:`prodops_sync.sync.pagetree`):
        identity is the page id the state holds, else a key the page carries itself
        (Confluence), else a local page with the same title under the same parent."""
        def is_page_key(key: str) -> bool:
            kind = self.registry.for_key(key)
            return kind is not None and kind.is_page

        known = {s.remote_id: k for k, s in self.state.docs.items()
                 if s.remote_id and is_page_key(k)}
        for entry in entries:
            if entry.key and entry.remote_id not in known and is_page_key(entry.key) and \
                    entry.key not in known.values() and \
                    self._safe_key(entry.key, entry, skip=False):
                known[entry.remote_id] = entry.key
        local_pages = {k: d for k, d in local.items() if d.kind == pages.name}
        root_id = self.state.containers.get(pages.collection, "")
        self.page_moves = assign_page_keys(
            entries, root_id=root_id, root=pages.directory, known=known, local=local_pages,
            follow_moves=True,
        ).moves
        # The plan itself keeps moved pages under their old keys; pull moves the files
        # first (see _move_pages) and plans again.
        tree = assign_page_keys(
            entries, root_id=root_id, root=pages.directory, known=known, local=local_pages,
            follow_moves=False,
        )
        for entry in entries:
            key = tree.keys.get(entry.remote_id)
            if key is None:
                continue
            if entry.key != key:
                entry.key = None  # the page does not carry this key (yet): adopt() stores it
            self.entries[key] = entry

    def _remote_documents(self, base: dict[str, Document]) -> dict[str, Document]:
        docs: dict[str, Document] = {}
        to_fetch = []
        for key, entry in self.entries.items():
            recorded = self.state.docs.get(key)
            # A pending write may have landed without moving the marker (Notion's
            # minute-rounded timestamps): such a page is always read.
            unchanged = (
                recorded is not None
                and recorded.base is not None
                and recorded.pending is None
                and not recorded.refetch
                and recorded.remote_id == entry.remote_id
                and recorded.marker == entry.marker
                and not entry.maybe_changed
            )
            if unchanged:
                docs[key] = base[key]
            else:
                to_fetch.append((key, entry))
        for i, (key, entry) in enumerate(to_fetch, 1):
            self.progress(i, len(to_fetch), f"reading {entry.title}")
            self.files.current = entry
            try:
                fetched = self.remote.fetch(entry, key, self.resolver)
            except Exception as exc:
                reason = document_failure(exc)
                if reason is None:
                    raise
                self._skip(key, entry.title, f"the wiki page cannot be read: {reason}")
                continue
            recorded = self.state.docs.get(key)
            if recorded is not None and recorded.remote_id == entry.remote_id:
                _keep_unchanged_blocks(fetched, recorded.splice)
            docs[key] = fetched
        self.files.current = None
        return docs

    def plan(self) -> Report:
        """The plan as a report (no writes). Documents in conflict are listed as outcomes,
        so that a plan with conflicts exits like a push that would skip them."""
        with use(self.registry):
            return self._plan()

    def _plan(self) -> Report:
        items = self.build_plan()
        report = Report("plan", items)
        report.outcomes = [
            Outcome(i.key, i.title, i.status, "conflict")
            for i in items
            if i.status is Status.CONFLICT
        ]
        self._count(report)
        return report

    # -- push -------------------------------------------------------------------------------

    def push(
        self, *, dry_run: bool = False, force: bool = False, max_delete: int = 5,
        on_conflict: str = "skip", only: set[str] | None = None, restore: bool = False,
    ) -> Report:
        """Mirror local changes into the remote. Never overwrites a remote edit it has not
        seen (reported as conflicts) unless ``force`` or an ``on_conflict`` choice (see
        :data:`ON_CONFLICT_PUSH`). ``only`` limits the run to those document keys.
        ``restore`` brings back pages deleted in the wiki from Git: out of the trash when
        they are still there, else as new pages (after looking for one with the key)."""
        with use(self.registry), self._locked(dry_run):
            items = self.build_plan(create_containers=not dry_run)
            if not dry_run:
                self._keep_set_aside()
            if self.local_errors:
                shown = "\n  ".join(self.local_errors[:10])
                raise SyncError(
                    f"the playbook has {len(self.local_errors)} validation error(s); nothing "
                    f"was pushed:\n  {shown}"
                )
            for item in items:
                if item.local is not None and item.push in (PushAction.CREATE, PushAction.UPDATE):
                    try:
                        self.files.check(item.local)
                    except AssetError as exc:
                        raise SyncError(f"{exc}; nothing was pushed") from None
            archives = sum(1 for i in items if i.push is PushAction.ARCHIVE)
            if not dry_run:
                _guard_deletions(f"push would archive {archives} pages", archives, max_delete,
                                 "the playbook")
            report = Report("push", items, dry_run=dry_run)
            work = self._link_order(sorted(
                (i for i in items
                 if (i.push is not PushAction.NONE or (restore and _restorable(i))
                     or (force and only is not None and _overwritable(i)))
                 and (only is None or i.key in only)), key=self._order))
            if not dry_run:
                self.remote.will_write([i.local for i in work if i.local is not None])
            self._apply_each(
                report,
                work,
                lambda i: str(i.push),
                lambda i: self._push_one(
                    i, dry_run=dry_run, force=force, on_conflict=on_conflict, restore=restore
                ),
            )
            if not dry_run:
                for item in items:
                    if (
                        item.status is Status.IN_SYNC and item.local is not None
                        and (only is None or item.key in only) and self.files.changed(item.local)
                    ):
                        report.outcomes.append(self._push_files(item))
            self._adopt_existing()
            self._settle_duplicates(report, items, dry_run=dry_run)
            # Pages written with links to pages that did not exist yet (in this run or an
            # interrupted earlier one) are rewritten now that their targets exist.
            if not dry_run:
                skipped = {o.key for o in report.conflicts}
                relink = [
                    item for item in items
                    if (recorded := self.state.docs.get(item.key)) is not None
                    and recorded.relink
                    and item.status in _REMOTE_HOLDS_LOCAL
                    and item.key not in skipped
                ]
                self.remote.will_write([i.local for i in relink if i.local is not None])
                for item in relink:
                    self._relink(item)
            if not dry_run:
                self._finish()
            self._count(report)
            return report

    def _link_order(self, work: list[PlanItem]) -> list[PlanItem]:
        """``work`` with the documents to create (not free pages, which go parents first)
        in an order that creates link targets first (see :mod:`prodops_sync.sync.linkorder`):
        a page created before a page it links to costs a second request. The creates keep
        the places the other items leave them."""
        def movable(item: PlanItem) -> bool:
            kind = self.registry.get(_kind_of(item))
            return item.push is PushAction.CREATE and item.local is not None and \
                kind is not None and not kind.is_page

        creates = {i.key: i for i in work if movable(i)}
        if len(creates) < 2:
            return work
        # Body links only: reference fields (relations) waiting for their targets cost a
        # property write each too, but ordering for both gave more second writes in all
        # (200 generated documents: 152 against 99 appends + 42 relation writes).
        targets = {key: link_targets(key, item.local.body if item.local else "")
                   for key, item in creates.items()}
        ordered = iter(creation_order(list(creates), targets))
        return [creates[next(ordered)] if movable(i) else i for i in work]

    def _order(self, item: PlanItem) -> tuple[int, int]:
        """Push order: documents first (as planned), then free pages parents before
        children (a page is created under its parent's page) and archived children first."""
        kind = self.registry.get(_kind_of(item))
        if kind is None or not kind.is_page:
            return (0, 0)
        depth = page_depth(item.key, kind.directory)
        return (1, -depth if item.push is PushAction.ARCHIVE else depth)

    @contextmanager
    def _locked(self, dry_run: bool) -> Iterator[None]:
        """Hold the target's lock for a run that writes (a dry run takes none)."""
        if dry_run:
            yield
            return
        lock = self.store.lock()
        # Temporary files of a run that was killed between write and rename.
        for directory in (self.playbook_dir, self.store.path.parent):
            remove_stale_temps(directory)
        try:
            yield
        finally:
            lock.release()

    def _apply_each(
        self,
        report: Report,
        work: list[PlanItem],
        label: Callable[[PlanItem], str],
        step: Callable[[PlanItem], Outcome],
    ) -> None:
        """Refresh markers that moved without a content change, then run ``step`` on each
        document with progress, collecting the outcomes."""
        if not report.dry_run:
            self._refresh_markers(report.items)
        for n, item in enumerate(work, 1):
            self.progress(n, len(work), f"{label(item)} {item.title}")
            try:
                report.outcomes.append(step(item))
            except Exception as exc:
                reason = document_failure(exc)
                if reason is None:
                    raise
                report.outcomes.append(Outcome(item.key, item.title, item.status, "skipped",
                                               detail=f"{label(item)} failed: {reason}"))

    def _skip(self, key: str, title: str, reason: str) -> None:
        """Leave document ``key`` out of this run, saying why."""
        self.skipped[key] = Outcome(key, title, Status.UNREADABLE, "skipped", detail=reason)

    def _keep_set_aside(self) -> None:
        """Before a resync's first write, keep the replaced state next to the new one."""
        if self.set_aside is not None:
            backup = self.store.path.with_name(f"{self.store.target}.pre-resync.json")
            atomic_write_text(backup, self.set_aside)
            self.set_aside = None

    def _finish(self) -> None:
        self.state.synced_at = datetime.now(UTC).isoformat(timespec="seconds")
        # End of a run: fold the journal into the snapshot, the one diffable file CI commits.
        self.store.compact(self.state)

    def _count(self, report: Report) -> None:
        """Copy the remote's request counters into ``report``."""
        report.requests = self.remote.requests_made
        report.writes = self.remote.writes_made
        report.retries = self.remote.retries_made
        report.warnings = list(self.files.warnings)
        report.notices = list(self.notices)
        known = {o.key for o in report.outcomes if o.action == "skipped"}
        report.outcomes.extend(o for k, o in self.skipped.items() if k not in known)
        report.urls = {
            key: entry.url
            for key, entry in self.entries.items()
            if entry.url and not entry.url.startswith(PENDING_URL)
        }

    def _refresh_markers(self, items: list[PlanItem]) -> None:
        """A page whose marker moved but whose content did not (our own write bumped its
        timestamp, or an edit was undone) gets its new marker recorded, so the next run
        does not read it again. No remote request."""
        changed = False
        for item in items:
            recorded = self.state.docs.get(item.key)
            entry = self.entries.get(item.key)
            if item.status is not Status.IN_SYNC or recorded is None or entry is None:
                continue
            if (recorded.marker, recorded.remote_id) != (entry.marker, entry.remote_id):
                recorded.marker, recorded.remote_id = entry.marker, entry.remote_id
                changed = True
        if changed:
            self.store.save(self.state)

    def _push_one(
        self, item: PlanItem, *, dry_run: bool, force: bool, on_conflict: str = "skip",
        restore: bool = False,
    ) -> Outcome:
        action = item.push
        if restore and _restorable(item):
            action = PushAction.CREATE
        if item.status in (Status.CONFLICT, Status.BOTH_MERGE) and force:
            action = PushAction.UPDATE
        if force and action is PushAction.NONE and _overwritable(item):
            action = PushAction.UPDATE  # resolve --accept local: Git over a wiki-only change
        outcome = Outcome(item.key, item.title, item.status, str(action))
        waiting = action in (PushAction.SKIP_CONFLICT, PushAction.SKIP_MERGE)
        if waiting and on_conflict != "skip":
            return self._push_merged(item, outcome, on_conflict, dry_run=dry_run)
        if action is PushAction.SKIP_MERGE:
            outcome.detail = (
                "changed in the wiki and locally without overlap; pull merges it (or push "
                "--on-conflict merge)"
            )
            return outcome
        if action is PushAction.SKIP_CONFLICT:
            outcome.detail = (
                "changed in the wiki and locally; pull to merge, push --on-conflict "
                "merge|local|wiki, or prodops-sync resolve"
            )
            return outcome
        if dry_run:
            return outcome
        recorded = self.state.docs.get(item.key)
        entry = self.entries.get(item.key)
        if action is PushAction.RECORD:
            assert item.local is not None and entry is not None
            self._record(item.key, item.local, entry)
        elif action is PushAction.FORGET:
            self.state.docs.pop(item.key, None)
        elif action is PushAction.ARCHIVE:
            assert entry is not None
            self.remote.archive(entry)
            self.state.docs.pop(item.key, None)
        elif action is PushAction.RENAME:
            assert item.local is not None and entry is not None
            self.resolver.misses.clear()
            entry = self.remote.update(entry, item.local, item.remote, self.resolver)
            self.entries[item.key] = entry
            self._record(item.key, item.local, entry)
        elif action is PushAction.CREATE:
            assert item.local is not None
            self._journal(item.key, item.local, recorded)
            self.resolver.misses.clear()
            uploads = self.files.prepare(item.local)
            entry = self._create_or_restore(item, recorded, outcome)
            if entry is None:
                return outcome
            self.files.upload_to_page(entry, uploads)
            self.entries[item.key] = entry
            self.resolver.urls[item.key] = entry.url
            # A page created without its body (it links to pages not created yet) is
            # recorded as holding what it does: the relink pass, or the next run after a
            # crash, sends the body as an ordinary update.
            written = item.local if entry.written_body is None else \
                replace(item.local, body=entry.written_body)
            self._record(item.key, written, entry)
            self.state.docs[item.key].relink = bool(self.resolver.misses)
        elif action is PushAction.UPDATE:
            assert item.local is not None and entry is not None
            sent = self._send_update(item, item.local, entry, outcome, "pull to merge")
            if sent is None:
                return outcome
            entry = sent
            self._record(item.key, item.local, entry)
            self.state.docs[item.key].relink = bool(self.resolver.misses)
        outcome.url = entry.url if entry else ""
        self.store.save(self.state)
        return outcome

    def _send_update(
        self, item: PlanItem, doc: Document, entry: RemoteEntry, outcome: Outcome, hint: str
    ) -> RemoteEntry | None:
        """Journal, upload linked files and update the page to hold ``doc`` (spliced into
        the stored per-block base). On a remote conflict nothing of ours landed: the outcome
        becomes ``skip-conflict`` (with ``hint``) and None is returned."""
        recorded = self.state.docs.get(item.key)
        self._journal(item.key, doc, recorded)
        self.resolver.misses.clear()
        uploads = self.files.prepare(doc)
        try:
            entry = self.remote.update(
                entry, self._with_base(doc, recorded), item.remote, self.resolver
            )
            self.files.upload_to_page(entry, uploads)
        except RemoteConflict as exc:
            # Drop the journal entry, or the next run would take the wiki edit for our own
            # half-finished write and overwrite it.
            self.state.docs[item.key].pending = None
            # The listing did not show that edit (same token, same minute): make the next
            # pull read the page, or it would see nothing to fetch.
            self.state.docs[item.key].refetch = True
            outcome.action = str(PushAction.SKIP_CONFLICT)
            outcome.detail = f"{exc}; {hint}"
            self.store.save(self.state)
            return None
        self.entries[item.key] = entry
        return entry

    def _push_files(self, item: PlanItem) -> Outcome:
        """A document unchanged but for the content of a file it links to: upload the new
        content (Confluence: a new attachment version; Notion: a new upload the image or
        file block is pointed at)."""
        assert item.local is not None
        entry = self.entries[item.key]
        uploads = self.files.prepare(item.local)
        if self.remote.assets_on_page:
            self.files.upload_to_page(entry, uploads)
        else:
            entry = self.remote.update(entry, item.local, None, self.resolver)
            self.entries[item.key] = entry
            self._record(item.key, item.local, entry)
        self.store.save(self.state)
        return Outcome(item.key, item.title, item.status, "upload", "linked files changed",
                       entry.url)

    def _create_or_restore(
        self, item: PlanItem, recorded: DocState | None, outcome: Outcome
    ) -> RemoteEntry | None:
        """A page for a document that has none: the page it had, out of the trash, if it is
        still there; else a page another run created meanwhile (adopted when it holds the
        same document, a conflict otherwise: None); else a new page."""
        assert item.local is not None
        if recorded is not None and recorded.remote_id:
            entry = self.remote.restore(recorded.remote_id, item.local)
            if entry is not None:
                outcome.action = "restore"
                return self.remote.update(entry, item.local, None, self.resolver)
        entry = self.remote.create(item.local, self.state, self.resolver)
        if not entry.existing:
            return entry
        # Another run created the page meanwhile. Not ours to overwrite: forget the journal
        # entry (or the page would pass for our own half-finished write), and compare once
        # every such page is known, so that links between them resolve alike.
        if recorded is None or not recorded.remote_id:
            self.state.docs.pop(item.key, None)
        else:
            recorded.pending = None
        self.store.save(self.state)
        self.entries[item.key] = entry
        self.resolver.urls[item.key] = entry.url
        self.found_existing.append((item, entry, outcome))
        outcome.action = "record-base"
        outcome.url = entry.url
        return None

    def _adopt_existing(self) -> None:
        """Pages another run created for documents this run meant to create: adopted when
        they hold the same document, else left as conflicts (base-less: the next plan shows
        both versions) for pull or ``push --force``."""
        for item, entry, outcome in self.found_existing:
            assert item.local is not None
            found = self.remote.fetch(entry, item.key, self.resolver)
            if content_hash(found) == content_hash(item.local):
                self._record(item.key, item.local, entry)
                outcome.detail = "another run had created this page meanwhile; adopted"
                self.store.save(self.state)
            else:
                outcome.action = "conflict"
                outcome.detail = (
                    "another run created a page with this key meanwhile, holding other "
                    "content; pull to merge, or push --force"
                )
        self.found_existing = []

    def _settle_duplicates(self, report: Report, items: list[PlanItem], *, dry_run: bool) -> None:
        """Extra pages carrying a document's key: archived when they hold nothing the
        document, its base or its page does not (a copy: a row restored from the trash
        after it was re-created, a concurrent first push); otherwise reported as a conflict
        for a person to merge. Never a new document."""
        by_key = {i.key: i for i in items}
        for key, entry in self.duplicates:
            item = by_key.get(key)
            outcome = Outcome(key, entry.title, item.status if item else Status.CONFLICT,
                              "archive-duplicate", url=entry.url)
            report.outcomes.append(outcome)
            if dry_run or item is None:
                continue
            copy = self.remote.fetch(entry, key, self.resolver)
            recorded = self.state.docs.get(key)
            versions = [item.local, item.remote, item.base]
            if recorded is not None and recorded.base is not None:
                versions.append(_document_from_content(recorded.base))
            # A copy's title differs by design ("Copy of ..." in Confluence): it holds
            # nothing new when everything else equals a version we know.
            known = {_untitled_hash(d) for d in versions if d is not None}
            if _untitled_hash(copy) in known:
                self.remote.archive(entry)
                outcome.detail = "a second page with this key held nothing new; archived"
            else:
                outcome.action = "conflict"
                outcome.detail = (
                    f"a second page carries this key with other content ({entry.url}); "
                    f"merge what it adds into the document, then delete that page"
                )

    def _push_merged(
        self, item: PlanItem, outcome: Outcome, on_conflict: str, *, dry_run: bool
    ) -> Outcome:
        """Settle a both-sides change by a three-way merge: the merged document goes to the
        wiki and into the file, and becomes the base. A merge that still conflicts (no
        preferred side) is skipped as before."""
        assert item.local is not None and item.remote is not None
        result = merge_documents(
            item.base, item.local, item.remote, remote_label=self.remote.label,
            prefer=_PREFER[on_conflict],
        )
        if not result.clean:
            outcome.action = str(PushAction.SKIP_CONFLICT)
            outcome.detail = (
                f"both sides changed {', '.join(result.conflict_paths) or 'the body'}; "
                "push --on-conflict local|wiki, or prodops-sync resolve"
            )
            return outcome
        merged = result.document
        outcome.action = "merged"
        if dry_run:
            return outcome
        entry = self.entries[item.key]
        if content_hash(merged) != content_hash(item.local):
            outcome.path = self._write_local(item, merged)
        if content_hash(merged) != content_hash(item.remote):
            sent = self._send_update(
                item, merged, entry, outcome, "run again to merge the newer edit"
            )
            if sent is None:
                return outcome
            entry = sent
        self._record(item.key, merged, entry)
        self.state.docs[item.key].relink = bool(self.resolver.misses)
        outcome.url = entry.url
        self.store.save(self.state)
        return outcome

    # -- diff and resolve --------------------------------------------------------------------

    def find_item(self, items: list[PlanItem], name: str) -> PlanItem:
        """The plan item of a document named by key (``rituals/x``) or file path (relative
        to the working directory or the playbook)."""
        for key in _candidate_keys(name, self.playbook_dir):
            for item in items:
                if item.key == key:
                    return item
        raise SyncError(
            f"no document {name!r} in the playbook or the wiki; name it by key "
            "(rituals/weekly-product-update) or by file path"
        )

    def diff(self, name: str) -> tuple[str, str, str]:
        """(file path, the Git file, the live wiki page), both rendered as canonical file
        text the way pull would write them. Makes no writes."""
        items = self.build_plan()
        item = self.find_item(items, name)
        relpath = self._path_for(item)
        target = self.playbook_dir / relpath
        original = target.read_text(encoding="utf-8") if target.is_file() else None
        local = original or ""
        if item.local is not None and original is not None and not has_markers(original):
            local = self._render(item.local, original)
        wiki = self._render(item.remote, original) if item.remote is not None else ""
        return relpath, local, wiki

    def resolve(self, name: str, accept: str) -> Report:
        """End a conflict on one document. ``accept``: ``local`` pushes the Git version over
        the wiki page (the local side of any conflict markers); ``wiki`` writes the wiki
        version into the file; ``merged`` pushes the file as the user edited it, which must
        hold no conflict markers."""
        if accept == "wiki":
            with self._locked(False):
                items = self.build_plan()
                item = self.find_item(items, name)
                entry = self.entries.get(item.key)
                if item.remote is None or entry is None:
                    raise SyncError(f"{item.key} has no wiki page to accept; use --accept local")
                relpath = self._path_for(item)
                target = inside(self.playbook_dir, relpath)
                original = target.read_text(encoding="utf-8") if target.is_file() else None
                if original is not None and has_markers(original):
                    original = take_side(original, "remote")
                self.files.write_downloads(item.remote)
                atomic_write_text(target, self._render(item.remote, original))
                self._record(item.key, item.remote, entry)
                self._finish()
                report = Report("resolve", items)
                report.outcomes.append(Outcome(item.key, item.title, item.status, "write",
                                               "took the wiki version", entry.url, relpath))
                self._count(report)
                return report
        key, relpath = self._local_file(name)
        target = self.playbook_dir / relpath
        text = target.read_text(encoding="utf-8")
        if has_markers(text):
            if accept == "merged":
                line = next(n for n, t in enumerate(text.splitlines(), 1)
                            if t.startswith("<<<<<<< "))
                raise SyncError(
                    f"{relpath}:{line}: conflict markers are still in the file; edit them "
                    "out, or use --accept local or --accept wiki"
                )
            atomic_write_text(target, take_side(text, "local"))
        report = self.push(force=True, only={key})
        report.mode = "resolve"
        return report

    def _local_file(self, name: str) -> tuple[str, str]:
        """(key, playbook-relative path) of a document's existing file."""
        for key in _candidate_keys(name, self.playbook_dir):
            kind_suffixes = (".md", ".yaml", ".yml")
            for suffix in kind_suffixes:
                if (self.playbook_dir / (key + suffix)).is_file():
                    return key, key + suffix
        raise SyncError(f"no playbook file for {name!r}; --accept wiki takes the wiki page")

    def _render(self, doc: Document, original: str | None) -> str:
        kind = self.registry[doc.kind]
        key_order = list(load_schema(kind.name).get("properties", {}))
        return render_document(doc, kind, original, key_order=key_order,
                               remote_label=self.remote.label)

    def _relink(self, item: PlanItem) -> None:
        entry = self.entries.get(item.key)
        if entry is None or item.local is None:
            return
        self.resolver.misses.clear()
        self.files.prepare(item.local)  # recorded on the first write: nothing to upload
        recorded = self.state.docs.get(item.key)
        # The page should hold exactly the local document (with placeholder links), or the
        # part of it its create wrote: passing that as the expected content makes the
        # remote refuse to write if someone edited the page meanwhile.
        expected = item.local
        if recorded is not None and recorded.base is not None and \
                recorded.base_hash != content_hash(item.local):
            expected = _document_from_content(recorded.base)
        # Journaled like any update: appending the rest of a page is not idempotent, and a
        # run killed after the append landed must read the page, not append it again.
        self._journal(item.key, item.local, recorded)
        try:
            entry = self.remote.update(
                entry, self._with_base(item.local, recorded), expected, self.resolver
            )
        except RemoteConflict:
            # A wiki edit arrived: the next plan shows it (the page is read: the listing
            # may not show an edit made in the minute of our own write); links are fixed
            # later. Not our half-finished write: drop the journal entry.
            self.state.docs[item.key].pending = None
            self.state.docs[item.key].refetch = True
            self.store.save(self.state)
            return
        self.entries[item.key] = entry
        self._record(item.key, item.local, entry)
        self.state.docs[item.key].relink = bool(self.resolver.misses)
        self.store.save(self.state)

    def _journal(self, key: str, doc: Document, recorded: DocState | None) -> None:
        """Record the write about to happen, so a crash mid-write is recognised as ours."""
        if recorded is None:
            recorded = DocState(remote_id="")
            self.state.docs[key] = recorded
        recorded.pending = content_hash(doc)
        # Until the write is confirmed we cannot know whether it left placeholder links:
        # assume it did, so a run interrupted here still rewrites them later.
        recorded.relink = True
        self.store.save(self.state)

    @staticmethod
    def _with_base(doc: Document, recorded: DocState | None) -> Document:
        """``doc`` carrying the per-block base for the remote to splice into (only when the
        base describes the page the write goes to)."""
        if recorded is None or recorded.splice is None:
            return doc
        return replace(doc, extra={**doc.extra, "splice_base": recorded.splice})

    def _record(self, key: str, doc: Document, entry: RemoteEntry) -> None:
        previous = self.state.docs.get(key)
        # The per-block base must describe both sides as they now are: what the remote said
        # it wrote, else what was read from the page, else the previous base when the page
        # did not move; each only if its Markdown is this document's body.
        candidates = [entry.splice, doc.extra.get("splice")]
        if previous is not None and previous.marker == entry.marker:
            candidates.append(previous.splice)
        splice = next((c for c in candidates if record_matches(c, doc.body)), None)
        # The state keeps it (packed); the listed entry stays in memory for the whole run,
        # and its copy (Notion JSON of every block) was most of a first push's memory.
        entry.splice = None
        self.state.docs[key] = DocState(
            remote_id=entry.remote_id,
            marker=entry.marker,
            base=content_of(doc),
            base_hash=content_hash(doc),
            url=entry.url,
            relink=previous.relink if previous is not None else False,
            splice=splice,
            remote_key=entry.key if entry.key and entry.key != key else None,
        )

    # -- pull -------------------------------------------------------------------------------

    def pull(
        self, *, dry_run: bool = False, prune: bool = False, max_delete: int = 5,
        on_conflict: str = "merge",
    ) -> Report:
        """Bring remote edits into the playbook files; three-way merge both-sides edits
        (``on_conflict``: see :data:`ON_CONFLICT_PULL`). With ``prune``, files whose pages
        were deleted in the wiki are deleted too, unless more than ``max_delete`` would go
        (a listing that lost pages must not empty the playbook)."""
        with use(self.registry), self._locked(dry_run):
            items = self.build_plan(create_containers=False)
            if not dry_run:
                self._keep_set_aside()
            moved = self._move_pages(dry_run) if self.page_moves else []
            if moved and not dry_run:
                items = self.build_plan(create_containers=False)  # under the new keys
            deletions = sum(1 for i in items if i.pull is PullAction.REPORT_DELETED)
            if prune and not dry_run:
                _guard_deletions(f"pull --prune would delete {deletions} files", deletions,
                                 max_delete, "the wiki")
            report = Report("pull", items, dry_run=dry_run)
            report.outcomes.extend(moved)
            self._apply_each(
                report,
                [i for i in items if i.pull is not PullAction.NONE],
                lambda i: str(i.pull),
                lambda i: self._pull_one(
                    i, dry_run=dry_run, prune=prune, prefer=_PREFER[on_conflict]
                ),
            )
            if not dry_run:
                self._finish()
            self._count(report)
            return report

    def _move_pages(self, dry_run: bool) -> list[Outcome]:
        """Move the files of free pages the wiki moved inside the page tree, and their state
        records with them (the state is saved once every file is in place; a run killed in
        between finds the file moved and only moves the record)."""
        outcomes: list[Outcome] = []
        for new, old in sorted(self.page_moves.items(), key=lambda kv: kv[1]):
            doc = self.local.get(old)
            old_path = doc.path if doc is not None and doc.path else old + ".md"
            new_path = new + ".md"
            title = doc.title if doc is not None else posixpath.basename(new)
            try:
                source = inside(self.playbook_dir, old_path)
                target = inside(self.playbook_dir, new_path)
            except UnsafePath as exc:
                outcomes.append(Outcome(old, title, Status.UNREADABLE, "skipped",
                                        detail=f"not moved to {new_path!r}: {exc}",
                                        path=old_path))
                continue
            if source.is_file() and target.exists():
                # Never overwrite another file: the page stays under its old key for now.
                outcomes.append(Outcome(old, title, Status.REMOTE_CHANGED, "conflict",
                                        detail=f"moved in the wiki to {new_path}, which "
                                        "exists; move or rename one of the files",
                                        path=old_path))
                continue
            outcomes.append(Outcome(new, title, Status.REMOTE_CHANGED, "move",
                                    detail=f"moved in the wiki: {old_path} -> {new_path}",
                                    path=new_path))
            if dry_run:
                continue
            if source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                _remove_empty_parents(source.parent, self.playbook_dir)
            recorded = self.state.docs.pop(old, None)
            if recorded is not None:
                self.state.docs[new] = recorded
                if recorded.base is not None:  # the base is the same content, under its key
                    recorded.base = {**recorded.base, "key": new}
                    recorded.base_hash = content_hash(_document_from_content(recorded.base))
        if not dry_run:
            self.store.save(self.state)
        self.page_moves = {}
        return outcomes

    def _path_for(self, item: PlanItem) -> str:
        for doc in (item.local, item.base):
            if doc is not None and doc.path:
                return doc.path
        kind = self.registry[_kind_of(item)]
        return item.key + (".md" if kind.file_format == "markdown" else ".yaml")

    def _pull_one(
        self, item: PlanItem, *, dry_run: bool, prune: bool, prefer: Prefer = None
    ) -> Outcome:
        action = item.pull
        outcome = Outcome(item.key, item.title, item.status, str(action))
        entry = self.entries.get(item.key)
        if entry is not None:
            outcome.url = entry.url
        if action is PullAction.REPORT_DELETED:
            path = self._path_for(item)
            outcome.path = path
            if prune:
                outcome.action = "delete"
                if not dry_run:
                    inside(self.playbook_dir, path).unlink(missing_ok=True)
                    self.state.docs.pop(item.key, None)
            else:
                outcome.detail = "deleted in the wiki; the file is kept (use --prune to delete)"
            return outcome
        if item.key in self.invalid:
            outcome.action = "invalid"
            outcome.detail = (
                f"the wiki's version does not validate ({self.invalid[item.key]}); the file "
                f"is left as it is: fix the page in the wiki, or push --force the Git version"
            )
            return outcome
        if dry_run:
            return outcome
        if action is PullAction.FORGET:
            self.state.docs.pop(item.key, None)
        elif action is PullAction.RECORD:
            assert item.remote is not None and entry is not None
            self._record(item.key, item.remote, entry)
        elif action in (PullAction.WRITE, PullAction.CREATE):
            assert item.remote is not None and entry is not None
            path = self._path_for(item)
            if item.local is None and (self.playbook_dir / path).exists():
                # The file is there but did not load (broken YAML, say): it may hold an
                # edit nobody committed yet, so it is never overwritten.
                outcome.action = "conflict"
                outcome.path = path
                outcome.detail = (
                    "the file exists but cannot be read; fix it (prodops-sync validate) "
                    "and pull again"
                )
                return outcome
            if entry.key is None:  # created in the wiki: give the page its identity
                # Before writing the file: a run killed in between then finds the page
                # keyed and writes its file, instead of a second file for an unkeyed page.
                entry = self.remote.adopt(entry, item.key)
                self.entries[item.key] = entry
            outcome.path = self._write_local(item, item.remote)
            self._record(item.key, item.remote, entry)
            # Values the schema cannot take were written as read: say which, so that the
            # person reviewing the pull (and `validate`) sees them.
            problems = item.remote.extra.get("property_problems") or []
            if problems:
                outcome.detail = "; ".join(problems)
        elif action is PullAction.MERGE:
            assert item.local is not None and item.remote is not None and entry is not None
            result = merge_documents(
                item.base, item.local, item.remote, remote_label=self.remote.label,
                prefer=prefer,
            )
            outcome.path = self._write_local(item, result.document, result)
            # The base becomes what the remote holds: the merged file is a local change on
            # top of it, which the next push sends.
            self._record(item.key, item.remote, entry)
            if result.clean:
                outcome.action = "merged"
            else:
                outcome.action = "conflict"
                names = result.conflict_paths
                parts = [f"fields {', '.join(names)}"] if names else []
                if result.body_conflict:
                    parts.append("body")
                outcome.detail = "conflict markers left in " + " and ".join(parts)
        self.store.save(self.state)
        return outcome

    def _write_local(
        self, item: PlanItem, doc: Document, merge: MergeResult | None = None
    ) -> str:
        """Write ``doc`` into its playbook file (atomically), keeping the file's YAML
        comments and key order; conflicting fields of ``merge`` become conflict blocks."""
        kind = self.registry[doc.kind]
        relpath = self._path_for(item)
        target = inside(self.playbook_dir, relpath)
        raw = read_bytes(target) if target.is_file() else None
        original = _text_of(raw)
        key_order = list(load_schema(kind.name).get("properties", {}))
        text = render_document(
            doc,
            kind,
            original,
            key_order=key_order,
            conflicts=merge.field_conflicts if merge is not None else (),
            remote_label=self.remote.label,
        )
        self.files.write_downloads(doc)  # images and files added in the wiki, first
        # Saved in an editor since we read it: leave it (ChangedOnDisk skips the document).
        atomic_write_text(target, text, expect=digest(raw))
        return relpath


def _text_of(raw: bytes | None) -> str | None:
    """A file's text as Python's text mode reads it (universal newlines)."""
    if raw is None:
        return None
    return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _untitled_hash(doc: Document) -> str:
    fields = {k: v for k, v in doc.fields.items() if k != "title"}
    return content_hash(Document(doc.key, doc.kind, fields, doc.body))


def _overwritable(item: PlanItem) -> bool:
    """Changed in the wiki only (Git holds the base): ``resolve --accept local`` pushes the
    Git version over it."""
    return item.status is Status.REMOTE_CHANGED and item.local is not None \
        and item.remote is not None


def _restorable(item: PlanItem) -> bool:
    """Deleted in the wiki while Git still has the document: ``push --restore`` brings it
    back."""
    return item.status is Status.DELETED_REMOTE and item.local is not None


def _describe_binding(binding: dict[str, str]) -> str:
    """``root_page abc, ...``: a binding for messages."""
    shown = [f"{k} {v}" for k, v in sorted(binding.items()) if k != "type"]
    return ", ".join(shown) or "(nothing)"


def _guard_deletions(what: str, count: int, limit: int, check: str) -> None:
    """Refuse, before any write, a run that would delete more than ``limit`` documents."""
    if count > limit:
        raise SyncError(
            f"{what} (more than --max-delete {limit}); nothing was written. Check {check}, "
            f"or rerun with --max-delete {count}"
        )


def _remove_empty_parents(directory: Path, stop: Path) -> None:
    """Remove ``directory`` and its parents up to ``stop`` while they are empty (a page
    moved out of a folder leaves no empty folder behind)."""
    while directory != stop and directory.is_relative_to(stop):
        try:
            directory.rmdir()
        except OSError:
            return  # not empty
        directory = directory.parent


def _kind_of(item: PlanItem) -> str:
    for doc in (item.local, item.remote, item.base):
        if doc is not None:
            return doc.kind
    raise ValueError(f"no document for {item.key}")


def _keep_unchanged_blocks(doc: Document, base: dict[str, Any] | None) -> None:
    """Give a page read from the remote the Git Markdown of every block the wiki did not
    change since the last sync (``base``, the per-block base): a pull then rewrites only
    the blocks edited in the wiki. Remotes without block records are left alone."""
    found = keep_git_markdown(base, doc.extra.get("splice"))
    if found is not None:
        doc.body, doc.extra["splice"] = found


def _document_from_content(content: dict[str, Any]) -> Document:
    return Document(
        key=content["key"], kind=content["kind"], fields=content["fields"], body=content["body"]
    )


def _candidate_keys(name: str, playbook_dir: Path) -> list[str]:
    """Keys a user may mean by ``name``: a key as given, or a file path relative to the
    working directory, the project (the playbook's parent) or the playbook, with or
    without its suffix."""
    candidates = [name.strip("/")]
    path = Path(name)
    for base in (Path.cwd(), playbook_dir.parent, playbook_dir):
        try:
            rel = (base / path).resolve().relative_to(playbook_dir.resolve())
        except (ValueError, OSError):
            continue
        candidates.append(rel.as_posix())
    keys = []
    for c in candidates:
        stem = re.sub(r"\.(md|ya?ml)$", "", c)
        if stem and stem not in keys:
            keys.append(stem)
    return keys
