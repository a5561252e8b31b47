"""A Confluence listing answer of the wrong shape is an error, never "no pages"."""

from __future__ import annotations

from typing import Any

import pytest

from prodops_sync.kinds import BUILTIN
from prodops_sync.remotes.base import RemoteError
from prodops_sync.remotes.confluence import ROOT_COLLECTION, ConfluenceRemote
from prodops_sync.sync.state import SyncState

KINDS = BUILTIN.collection_kinds


class OddClient:
    """Answers every GET with a fixed body, as a misbehaving proxy would (HTTP 200)."""

    url = "https://wiki.example.com"

    def __init__(self, body: Any) -> None:
        self.body = body

    def get(self, path: str, params: Any = None, **_: Any) -> Any:
        return self.body


@pytest.mark.parametrize(
    "body", [{"message": "Welcome to the proxy"}, "<html>login</html>", {"results": [{"x": 1}]}]
)
def test_unexpected_listing_answer_is_an_error(body: Any) -> None:
    remote = ConfluenceRemote(OddClient(body), "PLAY")  # type: ignore[arg-type]
    state = SyncState(target="wiki", containers={ROOT_COLLECTION: "1"})
    with pytest.raises(RemoteError, match="unexpected answer"):
        remote.list_entries(state, KINDS)


def test_empty_space_lists_nothing() -> None:
    remote = ConfluenceRemote(OddClient({"results": [], "_links": {}}), "PLAY")  # type: ignore[arg-type]
    state = SyncState(target="wiki", containers={ROOT_COLLECTION: "1"})
    assert remote.list_entries(state, KINDS) == []
