"""Fairness metrics as pure functions of per-group confusion counts.

Every function here takes an integer array whose last axis is ``(TP, FP, TN, FN)`` (see
:data:`~.counts.CELLS`) — one group, a vector of groups, or a stack of bootstrap draws
``(draws, groups, 4)`` — and returns a float array of the leading shape. A rate whose denominator
is zero (an empty group, a group with no actual positives, …) is ``NaN``; :func:`undefined_reason`
says why. Nothing here warns, does I/O, or depends on row-level data.

Names follow fairlearn where fairlearn has the metric (``selection_rate``,
``true_positive_rate``, …; the aggregates are in :mod:`~fairgate.audit.core.fairness`). One
deliberate difference: where fairlearn (through scikit-learn's ``zero_division``) returns ``0`` for
a rate with a zero denominator, fairgate returns ``NaN`` with a reason, and leaves such groups out
of differences and ratios, because a rate of 0 that was never measured misleads a committee.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from fairgate.audit.core.estimates import safe_divide
from fairgate.audit.core.vocabulary import resolve_rate
from fairgate.errors import ValidationError

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "RateMetric",
    "accuracy",
    "base_rate",
    "count",
    "difference",
    "false_discovery_rate",
    "false_negative_rate",
    "false_omission_rate",
    "false_positive_rate",
    "metric_values",
    "negative_predictive_value",
    "positive_predictive_value",
    "precision",
    "ratio",
    "resolve_metric",
    "selection_rate",
    "true_negative_rate",
    "true_positive_rate",
    "undefined_reason",
]

Method = Literal["between_groups", "to_overall"]
_TP, _FP, _TN, _FN = 0, 1, 2, 3


@dataclass(frozen=True)
class RateMetric:
    """A metric of the form numerator / denominator, both sums of confusion cells.

    Attributes
    ----------
    name : str
        fairlearn-style name.
    numerator, denominator : tuple of int
        Indices into ``(TP, FP, TN, FN)`` summed for each part.
    undefined : str
        Why the metric is undefined when the denominator is zero.
    """

    name: str
    numerator: tuple[int, ...]
    denominator: tuple[int, ...]
    undefined: str

    def parts(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Numerator and denominator counts for ``cells`` of shape ``(..., 4)``."""
        cells = np.asarray(cells)
        num = cells[..., list(self.numerator)].sum(axis=-1)
        den = cells[..., list(self.denominator)].sum(axis=-1)
        return num, den

    def __call__(self, cells: np.ndarray) -> np.ndarray:
        """The metric for ``cells`` of shape ``(..., 4)``; NaN where the denominator is zero."""
        num, den = self.parts(cells)
        return safe_divide(num, den)


_ALL = (_TP, _FP, _TN, _FN)
selection_rate = RateMetric("selection_rate", (_TP, _FP), _ALL, "empty group (no rows)")
true_positive_rate = RateMetric(
    "true_positive_rate", (_TP,), (_TP, _FN), "no actual positives in the group (TP+FN=0)"
)
false_positive_rate = RateMetric(
    "false_positive_rate", (_FP,), (_FP, _TN), "no actual negatives in the group (FP+TN=0)"
)
false_negative_rate = RateMetric(
    "false_negative_rate", (_FN,), (_TP, _FN), "no actual positives in the group (TP+FN=0)"
)
true_negative_rate = RateMetric(
    "true_negative_rate", (_TN,), (_FP, _TN), "no actual negatives in the group (FP+TN=0)"
)
positive_predictive_value = RateMetric(
    "precision", (_TP,), (_TP, _FP), "no positive decisions in the group (TP+FP=0)"
)
precision = positive_predictive_value
negative_predictive_value = RateMetric(
    "negative_predictive_value", (_TN,), (_TN, _FN), "no negative decisions in the group (TN+FN=0)"
)
false_discovery_rate = RateMetric(
    "false_discovery_rate", (_FP,), (_TP, _FP), "no positive decisions in the group (TP+FP=0)"
)
false_omission_rate = RateMetric(
    "false_omission_rate", (_FN,), (_TN, _FN), "no negative decisions in the group (TN+FN=0)"
)
accuracy = RateMetric("accuracy", (_TP, _TN), _ALL, "empty group (no rows)")
base_rate = RateMetric("base_rate", (_TP, _FN), _ALL, "empty group (no rows)")


def count(cells: np.ndarray) -> np.ndarray:
    """Number of rows in each group (always defined)."""
    return np.asarray(cells).sum(axis=-1).astype(np.float64)


METRICS: dict[str, RateMetric] = {
    m.name: m
    for m in (
        selection_rate,
        true_positive_rate,
        false_positive_rate,
        false_negative_rate,
        true_negative_rate,
        positive_predictive_value,
        negative_predictive_value,
        false_discovery_rate,
        false_omission_rate,
        accuracy,
        base_rate,
    )
}
"""Rate metrics by name."""

DEFAULT_METRICS: tuple[str, ...] = (
    "count",
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "precision",
    "negative_predictive_value",
    "accuracy",
)
"""Metrics a group report shows unless told otherwise."""


def resolve_metric(name: str) -> str:
    """Canonical metric name for ``name`` or one of its aliases (``tpr``, ``recall``, …).

    Names and aliases live in :mod:`fairgate.audit.core.vocabulary`.

    Raises
    ------
    ValidationError
        For an unknown name; the message lists the known ones.
    """
    return resolve_rate(name)


def metric_values(name: str, cells: np.ndarray) -> np.ndarray:
    """Evaluate the metric called ``name`` (or an alias) on ``cells`` of shape ``(..., 4)``."""
    key = resolve_metric(name)
    return count(cells) if key == "count" else METRICS[key](cells)


def undefined_reason(name: str, cells: np.ndarray) -> np.ndarray:
    """Why each value of the metric is NaN (``""`` where it is defined).

    Parameters
    ----------
    name : str
        Metric name or alias.
    cells : numpy.ndarray
        Counts of shape ``(..., 4)``.

    Returns
    -------
    numpy.ndarray of str
    """
    key = resolve_metric(name)
    shape = np.asarray(cells).shape[:-1]
    if key == "count":
        return np.full(shape, "", dtype=object)
    metric = METRICS[key]
    _, den = metric.parts(cells)
    return np.where(np.asarray(den) == 0, metric.undefined, "").astype(object)


# --------------------------------------------------------------------------------------------
# Aggregates: differences and ratios between groups
# --------------------------------------------------------------------------------------------


def _masked(values: np.ndarray, include: np.ndarray | None) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if include is None:
        return values
    return np.where(np.asarray(include, dtype=bool), values, np.nan)


def _nan_reduce(values: np.ndarray, fn: Callable[..., np.ndarray]) -> np.ndarray:
    """``fn`` over the last axis ignoring NaN; NaN (not a warning) where all are NaN."""
    valid = ~np.isnan(values)
    any_valid = valid.any(axis=-1)
    filled = np.where(valid, values, np.nan)
    out = np.full(values.shape[:-1], np.nan)
    if any_valid.any():
        with np.errstate(all="ignore"):
            reduced = fn(np.where(any_valid[..., None], filled, 0.0), axis=-1)
        out = np.where(any_valid, reduced, np.nan)
    return out if out.ndim else out[()]


def difference(
    values: np.ndarray,
    overall: np.ndarray | float | None = None,
    *,
    method: Method = "between_groups",
    include: np.ndarray | None = None,
) -> np.ndarray:
    """Largest difference of a metric between groups (fairlearn's ``MetricFrame.difference``).

    Parameters
    ----------
    values : numpy.ndarray
        Per-group values, groups on the last axis; NaN groups are ignored.
    overall : float or numpy.ndarray, optional
        The metric over all rows; required for ``method="to_overall"``.
    method : {"between_groups", "to_overall"}
        ``max - min`` over groups, or the largest ``|group - overall|``.
    include : numpy.ndarray of bool, optional
        Groups to consider (e.g. those not flagged insufficient).

    Returns
    -------
    numpy.ndarray or float
        NaN when no group has a defined value.
    """
    v = _masked(values, include)
    if method == "between_groups":
        return _nan_reduce(v, np.nanmax) - _nan_reduce(v, np.nanmin)
    if method == "to_overall":
        if overall is None:
            raise ValidationError("difference(method='to_overall') needs overall=.")
        ov = np.asarray(overall, dtype=np.float64)[..., None]
        return _nan_reduce(np.abs(v - ov), np.nanmax)
    raise ValidationError(f"method={method!r}: use 'between_groups' or 'to_overall'.")


def ratio(
    values: np.ndarray,
    overall: np.ndarray | float | None = None,
    *,
    method: Method = "between_groups",
    include: np.ndarray | None = None,
) -> np.ndarray:
    """Smallest ratio of a metric between groups (fairlearn's ``MetricFrame.ratio``).

    ``between_groups`` is ``min / max`` over groups; ``to_overall`` is the smallest
    ``min(group / overall, overall / group)``. NaN when undefined (e.g. every group at 0).

    Parameters
    ----------
    values, overall, method, include
        As in :func:`difference`.

    Returns
    -------
    numpy.ndarray or float
    """
    v = _masked(values, include)
    if method == "between_groups":
        return safe_divide(_nan_reduce(v, np.nanmin), _nan_reduce(v, np.nanmax))
    if method == "to_overall":
        if overall is None:
            raise ValidationError("ratio(method='to_overall') needs overall=.")
        ov = np.broadcast_to(np.asarray(overall, dtype=np.float64)[..., None], v.shape)
        # as fairlearn: r = group / overall, folded to r if r <= 1 else 1 / r
        # (a positive group against an overall of 0 gives 0; 0 against 0 is undefined)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = v / ov
            both = np.where(r > 1, 1 / r, r)
        return _nan_reduce(both, np.nanmin)
    raise ValidationError(f"method={method!r}: use 'between_groups' or 'to_overall'.")
