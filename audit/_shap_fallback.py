"""A small, deterministic permutation-sampling SHAP estimate (private fallback).

Used by the runner only while :mod:`fairgate.audit.explain` is not installed. For a few
permutations of the features (each with its reverse, antithetic sampling) and a small background
sample, every coalition is scored in one batched ``predict_proba`` call; a feature's SHAP value is
its mean marginal contribution. Exact in expectation (interventional Shapley values), bounded in
cost: ``rows x background x (features + 1) x permutations`` model evaluations in a few calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["permutation_shap"]


def _score(model: Any, frame: pd.DataFrame) -> np.ndarray:
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(frame), dtype=float)
        return proba[:, -1] if proba.ndim == 2 else proba
    return np.asarray(model.predict(frame), dtype=float).ravel()


def permutation_shap(
    model: Any,
    X: pd.DataFrame,
    sensitive: pd.DataFrame,
    *,
    seed: int = 0,
    background_size: int = 20,
    permutations: int = 2,
) -> dict[str, Any]:
    """SHAP values of ``X`` (rows x features) and their global and per-group summaries.

    Parameters
    ----------
    model : object
        Has ``predict_proba`` (or ``predict``) on a frame like ``X``.
    X : pandas.DataFrame
        The rows to explain.
    sensitive : pandas.DataFrame
        Sensitive columns aligned with ``X``, for the per-group importance.
    seed : int, default 0
        Seed of the background sample and the permutations.
    background_size : int, default 20
        Background rows (drawn from ``X``).
    permutations : int, default 2
        Random feature orders; each is used with its reverse.

    Returns
    -------
    dict
        ``method``, ``n_explained``, ``base_value``, ``global_importance``
        (feature -> mean absolute SHAP value) and ``group_importance``
        (attribute -> group -> feature -> mean absolute SHAP value).
    """
    rng = np.random.default_rng(seed)
    X = X.reset_index(drop=True)
    n, m = X.shape
    bg = X.iloc[np.sort(rng.choice(n, size=min(background_size, n), replace=False))]
    nb = len(bg)
    orders = []
    for _ in range(permutations):
        perm = rng.permutation(m)
        orders.extend([perm, perm[::-1]])
    phi = np.zeros((n, m))
    # index arrays shared by every permutation: (row, background, step)
    r_idx = np.repeat(np.arange(n), nb * (m + 1))
    b_idx = np.tile(np.repeat(np.arange(nb), m + 1), n)
    k_idx = np.tile(np.arange(m + 1), n * nb)
    base = None
    for order in orders:
        rank = np.empty(m, dtype=int)
        rank[order] = np.arange(m)
        cols = {}
        for j, col in enumerate(X.columns):
            take_x = rank[j] < k_idx  # feature j is in the coalition after step rank[j]
            xv, bv = X[col].to_numpy(), bg[col].to_numpy()
            cols[col] = np.where(take_x, xv[r_idx], bv[b_idx])
        frame = pd.DataFrame(cols).astype(X.dtypes.to_dict())
        f = _score(model, frame).reshape(n, nb, m + 1).mean(axis=1)
        base = float(f[:, 0].mean())
        contrib = np.diff(f, axis=1)  # contribution of order[k] at step k
        phi[:, order] += contrib
    phi /= len(orders)
    glob = np.abs(phi).mean(axis=0)
    groups: dict[str, dict[str, dict[str, float]]] = {}
    sens = sensitive.reset_index(drop=True)
    for attr in sens.columns:
        table = {}
        for level in sorted(sens[attr].dropna().unique().tolist(), key=str):
            rows = (sens[attr] == level).to_numpy()
            table[str(level)] = {
                str(c): float(v)
                for c, v in zip(X.columns, np.abs(phi[rows]).mean(axis=0), strict=True)
            }
        groups[str(attr)] = table
    return {
        "method": "permutation SHAP (fairgate fallback)",
        "n_explained": int(n),
        "base_value": base,
        "global_importance": {str(c): float(v) for c, v in zip(X.columns, glob, strict=True)},
        "group_importance": groups,
    }
