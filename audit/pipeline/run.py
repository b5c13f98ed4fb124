"""The audit runner: load a model safely, score the data, measure, detect, explain, judge, report.

:func:`run_audit` is the Python entry point; ``fairgate audit`` calls it. With ``out_dir`` it
writes ``audit.json`` (the :class:`~fairgate.audit.report.result.AuditResult`), ``report.html``
(English or 简体中文) and ``audit.ipynb`` (a notebook that re-runs the audit from the files on
disk) into a temporary folder first and moves them into place only when every step succeeded.

The policy is loaded first: a policy that cannot be loaded stops the audit with an error naming it.
"""

from __future__ import annotations

import datetime as _dt
import shutil
import tempfile
import time
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.pipeline import score as scoring
from fairgate.audit.pipeline import steps
from fairgate.audit.pipeline.oversight import oversight_counts
from fairgate.audit.report.result import SCHEMA_VERSION, AuditResult, library_versions
from fairgate.errors import ValidationError

__all__ = ["AuditSpec", "run_audit"]


@dataclass(frozen=True)
class AuditSpec:
    """What to audit: the target, the sensitive attributes, and the model's filing summary.

    Attributes
    ----------
    target : str
        Column of true outcomes.
    sensitive : tuple of str
        Sensitive attribute columns.
    features : tuple of str or None
        Columns the model takes (default: every column but the target).
    pos_label : object
        The favourable decision (default 1).
    kind : {"binary", "multiclass", "scores", "regression"}
        What the model outputs (default "binary"); from a filing, its ``algorithm_type``
        (``regression``; ``ranking`` -> scores at the target's ``threshold``; ``classification``
        with more than two ``classes`` -> multiclass) selects it.
    threshold : float or None
        Decision threshold on the scores (kind "scores").
    top_k : int or None
        Size of the audited top of a scores model's ranking (kind "scores"; from a filing, the
        target's ``top_k``); None: the rows the threshold selects.
    classes : tuple or None
        Class labels of a multiclass model, in order.
    favourable : object or None
        A multiclass model's favourable class: audit it against all others (binary).
    name, version, purpose, owner : str
        Filing summary shown in the report.
    extra : dict
        Any other filing fields, shown as they are.
    """

    target: str
    sensitive: tuple[str, ...]
    features: tuple[str, ...] | None = None
    pos_label: Any = 1
    kind: str = "binary"
    threshold: float | None = None
    top_k: int | None = None
    classes: tuple[Any, ...] | None = None
    favourable: Any = None
    name: str = "model"
    version: str = "1"
    purpose: str = ""
    owner: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def coerce(cls, spec: Any) -> AuditSpec:
        """Build a spec from an :class:`AuditSpec`, a mapping or a filing-like object."""
        if isinstance(spec, AuditSpec):
            return spec
        if callable(getattr(spec, "audit_spec", None)):  # a registry Filing
            spec = spec.audit_spec()
        if not isinstance(spec, Mapping):
            spec = {k: getattr(spec, k) for k in dir(spec) if not k.startswith("_")}
            spec = {k: v for k, v in spec.items() if not callable(v)}
        known = set(cls.__dataclass_fields__) - {"extra"}
        body = {k: v for k, v in spec.items() if k in known}
        if not body.get("target"):
            raise ValidationError("spec: no 'target' column given; name the outcome column.")
        sensitive = body.get("sensitive") or ()
        if isinstance(sensitive, str):
            sensitive = [s.strip() for s in sensitive.split(",") if s.strip()]
        if not sensitive:
            raise ValidationError(
                "spec: no 'sensitive' attribute given; name at least one, e.g. sex,race."
            )
        body["sensitive"] = tuple(sensitive)
        body.update(_kind_of(spec, body))
        if body.get("features") is not None:
            body["features"] = tuple(body["features"])
        extra = {k: _plain(v) for k, v in spec.items() if k not in known and k != "extra"}
        extra.update(spec.get("extra") or {})
        return cls(**body, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """The filing summary as a JSON-ready dict."""
        return {
            "name": self.name,
            "version": str(self.version),
            "purpose": self.purpose,
            "owner": self.owner,
            "target": self.target,
            "sensitive": list(self.sensitive),
            "features": None if self.features is None else list(self.features),
            "pos_label": _plain(self.pos_label),
            "kind": self.kind,
            "threshold": self.threshold,
            "top_k": self.top_k,
            "classes": None if self.classes is None else [_plain(c) for c in self.classes],
            "favourable": _plain(self.favourable),
            "extra": {str(k): _plain(v) for k, v in sorted(self.extra.items())},
        }


_KINDS = ("binary", "multiclass", "scores", "regression")


def _kind_of(spec: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """The audit kind from ``kind=`` or the filing's ``algorithm_type`` and target."""
    classes = body.get("classes")
    out: dict[str, Any] = {"classes": None if classes is None else tuple(classes)}
    kind = body.get("kind")
    algorithm = spec.get("algorithm_type")
    if kind is None:
        if algorithm == "regression":
            kind = "regression"
        elif algorithm == "ranking":
            kind = "scores"
        elif classes is not None and len(classes) > 2:
            kind = "multiclass"
        else:
            kind = "binary"
    if kind not in _KINDS:
        raise ValidationError(f"spec: kind={kind!r}; use one of {', '.join(_KINDS)}.")
    if kind == "scores" and body.get("threshold") is None:
        raise ValidationError(
            f"spec: a {algorithm or 'scores'} model is audited at its decision threshold; give "
            "the target's threshold (decisions are score >= threshold)."
        )
    top_k = body.get("top_k")
    if top_k is not None and (
        kind != "scores" or isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1
    ):
        raise ValidationError(
            f"spec: top_k={top_k!r}; the audited top is a whole number of at least 1, for a "
            "scores (ranking) model only."
        )
    out["kind"] = kind
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


class _Steps:
    """Timing per step, with a rich progress bar when asked."""

    def __init__(self, show: bool) -> None:
        self.timings: dict[str, float] = {}
        self.progress = None
        if show:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=False
            )

    def __enter__(self) -> _Steps:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    @contextmanager
    def step(self, name: str, total: float | None = 1):
        task = self.progress.add_task(name, total=total) if self.progress is not None else None

        def advance(amount: float = 1) -> None:
            if task is not None:
                self.progress.advance(task, amount)

        start = time.perf_counter()
        yield advance
        self.timings[name] = round(time.perf_counter() - start, 4)
        if task is not None:
            self.progress.update(task, completed=total or 1, total=total or 1)


def run_audit(
    model: Any,
    data: str | Path | pd.DataFrame,
    filing_or_spec: Any,
    policy: Any = None,
    *,
    seed: int = 0,
    out_dir: str | Path | None = None,
    lang: str = "en",
    allow_pickle: bool = False,
    sample_size: int = 20_000,
    explain_size: int = 500,
    progress: bool = False,
    engine: str = "auto",
    previous: AuditResult | None = None,
) -> AuditResult:
    """Run a full audit and, with ``out_dir``, write the result, the report and the notebook.

    Parameters
    ----------
    model : str, Path or estimator
        A model file (``.skops``, ``.onnx``, MLflow folder; pickle/joblib with ``allow_pickle``),
        loaded and scored in a sandbox worker process, or a trusted caller's in-memory
        estimator (saved with skops next to the report when ``out_dir`` is set).
    data : str, Path or pandas.DataFrame
        A Parquet or CSV file, or a frame (saved as Parquet when ``out_dir`` is set).
    filing_or_spec : AuditSpec, mapping or filing
        ``target``, ``sensitive`` and the filing summary (see :class:`AuditSpec`).
    policy : str, Path, mapping or Policy, optional
        The policy to apply (default: the default policy).
    seed : int, default 0
        Seed of every sample, bootstrap and explainer.
    out_dir : str or Path, optional
        Folder for ``audit.json``, ``report.html`` and ``audit.ipynb``.
    lang : {"en", "zh"}, default "en"
        Language of the report.
    allow_pickle : bool, default False
        Allow pickle/joblib model files (they run code on load).
    sample_size : int, default 20000
        Rows used by the detectors.
    explain_size : int, default 500
        Rows explained with SHAP.
    progress : bool, default False
        Show a progress bar per step.
    engine : {"auto", "memory", "duckdb", "spark"}, default "auto"
        Where the per-group counts are computed (:func:`fairgate.audit.core.engine.counts_from`):
        ``auto`` counts a frame or a small file in memory and a large Parquet file in DuckDB;
        ``duckdb`` or ``spark`` score a Parquet file in batches to a scored log and count that
        log with DuckDB or Spark (``spark`` uses the active Spark session, e.g. the one
        ``spark-submit`` set up).
    previous : AuditResult, optional
        The latest audit of the model's previous version: the report shows this version
        beside it.

    Returns
    -------
    AuditResult

    Raises
    ------
    MissingColumnError, ModelLoadError, UnsafeModelError, PolicyError, ValidationError
    """
    spec = AuditSpec.coerce(filing_or_spec)
    if lang not in ("en", "zh"):
        raise ValidationError(f"lang={lang!r}: use 'en' (English) or 'zh' (简体中文).")
    final = None if out_dir is None else Path(out_dir).expanduser().resolve()
    tmp = None
    if final is not None:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".fairgate-audit-", dir=final.parent))
    loaded = None
    try:
        with _Steps(progress) as timer:
            model_path, data_path = scoring.materialize(model, data, tmp, final)
            with timer.step("load model"):
                loaded, model_info = scoring.load(model, model_path, allow_pickle)
            with timer.step("hash data"):
                data_info = scoring.describe_data(data, data_path)
            pol = steps.resolve_policy(policy)
            scored = scoring.score(
                loaded, data, data_path, spec, timer, sample_size, seed, tmp, engine=engine
            )
            with timer.step("group metrics and intervals"):
                reports = steps.reports(scored, pol, seed)
            with timer.step("detectors", total=3):
                detections = steps.detect(loaded, scored, spec, pol, seed)
            with timer.step("explainability (SHAP)"):
                proxies = steps.proxy_features(detections, pol)
                explanation = steps.explain(loaded, scored, spec, seed, explain_size, proxies)
            with timer.step("policy"):
                verdict = steps.judge(pol, reports, scored, detections, explanation, spec)
            with timer.step("oversight"):
                routed = oversight_counts(loaded, scored, spec, pol, seed)
            result = AuditResult(
                schema_version=SCHEMA_VERSION,
                created_at=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
                seed=seed,
                versions=library_versions(),
                filing=spec.to_dict(),
                model=model_info,
                data=data_info,
                policy=pol.to_dict(),
                reports={" x ".join(k): v.to_dict() for k, v in reports.items()},
                detectors=detections.to_dict(),
                explanation=steps.explanation_dict(explanation),
                verdict=verdict.to_dict(),
                parameters={"sample_size": sample_size, "explain_size": explain_size},
                kinds=scored.detail,
                oversight=routed,
            )
            if tmp is not None and final is not None:
                with timer.step("report and notebook"):
                    steps.write_outputs(result, tmp, final, model_path, data_path, lang, previous)
            result.timings = dict(timer.timings)
        if tmp is not None and final is not None:
            result.write(tmp / "audit.json")
            _move_into_place(tmp, final)
            tmp = None
        return result
    finally:
        if loaded is not None and loaded is not model:
            loaded.close()  # the sandbox worker of a vendor's file
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _move_into_place(tmp: Path, final: Path) -> None:
    """Move every file of ``tmp`` into ``final`` (created if missing), then drop ``tmp``."""
    import os

    if not final.exists():
        os.replace(tmp, final)
        return
    for item in tmp.iterdir():
        target = final / item.name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)
    shutil.rmtree(tmp, ignore_errors=True)
