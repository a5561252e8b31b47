"""Safe file writing: atomic replacement and safe names for pages created in the wiki."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

# Names Windows reserves whatever the extension; a file called `con.md` breaks a checkout there.
WINDOWS_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}
MAX_SLUG_LENGTH = 80


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a
    half-written one: write a temporary file beside it, fsync, then rename over."""
    atomic_write_bytes(path, text.encode("utf-8"))  # no newline translation: "\n" stays


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


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a
    half-written one: write a temporary file beside it, fsync, then rename over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]+')


def page_stem(title: str) -> str:
    """A readable file-name stem for a free page created in the wiki, keeping its script:
    ``Über uns`` -> ``über-uns``, ``オンボーディング`` stays as it is.

    NFC-normalised (so NFC and NFD titles give one name), lowercase, hyphens for spaces and
    punctuation; never empty, never a separator, ``.``/``..``, a dot-file, a Windows reserved
    name or ``index`` (a folder's own page), and at most :data:`MAX_SLUG_LENGTH` characters.
    Control, bidi-override and zero-width characters are dropped (they hide what a name is).

    This is the one place a remote page title becomes a local path part: route it through
    ``prodops_sync.safety`` once that module's path validator exists.
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
