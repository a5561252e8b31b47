"""Build the remote adapter for a configured target."""

from __future__ import annotations

from prodops_sync.remotes.base import Remote
from prodops_sync.sync.config import Credentials, Target


def open_remote(target: Target, creds: Credentials) -> Remote:
    """The adapter for ``target`` (Notion or Confluence), authenticated with ``creds``."""
    if target.type == "notion":
        from prodops_sync.remotes.notion import NotionRemote

        return NotionRemote.from_target(target, creds)
    from prodops_sync.remotes.confluence import ConfluenceRemote

    return ConfluenceRemote.from_target(target, creds)
