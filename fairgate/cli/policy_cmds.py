"""Policy store commands: ``fairgate policy publish | list | show | assign``."""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["register"]


def _store():
    from fairgate.registry.store import PolicyStore, Registry

    registry = Registry()
    store = PolicyStore(registry.engine)
    store.publish_builtins()
    return registry, store


@click.group("policy")
def policy_group() -> None:
    """The committee's published policies and which one governs each model version."""


@policy_group.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "actor", required=True, help="The committee member who publishes it.")
def publish_cmd(file: Path, actor: str) -> None:
    """Publish the policy in FILE (YAML/JSON) under its 'name'; new content is a new version."""
    _, store = _store()
    record, created = store.publish(file.read_text(encoding="utf-8"), actor=f"committee:{actor}")
    verb = "published" if created else "unchanged, already published as"
    click.echo(f"{verb} {record.ref} sha256 {record.sha256}")


@policy_group.command("list")
def list_cmd() -> None:
    """Every published policy version."""
    _, store = _store()
    for r in store.list():
        click.echo(f"{r.ref:<30} sha256 {r.sha256}  by {r.actor}")


@policy_group.command("show")
@click.argument("ref")
def show_cmd(ref: str) -> None:
    """Print the published policy REF (NAME or NAME@VERSION) as JSON."""
    _, store = _store()
    click.echo(json.dumps(store.get(ref).to_dict(), indent=2, ensure_ascii=False))


@policy_group.command("assign")
@click.argument("model")
@click.argument("ref")
@click.option("--rationale", required=True, help="Why this policy governs the model.")
@click.option("--by", "actor", required=True, help="The committee member who decides it.")
def assign_cmd(model: str, ref: str, rationale: str, actor: str) -> None:
    """Make the published policy REF govern MODEL (NAME@VERSION): its audits and its breaker."""
    name, _, version = model.partition("@")
    if not name or not version:
        raise click.BadParameter(f"{model!r}: write NAME@VERSION, e.g. lending@1.")
    registry, store = _store()
    registry.get(name, version)
    done = store.assign(name, version, ref, actor=f"committee:{actor}", rationale=rationale)
    click.echo(f"{name}@{version} is governed by {done.policy.ref} sha256 {done.policy.sha256}")


def register(group: click.Group) -> None:
    """Add the policy commands to the ``fairgate`` group."""
    group.add_command(policy_group)
