"""`prodops-sync.yaml`: which playbook to sync and where.

The file names the playbook directory and one or more targets. Secrets never live in it:
a target names the environment variables that hold its credentials, and :func:`credentials`
reads them at the last moment, failing with one line that names the missing variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

DEFAULT_CONFIG_NAME = "prodops-sync.yaml"

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
        "targets": {
            "type": "object",
            "description": "Wiki targets by name; the name is what --target selects.",
            "minProperties": 1,
            "additionalProperties": {"$ref": "#/$defs/target"},
        },
    },
    "$defs": {
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
                "requests_per_second": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "description": "Client-side rate limit (Notion allows about 3/s).",
                    "default": 3,
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

    def target(self, name: str | None) -> Target:
        """The target called ``name``; with None, the only target (an error if several)."""
        if name is None:
            if len(self.targets) == 1:
                return next(iter(self.targets.values()))
            names = ", ".join(sorted(self.targets))
            raise ConfigError(f"{self.path}: several targets ({names}); choose one with --target")
        try:
            return self.targets[name]
        except KeyError:
            names = ", ".join(sorted(self.targets))
            raise ConfigError(f"{self.path}: no target named {name!r} (have: {names})") from None


def parse_config(data: Any, path: Path) -> Config:
    """Check ``data`` (the parsed YAML of ``path``) against :data:`CONFIG_SCHEMA`."""
    validator = jsonschema.Draft202012Validator(CONFIG_SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "$" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path
        )
        raise ConfigError(f"{path}: {where}: {err.message}")
    base = path.parent
    targets = {
        name: Target(name=name, type=spec["type"], options=dict(spec))
        for name, spec in data["targets"].items()
    }
    return Config(
        path=path,
        playbook_dir=(base / data.get("playbook", "playbook")).resolve(),
        state_dir=(base / data.get("state_dir", ".prodops-sync/state")).resolve(),
        targets=targets,
    )


def load_config(path: Path | None = None) -> Config:
    """Load and check the configuration (default: ``./prodops-sync.yaml``)."""
    path = Path(path) if path is not None else Path.cwd() / DEFAULT_CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no configuration file (create one with `prodops-sync init`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(f"{path}{where}: malformed YAML: {problem}") from None
    return parse_config(data, path)


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
    if not token:
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
    return Credentials(token=token, user=user)
