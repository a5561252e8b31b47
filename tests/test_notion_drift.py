"""Container drift on Notion: two databases with one title under the root page (two first
pushes racing on an empty root page, or a person duplicating a database)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from notion_client import Client

from tests.pushed import pushed_world
from tests.reliability.harness import World
from tests.reliability.test_concurrency import _engine


@pytest.fixture
def pushed(tmp_path: Path) -> Iterator[World]:
    yield from pushed_world("notion", tmp_path)


def test_a_second_database_with_the_same_title_is_reported_not_used(pushed: World) -> None:
    standin = pushed.standin
    client = Client(auth="x", base_url=standin.url)
    twin = client.databases.create(
        parent={"type": "page_id", "page_id": standin.root_page_id},  # type: ignore[attr-defined]
        title=[{"text": {"content": "Rituals"}}],
        initial_data_source={"properties": {"Name": {"title": {}}}},
    )
    shutil.rmtree(pushed.state_path.parent)  # a fresh clone: containers are looked up again
    report = _engine(pushed).plan()
    drift = [n for n in report.notices if n.kind == "drift" and n.key == "Rituals"]
    assert len(drift) == 1 and "two databases titled 'Rituals'" in drift[0].detail
    assert twin["data_sources"][0]["id"] in drift[0].detail
    # The first database is used: every ritual is found on both sides (the same content,
    # with no base since the state is gone), none looks new or deleted.
    rituals = [i for i in report.items if i.key.startswith("rituals/")]
    assert len(rituals) == 5 and {str(i.status) for i in rituals} == {"both-changed-same"}
