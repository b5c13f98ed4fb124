"""Fairness metrics as pure functions of per-group confusion counts.

Every function here takes an integer array whose last axis is ``(TP, FP, TN, FN)`` (see
:data:`~.counts.CELLS`) — one group, a vector of groups, or a stack of bootstrap draws
``(draws, groups, 4)`` — and returns a float array of the leading shape. A rate whose denominator
is zero (an empty group, a group with no actual positives, …) is ``NaN``; :func:`undefined_reason`
says why. Nothing here warns, does I/O, or depends on row-level data.

Names follow fairlearn where fairlearn has the metric (``selection_rate``,
``true_positive_rate``, ``demographic_parity_difference``, ``equalized_odds_ratio``, …). One
deliberate difference: where fairlearn (through scikit-learn's ``zero_division``) returns ``0`` for
a rate with a zero denominator, fairgate returns ``NaN`` with a reason, and leaves such groups out
of differences and ratios, because a rate of 0 that was never measured misleads a committee.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from fairgate.audit.core.counts import GroupCounts
from fairgate.audit.core.vocabulary import resolve_rate
from fairgate.errors import ValidationError

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "RateMetric",
    "accuracy",
    "base_rate",
    "count",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "difference",
    "disparate_impact",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
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
        return _safe_divide(num, den)


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out if out.ndim else out[()]


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
        return _safe_divide(_nan_reduce(v, np.nanmin), _nan_reduce(v, np.nanmax))
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


def _groups_of(counts: GroupCounts, attributes: str | Sequence[str] | None) -> np.ndarray:
    sub = counts if attributes is None else counts.marginal(attributes)
    return sub.cells.reshape(-1, 4)


def _aggregate(
    metric: str,
    counts: GroupCounts,
    method: Method,
    attributes: str | Sequence[str] | None,
    min_group_size: int,
    kind: Literal["difference", "ratio"],
) -> float:
    groups = _groups_of(counts, attributes)
    values = metric_values(metric, groups)
    sizes = groups.sum(axis=-1)
    include = (sizes > 0) & (sizes >= min_group_size)
    overall = metric_values(metric, counts.overall)
    fn = difference if kind == "difference" else ratio
    return float(fn(values, overall, method=method, include=include))


def demographic_parity_difference(
    counts: GroupCounts,
    *,
    method: Method = "between_groups",
    attributes: str | Sequence[str] | None = None,
    min_group_size: int = 0,
) -> float:
    """Largest difference in selection rate between groups.

    Parameters
    ----------
    counts : GroupCounts
        Counts from :func:`~fairgate.audit.core.counts.group_counts`.
    method : {"between_groups", "to_overall"}
        As in fairlearn.
    attributes : str or sequence of str, optional
        The attribute or intersection to judge; default: the intersection of all counted
        attributes (what fairlearn does with several sensitive features).
    min_group_size : int, default 0
        Groups smaller than this are left out.

    Returns
    -------
    float
    """
    return _aggregate("selection_rate", counts, method, attributes, min_group_size, "difference")


def demographic_parity_ratio(
    counts: GroupCounts,
    *,
    method: Method = "between_groups",
    attributes: str | Sequence[str] | None = None,
    min_group_size: int = 0,
) -> float:
    """Smallest ratio of selection rates between groups.

    Parameters are those of :func:`demographic_parity_difference`.
    """
    return _aggregate("selection_rate", counts, method, attributes, min_group_size, "ratio")


def equal_opportunity_difference(
    counts: GroupCounts,
    *,
    method: Method = "between_groups",
    attributes: str | Sequence[str] | None = None,
    min_group_size: int = 0,
) -> float:
    """Largest difference in true positive rate between groups."""
    return _aggregate(
        "true_positive_rate", counts, method, attributes, min_group_size, "difference"
    )


def equal_opportunity_ratio(
    counts: GroupCounts,
    *,
    method: Method = "between_groups",
    attributes: str | Sequence[str] | None = None,
    min_group_size: int = 0,
) -> float:
    """Smallest ratio of true positive rates between groups."""
    return _aggregate("true_positive_rate", counts, method, attributes, min_group_size, "ratio")


def equalized_odds_difference(
    counts: GroupCounts,
    *,
    method: Method = "between_groups",
    attributes: str | Sequence[str] | None = None,
    min_group_size: int = 0,
    agg: Literal["worst_case", "mean"] = "worst_case",
) -> float:
    """The larger (or mean) of the TPR and FPR differences between groups, as in fairlearn."""
    tpr = _aggregate("true_positive_rate", counts, method, attributes, min_group_size, "difference")
    fpr = _aggregate(
        "false_positive_rate", counts, method, attributes, min_group_size, "difference"
    )
    return _combine(tpr, fpr, agg, worst=max)


def equalized_odds_ratio(
    counts: GroupCounts,
    *,
    method: Method = "between_groups",
    attributes: str | Sequence[str] | None = None,
    min_group_size: int = 0,
    agg: Literal["worst_case", "mean"] = "worst_case",
) -> float:
    """The smaller (or mean) of the TPR and FPR ratios between groups, as in fairlearn."""
    tpr = _aggregate("true_positive_rate", counts, method, attributes, min_group_size, "ratio")
    fpr = _aggregate("false_positive_rate", counts, method, attributes, min_group_size, "ratio")
    return _combine(tpr, fpr, agg, worst=min)


def _combine(a: float, b: float, agg: str, worst: Callable[[float, float], float]) -> float:
    """Combine the TPR and FPR parts; an undefined part (NaN) is left out, as pandas does."""
    if agg not in ("worst_case", "mean"):
        raise ValidationError(f"agg={agg!r}: use 'worst_case' or 'mean'.")
    parts = [x for x in (a, b) if not np.isnan(x)]
    if not parts:
        return float("nan")
    if len(parts) == 1:
        return float(parts[0])
    return float(worst(a, b)) if agg == "worst_case" else float((a + b) / 2)


def disparate_impact(
    counts: GroupCounts,
    *,
    attributes: str | Sequence[str] | None = None,
    reference: object | None = None,
    threshold: float = 0.8,
    min_group_size: int = 0,
) -> dict[str, object]:
    """The four-fifths rule: each group's selection rate over the reference group's.

    Parameters
    ----------
    counts : GroupCounts
        Counts from :func:`~fairgate.audit.core.counts.group_counts`.
    attributes : str or sequence of str, optional
        Attribute or intersection (default: all counted attributes).
    reference : group label (or tuple for an intersection), optional
        Default: the group with the highest selection rate, as the four-fifths rule reads.
    threshold : float, default 0.8
        A group whose ratio is below it shows adverse impact.
    min_group_size : int, default 0
        Smaller groups get NaN and are not judged.

    Returns
    -------
    dict
        ``groups`` (keys), ``ratios`` (array), ``reference``, ``adverse`` (list of keys below the
        threshold), ``min_ratio``.
    """
    sub = counts if attributes is None else counts.marginal(attributes)
    keys, groups = sub.flat()
    sizes = groups.sum(axis=-1)
    rates = selection_rate(groups)
    judged = (sizes > 0) & (sizes >= min_group_size)
    rates = np.where(judged, rates, np.nan)
    if reference is None:
        ref_idx = None if np.isnan(rates).all() else int(np.nanargmax(rates))
    else:
        ref_key = reference if isinstance(reference, tuple) else (reference,)
        if ref_key not in keys:
            raise ValidationError(
                f"reference={reference!r} is not a group of {list(sub.attributes)}; "
                f"use one of {[k if len(k) > 1 else k[0] for k in keys][:20]}."
            )
        ref_idx = keys.index(ref_key)
    ref_rate = float("nan") if ref_idx is None else float(rates[ref_idx])
    ratios = _safe_divide(rates, np.full(rates.shape, ref_rate))
    adverse = [k for k, r in zip(keys, ratios, strict=True) if not np.isnan(r) and r < threshold]
    finite = ratios[~np.isnan(ratios)]
    return {
        "attributes": sub.attributes,
        "groups": keys,
        "ratios": ratios,
        "reference": None if ref_idx is None else keys[ref_idx],
        "threshold": threshold,
        "adverse": adverse,
        "min_ratio": float(finite.min()) if finite.size else float("nan"),
    }
