"""Regression metrics as pure functions of per-group sums, named as in scikit-learn.

Every function takes statistics of shape ``(..., 9)`` in the order of
:data:`~fairgate.audit.core.regression.STATS` and returns a float array of the leading shape.
The error is ``y_pred - y_true``: a positive mean error means the model over-predicts the group.
A metric of an empty group is ``NaN``; :func:`regression_estimate` says why, and gives each
metric's interval and test (Student-t and Welch on the moments).
"""

from __future__ import annotations

import numpy as np

from fairgate.audit.core.estimates import Derived, Estimate, Mean, safe_divide
from fairgate.audit.core.vocabulary import kind_metric_names
from fairgate.errors import ValidationError

__all__ = [
    "DEFAULT_REGRESSION_METRICS",
    "REGRESSION_METRICS",
    "mean_absolute_error",
    "mean_error",
    "mean_outcome",
    "mean_prediction",
    "mean_squared_error",
    "r2_score",
    "regression_estimate",
    "root_mean_squared_error",
]

_N, _SY, _SY2, _SP, _SP2, _SE, _SAE, _SSE, _SE4 = range(9)
_EMPTY = "empty group (no rows)"

REGRESSION_METRICS: tuple[str, ...] = kind_metric_names("regression")
"""Every regression metric by its canonical name (the vocabulary's, ``count`` first)."""

DEFAULT_REGRESSION_METRICS: tuple[str, ...] = REGRESSION_METRICS
"""Metrics a regression group report shows unless told otherwise."""


def _s(stats: np.ndarray, i: int) -> np.ndarray:
    return np.asarray(stats, dtype=np.float64)[..., i]


def mean_outcome(stats: np.ndarray) -> np.ndarray:
    """Mean of the true outcome per group."""
    return safe_divide(_s(stats, _SY), _s(stats, _N))


def mean_prediction(stats: np.ndarray) -> np.ndarray:
    """Mean prediction per group."""
    return safe_divide(_s(stats, _SP), _s(stats, _N))


def mean_error(stats: np.ndarray) -> np.ndarray:
    """Mean signed error ``y_pred - y_true`` per group (positive: over-prediction)."""
    return safe_divide(_s(stats, _SE), _s(stats, _N))


def mean_absolute_error(stats: np.ndarray) -> np.ndarray:
    """scikit-learn's ``mean_absolute_error`` per group."""
    return safe_divide(_s(stats, _SAE), _s(stats, _N))


def mean_squared_error(stats: np.ndarray) -> np.ndarray:
    """scikit-learn's ``mean_squared_error`` per group."""
    return safe_divide(_s(stats, _SSE), _s(stats, _N))


def root_mean_squared_error(stats: np.ndarray) -> np.ndarray:
    """scikit-learn's ``root_mean_squared_error`` per group."""
    return np.sqrt(mean_squared_error(stats))


def _total_sum_of_squares(stats: np.ndarray) -> np.ndarray:
    n, sy = _s(stats, _N), _s(stats, _SY)
    with np.errstate(divide="ignore", invalid="ignore"):
        sst = _s(stats, _SY2) - np.where(n > 0, sy * sy / n, 0.0)
    # rounding of the sums leaves a constant outcome a residue of a few ulps of sum y^2
    return np.where(sst > 1e-12 * _s(stats, _SY2), sst, 0.0)


def r2_score(stats: np.ndarray) -> np.ndarray:
    """scikit-learn's ``r2_score`` per group (``force_finite=False``).

    NaN below two rows and where the outcome is constant in the group (R² undefined).
    """
    sst = _total_sum_of_squares(stats)
    defined = (_s(stats, _N) >= 2) & (sst > 0)
    return np.where(defined, 1.0 - safe_divide(_s(stats, _SSE), np.where(defined, sst, 0)), np.nan)


def _r2_reasons(stats: np.ndarray) -> np.ndarray:
    n = _s(stats, _N)
    sst = _total_sum_of_squares(stats)
    return np.select(
        [n == 0, n < 2, sst <= 0],
        [_EMPTY, "fewer than two rows in the group", "the outcome is constant in the group"],
        "",
    ).astype(object)


def regression_estimate(name: str, stats: np.ndarray) -> Estimate:
    """The estimate (values, reasons, interval and test) of a regression metric.

    Parameters
    ----------
    name : str
        Canonical name (see :func:`.vocabulary.resolve_metric_name`), other than ``count``.
    stats : numpy.ndarray
        Shape ``(groups, 9)``.

    Returns
    -------
    Mean or Derived
    """
    n = _s(stats, _N)

    def mean(total: int, total_sq: int, transform=None) -> Mean:
        return Mean(n, _s(stats, total), _s(stats, total_sq), _EMPTY, transform)

    if name == "mean_outcome":
        return mean(_SY, _SY2)
    if name == "mean_prediction":
        return mean(_SP, _SP2)
    if name == "mean_error":
        return mean(_SE, _SSE)
    if name == "mean_absolute_error":
        return mean(_SAE, _SSE)
    if name == "mean_squared_error":
        return mean(_SSE, _SE4)
    if name == "root_mean_squared_error":
        return mean(_SSE, _SE4, np.sqrt)
    if name == "r2_score":
        return Derived(r2_score(stats), _r2_reasons(stats))
    raise ValidationError(f"metric {name!r} has no regression estimate.")
