"""Reliability tests: the loopback guard and the slow-test switch.

**Loopback guard.** While these tests are collected, every socket ``connect`` in the test
process to anything but 127.0.0.0/8, ``::1`` or a Unix socket raises
:class:`NonLoopbackConnection` (a RuntimeError, not an OSError, so no client retries it), so
a config that points at a real service can never reach the internet from a test. It is
installed for the whole session (not only this directory) unless live credentials are in
the environment (the ``live`` tests need the real hosts).

**Slow tests** (``@pytest.mark.slow``: the full kill sweep, every storm on both stand-ins)
are skipped unless selected with ``-m slow`` or ``PRODOPS_RUN_SLOW=1``; ``.ci/run`` runs the
rest.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_LIVE_VARIABLES = ("NOTION_TOKEN", "CONFLUENCE_TOKEN")
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


class NonLoopbackConnection(BaseException):
    """A test tried to open a connection to a host that is not loopback. A BaseException,
    like KeyboardInterrupt: the tool's own error handling (which turns every ``Exception``
    into one line) must never swallow the tripwire."""


def is_loopback_address(family: int, address: Any) -> bool:
    """True when a ``connect`` address stays on this machine."""
    if family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return str(host) == "localhost"


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not is_loopback_address(self.family, address):
        raise NonLoopbackConnection(f"tests may only connect to 127.0.0.1, not {address!r}")
    _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not is_loopback_address(self.family, address):
        raise NonLoopbackConnection(f"tests may only connect to 127.0.0.1, not {address!r}")
    return _original_connect_ex(self, address)


def guard_active() -> bool:
    """Whether the loopback guard is installed in this process."""
    return socket.socket.connect is _guarded_connect


def pytest_configure(config: pytest.Config) -> None:
    if any(os.environ.get(v) for v in _LIVE_VARIABLES):
        return
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    socket.socket.connect = _original_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _original_connect_ex  # type: ignore[method-assign]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected = "slow" in (config.getoption("markexpr", "") or "")
    if selected or os.environ.get("PRODOPS_RUN_SLOW") == "1":
        return
    here = os.path.dirname(__file__)
    skip = pytest.mark.skip(reason="slow: run with -m slow or PRODOPS_RUN_SLOW=1")
    for item in items:
        if "slow" in item.keywords and str(item.fspath).startswith(here):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    """Every reliability test runs under the loopback guard (unless live credentials)."""
    if not any(os.environ.get(v) for v in _LIVE_VARIABLES):
        assert guard_active(), "the loopback guard is not installed"
    yield
