"""``fairgate audit``: audit a model on a data file and write the report and notebook.

MODEL is a model file (or MLflow model folder), or ``NAME@VERSION`` of a filed model: then the
target, sensitive attributes and features come from its filing, the artifact's hash is checked,
and the audit is recorded in the registry (the committee may approve on it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

__all__ = ["register"]


@click.command()
@click.argument("model")
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "--target", default=None, help="Column of true outcomes (a model file; a filing names it)."
)
@click.option(
    "--sensitive",
    default=None,
    help="Sensitive attribute columns, comma-separated (a model file; a filing names them).",
)
@click.option(
    "--features",
    default=None,
    help="Model input columns (a model file; default: all but the target).",
)
@click.option(
    "--pos-label",
    default="1",
    show_default=True,
    help="The favourable decision (a model file; a filing names it).",
)
@click.option(
    "--policy",
    "policy",
    default=None,
    help="A built-in policy name (default, city-example) or a policy YAML file "
    "(default: the filing's policy, else 'default').",
)
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(path_type=Path),
    help="Folder for audit.json, report.html and audit.ipynb "
    "(default for a filed model: FAIRGATE_HOME/reports/NAME/VERSION/<time>).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the report.",
)
@click.option("--name", default=None, help="Model name shown in the report (default: file name).")
@click.option("--seed", default=None, type=int, help="Seed (default: FAIRGATE_SEED or 0).")
@click.option("--allow-pickle", is_flag=True, help="Load pickle/joblib models (runs their code).")
@click.option(
    "--engine",
    type=click.Choice(["auto", "memory", "duckdb", "spark"]),
    default="auto",
    show_default=True,
    help="Where the per-group counts are computed: auto (memory, DuckDB for large Parquet), "
    "duckdb, or spark (the active Spark session; run under spark-submit for a cluster).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def audit(
    model: str,
    data: Path,
    target: str | None,
    sensitive: str | None,
    features: str | None,
    pos_label: str,
    policy: str | None,
    out: Path | None,
    lang: str,
    name: str | None,
    seed: int | None,
    allow_pickle: bool,
    engine: str,
    quiet: bool,
) -> None:
    """Audit MODEL (.skops, .onnx, MLflow folder, or NAME@VERSION) on DATA (.parquet, .csv)."""
    from fairgate.settings import get_settings

    settings = get_settings()
    options = {"target": target, "sensitive": sensitive, "features": features}
    if pos_label != "1":
        options["pos-label"] = pos_label
    if allow_pickle or settings.allow_pickle:
        click.echo("warning: loading a pickle/joblib file runs any code it holds.", err=True)
    run = {
        "out_dir": out,
        "lang": lang,
        "allow_pickle": allow_pickle or settings.allow_pickle,
        "progress": not quiet,
        "engine": engine,
    }
    if "@" in model and not Path(model).exists():
        _audit_filed(model, data, options, policy, seed, run)
        return
    label, seed = _label(pos_label), settings.seed if seed is None else seed
    _audit_file(Path(model), data, options, label, policy or "default", name, seed, run)


def _audit_filed(
    model: str,
    data: Path,
    options: dict[str, str | None],
    policy: str | None,
    seed: int | None,
    run: dict[str, Any],
) -> None:
    """Audit a filed version through the registry's one audit use case, and record it."""
    from fairgate.errors import ValidationError
    from fairgate.registry.store import Registry
    from fairgate.registry.usecases import AuditRequest, audit_filed_model

    given = sorted(k for k, v in options.items() if v)
    if given:
        raise ValidationError(
            f"{model} is a filed model: its filing names the target, the sensitive attributes, "
            f"the features and the favourable label; drop --{', --'.join(given)} (or file a new "
            "version with a corrected filing)."
        )
    name, _, version = model.rpartition("@")
    outcome = audit_filed_model(
        Registry(),
        AuditRequest(name, version, data, "fairgate audit (CLI)", policy, seed=seed, **run),
    )
    click.echo(f"recorded: audit {outcome.record.id} of {name}@{version}")
    click.echo(f"policy: {outcome.policy_ref}")
    click.echo(f"verdict: {outcome.result.outcome}")
    click.echo(f"report: {outcome.report}")


def _audit_file(
    model: Path,
    data: Path,
    options: dict[str, str | None],
    pos_label: object,
    policy: str,
    name: str | None,
    seed: int,
    run: dict[str, Any],
) -> None:
    """Audit a model file that is not filed; nothing is recorded."""
    from fairgate.audit.pipeline.run import run_audit
    from fairgate.errors import ValidationError

    if not options["target"] or not options["sensitive"]:
        raise ValidationError(
            f"MODEL={str(model)!r} is a file: give --target and --sensitive (or audit a filed "
            "model as NAME@VERSION, whose filing names them)."
        )
    if run["out_dir"] is None:
        raise ValidationError("--out is required when MODEL is a file.")
    spec: dict[str, object] = {
        "name": name or model.stem,
        "target": options["target"],
        "sensitive": options["sensitive"],
        "pos_label": pos_label,
    }
    if options["features"]:
        spec["features"] = [f.strip() for f in options["features"].split(",")]
    result = run_audit(model, data, spec, policy, seed=seed, **run)
    click.echo(f"verdict: {result.outcome}")
    click.echo(f"report: {Path(run['out_dir']).resolve() / 'report.html'}")


def _label(raw: str) -> object:
    try:
        return int(raw)
    except ValueError:
        return raw


def register(group: click.Group) -> None:
    """Add the audit command to the CLI group."""
    group.add_command(audit)
