"""A repository with team-defined kinds and free pages, built in a temporary directory.

The team kinds are real-shaped: quarterly OKRs (Markdown records with front matter) and a
service catalogue in the shape of Backstage catalog Components (YAML records whose title
field is ``name``). Both reference other kinds with ``x-ref``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).resolve().parent / "kinds"

CONFIG = """\
playbook: playbook
kinds:
  okr:
    dir: okrs
    schema: schemas/okr.schema.json
    collection: OKRs
  service:
    dir: services
    schema: schemas/service.schema.json
    title_field: name
    format: yaml
targets:
  notion:
    type: notion
    root_page: "{root_page}"
    base_url: {notion_url}
  wiki:
    type: confluence
    url: {confluence_url}
    space: PLAY
"""

OKR = """\
---
title: Make activation self-serve
quarter: 2026-Q3
owner: Head of Product
status: on-track
confidence: 0.7
review_ritual: rituals/weekly-product-update
supports:
  - services/billing
key_results:
  - 60% of new workspaces finish setup without a call
  - Time to first value under 10 minutes
---

# Why

Sales calls for setup do not scale. See the [onboarding guide](../pages/guides/onboarding.md).
"""

SERVICE = """\
name: Billing
owner: Payments team
lifecycle: production
system: revenue
tier: 1
runbook: pages/runbooks/billing
"""

ONBOARDING = """\
# Onboarding

Welcome! Read the [weekly update ritual](../../rituals/weekly-product-update.md) and our
[activation OKR](../../okrs/activation.md).
"""

GUIDES_INDEX = """\
---
title: Guides
---

How-tos for the team. Start with [onboarding](onboarding.md).
"""

BILLING_RUNBOOK = """\
# Billing runbook

1. Check the payment provider's status page.
2. Page the Payments team.
"""

GLOSSARY = """\
Terms we use: *activation*, *tier*, *ritual*.
"""


TEAM_KINDS = {
    "okr": {"dir": "okrs", "schema": "schemas/okr.schema.json", "collection": "OKRs"},
    "service": {"dir": "services", "schema": "schemas/service.schema.json",
                "title_field": "name", "format": "yaml"},
}

FILES = {
    "okrs/activation.md": OKR,
    "services/billing.yaml": SERVICE,
    "pages/guides/onboarding.md": ONBOARDING,
    "pages/guides/index.md": GUIDES_INDEX,
    "pages/runbooks/billing.md": BILLING_RUNBOOK,
    "pages/glossary.md": GLOSSARY,
}


def add_team_content(root: Path) -> None:
    """Add the team kinds (schemas, ``kinds:`` in the config) and their records and free
    pages to the repository at ``root`` (which has a playbook and a config already)."""
    import yaml

    (root / "schemas").mkdir(exist_ok=True)
    for name in ("okr.schema.json", "service.schema.json"):
        shutil.copy(SCHEMAS / name, root / "schemas" / name)
    config_path = root / "prodops-sync.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["kinds"] = TEAM_KINDS
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    write_files(root / "playbook", FILES)


def write_files(playbook: Path, files: dict[str, str]) -> None:
    """Write ``files`` (playbook path -> text) under ``playbook``."""
    for rel, text in files.items():
        path = playbook / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def make_repo(
    base: Path, *, notion_url: str = "http://127.0.0.1:9", confluence_url: str =
    "http://127.0.0.1:9/wiki", root_page: str = "0" * 32,
) -> Path:
    """Write a repository with the example playbook, two team kinds and free pages under
    ``base``; returns ``base``."""
    shutil.copytree(ROOT / "playbook", base / "playbook")
    (base / "schemas").mkdir()
    for name in ("okr.schema.json", "service.schema.json"):
        shutil.copy(SCHEMAS / name, base / "schemas" / name)
    (base / "prodops-sync.yaml").write_text(
        CONFIG.format(notion_url=notion_url, confluence_url=confluence_url,
                      root_page=root_page),
        encoding="utf-8",
    )
    write_files(base / "playbook", FILES)
    return base
