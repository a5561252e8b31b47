"""Problems found while loading or validating a playbook, and the error parsers raise."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about one place in the playbook.

    ``file`` is the POSIX path relative to the playbook directory (``rituals/weekly.md``);
    ``line`` and ``column`` are 1-based positions in that file; ``field`` is a JSON path into
    the document's fields (``$.cadence``, ``$.raci[2].accountable``), or ``$`` for the whole
    document; ``code`` is a stable rule id (``schema``, ``yaml-syntax``, ...).
    """

    file: str
    line: int
    column: int
    field: str
    message: str
    severity: Severity = "error"
    code: str = "error"

    def as_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready dict (the shape ``validate --format json`` prints)."""
        return asdict(self)


class PlaybookError(ValueError):
    """A file cannot be turned into a document. Carries the position of the cause."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int = 1,
        column: int = 1,
        field: str = "$",
        code: str = "error",
    ) -> None:
        super().__init__(f"{file}:{line}:{column}: {field}: {message}")
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.code = code

    def to_problem(self) -> Problem:
        """The error as an error-severity :class:`Problem`."""
        return Problem(self.file, self.line, self.column, self.field, self.message, "error",
                       self.code)


def json_path(path: tuple[str | int, ...] | list[str | int]) -> str:
    """Render a field path as a JSON path.

    ``("raci", 2, "accountable")`` -> ``$.raci[2].accountable``.
    """
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "a").replace("-", "a").isalnum():
            out += f".{part}"
        else:
            out += "[" + repr(part).replace("'", '"') + "]"
    return out
