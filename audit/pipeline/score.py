"""Audit steps that read the inputs: materialise, load and hash the model and data, score, count."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.pipeline.model_io import sha256_path
from fairgate.audit.pipeline.predict import (
    PRED_COLUMN,
    check_columns,
    predict,
    score_parquet_in_batches,
)
from fairgate.errors import ModelLoadError, ValidationError

__all__ = [
    "LARGE_ROWS",
    "Scored",
    "describe_data",
    "kind_arguments",
    "kind_detail",
    "load",
    "materialize",
    "score",
]

LARGE_ROWS = 500_000
"""Parquet inputs with more rows are scored in batches and counted by DuckDB."""


@dataclass
class Scored:
    """The scored data: counts over all rows, and a bounded in-memory sample."""

    counts: Any
    sample: pd.DataFrame
    n_rows: int
    detail: dict[str, Any] = field(default_factory=dict)


def materialize(model: Any, data: Any, tmp: Path | None, final: Path | None) -> tuple[Any, Any]:
    """Save an in-memory model/frame into the output folder so the notebook can reload them."""
    model_path = None if not isinstance(model, (str, Path)) else Path(model).resolve()
    data_path = None if not isinstance(data, (str, Path)) else Path(data).resolve()
    if tmp is not None:
        if model_path is None:
            import skops.io as sio

            sio.dump(model, tmp / "model.skops")
            model_path = tmp / "model.skops"
        if data_path is None:
            data.to_parquet(tmp / "data.parquet", index=False)
            data_path = tmp / "data.parquet"
    return model_path, data_path


def load(model: Any, model_path: Path | None, allow_pickle: bool) -> tuple[Any, dict[str, Any]]:
    """Load the model; describe it with its SHA-256."""
    if model_path is None:
        import pickle

        try:
            import skops.io as sio

            raw = sio.dumps(model)
        except Exception:
            raw = pickle.dumps(model)
        return model, {"file": None, "kind": "in-memory", "sha256": hashlib.sha256(raw).hexdigest()}
    from fairgate.audit.pipeline.model_io import detect_kind

    if isinstance(model, (str, Path)):  # a vendor's file: load and score it in the sandbox
        from fairgate.audit.pipeline.sandbox import SandboxedModel

        loaded = SandboxedModel(model_path, allow_pickle=allow_pickle)
    else:  # a trusted caller's own estimator, saved next to the report for the notebook
        loaded = model
    if not hasattr(loaded, "predict"):
        raise ModelLoadError(
            f"model={str(model_path)!r}: the loaded object has no predict method; save a fitted "
            "classifier."
        )
    info = {"file": model_path.name, "path": str(model_path), "kind": detect_kind(model_path)}
    info["sha256"] = sha256_path(model_path)
    return loaded, info


def describe_data(data: Any, data_path: Path | None) -> dict[str, Any]:
    """File name, SHA-256, rows and columns of the data."""
    if data_path is None:
        digest = hashlib.sha256(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
        return {
            "file": None,
            "sha256": digest.hexdigest(),
            "rows": len(data),
            "columns": [str(c) for c in data.columns],
        }
    if not data_path.exists():
        raise ValidationError(f"data={str(data_path)!r}: no such file; check the path.")
    if data_path.suffix.lower() not in (".parquet", ".csv"):
        raise ValidationError(
            f"data={str(data_path)!r}: unsupported format {data_path.suffix!r}; pass a .parquet "
            "or .csv file."
        )
    info: dict[str, Any] = {
        "file": data_path.name,
        "path": str(data_path),
        "sha256": sha256_path(data_path),
    }
    if data_path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(data_path)
        except Exception as exc:
            raise ValidationError(
                f"data={str(data_path)!r}: not a readable Parquet file ({exc}); check the file."
            ) from exc
        info["rows"] = meta.metadata.num_rows
        info["columns"] = list(meta.schema_arrow.names)
    return info


def _read(data: Any, data_path: Path | None) -> pd.DataFrame:
    if data_path is None:
        return data.reset_index(drop=True)
    try:
        if data_path.suffix.lower() == ".csv":
            return pd.read_csv(data_path)
        return pd.read_parquet(data_path)
    except Exception as exc:
        raise ValidationError(
            f"data={str(data_path)!r}: could not be read ({type(exc).__name__}: {exc}); check "
            "the file."
        ) from exc


def score(
    model, data, data_path, spec, timer, sample_size: int, seed: int, tmp, engine: str = "auto"
) -> Scored:
    """Score every row and count; keep a bounded sample for detectors and explanations.

    ``engine`` (see :func:`fairgate.audit.core.engine.counts_from`) names where the counts of a
    scored Parquet log are computed; ``duckdb`` and ``spark`` need a Parquet file.
    """
    from fairgate.audit.core.counts import group_counts
    from fairgate.audit.core.engine import ENGINES, counts_from

    if engine not in ENGINES:
        raise ValidationError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}.")
    parquet = data_path is not None and data_path.suffix.lower() == ".parquet"
    if engine in ("duckdb", "spark") and not parquet:
        raise ValidationError(
            f"engine={engine!r} counts a Parquet decision log; pass the data as a .parquet file "
            "(or use engine='auto')."
        )
    large = engine in ("duckdb", "spark") or (
        engine == "auto" and parquet and _parquet_rows(data_path) > LARGE_ROWS
    )
    if large:
        import pyarrow.parquet as pq

        columns = pq.ParquetFile(data_path).schema_arrow.names
        features = list(spec.features or [c for c in columns if c != spec.target])
        check_columns(
            columns,
            {"target": [spec.target], "sensitive": list(spec.sensitive), "features": features},
        )
        total = _parquet_rows(data_path)
        scratch = tmp if tmp is not None else Path(data_path).parent
        # Spark skips files whose names start with "." or "_": the Spark log gets a plain name
        out = Path(scratch) / (
            f"fairgate-scored-{uuid.uuid4().hex}.parquet"
            if engine == "spark"
            else ".scored.parquet"
        )
        try:
            with timer.step("score (batches)", total=total) as advance:
                sample, n = score_parquet_in_batches(
                    data_path,
                    model,
                    features=features,
                    keep=[spec.target, *spec.sensitive],
                    out_path=out,
                    sample_size=sample_size,
                    seed=seed,
                    on_batch=advance,
                )
            chosen = "duckdb" if engine == "auto" else engine
            with timer.step(f"counts ({'Spark' if chosen == 'spark' else 'DuckDB'})"):
                counts = counts_from(
                    out,
                    y_true=spec.target,
                    y_pred=PRED_COLUMN,
                    sensitive=list(spec.sensitive),
                    engine=chosen,
                    **kind_arguments(spec),
                )
                detail = kind_detail(spec, counts, out, chosen)
        finally:
            out.unlink(missing_ok=True)
        return Scored(counts, sample, n, detail)
    with timer.step("read data"):
        frame = _read(data, data_path)
        features = list(spec.features or [c for c in frame.columns if c != spec.target])
        check_columns(
            list(map(str, frame.columns)),
            {"target": [spec.target], "sensitive": list(spec.sensitive), "features": features},
        )
    with timer.step("score"):
        pred = predict(model, frame[features])
    with timer.step("counts"):
        counts = group_counts(
            frame[spec.target], pred, frame[list(spec.sensitive)], **kind_arguments(spec)
        )
        # only the scores kind reads the rows again; the other kinds' detail comes from the counts
        scored = (
            frame[list(dict.fromkeys([spec.target, *spec.sensitive]))].assign(**{PRED_COLUMN: pred})
            if spec.kind == "scores"
            else None
        )
        detail = kind_detail(spec, counts, scored, "memory")
    n = len(frame)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=min(sample_size, n), replace=False))
    sample = frame.iloc[rows].reset_index(drop=True).assign(**{PRED_COLUMN: pred[rows]})
    return Scored(counts, sample, n, detail)


def kind_detail(spec: Any, counts: Any, scored: Any, engine: str) -> dict[str, Any]:
    """The kind's report detail (see :mod:`.kind_detail`) from counts over all scored rows.

    Parameters
    ----------
    spec : AuditSpec
        The audit's spec (kind, target, sensitive columns, threshold).
    counts : GroupedCounts
        The kind's counts over all rows.
    scored : pandas.DataFrame, Path or None
        The scored rows (outcome, sensitive columns and :data:`PRED_COLUMN`): a frame, or the
        scored Parquet log the engine reads; only the scores kind reads them (None otherwise).
    engine : {"memory", "duckdb", "spark"}
        Where the scores kind's statistics are computed.

    Returns
    -------
    dict
    """
    from fairgate.audit.core.engine import score_statistics_from
    from fairgate.audit.pipeline.kind_detail import counts_detail, score_detail

    if spec.kind != "scores":
        return counts_detail(counts)
    stats = score_statistics_from(
        scored,
        y_true=spec.target,
        y_score=PRED_COLUMN,
        sensitive=list(spec.sensitive),
        threshold=float(spec.threshold),
        engine=engine,
        pos_label=spec.pos_label,
        top_k=spec.top_k,
    )
    return score_detail(stats, threshold=float(spec.threshold))


def kind_arguments(spec: Any) -> dict[str, Any]:
    """The ``group_counts`` / ``counts_from_file`` arguments of the spec's kind."""
    kind = getattr(spec, "kind", "binary")
    if kind == "regression":
        return {"kind": kind}
    if kind == "multiclass":
        return {"kind": kind, "classes": spec.classes, "favourable": spec.favourable}
    out: dict[str, Any] = {"kind": kind, "pos_label": spec.pos_label}
    if kind == "scores":
        out["threshold"] = spec.threshold
    return out


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:
        raise ValidationError(
            f"data={str(path)!r}: not a readable Parquet file ({exc}); check the file."
        ) from exc
