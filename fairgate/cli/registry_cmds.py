"""Registry commands: ``file``, ``models``, ``show``, committee decisions, ``ledger``, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["register"]


def _registry() -> Any:
    from fairgate.registry.store import Registry

    return Registry()


def _ref(ref: str, *, need_version: bool = True) -> tuple[str, str | None]:
    name, _, version = ref.partition("@")
    if not name or (need_version and not version):
        raise click.BadParameter(f"{ref!r}: write NAME@VERSION, e.g. lending@1.")
    return name, (version or None)


def _json(value: Any) -> str:
    from dataclasses import asdict, is_dataclass

    def plain(v: Any) -> Any:
        if is_dataclass(v):
            return plain(asdict(v))
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        if hasattr(v, "isoformat"):
            return v.isoformat()
        return v

    return json.dumps(plain(value), indent=2, ensure_ascii=False)


@click.command("file")
@click.argument("filing", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--artifact",
    default=None,
    help="Model file (.skops, .onnx), MLflow model folder, or a models:/ or runs:/ URI.",
)
@click.option("--mlflow-uri", default=None, help="File straight from an MLflow registry entry.")
@click.option("--tracking-uri", default=None, help="MLflow tracking URI (with --mlflow-uri).")
@click.option("--vendor", default=None, help="Owning vendor (default: the filing's vendor).")
@click.option("--actor", default=None, help="Who files (default: the filing's vendor).")
def file_cmd(
    filing: Path,
    artifact: str | None,
    mlflow_uri: str | None,
    tracking_uri: str | None,
    vendor: str | None,
    actor: str | None,
) -> None:
    """File a model version: FILING (YAML/JSON) and its artifact."""
    from fairgate.registry.store.filing import parse_filing

    if mlflow_uri:
        import yaml

        from fairgate.registry.store.mlflow_bridge import filing_from_mlflow

        overrides = yaml.safe_load(filing.read_text(encoding="utf-8")) or {}
        body, folder = filing_from_mlflow(
            mlflow_uri, tracking_uri=tracking_uri, overrides=overrides
        )
        parsed = parse_filing(body)
        artifact = str(folder)
    else:
        parsed = parse_filing(filing)
    from fairgate.registry.usecases import FileRequest, file_model

    request = FileRequest(parsed, artifact, actor=actor or parsed.vendor.name, vendor=vendor)
    record = file_model(_registry(), request)
    click.echo(f"filed {record.name}@{record.version}: {record.state}")
    if record.artifact_sha256:
        click.echo(f"artifact {record.artifact_kind} sha256 {record.artifact_sha256}")
    else:
        click.echo("no artifact on file: an audit needs one (file a new version with --artifact)")
    for finding in record.findings:  # e.g. a declared input the policy prohibits
        click.echo(f"warning: {finding}")


@click.command("models")
@click.option("--state", default=None, help="Only this state (FILED, ACTIVE, SUSPENDED, ...).")
@click.option("--vendor", default=None, help="Only this vendor's versions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def models_cmd(state: str | None, vendor: str | None, as_json: bool) -> None:
    """List every filed model version and its state."""
    from rich.console import Console
    from rich.table import Table

    versions = _registry().list_versions(state=state, vendor=vendor)
    if as_json:
        click.echo(_json(versions))
        return
    table = Table(title=f"{len(versions)} model version(s)", title_justify="left")
    for col in ("name", "version", "state", "vendor", "department", "risk", "updated (UTC)"):
        table.add_column(col)
    for mv in versions:
        table.add_row(
            mv.name,
            mv.version,
            mv.state,
            mv.vendor or "",
            mv.department,
            mv.risk_level,
            mv.updated_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)


@click.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_cmd(ref: str, as_json: bool) -> None:
    """Show NAME[@VERSION]: filing summary, state, audits and its ledger events."""
    name, version = _ref(ref, need_version=False)
    reg = _registry()
    record = reg.get(name, version)
    filing = reg.filing(record.name, record.version)
    audits = reg.audits(record.name, record.version)
    events = [e for e in reg.events() if e.name == record.name and e.version == record.version]
    if as_json:
        body = {"model": record, "filing": filing, "audits": audits, "events": events}
        click.echo(_json(body))
        return
    click.echo(f"{record.name}@{record.version}  state {record.state}: {record.reason}")
    click.echo(f"  purpose     {filing.get('purpose')}")
    click.echo(f"  department  {filing.get('department')}   vendor {record.vendor}")
    click.echo(f"  risk level  {filing.get('risk_level')}   filing sha256 {record.filing_sha256}")
    click.echo(f"  artifact    {record.artifact_kind or '-'} {record.artifact_sha256 or ''}")
    click.echo(f"  audits      {len(audits)}")
    for a in audits:
        click.echo(
            f"    #{a.id} {a.created_at:%Y-%m-%d %H:%M} {a.verdict:<5} by {a.actor}"
            f"  {a.report_path or a.error or ''}"
        )
    click.echo("  ledger")
    for e in events:
        why = e.payload.get("rationale") or e.payload.get("rule") or e.payload.get("verdict") or ""
        click.echo(f"    {e.id:>6} {e.created_at[:19]} {e.kind:<12} {e.actor}  {why}")


def _decision(action: str, help_text: str) -> click.Command:
    @click.command(action, help=help_text + " Acts as the committee member of FAIRGATE_TOKEN.")
    @click.argument("ref")
    @click.option("--rationale", required=True, help="Why (recorded in the ledger).")
    @click.option(
        "--by",
        "by",
        default=None,
        help="Only with an admin token: the committee member whose vote is recorded.",
    )
    def command(ref: str, rationale: str, by: str | None) -> None:
        from fairgate.cli.identity import committee_actor
        from fairgate.registry.usecases import DecisionRequest, decide

        name, version = _ref(ref)
        reg = _registry()
        actor, evidence = committee_actor(reg.engine, by)
        request = DecisionRequest(
            name, version, action, rationale=rationale, actor=actor, evidence=evidence
        )
        record = decide(reg, request)
        click.echo(f"{record.name}@{record.version}: {record.state} ({record.reason})")
        click.echo(reg.votes(name, version).summary())

    return command


@click.group("ledger")
def ledger_group() -> None:
    """Verify or export the hash-chained ledger."""


@ledger_group.command("verify")
@click.option(
    "--anchor",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="An earlier export; its head must still be in the chain (catches deleted tails).",
)
@click.option(
    "--checkpoint",
    default=None,
    help="A signed checkpoint (file or http(s) URL): every event up to it must be intact.",
)
@click.option(
    "--key",
    default=None,
    help="With --checkpoint: the signer's public key (PEM file or the URL of /v1/public/key); "
    "default: this deployment's key.",
)
def ledger_verify(anchor: Path | None, checkpoint: str | None, key: str | None) -> None:
    """Check every event's hash and link; exit 1 naming the first bad event."""
    if checkpoint is not None:
        from fairgate.cli.checkpoint_cmds import verify_against_checkpoint

        verify_against_checkpoint(_registry().engine, checkpoint, key)
        return
    head = None
    if anchor is not None:
        lines = anchor.read_text(encoding="utf-8").strip().splitlines()
        head = json.loads(lines[-1]).get("head") if lines else None
        if not head:
            raise click.BadParameter(f"{anchor}: no head record; use a 'ledger export' file.")
    result = _registry().verify_ledger(head)
    if result.ok:
        click.echo(f"ledger intact: {result.count:,} events, head {result.head_hash}")
        return
    click.echo(f"ledger BROKEN at event {result.first_bad_id}: {result.problem}", err=True)
    sys.exit(1)


@ledger_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def ledger_export(output: Path | None) -> None:
    """Write every event as JSON Lines, ending with the head to anchor externally."""
    reg = _registry()
    if output is None:
        result = reg.export_ledger(sys.stdout)
    else:
        with open(output, "w", encoding="utf-8") as fp:
            result = reg.export_ledger(fp)
        click.echo(f"exported {result.count:,} events to {output}", err=True)
    if not result.ok:
        click.echo(f"warning: the exported chain is broken at {result.first_bad_id}", err=True)
        sys.exit(1)


@click.command("filing-schema")
def filing_schema_cmd() -> None:
    """Print the filing's JSON Schema."""
    from fairgate.registry.store.filing import filing_json_schema

    click.echo(json.dumps(filing_json_schema(), indent=2, ensure_ascii=False))


def register(group: click.Group) -> None:
    """Add the registry commands to the ``fairgate`` group."""
    from fairgate.cli.checkpoint_cmds import checkpoint_cmd

    ledger_group.add_command(checkpoint_cmd)
    for command in (file_cmd, models_cmd, show_cmd, ledger_group, filing_schema_cmd):
        group.add_command(command)
    for action, text in (
        ("approve", "Approve NAME@VERSION for service (needs a passing audit of its artifact)."),
        ("reject", "Reject NAME@VERSION."),
        ("suspend", "Suspend NAME@VERSION at once."),
        ("reinstate", "Reinstate NAME@VERSION (needs a passing audit after the suspension)."),
        ("withdraw", "Withdraw NAME@VERSION for good."),
        ("dissent", "Vote against the pending approval or reinstatement of NAME@VERSION."),
    ):
        group.add_command(_decision(action, text))
