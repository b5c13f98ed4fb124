"""Name ownership commands: ``fairgate name owner`` and ``fairgate name transfer`` (admin)."""

from __future__ import annotations

import click

from fairgate.cli.identity import rationale_and_actor

__all__ = ["register"]


@click.group("name")
def name_group() -> None:
    """Model names: the first vendor to file a name owns it."""


@name_group.command("owner")
@click.argument("name")
def owner_cmd(name: str) -> None:
    """Print the vendor that owns NAME."""
    from fairgate.errors import NotFoundError
    from fairgate.registry.store import Registry

    owner = Registry().name_owner(name)
    if owner is None:
        raise NotFoundError(f"the model name {name!r} was never filed.")
    click.echo(owner)


@name_group.command("transfer")
@click.argument("name")
@click.argument("vendor")
@rationale_and_actor("The administrator transferring the name.")
def transfer_cmd(name: str, vendor: str, rationale: str, actor: str) -> None:
    """Give model NAME, and every version filed under it, to VENDOR (ledgered)."""
    from fairgate.registry.store import Registry

    previous = Registry().transfer_name(name, vendor, rationale=rationale, actor=actor)
    click.echo(f"{name}: owner {previous} -> {vendor}")


def register(group: click.Group) -> None:
    """Add the ``name`` command group to ``group``."""
    group.add_command(name_group)
