"""Policy store commands: ``fairgate policy [--lang zh] publish | list | show | assign``.

What a committee member reads (results and refusals of the policy store) comes from the message
catalogs, in English or 简体中文 (``--lang``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from fairgate.cli.identity import rationale_and_actor

__all__ = ["register"]


def _store():
    from fairgate.registry.store import PolicyStore, Registry

    registry = Registry()
    store = PolicyStore(registry.engine)
    store.publish_builtins()
    return registry, store


class _PolicyGroup(click.Group):
    """Says the policy store's refusals in the group's language (``--lang``)."""

    def invoke(self, ctx: click.Context) -> object:
        from fairgate.errors import FairgateError

        try:
            return super().invoke(ctx)
        except FairgateError as exc:
            from fairgate.audit.report.catalog import message_in

            exc.message = message_in(exc, (ctx.find_root().obj or {}).get("lang", "en"))
            raise


def _say(key: str, **params: object) -> None:
    from fairgate.audit.report.catalog import load_catalog

    lang = click.get_current_context().find_root().obj["lang"]
    click.echo(load_catalog(lang)[key].format(**params))


@click.group("policy", cls=_PolicyGroup)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the messages.",
)
@click.pass_context
def policy_group(ctx: click.Context, lang: str) -> None:
    """The committee's published policies and which one governs each model version."""
    ctx.find_root().ensure_object(dict)["lang"] = lang


@policy_group.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "actor", required=True, help="The committee member who publishes it.")
def publish_cmd(file: Path, actor: str) -> None:
    """Publish the policy in FILE (YAML/JSON) under its 'name'; new content is a new version."""
    _, store = _store()
    record, created = store.publish(file.read_text(encoding="utf-8"), actor=f"committee:{actor}")
    if created:
        _say("policy_published", ref=record.ref, sha256=record.sha256)
    else:
        _say("policy_unchanged", ref=record.ref, sha256=record.sha256)


@policy_group.command("list")
def list_cmd() -> None:
    """Every published policy version."""
    _, store = _store()
    records = store.list()
    if not records:
        _say("policy_list_empty", command="fairgate policy publish FILE --by NAME")
    width = max((len(r.ref) for r in records), default=0)
    for r in records:
        _say("policy_list_row", ref=r.ref.ljust(width), sha256=r.sha256, actor=r.actor)


@policy_group.command("show")
@click.argument("ref")
def show_cmd(ref: str) -> None:
    """Print the published policy REF (NAME or NAME@VERSION) as JSON."""
    _, store = _store()
    click.echo(json.dumps(store.get(ref).to_dict(), indent=2, ensure_ascii=False))


@policy_group.command("assign")
@click.argument("model")
@click.argument("ref")
@rationale_and_actor("The committee member who decides it.", "Why this policy governs the model.")
def assign_cmd(model: str, ref: str, rationale: str, actor: str) -> None:
    """Make the published policy REF govern MODEL (NAME@VERSION): its audits and its breaker."""
    from fairgate.audit.report.catalog import refusal
    from fairgate.errors import ValidationError

    name, _, version = model.partition("@")
    if not name or not version:
        raise refusal(
            ValidationError, "policy_model_ref_invalid", given=repr(model), example="lending@1"
        )
    registry, store = _store()
    registry.get(name, version)
    done = store.assign(name, version, ref, actor=f"committee:{actor}", rationale=rationale)
    _say(
        "policy_assigned",
        model=f"{name}@{version}",
        ref=done.policy.ref,
        sha256=done.policy.sha256,
    )


def register(group: click.Group) -> None:
    """Add the policy commands to the ``fairgate`` group."""
    group.add_command(policy_group)
