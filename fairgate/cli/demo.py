"""``fairgate demo``: the whole job on the embedded default, on real data."""

from __future__ import annotations

import click

__all__ = ["register"]


@click.command()
@click.option("--min-group-size", default=30, show_default=True, help="Smaller groups are flagged.")
@click.option("--seed", default=0, show_default=True, help="Seed for the split and bootstrap.")
def demo(min_group_size: int, seed: int) -> None:
    """Audit a model trained on the Toronto arrests data (scikit-lego) and print the verdict."""
    from fairgate._demo import run_demo

    run_demo(min_group_size=min_group_size, seed=seed)


def register(group: click.Group) -> None:
    """Add the demo command to the CLI group."""
    group.add_command(demo)
