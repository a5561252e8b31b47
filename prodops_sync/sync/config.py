"""`prodops-sync.yaml`: which playbook to sync and where.

The file names the playbook directory and one or more targets. Secrets never live in it:
a target names the environment variables that hold its credentials, and :func:`credentials`
reads them at the last moment, failing with one line that names the missing variable.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from prodops_sync.kinds import BUILTIN, KindsError, Registry, registry_from_config
from prodops_sync.playbook.problems import PlaybookError, json_path
from prodops_sync.playbook.yamlpos import Positions, parse_yaml
from prodops_sync.safety import SECRETS, check_token

DEFAULT_CONFIG_NAME = "prodops-sync.yaml"
DEFAULT_PLAYBOOK = "playbook"

# The config's own JSON Schema; `docs/configuration.md` documents every key.
CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://prodops-sync.dev/schemas/config.schema.json",
    "title": "prodops-sync configuration",
    "description": "prodops-sync.yaml: the playbook directory and the wiki targets it syncs to.",
    "type": "object",
    "additionalProperties": False,
    "required": ["targets"],
    "properties": {
        "playbook": {
            "type": "string",
            "description": "The playbook directory, relative to this file.",
            "default": "playbook",
        },
        "state_dir": {
            "type": "string",
            "description": "Where sync state (the base of each target) is kept, relative to "
            "this file.",
            "default": ".prodops-sync/state",
        },
        "kinds": {
            "type": "object",
            "description": "Team-defined kinds by name (a mapping with dir and schema), and "
            "built-in kinds switched off (name: false).",
            "propertyNames": {"pattern": "^[a-z][a-z0-9-]{0,63}$"},
            "additionalProperties": {
                "oneOf": [{"type": "boolean"}, {"$ref": "#/$defs/kind"}],
            },
        },
        "targets": {
            "type": "object",
            "description": "Wiki targets by name; the name is what --target selects.",
            "minProperties": 1,
            "additionalProperties": {"$ref": "#/$defs/target"},
        },
    },
    "$defs": {
        "kind": {
            "type": "object",
            "additionalProperties": False,
            "required": ["dir", "schema"],
            "properties": {
                "dir": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Folder of the kind's records inside the playbook "
                    "(one .md or .yaml file per record).",
                },
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "description": "JSON Schema (2020-12) of the records' fields, relative "
                    "to this file.",
                },
                "collection": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Title of the kind's Notion database / Confluence "
                    "collection page; defaults to the folder name, capitalised.",
                },
                "title_field": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The field holding each record's title.",
                    "default": "title",
                },
                "format": {
                    "enum": ["markdown", "yaml", "any"],
                    "description": "File formats records may use: markdown (front matter "
                    "and body), yaml (fields only) or any.",
                    "default": "any",
                },
            },
        },
        "target": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"enum": ["notion", "confluence"]}},
            "allOf": [
                {
                    "if": {"properties": {"type": {"const": "notion"}}},
                    "then": {"$ref": "#/$defs/notion"},
                },
                {
                    "if": {"properties": {"type": {"const": "confluence"}}},
                    "then": {"$ref": "#/$defs/confluence"},
                },
            ],
        },
        "notion": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "root_page"],
            "properties": {
                "type": {"const": "notion", "description": "A Notion workspace."},
                "root_page": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Id of the page shared with the integration; the "
                    "playbook's databases are created under it.",
                },
                "base_url": {
                    "type": "string",
                    "description": "API base URL; a local stand-in's URL for local runs.",
                    "default": "https://api.notion.com",
                },
                "token_env": {
                    "type": "string",
                    "description": "Environment variable holding the integration token.",
                    "default": "NOTION_TOKEN",
                },
                "notion_version": {
                    "enum": ["2026-03-11", "2025-09-03"],
                    "description": "Notion-Version header: the API version the client speaks "
                    "(2026-03-11: in_trash only and position on append; 2025-09-03 for "
                    "integrations not yet moved).",
                    "default": "2026-03-11",
                },
                "requests_per_second": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "description": "Client-side rate limit (Notion allows about 3/s).",
                    "default": 3,
                },
                "timeout": {
                    "type": "number",
                    "minimum": 1,
                    "maximum": 600,
                    "description": "Seconds one answer may take in all, however slowly it "
                    "arrives (connect and per-chunk read timeouts are at most 10 and 30).",
                    "default": 120,
                },
            },
        },
        "confluence": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "url", "space"],
            "properties": {
                "type": {"const": "confluence", "description": "A Confluence space."},
                "url": {
                    "type": "string",
                    "description": "Site URL: https://SITE.atlassian.net/wiki (Cloud) or "
                    "https://HOST[/context] (Data Center).",
                },
                "space": {"type": "string", "minLength": 1, "description": "Space key."},
                "deployment": {
                    "enum": ["cloud", "datacenter"],
                    "description": "cloud: the v2 REST API (v1 only for CQL search, labels "
                    "and attachment uploads); datacenter: the v1 REST API. Default: detected "
                    "once (GET {url}/api/v2/spaces; 404 means datacenter) and remembered in "
                    "the sync state.",
                },
                "parent_page": {
                    "type": "string",
                    "description": "Id of the page the playbook goes under; defaults to the "
                    "space's home page.",
                },
                "user_env": {
                    "type": "string",
                    "description": "Environment variable holding the user (email) for basic "
                    "auth; omit for Data Center bearer tokens.",
                },
                "token_env": {
                    "type": "string",
                    "description": "Environment variable holding the API token or personal "
                    "access token.",
                    "default": "CONFLUENCE_TOKEN",
                },
                "requests_per_second": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "description": "Client-side rate limit.",
                    "default": 10,
                },
                "timeout": {
                    "type": "number",
                    "minimum": 1,
                    "maximum": 600,
                    "description": "Seconds one answer may take in all, however slowly it "
                    "arrives (connect and per-chunk read timeouts are at most 10 and 30).",
                    "default": 120,
                },
            },
        },
    },
}


class ConfigError(Exception):
    """A configuration problem, with a message fit to print as one line."""


@dataclass(frozen=True)
class Target:
    """One configured wiki target."""

    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """An option of the target, or ``default``."""
        return self.options.get(key, default)


@dataclass(frozen=True)
class Config:
    """A loaded `prodops-sync.yaml`."""

    path: Path
    playbook_dir: Path
    state_dir: Path
    targets: dict[str, Target]
    registry: Registry = BUILTIN
    """The playbook's kinds: the built-ins plus the ``kinds:`` section."""

    def target(self, name: str | None) -> Target:
        """The target called ``name``; with None, the only target (an error if several)."""
        names = ", ".join(sorted(self.targets))
        if name is None:
            if len(self.targets) == 1:
                return next(iter(self.targets.values()))
            raise ConfigError(
                f"{self.path}: several targets ({names}); choose one with --target NAME"
            )
        try:
            return self.targets[name]
        except KeyError:
            hint = did_you_mean(name, self.targets)
            raise ConfigError(
                f"{self.path}: no target named {name!r}{hint}; configured targets: {names}"
            ) from None


def did_you_mean(word: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to a mistyped ``word``, or ``""``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class _SchemaProblem:
    """A schema error made readable: the field it concerns, where to point, what to say."""

    field: tuple[str | int, ...]
    anchor: tuple[str | int, ...]
    """The path whose position the message points at."""
    at_key: bool
    """Point at the key naming ``anchor`` (an unknown or incomplete entry), not its value."""
    message: str


def _schema_problem(err: jsonschema.ValidationError) -> _SchemaProblem:
    """The common typos get a message of their own: an unknown key names the closest allowed
    one, an unknown value the closest allowed value, a missing key what to add."""
    path = tuple(err.absolute_path)
    schema = err.schema if isinstance(err.schema, dict) else {}
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(str(k) for k in err.instance if k not in allowed)
        if extra:
            key = extra[0]
            return _SchemaProblem(path, (*path, key), True, (
                f"unknown key {key!r}{did_you_mean(key, allowed)}; allowed keys: "
                + ", ".join(allowed)
            ))
    if err.validator == "enum" and isinstance(err.validator_value, list):
        options = [str(v) for v in err.validator_value]
        return _SchemaProblem(path, path, False, (
            f"{err.instance!r} is not allowed{did_you_mean(str(err.instance), options)}; "
            f"use one of: {', '.join(options)}"
        ))
    if err.validator == "required":
        missing = str(err.message).split("'")[1] if "'" in str(err.message) else "?"
        return _SchemaProblem(path, path, True, (
            f"missing required key {missing!r}: add it (every key is described in "
            "docs/configuration.md)"
        ))
    return _SchemaProblem(path, path, False, err.message)


def parse_config(data: Any, path: Path, positions: Positions | None = None) -> Config:
    """Check ``data`` (the parsed YAML of ``path``) against :data:`CONFIG_SCHEMA`.

    The error names ``path:line:column`` (when ``positions`` are known), the field, what is
    wrong and, for a typo, the closest valid key or value.
    """
    validator = jsonschema.Draft202012Validator(CONFIG_SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        # The deepest error is the most specific (a bad key inside a target, not the target).
        problem = _schema_problem(_precise(max(errors, key=lambda e: len(e.absolute_path))))
        where = str(path)
        if positions is not None:
            locate = positions.of_key if problem.at_key else positions.of_value
            line, column = locate(problem.anchor)
            where = f"{path}:{line}:{column}"
        raise ConfigError(f"{where}: {json_path(problem.field)}: {problem.message}")
    base = path.parent
    try:
        registry = registry_from_config(data.get("kinds"), base)
    except KindsError as exc:
        where = "$." + ".".join(p for p in exc.path if p)
        extra = f" ({exc.where})" if exc.where else ""
        raise ConfigError(f"{path}{_line(positions, exc.path)}: {where}: {exc}{extra}") from None
    targets = {
        name: Target(name=name, type=spec["type"], options=dict(spec))
        for name, spec in data["targets"].items()
    }
    return Config(
        path=path,
        playbook_dir=(base / data.get("playbook", DEFAULT_PLAYBOOK)).resolve(),
        state_dir=(base / data.get("state_dir", ".prodops-sync/state")).resolve(),
        targets=targets,
        registry=registry,
    )


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``prodops-sync.yaml`` in ``start`` (default: the working directory) or one
    of its parents, as git looks for ``.git``; None when there is none up to the root."""
    here = (start or Path.cwd()).absolute()
    for directory in (here, *here.parents):
        candidate = directory / DEFAULT_CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def find_playbook(start: Path | None = None) -> Path | None:
    """The playbook directory commands use when given none, found upward from ``start``.

    At each directory from ``start`` up, the first that has ``prodops-sync.yaml`` decides (its
    ``playbook:``), else the first that has a ``playbook/`` directory; so ``validate`` works
    from the repository root, from ``playbook/`` and from ``playbook/rituals/`` alike. A broken
    configuration raises :class:`ConfigError`. None when nothing is found.
    """
    here = (start or Path.cwd()).absolute()
    for directory in (here, *here.parents):
        if (directory / DEFAULT_CONFIG_NAME).is_file():
            return load_config(directory / DEFAULT_CONFIG_NAME).playbook_dir
        if (directory / DEFAULT_PLAYBOOK).is_dir():
            return directory / DEFAULT_PLAYBOOK
    return None


def _precise(err: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For a ``kinds:`` entry that is neither a boolean nor a valid kind, the error of the
    kind branch (``format: docx`` is not one of ...) rather than "not valid under any"."""
    if err.validator == "oneOf" and isinstance(err.instance, dict) and err.context:
        branch = [e for e in err.context if e.relative_schema_path and
                  e.relative_schema_path[0] == 1]
        if branch:
            return max(branch, key=lambda e: len(e.absolute_path))
    return err


def _line(positions: Positions | None, path: Any) -> str:
    """``:LINE:COLUMN`` of the config key at ``path``, when positions are known."""
    if positions is None:
        return ""
    parts = tuple(p for p in path if p != "")
    # A mistake in a value (a path, a folder) points at the value; in a mapping, at its key.
    leaf = len(parts) >= 3 and parts[0] == "kinds"
    line, column = positions.of_value(parts) if leaf else positions.of_key(parts)
    return f":{line}:{column}"


def load_config(path: Path | None = None) -> Config:
    """Load and check the configuration: ``path``, or the nearest ``prodops-sync.yaml`` in the
    working directory or a parent (:func:`find_config`)."""
    if path is None:
        found = find_config()
        if found is None:
            raise ConfigError(
                f"no {DEFAULT_CONFIG_NAME} in {Path.cwd()} or any parent directory; "
                "run the command inside your playbook repository, pass --config FILE, "
                "or create one with `prodops-sync init`"
            )
        path = found
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no configuration file (create one with `prodops-sync init`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data, positions = parse_yaml(text, str(path))
    except PlaybookError as exc:
        raise ConfigError(f"{path}:{exc.line}:{exc.column}: malformed YAML: "
                          f"{exc.message.removeprefix('YAML syntax error: ')}") from None
    return parse_config(data, path, positions)


def find_registry(playbook_dir: Path) -> Registry:
    """The kinds registry of the playbook at ``playbook_dir``: from the ``prodops-sync.yaml``
    next to it (its parent directory) or in the working directory, when that config names
    this playbook; otherwise the built-in kinds. Raises :class:`ConfigError` for a broken
    config."""
    wanted = playbook_dir.resolve()
    seen: set[Path] = set()
    for candidate in (wanted.parent / DEFAULT_CONFIG_NAME, Path.cwd() / DEFAULT_CONFIG_NAME):
        candidate = candidate.resolve()
        if candidate in seen or not candidate.is_file():
            continue
        seen.add(candidate)
        config = load_config(candidate)
        if config.playbook_dir == wanted:
            return config.registry
    return BUILTIN


@dataclass(frozen=True)
class Credentials:
    """Secrets for one target, read from the environment. Never printed or stored."""

    token: str
    user: str | None = None

    def __repr__(self) -> str:  # keep tokens out of tracebacks and logs
        return f"Credentials(user={self.user!r}, token=***)"


def credentials(target: Target, environ: dict[str, str] | None = None) -> Credentials:
    """Read ``target``'s credentials from the environment, or fail naming the variable."""
    env = os.environ if environ is None else environ
    default_token = "NOTION_TOKEN" if target.type == "notion" else "CONFLUENCE_TOKEN"
    token_env = target.get("token_env", default_token)
    token = env.get(token_env, "")
    if not token.strip():
        raise ConfigError(
            f"target {target.name!r}: environment variable {token_env} is not set "
            f"(it must hold the {target.type} token)"
        )
    user_env = target.get("user_env")
    user = None
    if user_env:
        user = env.get(user_env, "")
        if not user:
            raise ConfigError(
                f"target {target.name!r}: environment variable {user_env} is not set "
                "(it must hold the Confluence user e-mail)"
            )
    try:
        token = check_token(token, token_env)
    except ValueError as exc:
        raise ConfigError(f"target {target.name!r}: {exc}") from None
    if user:
        user = user.strip()
        SECRETS.add(token, user=user)
    return Credentials(token=token, user=user)
