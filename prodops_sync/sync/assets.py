"""Images and files of documents, on both sides of a sync.

Push uploads each asset a document links to once per content: the state records, per
document and asset, the content hash and the wiki's reference (Notion file upload id;
Confluence attachment file name), so an unchanged file is never uploaded again and a
changed one is uploaded once. Pull maps wiki files back to playbook assets: a file the
state knows maps to its asset; an unknown one is downloaded once, matched by content hash
against the assets the state knows (our own uploads read back), or saved as a new file
under ``assets/`` with a safe name when pull writes the document that links to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from prodops_sync.assets import (
    ASSETS_DIR,
    DOWNLOAD_MAX_BYTES,
    asset_links,
    content_hash,
    safe_file_name,
    unique_asset_key,
)
from prodops_sync.links import MappingResolver, stable_file_ref
from prodops_sync.model import Document
from prodops_sync.remotes.base import Remote, RemoteEntry, RemoteError
from prodops_sync.safety import inside
from prodops_sync.sync.files import atomic_write_bytes
from prodops_sync.sync.state import SyncState


class AssetError(Exception):
    """A linked file cannot be synced (missing, outside the playbook, too large)."""


@dataclass
class PendingUpload:
    """A file to upload once its page exists (Confluence attachments)."""

    record: str
    filename: str
    data: bytes
    digest: str


@dataclass
class AssetSync:
    """The asset side of one engine run."""

    playbook_dir: Path
    remote: Remote
    resolver: MappingResolver
    state: Callable[[], SyncState]
    downloads: dict[str, bytes] = field(default_factory=dict)
    """Files read from the wiki that no playbook file holds yet, by asset key."""
    remote_names: dict[str, str] = field(default_factory=dict)
    """Downloaded asset key -> the wiki's reference for it (attachment name)."""
    warnings: list[str] = field(default_factory=list)
    current: RemoteEntry | None = None

    # -- push ------------------------------------------------------------------------------

    def files_of(self, doc: Document) -> list[tuple[str, Path]]:
        """(asset key, file) of every existing file ``doc`` links to."""
        root = self.playbook_dir.resolve()
        out = []
        for key in asset_links(doc.key, doc.body):
            path = self.playbook_dir / key
            try:
                inside = path.resolve().is_relative_to(root)
            except OSError:
                inside = False
            if inside and path.is_file():
                out.append((key, path))
        return out

    def check(self, doc: Document) -> None:
        """Refuse (before any write) a linked file the remote cannot take."""
        limit = self.remote.max_asset_bytes
        for key, path in self.files_of(doc):
            size = path.stat().st_size
            if limit and size > limit:
                raise AssetError(
                    f"{doc.path or doc.key}: {key} is {size} bytes; {self.remote.label} takes "
                    f"files up to {limit} bytes. Link a smaller file, or host it elsewhere and "
                    "link its URL"
                )

    def changed(self, doc: Document) -> bool:
        """True when a file ``doc`` links to has content the state has not recorded as
        uploaded for it (the document itself may be unchanged)."""
        if not self.remote.max_asset_bytes:
            return False
        state = self.state()
        for key, path in self.files_of(doc):
            known = state.assets.get(f"{doc.key}:{key}")
            if known is None or known.get("hash") != content_hash(path.read_bytes()):
                return True
        return False

    def prepare(self, doc: Document) -> list[PendingUpload]:
        """Make the resolver know every file ``doc`` links to. Files whose content the
        state has not recorded for this document are uploaded now (Notion) or returned to
        upload once the page exists (Confluence)."""
        if not self.remote.max_asset_bytes:
            return []
        state = self.state()
        pending: list[PendingUpload] = []
        names: set[str] = set()
        for key, path in self.files_of(doc):
            data = path.read_bytes()
            digest = content_hash(data)
            record = f"{doc.key}:{key}"
            known = state.assets.get(record)
            if known is not None and known.get("hash") == digest and known.get("ref"):
                self.resolver.assets[key] = known["ref"]
                names.add(known["ref"])
                continue
            filename = safe_file_name(path.name)
            if self.remote.assets_on_page:
                while filename in names:  # two assets of one page with one base name
                    filename = "-".join(key.split("/")[-2:])
                    filename = safe_file_name(filename) if filename not in names else (
                        f"{len(names)}-{filename}")
                names.add(filename)
                self.resolver.assets[key] = filename
                pending.append(PendingUpload(record, filename, data, digest))
            else:
                ref = self.remote.upload_asset(None, filename, data)
                self._remember(record, digest, ref)
                self.resolver.assets[key] = ref
        return pending

    def upload_to_page(self, entry: RemoteEntry, pending: list[PendingUpload]) -> None:
        """Upload what :meth:`prepare` left for ``entry``'s page, recording each file."""
        for item in pending:
            ref = self.remote.upload_asset(entry, item.filename, item.data)
            self._remember(item.record, item.digest, ref)
            asset = item.record.split(":", 1)[1]
            self._learn(f"{entry.remote_id}/{ref}", asset)

    def _remember(self, record: str, digest: str, ref: str) -> None:
        state = self.state()
        state.assets = {**state.assets, record: {"hash": digest, "ref": ref}}

    def _learn(self, lookup: str, asset: str) -> None:
        state = self.state()
        state.asset_refs = {**state.asset_refs, lookup: asset}
        self.resolver.remote_assets[lookup] = asset

    # -- pull ------------------------------------------------------------------------------

    def load(self) -> None:
        """Give the resolver what the state knows (call after loading the state)."""
        state = self.state()
        self.resolver.remote_assets.update(state.asset_refs)

    def lookup_of(self, ref: str) -> str:
        """How a wiki file is known in the state: a URL without its signature, or
        ``<page id>/<attachment name>``."""
        stable = stable_file_ref(ref)
        if stable != ref or "://" in ref:
            return stable
        page = self.current.remote_id if self.current is not None else ""
        return f"{page}/{ref}"

    def asset_for_remote(self, ref: str, name: str) -> str | None:
        """The asset key of a wiki file, downloading it once when it is new to us."""
        lookup = self.lookup_of(ref)
        known = self.resolver.remote_assets.get(lookup)
        if known is not None:
            return known
        if self.current is None or not self.remote.max_asset_bytes:
            return None
        try:
            data = self.remote.download_asset(self.current, ref, DOWNLOAD_MAX_BYTES)
        except RemoteError as exc:
            self.warnings.append(str(exc))
            return None
        digest = content_hash(data)
        state = self.state()
        for record, info in state.assets.items():
            asset = record.split(":", 1)[1]
            if info.get("hash") == digest and (self.playbook_dir / asset).is_file():
                self._learn(lookup, asset)
                return asset
        for asset, held in self.downloads.items():
            if content_hash(held) == digest:
                self._learn(lookup, asset)
                return asset
        taken = set(self.downloads) | {
            f"{ASSETS_DIR}/{p.name}" for p in (self.playbook_dir / ASSETS_DIR).glob("*")
        }
        asset = unique_asset_key(safe_file_name(name), taken)
        self.downloads[asset] = data
        # Confluence: the attachment keeps its name on the page. Notion: no reusable id
        # (a block is re-pointed only if it must be sent again: then it is uploaded).
        self.remote_names[asset] = "" if "://" in ref else ref
        self._learn(lookup, asset)
        return asset

    def write_downloads(self, doc: Document) -> None:
        """Save the downloaded files ``doc`` links to (before the document itself), and
        record them as what the page holds, so the next push uploads nothing."""
        for key in asset_links(doc.key, doc.body):
            data = self.downloads.pop(key, None)
            if data is not None:
                atomic_write_bytes(inside(self.playbook_dir, key), data)
                ref = self.remote_names.get(key, "")
                self._remember(f"{doc.key}:{key}", content_hash(data), ref)
