"""Shared pytest fixtures: local Notion and Confluence stand-ins on free loopback ports.

Each fixture starts a fresh stand-in per test (port 0 -> a free port) and stops it after the
test. Use ``standin.url`` as the client's base URL, ``standin.request_log`` to count requests,
``standin.faults`` to inject failures, ``standin.wiki_user`` for out-of-band edits and
``standin.clock`` to move time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings

# CI runs the property tests with a fixed seed so that a submission's result does not depend
# on luck; locally (and with HYPOTHESIS_PROFILE=explore) they search afresh on every run.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "explore"))

# Every state save in the suite (also in the CLI subprocesses the reliability tests start)
# checks that no record was changed in place without being marked (see sync/state.py).
os.environ.setdefault("PRODOPS_SYNC_STATE_CHECK", "1")

if TYPE_CHECKING:
    from prodops_sync.standins import ConfluenceStandin, NotionStandin


# ------------------------------------------------------- contract checks (issue #17)
@pytest.fixture(scope="session")
def _contracts() -> Iterator[list[Any]]:
    """One checker per vendor per test process: every answer an in-process stand-in gives,
    and every request it accepts, is validated against the vendor client's published types
    (tests/contracts/; stand-ins run as subprocesses are not observed)."""
    from prodops_sync.standins.server import StandinServer
    from tests.contracts.confluence import confluence_contract
    from tests.contracts.notion import notion_contract

    contracts = [notion_contract(), confluence_contract()]
    StandinServer.observers.extend(contracts)
    yield contracts
    for contract in contracts:
        StandinServer.observers.remove(contract)


@pytest.fixture(autouse=True)
def _requests_and_answers_fit_the_client_types(
    request: pytest.FixtureRequest, _contracts: list[Any]
) -> Iterator[None]:
    """Fail the test during which a request or an answer broke the vendor's types (tests
    that hand a stand-in broken content on purpose are marked ``contract_exempt``)."""
    before = [len(c.violations) for c in _contracts]
    yield
    found = [v for c, n in zip(_contracts, before, strict=True) for v in c.violations[n:]]
    if found and request.node.get_closest_marker("contract_exempt") is None:
        lines = "\n".join(f"  {v}" for v in dict.fromkeys(map(str, found)))
        pytest.fail(f"{len(found)} request/answer(s) break the vendor client's types:\n{lines}",
                    pytrace=False)


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


# ---------------------------------------------------------------- vcrpy cassettes
CASSETTES = Path(__file__).parent / "cassettes"
SECRET_HEADERS = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"]
#: patterns that look like credentials; no cassette may contain any of them
TOKEN_PATTERNS = [
    re.compile(r"secret_[A-Za-z0-9]{20,}"),  # Notion internal integration tokens (old)
    re.compile(r"ntn_[A-Za-z0-9]{20,}"),  # Notion tokens (new)
    re.compile(r"ATATT[A-Za-z0-9_\-=]{20,}"),  # Atlassian API tokens
    re.compile(r"Basic [A-Za-z0-9+/=]{8,}"),
    re.compile(r"Bearer [A-Za-z0-9._\-]{8,}"),
]
#: base URL used while replaying: nothing listens there, vcrpy answers every request
REPLAY_URL = "http://127.0.0.1:9"


def find_tokens(text: str) -> list[str]:
    """Every substring of ``text`` that looks like a credential."""
    return [m.group(0) for pattern in TOKEN_PATTERNS for m in pattern.finditer(text)]


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            del headers[name]
    return response


def make_vcr(record_mode: str, library: Path = CASSETTES) -> Any:
    """A vcrpy instance that matches on method, path, query and body, so the stand-in's random
    port (or the real host, for live recordings) never matters, and filters secret headers."""
    import vcr

    return vcr.VCR(
        cassette_library_dir=str(library),
        record_mode=record_mode,
        match_on=["method", "path", "query", "body"],
        filter_headers=SECRET_HEADERS,
        filter_query_parameters=["token", "api_key", "access_token"],
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )


@pytest.fixture
def standin_cassette() -> Callable[[str, Callable[[], Any]], AbstractContextManager[str]]:
    """Record from a stand-in once, replay afterwards.

    ``with standin_cassette("name.yaml", NotionStandin) as base_url:`` — if the cassette is
    missing (or ``PRODOPS_RECORD_CASSETTES=1``), a stand-in is started and the exchange is
    recorded; otherwise nothing is started and every request must match the cassette
    (``record_mode="none"``), so a change in what the client sends fails the test.
    """

    @contextmanager
    def use(name: str, factory: Callable[[], Any]) -> Iterator[str]:
        path = CASSETTES / name
        record = os.environ.get("PRODOPS_RECORD_CASSETTES") == "1" or not path.exists()
        if record:
            path.unlink(missing_ok=True)
            with factory() as standin, make_vcr("once").use_cassette(name):
                yield str(standin.url)
        else:
            with make_vcr("none").use_cassette(name):
                yield REPLAY_URL

    return use


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
