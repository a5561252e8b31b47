"""The kinds registry: which files the playbook holds and how each kind maps to the wiki.

Kinds are data. The built-in kinds are declared in :data:`BUILTIN_DECLARATIONS` in the same
shape as the ``kinds:`` section of ``prodops-sync.yaml``, and both go through
:func:`declare_kind`; a :class:`Registry` is the resulting table. The loader, the
validator, sync and docgen all ask a registry, never a hard-coded list.

A run uses one registry (the built-ins plus the team's kinds, minus the built-ins the team
switched off). The outer layers (CLI commands, the engine) make it current with
:func:`use`; deep, pure code (link resolution, format converters) reads it with
:func:`active`. A context variable rather than a module global keeps two registries (two
playbooks in one process, tests) from leaking into each other.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

PAGE_KIND = "page"
"""The kind of free-form pages (every ``.md`` under ``pages/``): a kind with no fields."""

WIKI_COLLECTION = "collection"
"""Wiki mapping of record and singleton kinds: a Notion database / Confluence parent page."""
WIKI_TREE = "tree"
"""Wiki mapping of free pages: ordinary pages nested like the folders."""

_SUFFIX_FORMAT = {".md": "markdown", ".yaml": "yaml", ".yml": "yaml"}
_PATH_MEMO_SIZE = 100_000


@dataclass(frozen=True)
class KindSpec:
    """One kind of playbook file: where its files live and how they map to the wiki."""

    name: str
    """Kind name used in schemas, messages and JSON output, e.g. ``ritual``."""
    schema: str
    """The kind's JSON Schema: a file name under ``schemas/`` for built-in kinds, or a path
    relative to ``prodops-sync.yaml`` for a team's kind (resolved in ``schema_path``)."""
    pattern: str
    """Main path pattern relative to the playbook (``rituals/*.md`` or ``charter.md``)."""
    collection: str
    """Collection the kind syncs into: a Notion database / Confluence parent page title."""
    file_format: str
    """Format of new files: ``markdown`` (front matter + body) or ``yaml`` (fields only)."""
    title_field: str = "title"
    """The field that holds the document's title (the wiki page title)."""
    dir: str = ""
    """The kind's directory (``rituals``), or ``""`` for a singleton at the top."""
    formats: tuple[str, ...] = ()
    """Every file format a record may use (a team's kinds accept ``.md`` and ``.yaml``)."""
    nested: bool = False
    """True when files may sit at any depth below the directory (free pages)."""
    wiki: str = WIKI_COLLECTION
    """How the kind appears in the wiki: :data:`WIKI_COLLECTION` or :data:`WIKI_TREE`."""
    builtin: bool = True
    """False for kinds declared in ``prodops-sync.yaml``."""
    schema_path: Path | None = None
    """Absolute path of a team kind's schema file (None for built-in kinds)."""
    declared_at: str = ""
    """Where a team kind is declared (``prodops-sync.yaml:12``), for messages."""

    @property
    def is_record(self) -> bool:
        """True for kinds with one file per record (``rituals/*.md``), false for singletons."""
        return "*" in self.pattern

    @property
    def is_page(self) -> bool:
        """True for free-form pages (synced as a page tree, not a collection)."""
        return self.wiki == WIKI_TREE

    @property
    def directory(self) -> str:
        """The kind's directory (``rituals``), or ``""`` for a singleton at the top."""
        return self.dir

    @property
    def patterns(self) -> tuple[str, ...]:
        """Every path pattern the kind matches, one per accepted format."""
        if not self.is_record:
            return (self.pattern,)
        stem = self.pattern.rsplit(".", 1)[0]
        return tuple(stem + (".md" if f == "markdown" else ".yaml") for f in self.formats)

    def matches(self, relative: str) -> bool:
        """Whether the playbook path ``relative`` (POSIX) is a file of this kind."""
        path = PurePosixPath(relative)
        if not self.is_record:
            return relative == self.pattern
        if self.nested:
            return (
                len(path.parts) > 1
                and path.parts[0] == self.directory
                and _SUFFIX_FORMAT.get(path.suffix) in self.formats
            )
        return (
            str(path.parent) == self.directory
            and _SUFFIX_FORMAT.get(path.suffix) in self.formats
        )

    def format_of(self, relative: str | None) -> str:
        """The file format of ``relative`` (by suffix), or of a new file of this kind."""
        if relative is not None and self.is_record:
            found = _SUFFIX_FORMAT.get(PurePosixPath(relative).suffix)
            if found in self.formats:
                return found
        return self.file_format


# The built-in kinds, in the shape of the `kinds:` section of prodops-sync.yaml (plus the
# keys only built-ins use: `file` for singletons, `collection`, `format`, `nested`, `wiki`).
# Order matters: it is the order of docs, counts and Confluence title precedence.
BUILTIN_DECLARATIONS: dict[str, dict[str, Any]] = {
    "charter": {"file": "charter.md", "schema": "charter.schema.json",
                "collection": "Playbook"},
    "operating-model": {"file": "operating-model.md", "schema": "operating-model.schema.json",
                        "collection": "Playbook"},
    "insights-pipeline": {"file": "insights-pipeline.md",
                          "schema": "insights-pipeline.schema.json", "collection": "Playbook"},
    "rollout-plan": {"file": "rollout-plan.md", "schema": "rollout-plan.schema.json",
                     "collection": "Playbook"},
    "risks": {"file": "risks.yaml", "schema": "risks.schema.json", "collection": "Playbook"},
    "ritual": {"dir": "rituals", "format": "markdown", "schema": "ritual.schema.json",
               "collection": "Rituals"},
    "template": {"dir": "templates", "format": "markdown", "schema": "template.schema.json",
                 "collection": "Templates"},
    "release-tier": {"dir": "release-tiers", "format": "yaml",
                     "schema": "release-tier.schema.json", "collection": "Release tiers"},
    "decision": {"dir": "decisions", "format": "markdown", "schema": "decision.schema.json",
                 "collection": "Decision log"},
    PAGE_KIND: {"dir": "pages", "format": "markdown", "nested": True, "wiki": WIKI_TREE,
                "schema": "page.schema.json", "collection": "Pages"},
}

REQUIRED_BUILTINS = ("charter", "risks")
"""Built-in kinds the playbook must contain unless the team switched them off."""


def default_collection(directory: str) -> str:
    """The collection title of a team kind without one: its directory, capitalised
    (``okrs`` -> ``Okrs``, ``on-call`` -> ``On call``)."""
    words = posixpath.basename(directory).replace("-", " ").replace("_", " ")
    return words[:1].upper() + words[1:]


def declare_kind(
    name: str, data: Mapping[str, Any], *, builtin: bool, base: Path | None = None,
    declared_at: str = "",
) -> KindSpec:
    """Build a :class:`KindSpec` from one declaration (a built-in entry or a ``kinds:`` entry
    of the config, already checked against the config's JSON Schema).

    ``base`` is the directory a team kind's ``schema`` path is relative to.
    """
    formats = {"markdown": ("markdown",), "yaml": ("yaml",), "any": ("markdown", "yaml")}[
        data.get("format", "any")
    ]
    if "file" in data:
        pattern = str(data["file"])
        formats = (_SUFFIX_FORMAT.get(PurePosixPath(pattern).suffix, "markdown"),)
        directory = ""
    else:
        directory = str(data["dir"]).strip("/")
        pattern = f"{directory}/**/*.md" if data.get("nested") else \
            f"{directory}/*{'.yaml' if formats == ('yaml',) else '.md'}"
    schema = str(data["schema"])
    return KindSpec(
        name=name,
        schema=schema,
        pattern=pattern,
        collection=str(data.get("collection") or default_collection(directory or name)),
        file_format=formats[0],
        title_field=str(data.get("title_field", "title")),
        dir=directory,
        formats=formats,
        nested=bool(data.get("nested", False)),
        wiki=str(data.get("wiki", WIKI_COLLECTION)),
        builtin=builtin,
        schema_path=None if builtin or base is None else (base / schema).resolve(),
        declared_at=declared_at,
    )


@dataclass(frozen=True)
class Registry:
    """The kinds one playbook uses, in declaration order (built-ins first)."""

    kinds: tuple[KindSpec, ...]
    disabled: frozenset[str] = frozenset()
    """Built-in kinds the team switched off (their files are unknown files)."""
    schemas: Mapping[str, dict[str, Any]] = field(default_factory=dict, compare=False)
    """Schemas of team kinds, loaded and checked when the config was read."""

    @cached_property
    def by_name(self) -> dict[str, KindSpec]:
        """Kinds by name."""
        return {k.name: k for k in self.kinds}

    @property
    def collection_kinds(self) -> tuple[KindSpec, ...]:
        """Kinds synced as collections (databases / parent pages), free pages excluded."""
        return tuple(k for k in self.kinds if not k.is_page)

    @property
    def pages(self) -> KindSpec | None:
        """The free-page kind, unless switched off."""
        return self.by_name.get(PAGE_KIND)

    def get(self, name: str) -> KindSpec | None:
        """The kind called ``name``, or None."""
        return self.by_name.get(name)

    def __getitem__(self, name: str) -> KindSpec:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def for_path(self, relative: str) -> KindSpec | None:
        """The kind whose files include ``relative`` (a POSIX path inside the playbook)."""
        memo = self._kind_of_path
        if relative in memo:
            return memo[relative]
        found = next((kind for kind in self.kinds if kind.matches(relative)), None)
        if len(memo) >= _PATH_MEMO_SIZE:
            memo.clear()
        memo[relative] = found
        return found

    @cached_property
    def _kind_of_path(self) -> dict[str, KindSpec | None]:
        # for_path answers, remembered: validation asks it for every file and every link
        # target (tens of thousands of times on a large playbook), and a registry never
        # changes. Bounded so that a long-lived process cannot grow it without limit.
        return {}

    def for_key(self, key: str) -> KindSpec | None:
        """The kind of the document ``key`` (a path without suffix)."""
        for suffix in (".md", ".yaml"):
            found = self.for_path(key + suffix)
            if found is not None:
                return found
        return None

    def path_for_key(self, key: str) -> str | None:
        """The file a new document ``key`` gets (``.md`` unless the kind is YAML-only)."""
        kind = self.for_key(key)
        if kind is None:
            return None
        return key + (".md" if kind.file_format == "markdown" else ".yaml")

    def schema(self, name: str) -> dict[str, Any]:
        """The JSON Schema of kind ``name`` as a fresh dict (safe to mutate).

        Raises ``KeyError`` for an unknown kind."""
        kind = self.by_name.get(name)
        if kind is None:
            known = ", ".join(sorted(self.by_name))
            raise KeyError(f"unknown kind {name!r} (known: {known})")
        if kind.name in self.schemas:
            schema: dict[str, Any] = json.loads(json.dumps(self.schemas[kind.name]))
            if kind.title_field != "title":
                # Mark the title field for the converters (Notion's title property), and a
                # field that merely happens to be called "title" as an ordinary one.
                props = schema["properties"]
                props[kind.title_field] = {**props[kind.title_field], "x-title": True}
                if isinstance(props.get("title"), dict):
                    props["title"] = {**props["title"], "x-title": False}
            return schema
        from prodops_sync.schemas import builtin_schema_text  # late: schemas imports us

        loaded: dict[str, Any] = json.loads(builtin_schema_text(kind.schema))
        return loaded

    def ref_fields(self, name: str) -> dict[str, str]:
        """Top-level fields of kind ``name`` that reference other documents: field ->
        referenced kind (the ``x-ref`` annotation; on list fields it sits on the array)."""
        props = self.schema(name).get("properties", {})
        return {f: p["x-ref"] for f, p in props.items() if isinstance(p, dict) and "x-ref" in p}

    def title_of(self, kind: str, fields: Mapping[str, Any], key: str) -> str:
        """A document's title: its kind's title field, else its key."""
        spec = self.by_name.get(kind)
        value = fields.get(spec.title_field if spec else "title")
        return str(value) if value not in (None, "") else key

    def collections(self, kinds: Iterable[KindSpec] | None = None) -> dict[str, list[KindSpec]]:
        """Kinds grouped by the collection they sync into, in registry order (free pages
        excluded)."""
        return collections(self.collection_kinds if kinds is None else kinds)

    def required(self) -> tuple[str, ...]:
        """Singleton kinds the playbook must contain."""
        return tuple(k for k in REQUIRED_BUILTINS if k in self.by_name)

    def expected_files(self) -> str:
        """Where playbook files belong, for the unknown-file message."""
        return ", ".join(p for k in self.kinds for p in k.patterns)


def collections(kinds: Iterable[KindSpec]) -> dict[str, list[KindSpec]]:
    """Kinds grouped by the collection (Notion database, Confluence parent page) they sync
    into, in the given order; free pages (a page tree, not a collection) are left out."""
    groups: dict[str, list[KindSpec]] = {}
    for kind in kinds:
        if not kind.is_page:
            groups.setdefault(kind.collection, []).append(kind)
    return groups


def builtin_registry(disabled: Iterable[str] = ()) -> Registry:
    """The built-in kinds, minus ``disabled``."""
    off = frozenset(disabled)
    return Registry(
        tuple(
            declare_kind(name, data, builtin=True)
            for name, data in BUILTIN_DECLARATIONS.items()
            if name not in off
        ),
        disabled=off,
    )


BUILTIN = builtin_registry()
"""The registry of a playbook without a ``kinds:`` section."""

_ACTIVE: ContextVar[Registry] = ContextVar("prodops_sync_kinds", default=BUILTIN)


def active() -> Registry:
    """The registry of the current run (the built-ins unless :func:`use` set another)."""
    return _ACTIVE.get()


@contextmanager
def use(registry: Registry) -> Iterator[Registry]:
    """Make ``registry`` the current one for the duration of the ``with`` block."""
    token = _ACTIVE.set(registry)
    try:
        yield registry
    finally:
        _ACTIVE.reset(token)


def kind_for_path(relative: str) -> KindSpec | None:
    """The current registry's kind of the playbook file ``relative``."""
    return active().for_path(relative)


def key_for_path(relative: str) -> str:
    """The stable document key for a playbook file: its path without the suffix.

    ``rituals/weekly-product-update.md`` -> ``rituals/weekly-product-update``. A free page
    keeps its folder: ``pages/guides/index.md`` -> ``pages/guides/index`` (the page
    "guides", parent of the other pages in ``pages/guides/``).
    """
    return str(PurePosixPath(relative).with_suffix(""))


# --- team kinds from prodops-sync.yaml ---------------------------------------------------

KindsPath = tuple[str, ...]


class KindsError(Exception):
    """A mistake in the ``kinds:`` section; ``path`` is the config key it concerns
    (``("kinds", "okr", "schema")``) so the caller can name the line."""

    def __init__(self, message: str, path: KindsPath, where: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.where = where
        """A position in another file (``schemas/okr.schema.json:3:5``) when the mistake is
        there rather than in the config."""


def _load_team_schema(kind: KindSpec, path: KindsPath) -> dict[str, Any]:
    """Read and check a team kind's JSON Schema file."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    assert kind.schema_path is not None
    shown = kind.schema
    try:
        text = kind.schema_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KindsError(f"schema file {shown!r} not found", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KindsError(f"cannot read schema file {shown!r}: {exc}", path) from None
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KindsError(f"schema file is not valid JSON: {exc.msg}", path,
                         where=f"{shown}:{exc.lineno}:{exc.colno}") from None
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        at = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path)
        raise KindsError(f"schema file {shown!r} is not a valid JSON Schema at {at}: "
                         f"{exc.message}", path) from None
    if not isinstance(schema, dict) or schema.get("type") != "object" or not isinstance(
        schema.get("properties"), dict
    ):
        raise KindsError(f"schema file {shown!r} must describe an object "
                         '("type": "object" with "properties")', path)
    if kind.title_field not in schema["properties"]:
        where = path if kind.title_field == "title" else (*path[:-1], "title_field")
        raise KindsError(
            f"schema file {shown!r} has no {kind.title_field!r} property (the page title); "
            "add it, or name the title field with title_field", where)
    return schema


def _check_dirs(kinds: Iterable[KindSpec]) -> None:
    """Two kinds must not share a directory, and no directory may sit inside another's."""
    seen: list[KindSpec] = []
    for kind in kinds:
        if not kind.is_record:
            continue
        mine = PurePosixPath(kind.directory).parts
        for other in seen:
            theirs = PurePosixPath(other.directory).parts
            shorter = min(len(mine), len(theirs))
            if mine[:shorter] == theirs[:shorter]:
                how = "the same directory as" if mine == theirs else "a directory overlapping"
                raise KindsError(f"dir {kind.directory!r} is {how} kind {other.name!r} "
                                 f"({other.directory}/)", ("kinds", kind.name, "dir"))
        seen.append(kind)


def _check_collections(kinds: Iterable[KindSpec]) -> None:
    """A team kind gets a collection (database, parent page) of its own."""
    owners: dict[str, KindSpec] = {}
    for kind in kinds:
        other = owners.get(kind.collection.casefold())
        if other is not None and not (kind.builtin and other.builtin):
            raise KindsError(f"collection {kind.collection!r} is already used by kind "
                             f"{other.name!r}; give this kind its own collection",
                             ("kinds", kind.name, "collection" if not kind.builtin else ""))
        owners.setdefault(kind.collection.casefold(), kind)


def _check_refs(registry: Registry) -> None:
    """Every ``x-ref`` names a kind the registry has (a switched-off kind is not one)."""
    for kind in registry.kinds:
        for field_name, target in registry.ref_fields(kind.name).items():
            if target in registry.by_name:
                continue
            path: KindsPath = ("kinds", kind.name) if not kind.builtin else \
                ("kinds", target) if target in registry.disabled else ("kinds",)
            why = "is switched off" if target in registry.disabled else "is not a kind"
            raise KindsError(f"kind {kind.name!r}: field {field_name!r} refers to kind "
                             f"{target!r}, which {why}", path)


def registry_from_config(section: Mapping[str, Any] | None, base: Path) -> Registry:
    """The registry of a playbook whose config has the ``kinds:`` section ``section``
    (already checked against the config's JSON Schema); team schema paths are relative to
    ``base`` (the config's directory). Raises :class:`KindsError`."""
    section = section or {}
    disabled: set[str] = set()
    team: list[tuple[str, Mapping[str, Any]]] = []
    for name, value in section.items():
        if isinstance(value, bool):
            if name not in BUILTIN_DECLARATIONS:
                raise KindsError(f"{name!r} is not a built-in kind (built-in: "
                                 f"{', '.join(BUILTIN_DECLARATIONS)})", ("kinds", name))
            if not value:
                disabled.add(name)
            continue
        if name in BUILTIN_DECLARATIONS:
            raise KindsError(f"{name!r} is a built-in kind; to replace it, switch it off "
                             f"({name}: false) and declare yours under another name",
                             ("kinds", name))
        team.append((name, value))
    builtins = builtin_registry(disabled)
    kinds = list(builtins.kinds)
    schemas: dict[str, dict[str, Any]] = {}
    for name, data in team:
        directory = str(data["dir"])
        parts = PurePosixPath(directory).parts
        if not parts or directory.startswith("/") or any(
            p in ("..", ".") or p.startswith(".") for p in parts
        ):
            raise KindsError(f"dir {directory!r} must be a folder inside the playbook "
                             "(relative, no '..', no dot-folders)", ("kinds", name, "dir"))
        kind = declare_kind(name, data, builtin=False, base=base)
        schemas[name] = _load_team_schema(kind, ("kinds", name, "schema"))
        kinds.append(kind)
    _check_dirs(kinds)
    _check_collections(kinds)
    registry = Registry(tuple(kinds), disabled=frozenset(disabled), schemas=schemas)
    _check_refs(registry)
    return registry
