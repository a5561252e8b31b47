"""Canonical bodies remembered between runs, so an unchanged file is not parsed again.

Parsing a body and rendering it in canonical form (markdown-it, then mdformat) is nearly
all the time ``validate`` spends on a large playbook: about 5 ms per document with links
and tables, 25 s of CPU for 5,000 documents. Between two runs most files do not change,
so, like ruff's and mypy's caches, the result for each body is kept by a digest of its
text: the canonical form (or a mark that the text already is canonical) and its outline.

Correctness does not depend on the cache: an entry is only ever the result of
:func:`prodops_sync.markdown.canonical_with_outline` for exactly that text, under the same
versions of prodops-sync and of the Markdown libraries (:func:`cache_tag`; another tag
discards the file). A missing, unreadable or foreign file is an empty cache, and a cache
that cannot be written is skipped: a read-only checkout validates as before. The file is
written atomically, holding only the bodies of this run, so it tracks the playbook's size.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import metadata
from itertools import chain
from pathlib import Path
from typing import Any

from prodops_sync.jsonstream import buffered, dumps, json_chunks
from prodops_sync.markdown import Outline, OutlineItem, canonical_with_outline

CACHE_FILE = "bodies.json"
CACHE_DIR_ENV = "PRODOPS_SYNC_CACHE_DIR"
CACHE_VERSION = 2
_LIBRARIES = ("prodops-sync", "markdown-it-py", "mdformat", "mdformat-gfm",
              "mdformat-gfm-alerts", "mdformat-frontmatter", "mdit-py-plugins")

Entry = tuple[str | None, str]
"""The canonical body (None: the text already is canonical) and the text's outline as
compact JSON. Kept as text, decoded only for a body that is looked up: decoded, the
outlines of 5,000 bodies took about 40 MB while a sync loaded its playbook."""


@cache
def cache_tag() -> str:
    """What a cached result depends on besides the text: the versions of prodops-sync and
    of every library that shapes the canonical form."""
    versions = []
    for name in _LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=none")
    return f"v{CACHE_VERSION};" + ";".join(versions)


def default_cache_dir(root: Path) -> Path:
    """Where the cache of the playbook at ``root`` lives: beside it, in the
    ``.prodops-sync/`` directory ``prodops-sync init`` keeps out of Git
    (``.prodops-sync/cache/validate-<playbook dir name>``), or under
    ``$PRODOPS_SYNC_CACHE_DIR`` when that is set (a CI cache directory, say)."""
    import os

    absolute = root.absolute()
    base = os.environ.get(CACHE_DIR_ENV)
    parent = Path(base) if base else absolute.parent / ".prodops-sync" / "cache"
    return parent / f"validate-{absolute.name or 'root'}"


def body_digest(text: str) -> str:
    """The key of ``text`` in the cache."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class BodyMemo:
    """Canonical bodies by digest: looked up before a parse, filled after one.

    ``entries`` holds what was loaded; ``used`` what this run looked up or computed (what
    :meth:`BodyCache.save` keeps). Plain data, so worker processes can receive it."""

    def __init__(self, entries: Mapping[str, Entry] | None = None) -> None:
        self.entries: dict[str, Entry] = dict(entries or {})
        self.used: dict[str, Entry] = {}

    def canonical_with_outline(self, text: str) -> tuple[str, str]:
        """:func:`~prodops_sync.markdown.canonical_with_outline`, from memory when known,
        with the outline as compact JSON text (:func:`decode_outline` reads it): decoded,
        the outlines of 5,000 bodies took 28 MB while the playbook loaded, the text 8 MB.
        A cached outline that does not decode is not trusted: the body is parsed again and
        the entry replaced."""
        digest = body_digest(text)
        entry = self.entries.get(digest)
        if entry is None or decode_outline(entry[1]) is None:
            canonical, found = canonical_with_outline(text)
            entry = (None if canonical == text else canonical, encode_outline(found))
        self.used[digest] = entry
        canonical = text if entry[0] is None else entry[0]
        return canonical, entry[1]

    def absorb(self, used: Mapping[str, Entry]) -> None:
        """Take in what a worker process looked up or computed."""
        self.used.update(used)


class BodyCache:
    """The memo's file: ``<directory>/bodies.json``. ``directory`` None: no file at all."""

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / CACHE_FILE if directory is not None else None

    def load(self) -> BodyMemo:
        """The memo of the last run (empty when there is none or it does not fit)."""
        if self.path is None:
            return BodyMemo()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return BodyMemo()
        if not isinstance(data, dict) or data.get("tag") != cache_tag():
            return BodyMemo()
        return BodyMemo(dict(_entries(data.get("bodies"))))

    def save(self, memo: BodyMemo) -> None:
        """Keep the bodies this run used; a failure to write is no error (it is a cache)."""
        if self.path is None or memo.used.keys() == memo.entries.keys():
            return
        from prodops_sync.sync.files import atomic_write_chunks

        bodies = {digest: list(entry) for digest, entry in sorted(memo.used.items())}
        # Written a body at a time: the whole text at once took 60 MB at 5,000 bodies.
        pieces = json_chunks({"tag": cache_tag(), "bodies": bodies}, depth=2)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_chunks(self.path,
                                (c.encode() for c in buffered(chain(pieces, ["\n"]))))
        except OSError:
            return


def _entries(raw: Any) -> Iterable[tuple[str, Entry]]:
    """The well-formed entries of a loaded file (anything else is skipped, not trusted;
    an outline is checked when it is decoded)."""
    if not isinstance(raw, dict):
        return
    for digest, value in raw.items():
        if not isinstance(value, list) or len(value) != 2:
            continue
        canonical, outline = value
        if (canonical is None or isinstance(canonical, str)) and isinstance(outline, str):
            yield str(digest), (canonical, outline)


def encode_outline(found: Outline) -> str:
    """The outline as compact JSON text (what the cache keeps)."""
    return dumps([list(item) for item in found])


def decode_outline(text: str) -> Outline | None:
    """The outline stored as ``text``; None when it is not one (then the body is parsed)."""
    try:
        return tuple(_item(item) for item in json.loads(text))
    except (TypeError, ValueError, RecursionError):  # RecursionError: "[[[[...]]]]"
        return None


def _item(raw: Any) -> OutlineItem:
    kind, line, value = raw
    if not isinstance(kind, str) or not isinstance(value, str) or not (
            line is None or isinstance(line, int)):
        raise ValueError("not an outline item")
    return OutlineItem(kind, line, value)
