"""Fault storms against both stand-ins: the sync finishes (possibly after resumable stops)
with the same pages and files as a fault-free run, and counts its retries.

CI runs a handful of storms (see ``FAST``); ``-m slow`` runs every storm on both stand-ins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from notion_client.errors import UnknownHTTPResponseError

from prodops_sync.remotes.base import RemoteError
from prodops_sync.remotes.notion import classify_error
from tests.reliability.harness import STANDIN_KINDS
from tests.reliability.storms import STORMS, STORMS_BY_NAME, run_storm

FAST = [
    ("notion", "5xx-10%"),
    ("notion", "restart"),
    ("confluence", "mixed-30%"),
]


def test_a_non_json_gateway_error_from_notion_is_retried() -> None:
    # A 502/503 from a proxy in front of the API has an HTML body: notion-client raises
    # UnknownHTTPResponseError, not APIResponseError. It used to escape the retry runner
    # and end the run with a traceback.
    error = UnknownHTTPResponseError(
        502, headers=httpx.Headers({"content-type": "text/html"}),
        raw_body_text="<html>Bad gateway</html>",
    )
    failure = classify_error(error)
    assert failure is not None and failure.retryable and failure.ambiguous


@pytest.mark.parametrize(("kind", "name"), FAST)
def test_storm_finishes_with_the_fault_free_result(tmp_path: Path, kind: str, name: str) -> None:
    storm = STORMS_BY_NAME[name]
    result = run_storm(kind, storm, tmp_path)
    assert result.problems == []
    assert result.injected > 0
    # Every injected fault is retried, except the last one of a run that gave up.
    assert result.retries + result.gave_up >= result.injected


def test_retry_budget_exhausted_stops_with_a_resumable_message(tmp_path: Path) -> None:
    # 50% of requests failing: some request fails six times in a row and the run stops with
    # the documented message; reruns finish the job and nothing is duplicated. Whether a
    # seed gives up depends on how many requests the sync makes (about 1 in 64 requests
    # fails six times at 50%), so seeds are tried until one does; each must finish clean.
    gave_up = 0
    for seed in range(7, 17):
        result = run_storm("notion", STORMS_BY_NAME["429-50%"], tmp_path / str(seed), seed)
        assert result.problems == []
        assert 1.0 in result.sleeps  # the stand-in's Retry-After: 1 was honoured
        gave_up = result.gave_up
        if gave_up:
            break
    assert gave_up >= 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "storm"),
    [
        pytest.param(k, s.name)
        for k in STANDIN_KINDS
        for s in STORMS
    ],
)
def test_every_storm(tmp_path: Path, kind: str, storm: str) -> None:
    result = run_storm(kind, STORMS_BY_NAME[storm], tmp_path)
    assert result.problems == []


def test_a_notion_append_whose_answer_is_lost_is_not_sent_twice(tmp_path: Path) -> None:
    # Appending blocks is not idempotent: retried blindly after the connection dropped
    # (the stand-in had processed it), the paragraph was added twice and the state said
    # the page matched the file. Now the run stops resumably and the rerun repairs.
    from tests.reliability.harness import RITUAL, RITUAL_FILE, open_world
    from tests.reliability.test_concurrency import _engine

    world = open_world("notion", tmp_path)
    try:
        _engine(world).push()
        world.edit(RITUAL_FILE, "- Anything at risk names an owner and a date.\n",
                   "- Anything at risk names an owner and a date.\n\nA new closing line.\n")
        standin: Any = world.standin
        standin.faults.fail_next("drop_after", match="PATCH /v1/blocks/")
        assert standin.faults.injected == []
        try:
            _engine(world).push()
        except RemoteError as exc:
            assert "rerun to resume" in str(exc)
            _engine(world).push()
        assert [kind for _i, kind, target in standin.faults.injected] == ["drop_after"]
        assert standin.faults.injected[0][2].endswith("/children")  # it hit the append
        texts = standin.wiki_user.page_text(world.remote_id(RITUAL))
        assert texts.count("A new closing line.") == 1
    finally:
        world.standin.stop()
