"""YAML parsing that keeps line/column positions and refuses what a playbook must not contain.

PyYAML's composer gives a node tree with start marks; we build plain Python data from it
ourselves so that we can (a) record the position of every key and value, (b) report duplicate
keys, which PyYAML's constructor silently accepts, (c) keep timestamps as the ISO text written
in the file, and (d) cap alias expansion so that a "billion laughs" document is refused
instead of exhausting memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from prodops_sync.playbook.problems import PlaybookError, json_path

Path_ = tuple[str | int, ...]

MAX_NODES = 100_000
"""Upper bound on values built from one YAML text (aliases count every time they expand)."""
MAX_DEPTH = 64
"""Upper bound on nesting depth (also stops recursive aliases)."""

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass
class Positions:
    """1-based (line, column) positions of every value and mapping key, by field path."""

    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def of_value(self, path: Path_) -> tuple[int, int]:
        """Position of the value at ``path``, or of its nearest ancestor that has one."""
        return self._nearest(self.values, path)

    def of_key(self, path: Path_) -> tuple[int, int]:
        """Position of the key naming ``path`` (falls back to the value, then ancestors)."""
        if path in self.keys:
            return self.keys[path]
        return self.of_value(path)

    @staticmethod
    def _nearest(table: dict[Path_, tuple[int, int]], path: Path_) -> tuple[int, int]:
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            probe = probe[:-1]
        return table.get((), (1, 1))


class _Loader(yaml.SafeLoader):
    """SafeLoader; we only use its scanner, parser, composer and scalar constructors."""


_CLoader: type[Any] | None = getattr(yaml, "CSafeLoader", None)
"""libyaml's SafeLoader when PyYAML was built with it (the wheels are): it composes the same
node tree, marks included, about 20 times faster than the pure-Python composer."""


def parse_yaml(text: str, file: str, line_offset: int = 0) -> tuple[Any, Positions]:
    """Parse one YAML document into plain data and positions.

    ``line_offset`` is added to every line number (front matter starts below the ``---``).
    Raises :class:`PlaybookError` with the file position for syntax errors (``yaml-syntax``),
    duplicate keys (``yaml-duplicate-key``), alias bombs and deep nesting (``yaml-too-complex``),
    merge keys and non-scalar keys (``yaml-unsupported``).

    The node tree comes from libyaml when it is available and the text has no character
    the pure-Python reader refuses; whenever libyaml fails, the text is composed again by
    the pure-Python composer, so every error (message, line, column) is the one that
    composer reports. Values are built from the nodes by the same code either way.
    """
    if _CLoader is not None and _fast_path_safe(text):
        try:
            fast = _CLoader(text)
            try:
                node = fast.get_single_node()
            finally:
                fast.dispose()
            return _build(_Loader(""), node, file, line_offset)
        except (yaml.YAMLError, RecursionError, PlaybookError):
            pass  # compose it again below, for the pure-Python composer's error
    return _parse_pure(text, file, line_offset)


_SLOW_PATH = re.compile(r"[\t!?\ufeff]|[|>][-+0-9]*#|:[ ]*[,}\]]|[{\[,][ ]*:")


def _fast_path_safe(text: str) -> bool:
    """Whether libyaml's verdict on ``text`` is known to be the pure-Python composer's.

    Fuzzing both over the YAML of this repository (and mutations of it) found them to
    differ only on: tabs (libyaml accepts some the Python scanner refuses), tags (``!``),
    ``?`` (complex keys: positions of empty values; inside flow collections: accepted by
    libyaml only), a comment right after a block scalar header (``>#``), U+FEFF inside the
    text, positions of empty keys and values in flow collections (``{a: , b}``) and at the
    very end of a text without a final newline, and
    characters the Python reader refuses. Texts with any of these take the pure-Python
    path."""
    return text.endswith("\n") and not _SLOW_PATH.search(text) and \
        not _Loader.NON_PRINTABLE.search(text)


def _parse_pure(text: str, file: str, line_offset: int) -> tuple[Any, Positions]:
    try:
        loader = _Loader(text)  # the reader rejects control characters here already
    except yaml.YAMLError as exc:
        raise PlaybookError(f"YAML error: {exc}", file=file, line=1 + line_offset,
                            code="yaml-syntax") from None
    try:
        node = loader.get_single_node()
    except RecursionError:  # PyYAML composes nested collections recursively
        raise PlaybookError(
            f"YAML too complex: nested more than {MAX_DEPTH} levels deep", file=file,
            line=1 + line_offset, code="yaml-too-complex",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1 + line_offset, mark.column + 1) if mark else (1 + line_offset, 1)
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{problem} ({exc.context})"
        raise PlaybookError(f"YAML syntax error: {problem}", file=file, line=line, column=col,
                            code="yaml-syntax") from None
    except yaml.YAMLError as exc:  # reader errors (control characters) and the like
        raise PlaybookError(f"YAML error: {exc}", file=file, line=1 + line_offset,
                            code="yaml-syntax") from None
    finally:
        loader.dispose()
    return _build(loader, node, file, line_offset)


def _build(loader: _Loader, node: Node | None, file: str,
           line_offset: int) -> tuple[Any, Positions]:
    positions = Positions()
    if node is None:
        return None, positions
    builder = _Builder(loader, file, line_offset, positions)
    return builder.build(node, (), 0), positions


class _Builder:
    def __init__(self, loader: _Loader, file: str, offset: int, positions: Positions) -> None:
        self.loader = loader
        self.file = file
        self.offset = offset
        self.positions = positions
        self.count = 0

    def pos(self, node: Node) -> tuple[int, int]:
        return node.start_mark.line + 1 + self.offset, node.start_mark.column + 1

    def fail(self, node: Node, path: Path_, message: str, code: str) -> PlaybookError:
        line, col = self.pos(node)
        return PlaybookError(message, file=self.file, line=line, column=col,
                             field=json_path(path), code=code)

    def build(self, node: Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            raise self.fail(node, path, "YAML too complex: too many values or too deeply nested "
                            "(recursive or exponential aliases?)", "yaml-too-complex")
        self.positions.values.setdefault(path, self.pos(node))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        raise self.fail(node, path, f"unsupported YAML node {type(node).__name__}",
                        "yaml-unsupported")

    def scalar(self, node: ScalarNode, path: Path_) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value  # keep dates as the ISO text written in the file
        if node.tag == _STR:
            return node.value
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.fail(node, path, f"bad YAML value: {exc}", "yaml-syntax") from None

    def mapping(self, node: MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise self.fail(key_node, path, "YAML merge keys ('<<') are not supported",
                                "yaml-unsupported")
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, path, "mapping keys must be plain strings",
                                "yaml-unsupported")
            key = str(key_node.value)
            child = (*path, key)
            if key in out:
                first = self.positions.keys.get(child, (0, 0))[0]
                raise self.fail(key_node, child, f"duplicate key {key!r} (first defined on line "
                                f"{first})", "yaml-duplicate-key")
            self.positions.keys[child] = self.pos(key_node)
            out[key] = self.build(value_node, child, depth + 1)
        return out
