"""The demo's audits: a filed demo version through the registry's audit use case, or a quick one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from fairgate.audit.report.result import AuditResult
    from fairgate.registry.store import Registry
    from fairgate.registry.usecases import AuditOutcome

__all__ = ["AUDITOR", "audit_version", "run_demo_audit"]

AUDITOR = "fairgate audit runner (demo)"
"""Who the demo's audits are recorded as started by."""


def audit_version(
    registry: Registry,
    name: str,
    version: str,
    data: Path,
    *,
    out_dir: Path | None = None,
    lang: Literal["en", "zh"] = "en",
    seed: int | None = None,
    progress: bool = False,
    actor: str = AUDITOR,
) -> AuditOutcome:
    """Audit a filed version the way ``fairgate demo`` does, and record it.

    The registry's one audit use case does the work: the filing's policy, target, sensitive
    attributes and features; the artifact's SHA-256 checked before it is loaded.

    Parameters
    ----------
    registry : Registry
        Where the version is filed.
    name, version : str
        The filed version.
    data : Path
        Evaluation data (Parquet or CSV).
    out_dir : Path, optional
        Where the report goes (default: under ``FAIRGATE_HOME/reports``).
    lang : {"en", "zh"}, default "en"
        Language of the report.
    seed : int, optional
        Seed of the audit (default: ``FAIRGATE_SEED``).
    progress : bool, default False
        Show a progress bar per step.
    actor : str, default AUDITOR
        Who the audit is recorded as started by.

    Returns
    -------
    AuditOutcome
    """
    from fairgate.registry.usecases import AuditRequest, audit_filed_model

    return audit_filed_model(
        registry,
        AuditRequest(
            name, version, Path(data), actor, None, out_dir, lang, seed, progress=progress
        ),
    )


def run_demo_audit(
    out_dir: str | Path | None = None, *, lang: Literal["en", "zh"] = "en", seed: int = 0
) -> AuditResult:
    """Train the Toronto arrests model, save it with skops, and audit it into ``out_dir``.

    Nothing is filed or recorded: a quick look at an audit. The folder gets ``model.skops``,
    ``data.parquet``, ``audit.json``, ``report.html`` and ``audit.ipynb``.

    Parameters
    ----------
    out_dir : str or Path, optional
        Where the files go (created if missing); default ``FAIRGATE_HOME/reports/arrests-demo``.
    lang : {"en", "zh"}, default "en"
        Language of the report.
    seed : int, default 0
        Seed of the data split, the model and the audit.

    Returns
    -------
    AuditResult
    """
    from fairgate.audit.pipeline.run import run_audit
    from fairgate.demo.data import SENSITIVE, TARGET, arrests_model, load_arrests_frame

    if out_dir is None:
        from fairgate.settings import get_settings

        out_dir = get_settings().reports_dir / "arrests-demo"
    frame = load_arrests_frame(seed)
    model = arrests_model(frame.train, seed)
    spec = {
        "target": TARGET,
        "sensitive": list(SENSITIVE),
        "features": list(model.feature_names_in_),
        "name": "toronto-arrests-release",
        "version": "1",
        "purpose": "Decide who is released with a summons after an arrest (Toronto arrests data).",
        "owner": "fairgate demo",
    }
    return run_audit(model, frame.audit, spec, None, seed=seed, out_dir=out_dir, lang=lang)
