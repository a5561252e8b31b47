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
        ("targets:\n  n:\n    type: notion\n",
         r"prodops-sync.yaml:2:3: \$\.targets\.n: missing required key 'root_page'"),
        ("targets:\n  n:\n    type: notion\n    root_page: a\n    token: s3cret\n",
         r"prodops-sync.yaml:5:5: \$\.targets\.n: unknown key 'token' \(did you mean "
         r"'token_env'\?\); allowed keys: base_url, "),
        ("targets:\n  w:\n    type: jira\n",
         r":3:11: \$\.targets\.w\.type: 'jira' is not allowed; use one of: notion, confluence"),
        ("targets:\n  w:\n    type: notoin\n",
         r"'notoin' is not allowed \(did you mean 'notion'\?\)"),
        ("playbok: pb\ntargets:\n  n:\n    type: notion\n    root_page: a\n",
         r"prodops-sync.yaml:1:1: \$: unknown key 'playbok' \(did you mean 'playbook'\?\)"),
        ("targets:\n  w:\n    type: confluence\n    url: https://x\n    spcae: P\n    space: P\n",
         r":5:5: \$\.targets\.w: unknown key 'spcae' \(did you mean 'space'\?\)"),
        ("targets:\n  n: {type: notion, root_page: a}\n  n: {type: notion, root_page: b}\n",
         r":3:3: malformed YAML: duplicate key 'n'"),
        ("targets: [\n", r"prodops-sync.yaml:2:1: malformed YAML"),
        ("playbook: x\n", r"prodops-sync.yaml:1:1: \$: missing required key 'targets'"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(write(tmp_path, text))
    assert "\n" not in str(info.value)
    assert "s3cret" not in str(info.value), "a value under an unknown key may be a secret"


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


def test_unknown_target_lists_the_configured_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "targets:\n  notion-prod:\n    type: notion\n    root_page: a\n"
                 "  wiki:\n    type: confluence\n    url: https://x/wiki\n    space: P\n")
    with pytest.raises(ConfigError) as info:
        load_config(path).target("notion-prd")
    assert str(info.value).endswith(
        "no target named 'notion-prd' (did you mean 'notion-prod'?); "
        "configured targets: notion-prod, wiki"
    )
    with pytest.raises(ConfigError, match="choose one with --target NAME"):
        load_config(path).target(None)


def test_config_is_found_upward_like_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prodops_sync.sync.config import find_config, find_playbook

    path = write(tmp_path, "playbook: docs/pb\ntargets:\n  n:\n    type: notion\n"
                 "    root_page: a\n")
    deep = tmp_path / "docs" / "pb" / "rituals"
    deep.mkdir(parents=True)
    assert find_config(deep) == path
    assert find_playbook(deep) == (tmp_path / "docs" / "pb").resolve()
    monkeypatch.chdir(deep)
    assert load_config().path == path
    # without a configuration, the nearest directory holding playbook/ decides
    other = tmp_path.parent / f"{tmp_path.name}-noconfig"
    (other / "playbook" / "rituals").mkdir(parents=True)
    assert find_playbook(other / "playbook" / "rituals") == other / "playbook"
    assert find_config(other / "playbook") is None


def test_no_config_anywhere_says_what_to_do(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"any parent directory; run the command inside your "
                       r"playbook repository, pass --config FILE, or create one with"):
        load_config()
