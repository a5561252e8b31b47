"""Reading playbook files into :class:`~prodops_sync.model.Document` objects.

``parse_document_text`` is pure (text in, document out) and is what pull and convert call.
``load_document`` and ``load_playbook`` add the file-system checks: size limit, binary and
non-UTF-8 content, empty files, git conflict markers, unknown files and symlinks leaving the
playbook. Every failure becomes a :class:`Problem` with file, 1-based line and column.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from prodops_sync.kinds import KindSpec, Registry, active, key_for_path, kind_for_path
from prodops_sync.markdown import canonical_with_outline
from prodops_sync.model import Document
from prodops_sync.playbook.bodycache import BodyMemo, encode_outline
from prodops_sync.playbook.problems import PlaybookError, Problem
from prodops_sync.playbook.yamlpos import Positions, parse_yaml

MAX_FILE_BYTES = 1024 * 1024
"""Files larger than this (1 MiB) are refused: a playbook page is a few kilobytes."""

UNREADABLE_CODES = frozenset({"playbook-missing", "read-error"})
"""Problem codes that mean the input could not be read at all (the CLI exits 2)."""

_FENCE = re.compile(r"^---[ \t]*$")
_FENCE_END = re.compile(r"^(---|\.\.\.)[ \t]*$")
_CONFLICT_START = re.compile(r"^<{7}(?: |$)")
_CONFLICT_MID = re.compile(r"^={7}$")
_CONFLICT_END = re.compile(r"^>{7}(?: |$)")


@dataclass
class LoadResult:
    """What ``load_playbook`` found: the documents it could read and the problems it met."""

    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed_keys: set[str] = field(default_factory=set)
    """Keys of playbook files that exist but could not be loaded (their problem is already
    reported; validation treats them as present so that references to them do not cascade)."""

    @property
    def by_key(self) -> dict[str, Document]:
        """Documents by key."""
        return {doc.key: doc for doc in self.documents}


@dataclass(frozen=True)
class PositionSource:
    """What a document's field positions are worked out from when a problem needs one: its
    YAML text. Kept instead of the positions themselves (a hundred objects per document,
    25 MB for 5,000 documents), which only a document with a problem ever reads."""

    text: str
    file: str
    line_offset: int


def positions_of(doc: Document) -> Positions:
    """The field positions of the loaded document (empty for documents from elsewhere),
    worked out again from its :class:`PositionSource` on first use."""
    pos = doc.extra.get("positions")
    if isinstance(pos, PositionSource):
        # The text parsed when the document loaded, so it parses the same way again.
        pos = doc.extra["positions"] = parse_yaml(pos.text, pos.file, pos.line_offset)[1]
    return pos if isinstance(pos, Positions) else Positions()


def split_front_matter(text: str, relpath: str) -> tuple[str, str, int]:
    """Split Markdown ``text`` into (front matter YAML, body, body's 0-based first line).

    The front matter must open on line 1 with ``---`` and close with ``---`` (or ``...``).
    """
    lines = text.split("\n")
    if not lines or not _FENCE.match(lines[0]):
        raise PlaybookError("missing YAML front matter: the file must start with a '---' line",
                            file=relpath, code="front-matter-missing")
    for index in range(1, len(lines)):
        if _FENCE_END.match(lines[index]):
            return "\n".join(lines[1:index]) + "\n", "\n".join(lines[index + 1:]), index + 1
    raise PlaybookError("front matter is not closed: add a '---' line after the fields",
                        file=relpath, code="front-matter-unclosed")


def find_conflict_markers(text: str) -> list[int]:
    """1-based line numbers of git conflict markers (``<<<<<<<``, ``=======``, ``>>>>>>>``).

    A bare ``=======`` counts only inside an open conflict (it is also a setext underline).
    """
    found: list[int] = []
    open_conflict = False
    for number, line in enumerate(text.split("\n"), start=1):
        if _CONFLICT_START.match(line):
            open_conflict = True
            found.append(number)
        elif _CONFLICT_MID.match(line) and open_conflict:
            found.append(number)
        elif _CONFLICT_END.match(line):
            open_conflict = False
            found.append(number)
    return found


def parse_document_text(text: str, relpath: str, memo: BodyMemo | None = None) -> Document:
    """Parse the text of the playbook file at ``relpath`` (POSIX, relative to the playbook).

    Pure: no file access. Returns a :class:`Document` whose ``fields`` hold the YAML data
    (dates as ISO strings), whose ``body`` is the canonical Markdown after the front matter,
    and whose ``extra`` holds ``positions`` (read with :func:`positions_of`), ``raw_body``,
    ``body_line`` (1-based file line where the body starts) and ``body_outline`` (the
    headings and links of ``raw_body`` as JSON text, from the parse that made ``body``, so
    that validation does not parse the body again). Raises :class:`PlaybookError`. ``memo``
    remembers canonical bodies (:mod:`.bodycache`); the result is the same without it.
    """
    spec = kind_for_path(relpath)
    if spec is None:
        raise PlaybookError(unknown_file_message(relpath), file=relpath, code="unknown-file")
    if not text.strip() and not spec.is_page:
        raise PlaybookError("file is empty", file=relpath, code="empty-file")
    markers = find_conflict_markers(text)
    if markers:
        raise PlaybookError("git conflict marker left by a merge: resolve the conflict",
                            file=relpath, line=markers[0], code="conflict-marker")
    file_format = spec.format_of(relpath)
    body_raw, body_line = "", 0
    if spec.is_page and not _FENCE.match(text.split("\n", 1)[0]):
        # Front matter is optional on a free page: the whole file is the body.
        data, positions, body_raw, body_line = None, Positions(), text, 1
        position_source: PositionSource | Positions = positions
    elif file_format == "markdown":
        yaml_text, body_raw, body_index = split_front_matter(text, relpath)
        data, positions = parse_yaml(yaml_text, relpath, line_offset=1)
        position_source = PositionSource(yaml_text, relpath, 1)
        body_line = body_index + 1
    else:
        data, positions = parse_yaml(text, relpath)
        position_source = PositionSource(text, relpath, 0)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        line, col = positions.of_value(())
        where = "front matter" if file_format == "markdown" else "file"
        raise PlaybookError(f"the {where} must be a mapping of fields, not a "
                            f"{type(data).__name__}", file=relpath, line=line, column=col,
                            code="yaml-not-mapping")
    key = key_for_path(relpath)
    body, body_outline = _canonicalise(body_raw, memo) if file_format == "markdown" else (
        "", "[]")
    if spec.is_page and "title" not in data:
        data = {"title": page_title(body, key)}
    return Document(
        key=key,
        kind=spec.name,
        fields=data,
        body=body,
        path=relpath,
        extra={"positions": position_source, "raw_body": body_raw, "body_line": body_line,
               "body_outline": (body_raw, body_outline)},
    )


def _canonicalise(body: str, memo: BodyMemo | None) -> tuple[str, str]:
    """The canonical form of ``body`` and its outline as JSON text (see ``BodyMemo``)."""
    if memo is not None:
        return memo.canonical_with_outline(body)
    canonical, found = canonical_with_outline(body)
    return canonical, encode_outline(found)


_HEADING = re.compile(r"^# +(.+?)(?: +#+)? *$")


def page_title(body: str, key: str) -> str:
    """The title of a free page without one in front matter: its first ``# `` heading
    (outside code fences), else its file (or folder) name."""
    fence = ""
    for line in body.split("\n"):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        match = _HEADING.match(line)
        if match:
            return match.group(1).strip()
    path = PurePosixPath(key)
    return path.parent.name if path.name == "index" and len(path.parts) > 2 else path.name


def unknown_file_message(relpath: str) -> str:
    """Explain where playbook files belong."""
    return (f"unknown file in the playbook (expected one of: {active().expected_files()}); "
            "free-form pages go under pages/, and a folder of records needs a kind declared "
            "under kinds: in prodops-sync.yaml")


def _decode(data: bytes, relpath: str) -> str:
    if b"\x00" in data:
        raise PlaybookError("binary file: playbook files must be UTF-8 text", file=relpath,
                            code="binary-file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PlaybookError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", file=relpath,
                            line=line, column=column, code="encoding") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True


def load_document(
    root: Path, relpath: str, memo: BodyMemo | None = None
) -> tuple[Document | None, list[Problem]]:
    """Read and parse one file of the playbook at ``root``.

    Returns the document (None when it could not be parsed) and the problems met.
    """
    path = root / relpath
    try:
        if path.is_symlink() and not _inside(path, root):
            raise PlaybookError("symlink points outside the playbook", file=relpath,
                                code="symlink-outside")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PlaybookError(f"file too large ({size} bytes; the limit is {MAX_FILE_BYTES})",
                                file=relpath, code="too-large")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PlaybookError(f"cannot read file: {exc.strerror or exc}", file=relpath,
                                code="read-error") from None
        return parse_document_text(_decode(data, relpath), relpath, memo), []
    except PlaybookError as exc:
        return None, [exc.to_problem()]


def playbook_files(root: Path) -> tuple[list[str], list[Problem]]:
    """Relative POSIX paths of the files under ``root`` (sorted), skipping dot-files and
    dot-directories, plus problems for directory symlinks that leave the playbook."""
    files: list[str] = []
    problems: list[Problem] = []
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        keep = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            sub = base / name
            rel = PurePosixPath(sub.relative_to(root).as_posix())
            if sub.is_symlink():
                if not _inside(sub, root):
                    problems.append(Problem(str(rel), 1, 1, "$", "symlink points outside the "
                                            "playbook", "error", "symlink-outside"))
                continue  # directory symlinks are never followed
            keep.append(name)
        if base == root and "assets" in keep:
            keep.remove("assets")  # images and files documents link to: not documents
        dirnames[:] = keep
        for name in sorted(filenames):
            if not name.startswith("."):
                files.append((base / name).relative_to(root).as_posix())
    return sorted(files), problems


def load_playbook(
    root: Path, *, workers: int | None = 1, memo: BodyMemo | None = None
) -> LoadResult:
    """Load every file of the playbook at ``root``.

    Unknown files, unreadable files and parse failures become problems; the documents that
    could be read are returned in path order. ``workers`` > 1 parses the files in that many
    processes; None chooses: one per available core (at most 4) for a playbook of
    :data:`PARALLEL_MIN_FILES` files or more, else 1. ``memo`` (:mod:`.bodycache`) skips
    the Markdown work for bodies it knows and learns the others. The result is the same
    either way.
    """
    result = LoadResult()
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a directory"
        result.problems.append(Problem(".", 1, 1, "$", f"playbook directory {str(root)!r} {what}",
                                       "error", "playbook-missing"))
        return result
    files, problems = playbook_files(root)
    result.problems.extend(problems)
    loaded = _load_documents(root, files, workers, memo)
    for relpath, (doc, found) in zip(files, loaded, strict=True):
        result.problems.extend(found)
        if doc is not None:
            result.documents.append(doc)
        elif kind_for_path(relpath) is not None:
            result.failed_keys.add(key_for_path(relpath))
    result.documents.extend(folder_pages(files, {*result.by_key, *result.failed_keys}))
    return result


PARALLEL_MIN_FILES = 1000
"""From this many files to parse (not counting bodies the memo knows), ``load_playbook(
workers=None)`` parses them in several processes:
parsing and rendering Markdown is most of the time of validating a large playbook (about
3 ms a document with links and tables), and starting a worker costs about half a second."""

_MAX_WORKERS = 4
_Loaded = tuple[Document | None, list[Problem]]


def _worker_count(files: int, workers: int | None, known: int = 0) -> int:
    """How many processes parse ``files`` files, ``known`` of whose bodies are (probably)
    in the memo: a body from the memo costs a tenth of a parse, so only the rest count."""
    if workers is not None:
        return max(1, workers)
    if files - known < PARALLEL_MIN_FILES:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return min(cores, _MAX_WORKERS)


def _load_documents(
    root: Path, files: list[str], workers: int | None, memo: BodyMemo | None
) -> list[_Loaded]:
    """``load_document`` of every file, in order; in worker processes when asked to (and
    in this process when they cannot be started)."""
    count = _worker_count(len(files), workers, len(memo.entries) if memo is not None else 0)
    if count > 1 and len(files) > 1:
        try:
            return _load_in_workers(root, files, count, memo)
        except Exception:  # no processes here (a sandbox, a frozen app...)
            pass  # the serial load below gives the same result, or raises the real error
    return [load_document(root, relpath, memo) for relpath in files]


def _load_in_workers(
    root: Path, files: list[str], count: int, memo: BodyMemo | None
) -> list[_Loaded]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the caller may have threads (a stand-in, a progress bar), and a
    # forked child of a threaded process can deadlock. Workers use this run's kinds.
    size = max(1, -(-len(files) // (count * 8)))
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    context = multiprocessing.get_context("spawn")
    entries = memo.entries if memo is not None else None
    with ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_init_worker,
                             initargs=(active(), entries)) as pool:
        loaded: list[_Loaded] = []
        for part, used in pool.map(_load_chunk, [(root, chunk) for chunk in chunks]):
            loaded.extend(part)
            if memo is not None:
                memo.absorb(used)
    return loaded


_worker_memo: BodyMemo | None = None
"""In a worker process: the memo it was started with (None: no cache this run)."""


def _init_worker(registry: Registry, entries: dict[str, Any] | None) -> None:
    global _worker_memo
    from prodops_sync.kinds import _ACTIVE

    _ACTIVE.set(registry)
    _worker_memo = BodyMemo(entries) if entries is not None else None


def _load_chunk(job: tuple[Path, list[str]]) -> tuple[list[_Loaded], dict[str, Any]]:
    """Load a chunk of files in a worker; what it learnt of bodies goes back too."""
    root, relpaths = job
    memo = _worker_memo
    if memo is not None:
        memo.used = {}
    loaded = [load_document(root, relpath, memo) for relpath in relpaths]
    return loaded, (memo.used if memo is not None else {})


def folder_pages(files: list[str], keys: set[str]) -> list[Document]:
    """Empty pages for folders under ``pages/`` without an ``index.md``: a folder nests
    pages in the wiki, so it needs a page there, named after the folder (key
    ``<folder>/index``, so that a pulled body lands in ``<folder>/index.md``)."""
    pages: KindSpec | None = active().pages
    if pages is None:
        return []
    folders: set[str] = set()
    for relpath in files:
        if not pages.matches(relpath):
            continue
        parent = PurePosixPath(relpath).parent
        while str(parent) != pages.directory and len(parent.parts) > 1:
            folders.add(str(parent))
            parent = parent.parent
    return [
        Document(key=f"{folder}/index", kind=pages.name,
                 fields={"title": PurePosixPath(folder).name}, extra={"folder": True})
        for folder in sorted(folders)
        if f"{folder}/index" not in keys
    ]
