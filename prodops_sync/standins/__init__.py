"""Local stand-ins for the Notion and Confluence REST APIs (test substrate and demo default).

>>> from prodops_sync.standins import NotionStandin
>>> with NotionStandin() as notion:          # doctest: +SKIP
...     client = notion_client.Client(auth="x", base_url=notion.url)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prodops_sync.standins.clock import Clock
from prodops_sync.standins.faults import FAULT_KINDS, FaultPlan
from prodops_sync.standins.requestlog import LoggedRequest, RequestLog
from prodops_sync.standins.server import LOOPBACK_HOSTS, StandinServer

if TYPE_CHECKING:
    from prodops_sync.standins.confluence import ConfluenceStandin
    from prodops_sync.standins.notion import NotionStandin

__all__ = [
    "FAULT_KINDS",
    "LOOPBACK_HOSTS",
    "Clock",
    "ConfluenceStandin",
    "FaultPlan",
    "LoggedRequest",
    "NotionStandin",
    "RequestLog",
    "StandinServer",
]


def __getattr__(name: str) -> Any:
    # Lazy so importing the package (e.g. for the CLI) does not load both stand-ins.
    if name == "NotionStandin":
        from prodops_sync.standins.notion import NotionStandin

        return NotionStandin
    if name == "ConfluenceStandin":
        from prodops_sync.standins.confluence import ConfluenceStandin

        return ConfluenceStandin
    raise AttributeError(name)
