"""Safe file writing: atomic replacement and safe names for pages created in the wiki."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from prodops_sync.safety import WINDOWS_RESERVED

# Names Windows reserves whatever the extension (one list, in prodops_sync.safety).
MAX_SLUG_LENGTH = 80


class ChangedOnDisk(Exception):
    """The file changed between our read and our write (someone saved it in an editor):
    it is left as it is, never overwritten."""


ANY = object()
"""``expect=ANY``: write whatever the file holds now (the default)."""


def digest(data: bytes | None) -> str | None:
    """The content hash :func:`atomic_write_bytes` compares (None: no file)."""
    return None if data is None else hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None when there is no file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def atomic_write_text(path: Path, text: str, *, expect: object = ANY) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`). Line endings
    follow the file being replaced: a CRLF file stays CRLF (``text`` uses "\n")."""
    data = text.encode("utf-8")
    current = read_bytes(path) if path.is_file() else None
    if current is not None and uses_crlf(current) and b"\r\n" not in data:
        data = data.replace(b"\n", b"\r\n")
    atomic_write_bytes(path, data, expect=expect)


def uses_crlf(data: bytes) -> bool:
    """True when most line ends of ``data`` are CRLF."""
    crlf = data.count(b"\r\n")
    return crlf > 0 and crlf * 2 >= data.count(b"\n")


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is; not possible on every OS.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def slugify(title: str) -> str:
    """A file-name stem for a page title: NFKC-normalised, ASCII, lowercase, hyphenated.

    Never empty, never a path separator, ``..`` or a Windows reserved name, at most
    :data:`MAX_SLUG_LENGTH` characters, and stable under Unicode normalisation (a title in NFC
    and in NFD give the same slug).
    """
    text = unicodedata.normalize("NFKC", title)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    text = text[:MAX_SLUG_LENGTH].rstrip("-")
    if not text:
        text = "untitled"
    if text in WINDOWS_RESERVED:
        text = f"{text}-page"
    return text


def unique_stem(stem: str, taken: set[str]) -> str:
    """``stem`` or ``stem-2``, ``stem-3``... whichever is not in ``taken`` (compared
    case-insensitively, because macOS and Windows file systems are)."""
    lowered = {t.lower() for t in taken}
    candidate, n = stem, 2
    while candidate.lower() in lowered:
        candidate = f"{stem}-{n}"
        n += 1
    return candidate


def atomic_write_bytes(path: Path, data: bytes, *, expect: object = ANY) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a
    half-written one: write a temporary file beside it (``.NAME.XXXXXXXX.tmp``, cleaned up
    by :func:`remove_stale_temps` if the process dies), fsync, then rename over.

    The file keeps its permission bits (a new file gets the umask's). With ``expect`` (a
    :func:`digest` of what the caller read, None for "no file"), the current content is
    compared right before the rename: if it changed, :class:`ChangedOnDisk` is raised and
    nothing is replaced."""
    atomic_write_chunks(path, (data,), expect=expect)


def atomic_write_chunks(
    path: Path, chunks: Iterable[bytes], *, expect: object = ANY
) -> int:
    """:func:`atomic_write_bytes` for content produced piece by piece (a large snapshot
    serialised as it is written, never held whole in memory). Returns the bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        written = 0
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        if expect is not ANY and digest(read_bytes(path)) != expect:
            raise ChangedOnDisk(
                f"{path.name} changed on disk while it was being written (saved in an "
                "editor?); it was left as it is: run the command again"
            )
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return written


_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
STALE_TEMP_SECONDS = 2.0


def remove_stale_temps(directory: Path, *, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Delete temporary files :func:`atomic_write_bytes` left behind when a process was
    killed between write and rename (older than ``older_than`` seconds, so a write in
    flight is never touched). Returns how many were removed."""
    removed = 0
    now = time.time()
    if not directory.is_dir():
        return 0
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if d not in (".git", "node_modules")]
        for name in files:
            if not _TEMP_NAME.match(name):
                continue
            candidate = Path(root) / name
            with contextlib.suppress(OSError):
                if candidate.is_symlink() or now - candidate.stat().st_mtime < older_than:
                    continue
                candidate.unlink()
                removed += 1
    return removed


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]+')


def page_stem(title: str) -> str:
    """A readable file-name stem for a free page created in the wiki, keeping its script:
    ``Über uns`` -> ``über-uns``, ``オンボーディング`` stays as it is.

    NFC-normalised (so NFC and NFD titles give one name), lowercase, hyphens for spaces and
    punctuation; never empty, never a separator, ``.``/``..``, a dot-file, a Windows reserved
    name or ``index`` (a folder's own page), and at most :data:`MAX_SLUG_LENGTH` characters.
    Control, bidi-override and zero-width characters are dropped (they hide what a name is).

    This is where a remote page title becomes a local path part; the engine checks the
    resulting path once more with :func:`prodops_sync.safety.inside` before writing.
    """
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", title)).casefold()
    text = _UNSAFE.sub(" ", text)
    text = "".join(c if c.isalnum() or c in "-_" else " " for c in text)
    text = re.sub(r"[\s_-]+", "-", text).strip("-.")
    text = text[:MAX_SLUG_LENGTH].rstrip("-.")
    if not text:
        text = "untitled"
    if text in WINDOWS_RESERVED or text.split(".")[0] in WINDOWS_RESERVED or text == "index":
        text = f"{text}-page"
    return text
