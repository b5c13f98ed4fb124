"""``fairgate audit``: audit a model on a data file and write the report and notebook.

MODEL is a model file (or MLflow model folder), or ``NAME@VERSION`` of a filed model: then the
target, sensitive attributes and features come from its filing, the artifact's hash is checked,
and the audit is recorded in the registry (the committee may approve on it).
"""

from __future__ import annotations

import time
from pathlib import Path

import click

__all__ = ["register"]


@click.command()
@click.argument("model")
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--target", default=None, help="Column of true outcomes (default: the filing's).")
@click.option(
    "--sensitive",
    default=None,
    help="Sensitive attribute columns, comma-separated (default: the filing's).",
)
@click.option("--features", default=None, help="Model input columns (default: all but target).")
@click.option("--pos-label", default="1", show_default=True, help="The favourable decision.")
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
    import warnings

    from fairgate.audit.pipeline.run import run_audit
    from fairgate.errors import ValidationError
    from fairgate.settings import get_settings

    settings = get_settings()
    filed = _filed(model, settings)
    if filed is not None:
        registry, record, spec = filed
        model_path: str | Path = record.artifact_path
        policy = policy or spec.get("policy") or "default"
        if out is None:
            stamp = time.strftime("%Y%m%dT%H%M%S")
            out = settings.reports_dir / record.name / record.version / stamp
    else:
        registry = record = None
        model_path = Path(model)
        if not target or not sensitive:
            raise ValidationError(
                f"MODEL={model!r} is a file: give --target and --sensitive (or audit a filed "
                "model as NAME@VERSION, whose filing names them)."
            )
        if out is None:
            raise ValidationError("--out is required when MODEL is a file.")
        spec = {"name": name or model_path.stem}
    if target:
        spec["target"] = target
    if sensitive:
        spec["sensitive"] = sensitive
    if features:
        spec["features"] = [f.strip() for f in features.split(",")]
    if pos_label != "1" or "pos_label" not in spec:
        spec["pos_label"] = _label(pos_label)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        if allow_pickle or settings.allow_pickle:
            click.echo("warning: loading a pickle/joblib file runs any code it holds.", err=True)
        result = run_audit(
            model_path,
            data,
            spec,
            policy,
            seed=settings.seed if seed is None else seed,
            out_dir=out,
            lang=lang,
            allow_pickle=allow_pickle or settings.allow_pickle,
            progress=not quiet,
            engine=engine,
        )
    report = Path(out).resolve() / "report.html"
    if registry is not None and record is not None:
        audit_record = registry.record_result(
            record.name,
            record.version,
            result,
            report_path=str(report),
            actor="fairgate audit (CLI)",
        )
        click.echo(f"recorded: audit {audit_record.id} of {record.name}@{record.version}")
    click.echo(f"verdict: {result.outcome}")
    click.echo(f"report: {report}")


def _filed(model: str, settings: object) -> tuple[object, object, dict] | None:
    """``(registry, record, spec)`` when MODEL names a filed version, else ``None``."""
    if "@" not in model or Path(model).exists():
        return None
    from fairgate.registry.store import Registry

    name, _, version = model.rpartition("@")
    registry = Registry(settings)
    record = registry.get(name, version)
    if record.artifact_path is None:
        from fairgate.errors import ConflictError

        raise ConflictError(f"{name}@{version} was filed without an artifact; re-file it with one.")
    registry.verify_artifact(name, version)
    spec = dict(registry.filing_object(name, version).audit_spec())
    return registry, record, spec


def _label(raw: str) -> object:
    try:
        return int(raw)
    except ValueError:
        return raw


def register(group: click.Group) -> None:
    """Add the audit command to the CLI group."""
    group.add_command(audit)
