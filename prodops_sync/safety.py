"""Where untrusted text meets the machine: remote data becoming local paths, and text leaving
the process.

Anyone who can edit a Notion row or a Confluence page writes input for this tool, and the
network can answer anything. Two choke points keep that input in its place:

* **Paths.** Every path derived from remote data (a document key a page carries, a file name
  from the wiki) goes through :func:`check_key` / :func:`check_relpath`, and every write or
  delete inside the playbook through :func:`inside`: a relative POSIX path of the expected
  kind's directory, no ``..``, no absolute path or drive, no dot-files (``.github``), no
  characters Windows or a terminal would misread, no reserved names, and no symlink that
  leads out of the tree. A bad path raises :class:`UnsafePath`; callers report the document
  and skip it.
* **Output.** Every secret the process knows (tokens, basic-auth pairs, their base64 and
  URL-encoded forms) is replaced by ``***`` in everything written to the console, JSON
  output, the GitHub step summary and the state (:data:`SECRETS`, :class:`ScrubbingStream`).
  Remote text is escaped for the place it goes: :func:`one_line` for terminal and log lines
  (control characters shown as ``\\uXXXX``, so a title cannot start a line with
  ``::error``), :func:`annotation` for GitHub workflow-command data and
  :func:`markdown_cell` for the step summary's tables.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from prodops_sync.kinds import KindSpec

MAX_PATH_LENGTH = 240
"""Longest playbook-relative path accepted from the wiki (Windows' MAX_PATH minus room for
the checkout's own directory)."""
MAX_PART_LENGTH = 120

WINDOWS_RESERVED = frozenset({
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
})
# Characters no path part from the wiki may hold: separators and characters Windows
# refuses (a checkout there would break), and every control or format character.
_FORBIDDEN_CHARS = set('\\<>:"|?*')


class UnsafePath(ValueError):
    """A path from remote data that must not be used (the message says why)."""


# ---------------------------------------------------------------------------- paths
def check_relpath(relpath: str) -> str:
    """``relpath`` if it is a safe playbook-relative POSIX path, else :class:`UnsafePath`.

    Pure: looks at the string only (see :func:`inside` for the file system)."""
    if not isinstance(relpath, str) or not relpath:
        raise UnsafePath("empty path")
    if len(relpath) > MAX_PATH_LENGTH:
        raise UnsafePath(f"path longer than {MAX_PATH_LENGTH} characters")
    if relpath.startswith("/") or re.match(r"^[A-Za-z]:", relpath):
        raise UnsafePath("absolute path")
    for part in relpath.split("/"):
        _check_part(part)
    return relpath


def _check_part(part: str) -> None:
    if part in ("", ".", ".."):
        raise UnsafePath("empty, '.' or '..' path part" if part != ".." else "'..' in the path")
    if part.startswith("."):
        raise UnsafePath(f"hidden file or directory {one_line(part)!r}")
    if len(part) > MAX_PART_LENGTH:
        raise UnsafePath(f"path part longer than {MAX_PART_LENGTH} characters")
    bad = sorted({c for c in part if c in _FORBIDDEN_CHARS
                  or unicodedata.category(c)[0] == "C"})
    if bad:
        shown = ", ".join(one_line(c) if c.isprintable() else f"\\u{ord(c):04x}" for c in bad)
        raise UnsafePath(f"character(s) {shown} not allowed in a file name")
    if part.endswith((" ", ".")):
        raise UnsafePath("file name ends with a space or a dot")
    if part.split(".")[0].lower() in WINDOWS_RESERVED:
        raise UnsafePath(f"reserved file name {part!r}")


def check_key(key: str, kind: KindSpec) -> str:
    """``key`` if it is a safe document key of ``kind`` (a path without suffix inside the
    kind's directory), else :class:`UnsafePath`. Keys come from the wiki (Notion's
    ``Sync key`` cell, Confluence's content property) and become file paths."""
    check_relpath(key)
    suffix = ".md" if "markdown" in kind.formats else ".yaml"
    if not kind.matches(key + suffix):
        where = f"{kind.directory}/" if kind.directory else "the playbook's top level"
        expected = kind.pattern if not kind.is_record else f"{where}NAME"
        raise UnsafePath(f"not a {kind.name} key (expected {expected})")
    return key


def inside(root: Path, relpath: str) -> Path:
    """The absolute path of ``relpath`` under ``root``, after :func:`check_relpath` and a
    file-system check: no existing part of the path is a symlink leading out of ``root``,
    and the target itself is not a symlink (a write would follow it)."""
    check_relpath(relpath)
    base = root.resolve()
    target = base.joinpath(*PurePosixPath(relpath).parts)
    probe = target
    while not probe.exists() and probe != base:
        probe = probe.parent
    if not probe.resolve().is_relative_to(base):
        raise UnsafePath("a directory on the way is a symlink out of the playbook")
    if target.is_symlink():
        raise UnsafePath("the file is a symlink; it is never written through")
    return target


# ---------------------------------------------------------------------------- secrets
class SecretRegistry:
    """Every secret this process knows, in every form it may appear in text."""

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, secret: str | None, *, user: str | None = None) -> None:
        """Remember ``secret`` (and, with ``user``, the basic-auth pair ``user:secret``):
        the value as given and stripped, URL-encoded, and base64 of the pair."""
        if not secret:
            return
        forms = {secret, secret.strip(), quote(secret.strip(), safe="")}
        for value in (secret, secret.strip()):
            forms.add(base64.b64encode(value.encode()).decode())
            if user:
                pair = f"{user}:{value}"
                forms.add(pair)
                forms.add(base64.b64encode(pair.encode()).decode())
        with self._lock:
            # Short strings would blank out ordinary words; real tokens are long.
            self._forms |= {f for f in forms if len(f.strip()) >= 8}
            self._pattern = None

    def clear(self) -> None:
        """Forget every secret (tests)."""
        with self._lock:
            self._forms.clear()
            self._pattern = None

    def scrub(self, text: str) -> str:
        """``text`` with every known secret replaced by ``***``."""
        if not self._forms or not text:
            return text
        with self._lock:
            if self._pattern is None:
                ordered = sorted(self._forms, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(f) for f in ordered))
            pattern = self._pattern
        return pattern.sub("***", text)

    def scrub_any(self, value: Any) -> Any:
        """``value`` (JSON-like data) with secrets scrubbed from every string in it."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {self.scrub(str(k)): self.scrub_any(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_any(v) for v in value]
        return value


SECRETS = SecretRegistry()
"""The process-wide registry: credentials are added when they are read from the
environment (:func:`prodops_sync.sync.config.credentials`)."""


def scrub(text: str) -> str:
    """``text`` with every secret the process knows replaced by ``***``."""
    return SECRETS.scrub(text)


class ScrubbingStream(io.TextIOBase):
    """A text stream that scrubs secrets from everything written through it.

    Deliberately has no ``buffer`` attribute: writers (click among them) that would write
    bytes to the underlying binary buffer must come through :meth:`write`."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("ScrubbingStream takes text")
        self.inner.write(SECRETS.scrub(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:  # type: ignore[override]
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.inner, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.inner, "errors", None)


@contextlib.contextmanager
def scrubbed_output() -> Iterator[None]:
    """Route ``sys.stdout`` and ``sys.stderr`` through :class:`ScrubbingStream` while the
    block runs (nested uses do not wrap twice)."""
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, ScrubbingStream):
        sys.stdout = ScrubbingStream(sys.stdout)
    if not isinstance(sys.stderr, ScrubbingStream):
        sys.stderr = ScrubbingStream(sys.stderr)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdout, sys.stderr = saved


def check_token(value: str, variable: str) -> str:
    """A credential read from environment variable ``variable``, stripped of surrounding
    whitespace (a trailing newline from ``echo`` or a secrets UI is common). Whitespace or
    control characters inside it make an HTTP header the client refuses, with a message
    that would quote the token: refused here with one that does not."""
    SECRETS.add(value)
    stripped = value.strip()
    if any(c.isspace() or unicodedata.category(c)[0] == "C" for c in stripped):
        raise ValueError(
            f"environment variable {variable} holds whitespace or control characters "
            "inside the value; set it to the token alone"
        )
    return stripped


# ---------------------------------------------------------------------------- escaping
def one_line(text: object) -> str:
    """``text`` for one terminal or CI log line: control and format characters (newlines,
    ANSI escapes, carriage returns, bidi overrides, zero-width marks) shown as ``\\uXXXX``
    instead of acting; tab kept. A remote string can then never start a line of its own,
    so it cannot issue GitHub workflow commands (``::error``, ``::add-mask::``)."""
    return "".join(
        ch if ch == "\t" or unicodedata.category(ch)[0] != "C" else f"\\u{ord(ch):04x}"
        for ch in str(text)
    )


def annotation(text: object) -> str:
    """``text`` as the data of a GitHub workflow command (``::error ...::DATA``), escaped
    as the runner expects (``%``, CR, LF)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotation_property(text: object) -> str:
    """``text`` as a workflow command property value (``file=``, ``title=``)."""
    return annotation(text).replace(":", "%3A").replace(",", "%2C")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|!~])")


def markdown_cell(text: object) -> str:
    """``text`` as plain text in one Markdown table cell: one line, Markdown and HTML
    syntax escaped (a title cannot add links, images or tags to the job summary)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


def safe_url(url: str) -> str:
    """``url`` if it is an http(s) URL without credentials in it, else ``""`` (a link from
    the wiki must not become ``javascript:`` in a summary)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return ""
    if any(c.isspace() or c in "()<>" for c in url) or one_line(url) != url:
        return ""
    return url


def shown_url(url: str) -> str:
    """``url`` for a message: scheme, host, port and path only (no query string, which may
    hold a signature, and no user info)."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return "(unreadable URL)"
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return one_line(f"{parts.scheme}://{host}{port}{parts.path}")
