"""What `prodops-sync init` writes: a playbook, `prodops-sync.yaml`, the workflows, pre-commit.

Everything here is a pure function from options to a list of :class:`ScaffoldFile` (path and
text), except :func:`write_scaffold`, the one function that touches the disk. The same workflow
templates also produce this repository's own ``.github/workflows`` (see
:func:`repo_workflows`), so the documented example and the files users get never drift.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from prodops_sync.project import REPOSITORY, Source, source_for

WORKFLOWS: tuple[str, ...] = ("validate.yml", "sync.yml", "pull.yml")
TARGET_TYPES: tuple[str, ...] = ("notion", "confluence")
INSTALL_PLACEHOLDER = "__PRODOPS_SYNC_INSTALL__"
SECRETS_PLACEHOLDER = "__SECRETS_ENV__"
# Environment variables this repository's own workflows map from secrets (all target types).
REPO_SECRETS: tuple[str, ...] = ("NOTION_TOKEN", "CONFLUENCE_USER", "CONFLUENCE_TOKEN")
GITIGNORE_LINES: tuple[str, ...] = (".prodops-sync/",)
ONBOARDING_PAGE = "pages/onboarding.md"
"""The free-form page init writes (the example playbook gets it too)."""


class ScaffoldError(Exception):
    """init cannot proceed (existing files, bad options); the message is one line."""


@dataclass(frozen=True)
class ScaffoldFile:
    """One file init writes: ``path`` relative to the target directory, and its text."""

    path: str
    text: str
    append: bool = False
    """Append missing lines instead of refusing (used for .gitignore, which many repos have)."""


def _template(*parts: str) -> str:
    return resources.files("prodops_sync.scaffold").joinpath("templates", *parts).read_text(
        encoding="utf-8"
    )


def _template_dir(*parts: str) -> Any:
    return resources.files("prodops_sync.scaffold").joinpath("templates", *parts)


# --- workflows -----------------------------------------------------------------------------------


def render_workflow(name: str, *, install: str, secrets: Sequence[str]) -> str:
    """The workflow ``name`` (one of :data:`WORKFLOWS`) with its install spec and secrets.

    ``secrets`` are environment variable names; each maps from the repository secret of the same
    name (``NOTION_TOKEN: ${{ secrets.NOTION_TOKEN }}``), the only way secrets reach commands.
    """
    if name not in WORKFLOWS:
        raise ValueError(f"unknown workflow {name!r}")
    text = _template("workflows", name)
    env_lines = "\n".join(f"      {s}: ${{{{ secrets.{s} }}}}" for s in secrets)
    if not env_lines:  # an env mapping must not be empty: keep the key with a harmless entry
        env_lines = '      PRODOPS_SYNC_NO_SECRETS: "1"'
    return text.replace(INSTALL_PLACEHOLDER, install).replace(
        SECRETS_PLACEHOLDER, env_lines
    )


def repo_workflows() -> dict[str, str]:
    """This repository's own workflows: the templates, installing the checkout itself."""
    return {
        f".github/workflows/{name}": render_workflow(name, install=".", secrets=REPO_SECRETS)
        for name in WORKFLOWS
    }


def secret_names(targets: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Environment variables the targets read their credentials from, in a stable order."""
    names: list[str] = []
    for spec in targets.values():
        default = "NOTION_TOKEN" if spec.get("type") == "notion" else "CONFLUENCE_TOKEN"
        for key, fallback in (("user_env", None), ("token_env", default)):
            value = spec.get(key, fallback)
            if value and value not in names:
                names.append(value)
    return names


# --- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetOptions:
    """What init knows about the target: everything optional, placeholders where missing."""

    type: str = "notion"
    root_page: str | None = None
    base_url: str | None = None
    url: str | None = None
    space: str | None = None


ROOT_PAGE_PLACEHOLDER = "PASTE-THE-SHARED-PAGE-ID"
URL_PLACEHOLDER = "https://YOUR-SITE.atlassian.net/wiki"
SPACE_PLACEHOLDER = "PLAY"


def target_spec(options: TargetOptions) -> dict[str, Any]:
    """The ``targets.<name>`` mapping of ``prodops-sync.yaml`` for ``options``."""
    if options.type == "notion":
        spec: dict[str, Any] = {
            "type": "notion",
            "root_page": options.root_page or ROOT_PAGE_PLACEHOLDER,
        }
        if options.base_url:
            spec["base_url"] = options.base_url
        spec["token_env"] = "NOTION_TOKEN"
        return spec
    if options.type == "confluence":
        return {
            "type": "confluence",
            "url": options.url or URL_PLACEHOLDER,
            "space": options.space or SPACE_PLACEHOLDER,
            "user_env": "CONFLUENCE_USER",
            "token_env": "CONFLUENCE_TOKEN",
        }
    raise ScaffoldError(f"unknown target type {options.type!r} (use notion or confluence)")


def render_config(options: TargetOptions, playbook: str = "playbook") -> str:
    """The text of ``prodops-sync.yaml``: one target named after its type, with comments."""
    spec = target_spec(options)
    body = yaml.safe_dump(
        {"playbook": playbook, "targets": {options.type: spec}},
        sort_keys=False, default_flow_style=False,
    )
    header = (
        "# prodops-sync configuration (docs/cli.md, docs/ci.md).\n"
        "# Secrets never go here: each target names the environment variables that hold them.\n"
    )
    if options.type == "notion":
        header += (
            "# root_page: the id of the Notion page shared with your integration (the 32 hex\n"
            "# characters at the end of its URL). Delete base_url to use the real Notion API.\n"
        )
    else:
        header += (
            "# url: your site (Cloud: https://SITE.atlassian.net/wiki); space: the space key.\n"
            "# Add parent_page: \"ID\" to sync under a page other than the space's home page.\n"
            "# Data Center personal access token: delete user_env.\n"
        )
    return header + body + KINDS_EXAMPLE


KINDS_EXAMPLE = """\
# Team-defined kinds (docs/configuration.md#team-defined-kinds): a folder of records with
# its own JSON Schema syncs as its own Notion database / Confluence collection, and built-in
# kinds the team does not use can be switched off. Free-form pages need nothing here: put
# them under playbook/pages/.
# kinds:
#   okr:
#     dir: okrs                         # playbook/okrs/*.md or *.yaml, one record each
#     schema: schemas/okr.schema.json   # JSON Schema of the fields (front matter for .md)
#   release-tier: false                 # switch off a built-in kind
"""
"""The commented-out ``kinds:`` example at the end of the generated config."""


# --- playbook ------------------------------------------------------------------------------------


def minimal_playbook(today: dt.date) -> dict[str, str]:
    """A small playbook that passes ``prodops-sync validate``: path -> text.

    One of each kind a new team starts with: the charter, risks/open questions/next steps, one
    ritual with the template it produces, the first decision record, and a free-form
    onboarding page under ``pages/``.
    """
    replacements = {
        "__TODAY__": today.isoformat(),
        "__TODAY_PLUS_14__": (today + dt.timedelta(days=14)).isoformat(),
        "__TODAY_PLUS_180__": (today + dt.timedelta(days=180)).isoformat(),
    }
    files: dict[str, str] = {}
    root = _template_dir("playbook")
    stack = [(root, "")]
    while stack:
        node, prefix = stack.pop()
        for child in node.iterdir():
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                stack.append((child, rel + "/"))
            else:
                text = child.read_text(encoding="utf-8")
                for old, new in replacements.items():
                    text = text.replace(old, new)
                files[rel] = text
    return dict(sorted(files.items()))


def example_playbook() -> dict[str, str]:
    """The complete example playbook shipped with prodops-sync: path -> text."""
    from prodops_sync.schemas import example_playbook_dir

    root = example_playbook_dir()
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


# --- the whole scaffold --------------------------------------------------------------------------


def scaffold_files(
    options: TargetOptions,
    *,
    example: bool = False,
    source: Source | None = None,
    playbook: str = "playbook",
    today: dt.date | None = None,
) -> list[ScaffoldFile]:
    """Every file init writes, relative to the directory it initialises.

    ``source`` is what the workflows and hooks install (default: :func:`source_for` the
    running version, which pins it only when it is a release).
    """
    source = source or source_for()
    pages = example_playbook() if example else minimal_playbook(today or dt.date.today())
    pages.setdefault(ONBOARDING_PAGE, _template("playbook", *ONBOARDING_PAGE.split("/")))
    files = [ScaffoldFile(f"{playbook}/{rel}", text) for rel, text in pages.items()]
    files.append(ScaffoldFile("prodops-sync.yaml", render_config(options, playbook)))
    secrets = secret_names({options.type: target_spec(options)})
    files += [
        ScaffoldFile(f".github/workflows/{name}",
                     render_workflow(name, install=source.pip, secrets=secrets))
        for name in WORKFLOWS
    ]
    files.append(ScaffoldFile(".pre-commit-config.yaml", render_precommit_config(source)))
    files.append(ScaffoldFile(".gitignore", "\n".join(GITIGNORE_LINES) + "\n", append=True))
    return files


PRECOMMIT_HEADER = (
    "# pre-commit hooks for the playbook: `pip install pre-commit && pre-commit install`.\n"
    "# Generated by `prodops-sync init`; see docs/ci.md in prodops-sync.\n"
)
MDFORMAT_REPOSITORY = "https://github.com/hukkin/mdformat"
# mdformat and the plugins canonical() formats with (prodops_sync.markdown): the hook must
# render exactly as `prodops-sync fmt` does. Versions are the installed ones, so the hook and
# the prodops-sync that wrote it agree; the fallbacks are the versions this was tested with.
MDFORMAT_PACKAGES: tuple[tuple[str, str], ...] = (
    ("mdformat", "1.0.0"),
    ("mdformat-gfm", "1.0.0"),
    ("mdformat-frontmatter", "2.2.0"),
    ("mdformat-gfm-alerts", "2.1.0"),
)


def _installed_version(package: str, fallback: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return fallback


def mdformat_hook() -> str:
    """The mdformat entry of the generated pre-commit configuration.

    ``--number`` makes mdformat number ordered lists ``1. 2. 3.`` as the canonical form does
    (its default is ``1. 1. 1.``). Emphasis needs no option: mdformat keeps the marker it finds,
    so it leaves the canonical ``*`` alone. The plugins are the ones canonical() uses; without
    mdformat-frontmatter the front matter would become a heading.
    """
    rev, *plugins = (f"{name}=={_installed_version(name, fallback)}"
                     for name, fallback in MDFORMAT_PACKAGES)
    return (
        "  # mdformat for all Markdown, with the options under which it agrees with\n"
        "  # `prodops-sync fmt` (--number: lists 1. 2. 3.); add no options that change the\n"
        "  # playbook's Markdown (--wrap), or exclude: ^playbook/ (docs/ci.md).\n"
        f"  - repo: {MDFORMAT_REPOSITORY}\n"
        f"    rev: {rev.split('==')[1]}\n"
        "    hooks:\n"
        "      - id: mdformat\n"
        "        args: [--number]\n"
        "        additional_dependencies:\n"
        + "".join(f"          - {plugin}\n" for plugin in plugins)
    )


def render_precommit_config(source: Source) -> str:
    """A ``.pre-commit-config.yaml`` that runs the validate and fmt hooks, then mdformat.

    A release installs the hooks the way pre-commit users expect, from prodops-sync's own
    repository at the release tag (its ``.pre-commit-hooks.yaml``), which ``pre-commit
    autoupdate`` then keeps current. Anything else (a git URL, a path, a development build) is a
    pair of ``repo: local`` hooks that ``pip install`` the same spec as the workflows.
    """
    if source.hook_rev is not None:
        return PRECOMMIT_HEADER + (
            "repos:\n"
            f"  - repo: {REPOSITORY}\n"
            f"    rev: {source.hook_rev}\n"
            "    hooks:\n"
            "      - id: prodops-sync-validate\n"
            "      - id: prodops-sync-fmt\n"
        ) + mdformat_hook()
    dependency = yaml.safe_dump([source.pip], default_flow_style=True).strip()
    return PRECOMMIT_HEADER + (
        "# The prodops-sync hooks install the same prodops-sync as the workflows (not a\n"
        "# release, so not from the hooks' repository).\n"
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: prodops-sync-validate\n"
        "        name: prodops-sync validate\n"
        "        entry: prodops-sync validate\n"
        "        language: python\n"
        f"        additional_dependencies: {dependency}\n"
        "        files: ^(playbook/|prodops-sync\\.yaml$)\n"
        "        pass_filenames: false\n"
        "      - id: prodops-sync-fmt\n"
        "        name: prodops-sync fmt\n"
        "        entry: prodops-sync fmt\n"
        "        language: python\n"
        f"        additional_dependencies: {dependency}\n"
        "        files: ^playbook/.*\\.md$\n"
    ) + mdformat_hook()


def enclosing_project(directory: Path) -> Path | None:
    """The root of the prodops-sync project ``directory`` would be nested in, or None.

    A project is a directory holding ``prodops-sync.yaml`` in a parent of ``directory``, or a
    playbook directory ``directory`` is at or below (``init`` inside ``playbook/`` would nest a
    second playbook there). ``directory`` itself holding a configuration is not nesting: that
    is a re-init, refused file by file unless --force.
    """
    from prodops_sync.sync.config import DEFAULT_CONFIG_NAME, DEFAULT_PLAYBOOK

    here = directory.absolute()
    for parent in here.parents:
        if (parent / DEFAULT_CONFIG_NAME).is_file():
            return parent
        if (parent / DEFAULT_PLAYBOOK).is_dir() and here.is_relative_to(parent / DEFAULT_PLAYBOOK):
            return parent
    return None


def existing(directory: Path, files: Iterable[ScaffoldFile]) -> list[str]:
    """Paths among ``files`` that already exist in ``directory`` (appendable files excepted)."""
    return [f.path for f in files if not f.append and (directory / f.path).exists()]


def write_scaffold(
    directory: Path, files: Sequence[ScaffoldFile], *, force: bool = False
) -> list[str]:
    """Write ``files`` under ``directory``; returns the paths written.

    All or nothing: when any file exists and ``force`` is false, nothing is written and
    :class:`ScaffoldError` names the existing files.
    """
    clash = existing(directory, files)
    if clash and not force:
        shown = ", ".join(clash[:5]) + (f" and {len(clash) - 5} more" if len(clash) > 5 else "")
        raise ScaffoldError(
            f"{directory}: would overwrite {shown}; nothing written (use --force to overwrite)"
        )
    written: list[str] = []
    for f in files:
        path = directory / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if f.append and path.exists():
            current = path.read_text(encoding="utf-8")
            missing = [ln for ln in f.text.splitlines() if ln not in current.splitlines()]
            if not missing:
                continue
            sep = "" if current.endswith("\n") or not current else "\n"
            path.write_text(current + sep + "\n".join(missing) + "\n", encoding="utf-8")
        else:
            tmp = path.with_name(path.name + ".prodops-sync-tmp")
            tmp.write_text(f.text, encoding="utf-8")
            os.replace(tmp, path)
        written.append(f.path)
    return written


def next_steps(options: TargetOptions, directory: Path) -> str:
    """What to do after init, for the chosen target type."""
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory}\n   "
    common_head = (
        "Next steps:\n"
        f"1. Check the playbook:\n   {where}prodops-sync validate\n"
    )
    if options.type == "notion":
        specific = (
            "2. Create a Notion integration (https://www.notion.so/profile/integrations, type\n"
            "   Internal) and copy its token; export it as NOTION_TOKEN.\n"
            "3. In Notion, open the page the playbook should live under, choose ... > Connections\n"
            "   and add your integration; put that page's id in prodops-sync.yaml (root_page).\n"
            "4. Preview and publish:  prodops-sync plan  then  prodops-sync push\n"
            "5. On GitHub, add the repository secret NOTION_TOKEN (Settings > Secrets and\n"
            "   variables > Actions). Checks run on the pull workflow's PRs only with a GitHub\n"
            "   App or PRODOPS_SYNC_PR_TOKEN (docs/ci.md).\n"
        )
    else:
        specific = (
            "2. Create an Atlassian API token (https://id.atlassian.com/manage-profile/security/\n"
            "   api-tokens); export CONFLUENCE_USER (your e-mail) and CONFLUENCE_TOKEN.\n"
            "   Data Center: a personal access token in CONFLUENCE_TOKEN, and delete user_env.\n"
            "3. Set url and space in prodops-sync.yaml; your user needs add/edit rights in the\n"
            "   space (and on parent_page, if you set one).\n"
            "4. Preview and publish:  prodops-sync plan  then  prodops-sync push\n"
            "5. On GitHub, add the repository secrets CONFLUENCE_USER and CONFLUENCE_TOKEN\n"
            "   (Settings > Secrets and variables > Actions). Checks run on the pull workflow's\n"
            "   PRs only with a GitHub App or PRODOPS_SYNC_PR_TOKEN (docs/ci.md).\n"
        )
    tail = (
        "6. Enable the hooks:  pip install pre-commit && pre-commit install\n"
        "No credentials yet? Try it against a local stand-in: see docs/tutorial.md.\n"
    )
    return common_head + specific + tail

