"""Shared pytest fixtures: local Notion and Confluence stand-ins on free loopback ports.

Each fixture starts a fresh stand-in per test (port 0 -> a free port) and stops it after the
test. Use ``standin.url`` as the client's base URL, ``standin.request_log`` to count requests,
``standin.faults`` to inject failures, ``standin.wiki_user`` for out-of-band edits and
``standin.clock`` to move time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from prodops_sync.standins import ConfluenceStandin, NotionStandin


@pytest.fixture
def notion_standin() -> Iterator[NotionStandin]:
    """A fresh Notion stand-in (no rate limit) serving on 127.0.0.1."""
    from prodops_sync.standins import NotionStandin

    with NotionStandin() as standin:
        yield standin


@pytest.fixture
def confluence_standin() -> Iterator[ConfluenceStandin]:
    """A fresh Confluence stand-in (space ``PLAY``, no rate limit) serving on 127.0.0.1."""
    from prodops_sync.standins import ConfluenceStandin

    with ConfluenceStandin() as standin:
        yield standin


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``live`` tests unless real credentials are in the environment."""
    have_notion = bool(os.environ.get("NOTION_TOKEN"))
    have_confluence = all(
        os.environ.get(k) for k in ("CONFLUENCE_URL", "CONFLUENCE_USER", "CONFLUENCE_TOKEN")
    )
    for item in items:
        if "live" not in item.keywords:
            continue
        name = item.nodeid.lower()
        wanted = have_confluence if "confluence" in name else have_notion
        if not wanted:
            item.add_marker(pytest.mark.skip(reason="live test: credentials not set"))
