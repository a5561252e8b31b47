"""The `prodops-sync` command line.

The CLI is thin: each sub-command lives in its own module under `prodops_sync.cli` and only
parses options, calls the library and formats output. Sub-commands are imported lazily so
that `prodops-sync --help` stays fast and one broken optional dependency cannot take the
whole tool down.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

import click

from prodops_sync import __version__
from prodops_sync.safety import one_line, scrubbed_output

# command name -> "module:attribute". Aliases point at the same command object.
COMMANDS: dict[str, str] = {
    "validate": "prodops_sync.cli.validate:validate",
    "fmt": "prodops_sync.cli.fmt:fmt",
    "convert": "prodops_sync.cli.convert:convert",
    "emulate": "prodops_sync.cli.emulate:emulate",
    "plan": "prodops_sync.cli.sync:plan",
    "status": "prodops_sync.cli.sync:plan",
    "push": "prodops_sync.cli.sync:push",
    "pull": "prodops_sync.cli.sync:pull",
    "diff": "prodops_sync.cli.conflicts:diff",
    "resolve": "prodops_sync.cli.conflicts:resolve",
    "init": "prodops_sync.cli.init:init",
    "demo": "prodops_sync.cli.demo:demo",
}

ALIASES = {"status": "plan"}

EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
"""Ctrl-C: 128 + SIGINT, as shells report it."""


def color_allowed(environ: dict[str, str] | None = None) -> bool:
    """False when the user asked for no colour: ``NO_COLOR`` set to anything but the empty
    string (https://no-color.org). Otherwise click decides (colour on a terminal only)."""
    env = os.environ if environ is None else environ
    return not env.get("NO_COLOR")


class LazyGroup(click.Group):
    """A click group that imports each sub-command's module only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._available(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # the command is not built yet
                return None
            raise
        command: click.Command = getattr(module, attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """Run the sub-command; Ctrl-C ends every command with one line and exit 130 (click
        alone prints "Aborted!" and exits 1, indistinguishable from a failure)."""
        with scrubbed_output():  # no secret reaches the console, whatever prints it
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt:
                click.echo("\ninterrupted: nothing half-written; run the command again to "
                           "finish", err=True)
                ctx.exit(EXIT_INTERRUPTED)
            except OSError as exc:
                # Disk full, read-only playbook, a directory where a file belongs: one line.
                where = f" ({one_line(exc.filename)})" if exc.filename else ""
                click.echo(f"error: {one_line(exc.strerror or exc)}{where}; files already "
                           "written are complete, nothing is half-written", err=True)
                ctx.exit(EXIT_FAILURE)
            except (click.exceptions.Exit, click.ClickException, SystemExit):
                raise
            except Exception as exc:
                if os.environ.get("PRODOPS_SYNC_DEBUG"):
                    raise
                click.echo(
                    f"error: internal error ({type(exc).__name__}: {one_line(exc)[:300]}); "
                    "nothing is half-written. Please report it with the output of the same "
                    "command run with PRODOPS_SYNC_DEBUG=1", err=True,
                )
                ctx.exit(EXIT_FAILURE)

    @staticmethod
    def _available(name: str) -> bool:
        module_name = COMMANDS[name].split(":")[0]
        return importlib.util.find_spec(module_name) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="prodops-sync")
@click.pass_context
def main(ctx: click.Context, **_: Any) -> None:
    """Validate a product-operations playbook kept in Git and sync it both ways with
    Notion or Confluence.

    \b
    Typical flow:
      prodops-sync validate            check the playbook (schemas and quality rules)
      prodops-sync plan --target T     show what push and pull would change
      prodops-sync push --target T     mirror the playbook into the wiki
      prodops-sync pull --target T     bring wiki edits back as file changes
    """
    if not color_allowed():
        # Every sub-command context inherits this: click.echo then strips all styling, on a
        # terminal too.
        ctx.color = False
