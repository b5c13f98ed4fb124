"""``fairgate audit``: audit a model file on a data file and write the report and notebook."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["register"]


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--target", required=True, help="Column of true outcomes.")
@click.option("--sensitive", required=True, help="Sensitive attribute columns, comma-separated.")
@click.option("--features", default=None, help="Model input columns (default: all but target).")
@click.option("--pos-label", default="1", show_default=True, help="The favourable decision.")
@click.option(
    "--policy",
    "policy",
    default=None,
    type=click.Path(path_type=Path),
    help="Policy YAML file (default: the default policy).",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for audit.json, report.html and audit.ipynb.",
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
@click.option("--quiet", is_flag=True, help="No progress bar.")
def audit(
    model: Path,
    data: Path,
    target: str,
    sensitive: str,
    features: str | None,
    pos_label: str,
    policy: Path | None,
    out: Path,
    lang: str,
    name: str | None,
    seed: int | None,
    allow_pickle: bool,
    quiet: bool,
) -> None:
    """Audit MODEL (.skops, .onnx, MLflow folder) on DATA (.parquet, .csv)."""
    import warnings

    from fairgate.audit.runner import run_audit
    from fairgate.settings import get_settings

    settings = get_settings()
    spec = {
        "target": target,
        "sensitive": sensitive,
        "features": [f.strip() for f in features.split(",")] if features else None,
        "pos_label": _label(pos_label),
        "name": name or model.stem,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        if allow_pickle or settings.allow_pickle:
            click.echo("warning: loading a pickle/joblib file runs any code it holds.", err=True)
        result = run_audit(
            model,
            data,
            spec,
            policy,
            seed=settings.seed if seed is None else seed,
            out_dir=out,
            lang=lang,
            allow_pickle=allow_pickle or settings.allow_pickle,
            progress=not quiet,
        )
    click.echo(f"verdict: {result.outcome}")
    click.echo(f"report: {Path(out).resolve() / 'report.html'}")


def _label(raw: str) -> object:
    try:
        return int(raw)
    except ValueError:
        return raw


def register(group: click.Group) -> None:
    """Add the audit command to the CLI group."""
    group.add_command(audit)
