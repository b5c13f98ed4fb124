"""What each kind's report section shows beyond the group tables, from the kind's counts.

- **regression**: each group's error histogram (the fixed bins of the counts);
- **multiclass**: each group's confusion matrix;
- **scores**: per group the ROC AUC (from score histograms), the calibration (expected
  calibration error and a 10-bin reliability curve, for probabilities only: raw scores have no
  calibration), a threshold sweep of the selection, true and false positive rates, and the
  ranking audit at the top k (share of the top k against the share of the pool, exposure).

Everything is keyed by single sensitive attribute and JSON-ready (it is stored in the audit
result). The scores' figures come from the score statistics
(:mod:`~fairgate.audit.core.score_statistics`) counted over every row by the engine that counts
the log (in memory, DuckDB or Spark): counts first, one function from counts to detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.core.multiclass import MulticlassCounts
from fairgate.audit.core.ranking import ranking_table
from fairgate.audit.core.regression import RegressionCounts
from fairgate.audit.core.score_metrics import (
    ScoreCounts,
    expected_calibration_error,
    roc_auc_by_group,
)
from fairgate.audit.core.score_statistics import ScoreStatistics

__all__ = ["SWEEP_POINTS", "counts_detail", "score_detail"]

SWEEP_POINTS = 41
"""Thresholds of the sweep, evenly over the scores' range."""


def _label(key: Sequence[Any]) -> str:
    return " & ".join(str(v) for v in key)


def _num(value: Any) -> float | None:
    value = float(value)
    return None if not np.isfinite(value) else value


def counts_detail(counts: Any) -> dict[str, Any]:
    """Error histograms (regression) or confusion matrices (multiclass) per single attribute.

    Parameters
    ----------
    counts : GroupedCounts
        The audit's counts over all rows.

    Returns
    -------
    dict
        Empty for other kinds.
    """
    out: dict[str, Any] = {}
    if isinstance(counts, RegressionCounts):
        for attr in counts.attributes:
            m = counts.marginal(attr)
            hist = m.hist.reshape(-1, m.hist.shape[-1])
            out[attr] = {
                "edges": list(m.edges),
                "groups": [
                    {"group": _label(k), "hist": [int(v) for v in h]}
                    for k, h in zip(m.keys(), hist, strict=True)
                    if h.sum() > 0
                ],
            }
        return {"kind": "regression", "by_attribute": out}
    if isinstance(counts, MulticlassCounts):
        k = len(counts.classes)
        for attr in counts.attributes:
            m = counts.marginal(attr)
            cells = m.cells.reshape(-1, k, k)
            out[attr] = {
                "classes": [str(c) for c in counts.classes],
                "groups": [
                    {"group": _label(key), "matrix": c.astype(int).tolist()}
                    for key, c in zip(m.keys(), cells, strict=True)
                    if c.sum() > 0
                ],
            }
        return {"kind": "multiclass", "by_attribute": out}
    return {}


def _sweep(hist: np.ndarray) -> dict[str, list[list[float | None]]]:
    """Selection, true and false positive rates per group at the sweep's thresholds."""
    bins = hist.shape[1]
    step = bins // (SWEEP_POINTS - 1)
    # rows at or above bin b: reverse cumulative sum over bins
    above = np.flip(np.cumsum(np.flip(hist, axis=1), axis=1), axis=1)  # (G, bins, 2)
    idx = np.minimum(np.arange(SWEEP_POINTS) * step, bins - 1)
    at = above[:, idx, :].astype(np.float64)  # (G, points, 2)
    at[:, -1, :] = hist[:, -1:, :].sum(axis=1)  # the top edge: the last bin only
    neg, pos = hist[..., 0].sum(axis=1), hist[..., 1].sum(axis=1)
    total = neg + pos
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = {
            "selection_rate": (at[..., 0] + at[..., 1]) / total[:, None],
            "true_positive_rate": at[..., 1] / pos[:, None],
            "false_positive_rate": at[..., 0] / neg[:, None],
        }
    return {name: [[_num(v) for v in row] for row in r] for name, r in rates.items()}


def score_detail(stats: ScoreStatistics, *, threshold: float) -> dict[str, Any]:
    """AUC, calibration, threshold sweep and the top-k ranking audit per single attribute.

    Parameters
    ----------
    stats : ScoreStatistics
        The score histograms and ranking counts over all rows (from any engine; see
        :func:`fairgate.audit.core.engine.score_statistics_from`).
    threshold : float
        The filing's decision threshold (decide ``score >= threshold``).

    Returns
    -------
    dict
    """
    sc, scale = stats.scores, stats.scale
    out: dict[str, Any] = {
        "kind": "scores",
        "raw": scale.raw,
        "threshold": float(threshold),
        "rows": stats.rows,
        "k": stats.ranking.k,
        "thresholds": scale.thresholds(SWEEP_POINTS),
        "by_attribute": {},
    }
    for attr in sc.attributes:
        m = sc.marginal(attr)
        hist = m.hist.reshape(-1, m.bins, 2)
        keep = hist.sum(axis=(1, 2)) > 0
        labels = [_label(key) for key, kept in zip(m.keys(), keep, strict=True) if kept]
        auc, bound = roc_auc_by_group(m)
        entry: dict[str, Any] = {
            "groups": labels,
            "auc": [_num(v) for v in auc[keep]],
            "auc_bound": [_num(v) for v in bound[keep]],
            "sweep": _sweep(hist[keep]),
        }
        if not scale.raw:
            entry.update(_calibration(m, keep))
        table = ranking_table(stats.ranking.marginal(attr))
        table = table[table["count"] > 0]
        entry["ranking"] = [
            {"group": _label(key if isinstance(key, tuple) else (key,)), **_row(row)}
            for key, row in table.iterrows()
        ]
        out["by_attribute"][attr] = entry
    return out


def _calibration(m: ScoreCounts, keep: np.ndarray) -> dict[str, Any]:
    """Expected calibration error and the 10-bin reliability curve of the kept groups."""
    bins = m.bins
    ece = expected_calibration_error(m, n_bins=10)
    coarse = m.hist.reshape(-1, bins, 2)[keep].reshape(-1, 10, bins // 10, 2).sum(axis=2)
    sums = m.score_sum.reshape(-1, bins)[keep].reshape(-1, 10, bins // 10).sum(axis=2)
    n_bin = coarse.sum(axis=2).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_score, observed = sums / n_bin, coarse[..., 1] / n_bin
    return {
        "ece": [_num(v) for v in ece[keep]],
        "reliability": {
            "mean_score": [[_num(v) for v in row] for row in mean_score],
            "observed": [[_num(v) for v in row] for row in observed],
            "n": n_bin.astype(int).tolist(),
        },
    }


def _row(row: pd.Series) -> dict[str, Any]:
    return {
        str(name): (int(v) if name in ("count", "top_k") else _num(v)) for name, v in row.items()
    }
