"""``fairgate demo``: the whole loop on the embedded default, on real data."""

from __future__ import annotations

import click

__all__ = ["register"]


@click.command()
@click.option("--seed", default=0, show_default=True, help="Seed of the split, models and audit.")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the console text and the HTML reports (English or 简体中文).",
)
@click.option(
    "--policy",
    default=None,
    help="A built-in policy name or a policy YAML file for the filings (default: 'default').",
)
def demo(seed: int, lang: str, policy: str | None) -> None:
    """The whole loop on the Toronto arrests data: file, audit, decide, serve, trip.

    Two model versions are filed and audited, the committee rejects one and approves the other;
    fairgate's service then runs in this process while the approved model serves, and the
    circuit breaker suspends it when its live decisions turn biased. Everything lands under
    FAIRGATE_HOME (default ~/.fairgate): the SQLite registry and ledger, the artifacts, and
    for each version an HTML audit report with the notebook that reproduces it.
    """
    from fairgate.demo.loop import run_demo

    run_demo(seed=seed, lang=lang, policy=policy)


def register(group: click.Group) -> None:
    """Add the demo command to the CLI group."""
    group.add_command(demo)
