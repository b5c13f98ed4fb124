"""fairgate's command line.

Each command group lives in its own module and registers itself on :data:`main`; heavy imports
happen inside the commands, so ``fairgate --help`` stays fast.
"""

from __future__ import annotations

import sys

import click

from fairgate.errors import FairgateError

__all__ = ["main"]


class _FairgateGroup(click.Group):
    """A click group that turns any :class:`FairgateError` into one clear line and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except FairgateError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)


@click.group(cls=_FairgateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fairgate")
def main() -> None:
    """fairgate: file, audit, approve and monitor the AI models a city shares.

    State lives under FAIRGATE_HOME (default ~/.fairgate) in an embedded SQLite database;
    set FAIRGATE_DATABASE_URL to use a server database instead.
    """


def _register_commands() -> None:
    from fairgate.cli import (
        audit_cmd,
        demo,
        names_cmd,
        policy_cmds,
        registry_cmds,
        service_cmds,
    )

    for module in (demo, registry_cmds, audit_cmd, service_cmds, names_cmd, policy_cmds):
        module.register(main)


_register_commands()
