"""Scoring a model over data: in memory, or in bounded-memory batches for large Parquet files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.errors import MissingColumnError, ModelLoadError, ValidationError

__all__ = ["PRED_COLUMN", "check_columns", "predict", "score_parquet_in_batches"]

PRED_COLUMN = "__fairgate_prediction__"
"""Name of the prediction column in the temporary scored file."""


def predict(model: Any, X: pd.DataFrame) -> np.ndarray:
    """The model's decisions for ``X`` as a one-dimensional array.

    Raises
    ------
    ModelLoadError
        If the model cannot score the data (wrong features, wrong types).
    """
    try:
        out = model.predict(X)
    except Exception as exc:
        raise ModelLoadError(
            f"model: could not score the data ({type(exc).__name__}: {str(exc)[:200]}); check "
            f"that the data has the columns the model was trained on (given: {list(X.columns)}).",
            details={"columns": list(map(str, X.columns))},
        ) from exc
    if isinstance(out, pd.DataFrame):
        out = out.iloc[:, 0]
    arr = np.asarray(out)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or len(arr) != len(X):
        raise ModelLoadError(
            f"model: predict returned shape {arr.shape} for {len(X)} rows; expected one "
            "decision per row."
        )
    return arr


def check_columns(columns: Sequence[str], needed: dict[str, Sequence[str]]) -> None:
    """Raise :class:`MissingColumnError` naming every argument whose columns are absent."""
    have = set(columns)
    for arg, cols in needed.items():
        missing = [c for c in cols if c not in have]
        if missing:
            raise MissingColumnError(
                f"{arg}: column(s) {missing} not in the data (columns: {list(columns)[:20]}); "
                "check the spelling or the data file.",
                details={"argument": arg, "missing": missing},
            )


def score_parquet_in_batches(
    path: Path,
    model: Any,
    *,
    features: Sequence[str],
    keep: Sequence[str],
    out_path: Path,
    sample_size: int,
    seed: int,
    batch_size: int = 200_000,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, int]:
    """Score a Parquet file batch by batch, writing ``keep`` columns plus the predictions.

    Parameters
    ----------
    path : Path
        The Parquet input.
    model : object
        Has ``predict``.
    features : sequence of str
        Columns passed to the model.
    keep : sequence of str
        Columns copied to ``out_path`` next to the prediction (target and sensitive columns).
    out_path : Path
        Where the scored Parquet goes.
    sample_size : int
        Rows kept in memory (a seeded uniform sample) for the detectors and explainability.
    seed : int
        Seed of the sample.
    batch_size : int
        Rows per batch.
    on_batch : callable, optional
        Called with the number of rows after each batch (progress).

    Returns
    -------
    (pandas.DataFrame, int)
        The sample (all columns plus predictions) and the number of rows.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    n_rows = source.metadata.num_rows
    if n_rows == 0:
        raise ValidationError(f"data={str(path)!r}: the file has no rows.")
    rng = np.random.default_rng(seed)
    chosen = np.zeros(n_rows, dtype=bool)
    chosen[rng.choice(n_rows, size=min(sample_size, n_rows), replace=False)] = True
    wanted = list(dict.fromkeys([*features, *keep]))
    writer = None
    parts: list[pd.DataFrame] = []
    start = 0
    try:
        for batch in source.iter_batches(batch_size=batch_size, columns=wanted):
            frame = batch.to_pandas()
            pred = predict(model, frame[list(features)])
            out = pa.table({**{c: batch.column(c) for c in keep}, PRED_COLUMN: pred})
            if writer is None:
                writer = pq.ParquetWriter(out_path, out.schema)
            writer.write_table(out)
            mask = chosen[start : start + len(frame)]
            if mask.any():
                parts.append(frame[mask].assign(**{PRED_COLUMN: pred[mask]}))
            start += len(frame)
            if on_batch is not None:
                on_batch(len(frame))
    finally:
        if writer is not None:
            writer.close()
    return pd.concat(parts, ignore_index=True), n_rows
