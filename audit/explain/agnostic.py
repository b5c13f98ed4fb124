"""The model-agnostic explainer: shap's PermutationExplainer on the original columns, batched."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PERMUTATIONS", "Codec", "Output", "permutation_values", "shap_module"]

Output = Callable[[pd.DataFrame], np.ndarray]
"""The function explained: a frame of the model's inputs -> one number per row."""

PERMUTATIONS = 1
"""Antithetic permutation passes per row on the model-agnostic path: one pass (forward and
reverse, 2 model calls per row) is exact for models whose inputs interact at most in pairs, and
each row draws its own order, so importances averaged over the sample stay stable."""
_RECORD_BYTES = 64 * 2**20
"""Model inputs recorded per chunk of explained rows on the model-agnostic path."""
_CALL_ROWS = 100_000
"""Rows per model call when the recorded inputs are scored."""


def shap_module() -> Any:
    """Import shap without the deprecation noise of its plotting modules."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import shap
    return shap


class Codec:
    """Columns as float codes for shap, and back to a DataFrame with the original dtypes."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = list(frame.columns)
        self.dtypes = frame.dtypes.to_dict()
        self.levels: dict[Any, Any] = {}
        for c in self.columns:
            col = frame[c]
            if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
                self.levels[c] = pd.factorize(col)[1]

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Float codes of ``frame`` (a category's index, -1 for missing)."""
        out = np.empty(frame.shape, dtype=np.float64)
        for j, c in enumerate(self.columns):
            col = frame[c]
            if c in self.levels:
                out[:, j] = self.levels[c].get_indexer(col)
                missing = col.isna().to_numpy()
                out[missing, j] = -1
            else:
                out[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        """A frame with the original columns and dtypes from float codes."""
        cols = {}
        for j, c in enumerate(self.columns):
            if c in self.levels:
                taken = self.levels[c].take(codes[:, j].astype(np.int64), allow_fill=True)
                cols[c] = pd.Series(taken, copy=False).astype(self.dtypes[c])
            else:
                cols[c] = pd.Series(codes[:, j], copy=False).astype(self.dtypes[c])
        return pd.DataFrame(cols)


class _ReplayError(Exception):
    """shap asked for other inputs on the replay than on the recording (never expected)."""


class _Batched:
    """The model as shap calls it, evaluated in large batches over many explained rows.

    shap's explainers call the model once per explained row (and permutation pass), and a
    pipeline's fixed cost per call (about 10 ms) would dominate. Which inputs shap asks for
    depends only on the data and the random orders, never on the outputs, so each chunk of rows
    is run twice from the same random state: the first pass records the inputs and answers
    zeros, the recorded inputs are scored in a few large calls, and the second pass gets the
    real outputs in order (the inputs are compared; any difference raises :class:`_ReplayError`).
    The values are exactly those of an unbatched run.
    """

    def __init__(self, fn: Output, codec: Codec) -> None:
        self.fn, self.codec = fn, codec
        self.recorded: list[np.ndarray] = []
        self.outputs: list[np.ndarray] | None = None

    def __call__(self, z: np.ndarray) -> np.ndarray:
        if self.outputs is None:
            self.recorded.append(np.array(z, copy=True))
            return np.zeros(len(z))
        if not self.recorded:
            raise _ReplayError
        expected = self.recorded.pop(0)
        if expected.shape != z.shape or not np.array_equal(expected, z, equal_nan=True):
            raise _ReplayError
        return self.outputs.pop(0)

    def score(self) -> None:
        """Evaluate the recorded inputs in calls of at most ``_CALL_ROWS`` rows."""
        sizes = [len(z) for z in self.recorded]
        joined = np.concatenate(self.recorded) if self.recorded else np.empty((0, 0))
        parts = [
            self.fn(self.codec.decode(joined[i : i + _CALL_ROWS]))
            for i in range(0, len(joined), _CALL_ROWS)
        ]
        out = np.concatenate(parts) if parts else np.empty(0)
        self.outputs = list(np.split(out, np.cumsum(sizes)[:-1]))


def permutation_values(
    fn: Output, sample: pd.DataFrame, bg: pd.DataFrame, seed: int
) -> tuple[np.ndarray, float]:
    """``shap.PermutationExplainer`` on the original columns; exactly additive per row."""
    shap = shap_module()
    codec = Codec(pd.concat([sample, bg], ignore_index=True))
    data, background = codec.encode(sample), codec.encode(bg)
    n, m = data.shape
    evals = PERMUTATIONS * (2 * m + 1)
    per_row = (evals + 1) * len(background) * m * 8  # bytes of recorded inputs per row
    chunk = int(max(1, min(n, _RECORD_BYTES // per_row)))
    model = _Batched(fn, codec)
    state = np.random.get_state()  # shap seeds numpy's global generator: restore it after
    try:
        masker = shap.maskers.Independent(background, max_samples=len(background))
        explainer = shap.PermutationExplainer(model, masker, seed=seed)
        values, bases = [], []
        try:
            for start in range(0, n, chunk):
                rows = data[start : start + chunk]
                before = np.random.get_state()
                model.recorded, model.outputs = [], None
                explainer(rows, max_evals=evals, batch_size=10**9, silent=True)
                model.score()
                np.random.set_state(before)
                out = explainer(rows, max_evals=evals, batch_size=10**9, silent=True)
                values.append(out.values)
                bases.append(out.base_values)
        except _ReplayError:  # pragma: no cover - a future shap whose calls depend on outputs
            np.random.seed(seed)
            direct = shap.PermutationExplainer(lambda z: fn(codec.decode(z)), masker, seed=seed)
            out = direct(data, max_evals=evals, batch_size=10**9, silent=True)
            values, bases = [out.values], [out.base_values]
    finally:
        np.random.set_state(state)
    base = np.concatenate([np.ravel(b) for b in bases])
    return np.concatenate(values).astype(np.float64), float(base[0])
