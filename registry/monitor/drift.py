"""Drift rules of the breaker: the population stability index of a window's group composition."""

from __future__ import annotations

from typing import Any

import numpy as np

from fairgate.registry.monitor.evaluation import Evaluation, finite
from fairgate.registry.monitor.windows import Window

__all__ = ["evaluate_drift", "psi"]


def psi(expected: np.ndarray, actual: np.ndarray, eps: float = 1e-4) -> float:
    """Population stability index between two count (or share) vectors over the same levels.

    Parameters
    ----------
    expected, actual : numpy.ndarray
        Counts or shares per level; empty levels are smoothed with ``eps``.
    eps : float
        Floor of a share, so empty levels do not give infinite terms.

    Returns
    -------
    float
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    e = np.maximum(e / max(e.sum(), 1e-300), eps)
    a = np.maximum(a / max(a.sum(), 1e-300), eps)
    return float(np.sum((a - e) * np.log(a / e)))


def evaluate_drift(rule: Any, window: Window, baseline: np.ndarray | None) -> Evaluation:
    """Evaluate a drift rule: PSI of the window's composition against the baseline."""
    from scipy import stats

    current = window.counts.sum(axis=1).astype(np.float64)
    keys = window.key_list()
    base = {
        "rule": rule.id,
        "attribute": rule.attribute,
        "psi_threshold": float(rule.psi_threshold),
        "groups": [list(k) for k in keys],
        "current": current.astype(np.int64).tolist(),
        "window": {"kind": window.kind, "size": window.size, "observations": window.total},
        "batches": [window.first_batch, window.last_batch],
    }
    if baseline is None or window.total < window.size:
        return Evaluation(rule.id, "insufficient", evidence=base)
    ref = np.zeros_like(current)
    ref[: baseline.shape[0]] = baseline
    value = psi(ref, current)
    alpha = float(getattr(rule, "alpha", 0.01) or 0.01)
    expected = np.maximum(ref / ref.sum(), 1e-4)
    expected = expected / expected.sum() * current.sum()
    p = float(stats.chisquare(current, expected).pvalue) if len(current) > 1 else 1.0
    breach = value > rule.psi_threshold
    status = "trip" if breach and p < alpha else ("breach" if breach else "ok")
    base.update(baseline=ref.astype(np.int64).tolist(), psi=value, p_value=finite(p), alpha=alpha)
    return Evaluation(rule.id, status, value, finite(p), base)
