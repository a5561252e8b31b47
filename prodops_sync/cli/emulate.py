"""``prodops-sync emulate notion|confluence``: serve a local stand-in until Ctrl-C."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import click

from prodops_sync.standins.server import LOOPBACK_HOSTS, StandinServer

DEFAULT_RATES = {"notion": 3.0, "confluence": 10.0}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def config_snippet(kind: str, standin: StandinServer) -> str:
    """A ``targets`` entry for ``prodops-sync.yaml`` pointing at the running stand-in."""
    if kind == "notion":
        root = getattr(standin, "root_page_id", "")
        return (
            "targets:\n"
            "  local:\n"
            "    type: notion\n"
            f"    root_page: {root}\n"
            f"    base_url: {standin.url}\n"
            "    token_env: NOTION_TOKEN   # any value works unless --token is set\n"
        )
    space = getattr(standin, "space_key", "PLAY")
    flavor = getattr(standin, "flavor", "cloud")
    user = "    user_env: CONFLUENCE_USER\n" if flavor == "cloud" else ""
    return (
        "targets:\n"
        "  local:\n"
        "    type: confluence\n"
        f"    url: {standin.url}\n"
        f"    space: {space}\n"
        f"    deployment: {flavor}\n"
        f"{user}"
        "    token_env: CONFLUENCE_TOKEN   # any value works unless --token is set\n"
    )


def banner(
    kind: str, standin: StandinServer, *, data_dir: Path | None, limit: float, token: str | None
) -> str:
    """What ``emulate`` prints at start-up: URL, ids, settings and a config snippet."""
    lines = [f"{kind} stand-in listening on {standin.url}"]
    if kind == "notion":
        lines.append(f"root page id: {getattr(standin, 'root_page_id', '')}")
    else:
        home = getattr(standin, "homepage_id", "")
        lines.append(f"space key: {getattr(standin, 'space_key', '')} (home page id {home}); "
                     f"flavor: {getattr(standin, 'flavor', 'cloud')}")
    lines.append(
        f"state: {data_dir if data_dir else 'in memory'}; "
        f"rate limit: {f'{limit:g} req/s' if limit else 'off'}; "
        f"token: {'fixed' if token else 'any'}"
    )
    lines.append("config snippet for prodops-sync.yaml:")
    lines.append(config_snippet(kind, standin))
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


@click.command()
@click.argument("kind", type=click.Choice(["notion", "confluence"]))
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Port (0: a free one).")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep state in this directory (JSON) so it survives restarts.",
)
@click.option("--root-page", help="Notion: fix the id of the shared root page (a UUID).")
@click.option("--space", default="PLAY", show_default=True, help="Confluence: the space key.")
@click.option(
    "--flavor",
    type=click.Choice(["cloud", "datacenter"]),
    default="cloud",
    show_default=True,
    help="Confluence: cloud serves the v2 API under /wiki/api/v2 (v1 page endpoints answer "
    "410); datacenter serves v1 only under /rest/api.",
)
@click.option("--token", help="Accept only this token / password (default: any).")
@click.option(
    "--rate",
    type=float,
    default=None,
    help="Requests per second before 429 (default 3 for notion, 10 for confluence; 0 disables).",
)
@click.option(
    "--allow-remote-host",
    is_flag=True,
    help="Allow binding to a non-loopback address (the stand-in has no real security).",
)
def emulate(
    kind: str,
    host: str,
    port: int,
    data_dir: Path | None,
    root_page: str | None,
    space: str,
    flavor: str,
    token: str | None,
    rate: float | None,
    allow_remote_host: bool,
) -> None:
    """Serve a local stand-in for the Notion or Confluence REST API until interrupted."""
    if not is_loopback(host) and not allow_remote_host:
        raise click.UsageError(
            f"--host {host} is not a loopback address; add --allow-remote-host to bind it anyway"
        )
    limit = DEFAULT_RATES[kind] if rate is None else rate
    standin: StandinServer
    try:
        if kind == "notion":
            from prodops_sync.standins.notion import NotionStandin

            standin = NotionStandin(
                root_page_id=root_page,
                host=host,
                port=port,
                data_dir=data_dir,
                token=token,
                rate=limit or None,
                burst=max(limit * 3, 1) if limit else None,
            )
        else:
            from prodops_sync.standins.confluence import ConfluenceStandin

            standin = ConfluenceStandin(
                space=space,
                flavor=flavor,
                host=host,
                port=port,
                data_dir=data_dir,
                token=token,
                rate=limit or None,
            )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{data_dir}: {exc}") from exc
    try:
        standin.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    try:
        click.echo(banner(kind, standin, data_dir=data_dir, limit=limit, token=token))
        sys.stdout.flush()
        while True:
            # the server runs in its own thread; wait here until interrupted
            if not standin.running:
                raise click.ClickException("the stand-in server stopped unexpectedly")
            standin.wait(timeout=0.5)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        standin.stop()
