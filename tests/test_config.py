"""prodops-sync.yaml: loading, checking, credentials, and its documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodops_sync.sync.config import (
    CONFIG_SCHEMA,
    ConfigError,
    credentials,
    load_config,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prodops-sync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_targets_and_resolves_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "playbook: docs/pb\ntargets:\n  n:\n    type: notion\n    root_page: abc\n"
        "  w:\n    type: confluence\n    url: https://x.atlassian.net/wiki\n    space: P\n",
    )
    config = load_config(path)
    assert config.playbook_dir == (tmp_path / "docs" / "pb").resolve()
    assert config.state_dir == (tmp_path / ".prodops-sync" / "state").resolve()
    assert config.target("w").get("space") == "P"
    with pytest.raises(ConfigError, match="several targets"):
        config.target(None)
    with pytest.raises(ConfigError, match="no target named 'x'"):
        config.target("x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("targets:\n  n:\n    type: notion\n", r"\$\.targets\.n: 'root_page' is a required"),
        ("targets:\n  n:\n    type: notion\n    root_page: a\n    token: s3cret\n",
         r"Additional properties are not allowed \('token' was unexpected\)"),
        ("targets:\n  w:\n    type: jira\n", r"'jira' is not one of"),
        ("targets: [\n", r"prodops-sync.yaml:2:1: malformed YAML"),
        ("playbook: x\n", r"'targets' is a required property"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(write(tmp_path, text))
    assert "\n" not in str(info.value)


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="prodops-sync init"):
        load_config(tmp_path / "prodops-sync.yaml")


def test_credentials_come_from_the_named_variables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "targets:\n  w:\n    type: confluence\n    url: https://h\n    space: P\n"
        "    user_env: CF_USER\n    token_env: CF_TOKEN\n",
    )
    target = load_config(path).target("w")
    with pytest.raises(ConfigError, match="CF_TOKEN is not set"):
        credentials(target, {})
    with pytest.raises(ConfigError, match="CF_USER is not set"):
        credentials(target, {"CF_TOKEN": "t0ken-value"})
    creds = credentials(target, {"CF_TOKEN": "t0ken-value", "CF_USER": "me@example.com"})
    assert creds.user == "me@example.com"
    assert "t0ken-value" not in repr(creds)


def test_every_config_key_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    keys = set(CONFIG_SCHEMA["properties"])
    for definition in ("notion", "confluence"):
        keys |= set(CONFIG_SCHEMA["$defs"][definition]["properties"])
    missing = sorted(k for k in keys if f"| `{k}` |" not in text)
    assert not missing, f"docs/configuration.md does not document {missing}"
