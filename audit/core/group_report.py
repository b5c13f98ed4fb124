"""The per-group report: metrics, intervals, small-group flags and tests for one attribute set.

:func:`group_report` turns :class:`~fairgate.audit.core.counts.GroupCounts` into a
:class:`GroupReport` whose :attr:`GroupReport.by_group` is shaped like fairlearn's
``MetricFrame.by_group`` (one row per group — a MultiIndex for an intersection — one column per
metric), with confidence intervals, ``insufficient`` flags, the reason for every NaN, and a
significance test of each group against the reference group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairgate.audit.core.estimates import Mean, Proportion, check_alpha
from fairgate.audit.core.group_uncertainty import (
    CIMethod,
    check_ci,
    intervals,
    p_value_frame,
    reference_index,
)
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.kinds import estimate, group_record, metric_names, resamplable
from fairgate.audit.core.metrics import Method, difference, ratio
from fairgate.audit.core.uncertainty import percentiles
from fairgate.errors import ValidationError

__all__ = ["GroupReport", "group_report"]


@dataclass(frozen=True, eq=False)
class GroupReport:
    """Metrics of every group of one attribute (or intersection), with uncertainty.

    Attributes
    ----------
    attributes : tuple of str
    counts : GroupCounts
        The counts the report was computed from.
    metrics : tuple of str
    by_group : pandas.DataFrame
        One row per group, one column per metric (like ``MetricFrame.by_group``).
    overall : pandas.Series
        Each metric over all rows.
    ci_low, ci_high : pandas.DataFrame
        Interval bounds, same shape as ``by_group`` (NaN where undefined, and for ``count``).
    insufficient : pandas.Series of bool
        Groups smaller than ``min_group_size`` (rows): shown, but left out of every difference
        and ratio.
    insufficient_for : pandas.DataFrame of bool
        Per metric, groups whose denominator for that metric (actual positives for TPR/FNR,
        actual negatives for FPR/TNR, predicted positives for precision, the rows for a mean or
        the selection rate) is under ``min_group_size``: left out of that metric's differences
        and ratios. Implies ``insufficient``.
    denominators : pandas.DataFrame of int
        Each metric's denominator per group.
    ci_methods : pandas.DataFrame of str
        Which method gave each interval: ``wilson``, ``jeffreys``, ``t`` (a mean), ``bootstrap``,
        or ``wilson (bootstrap degenerate)`` where the bootstrap would collapse to a point (a rate
        of 0 or 1, or a zero-width percentile interval); ``""`` where there is no interval.
    reasons : pandas.DataFrame of str
        Why each NaN in ``by_group`` is NaN (``""`` where defined).
    p_values : pandas.DataFrame
        Per rate metric, the p-value of the test against ``reference``.
    reference : tuple
        Key of the reference group (the largest sufficient group unless given).
    """

    attributes: tuple[str, ...]
    counts: GroupedCounts
    metrics: tuple[str, ...]
    by_group: pd.DataFrame
    overall: pd.Series
    ci_low: pd.DataFrame
    ci_high: pd.DataFrame
    insufficient: pd.Series
    reasons: pd.DataFrame
    p_values: pd.DataFrame
    reference: tuple[Any, ...] | None
    min_group_size: int
    alpha: float
    ci_method: str
    n_boot: int = 0
    _boot: np.ndarray | None = field(default=None, repr=False)
    insufficient_for: pd.DataFrame | None = None
    denominators: pd.DataFrame | None = None
    ci_methods: pd.DataFrame | None = None

    def included(self, metric: str | None = None) -> np.ndarray:
        """Groups a difference or ratio of ``metric`` is taken over (all metrics: by size).

        A group is included when it is non-empty, has at least ``min_group_size`` rows and, for
        a metric, at least ``min_group_size`` in that metric's denominator.
        """
        sizes = self.counts.group_sizes()
        ok = (sizes > 0) & ~self.insufficient.to_numpy()
        if metric is not None and self.insufficient_for is not None:
            key = metric_names(self.counts, [metric])[0]
            if key in self.insufficient_for.columns:
                ok &= ~self.insufficient_for[key].to_numpy()
        return ok

    def difference(self, method: Method = "between_groups") -> pd.Series:
        """Largest difference per metric over the sufficient groups."""
        return self._between_groups(difference, method)

    def ratio(self, method: Method = "between_groups") -> pd.Series:
        """Smallest ratio per metric over the sufficient groups."""
        return self._between_groups(ratio, method)

    def _between_groups(self, fn: Callable[..., Any], method: Method) -> pd.Series:
        values = {
            m: float(
                fn(
                    self.by_group[m].to_numpy(),
                    self.overall[m],
                    method=method,
                    include=self.included(m),
                )
            )
            for m in self.metrics
        }
        return pd.Series(values, name=f"{fn.__name__} ({method})")

    def disparity_interval(
        self, metric: str, kind: Literal["difference", "ratio"] = "difference"
    ) -> tuple[float, float]:
        """Bootstrap interval of the between-groups difference or ratio of ``metric``.

        Available when the report was built with ``ci="bootstrap"``; otherwise ``(nan, nan)``.
        """
        if self._boot is None:
            return float("nan"), float("nan")
        key = metric_names(self.counts, [metric])[0]
        draws = self._boot.shape[0]
        flat = {"cells": self._boot.reshape(draws * len(self.by_group), *self._boot.shape[2:])}
        if key == "count":
            values = flat["cells"].reshape(draws, len(self.by_group), -1).sum(axis=-1)
        else:
            values = estimate(self.counts, key, flat).values.reshape(draws, -1)
        fn = difference if kind == "difference" else ratio
        stat = fn(values, None, method="between_groups", include=self.included(key))
        low, high = percentiles(np.asarray(stat)[:, None], self.alpha)
        return float(low[0]), float(high[0])

    def to_frame(self) -> pd.DataFrame:
        """``by_group`` with the counts, interval bounds and flags side by side."""
        parts = [self.counts.to_frame(), self.by_group]
        parts.append(self.ci_low.add_suffix("_ci_low"))
        parts.append(self.ci_high.add_suffix("_ci_high"))
        parts.append(self.insufficient.rename("insufficient").to_frame())
        return pd.concat(parts, axis=1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN becomes ``None``)."""
        keys = self.counts.keys()
        groups = []
        for i, key in enumerate(keys):
            row = self.by_group.iloc[i]
            groups.append(
                {
                    "group": dict(zip(self.attributes, map(_jsonable, key), strict=True)),
                    "counts": group_record(self.counts, i),
                    "insufficient": bool(self.insufficient.iloc[i]),
                    "metrics": {m: _num(row[m]) for m in self.metrics},
                    "ci_low": {m: _num(self.ci_low.iloc[i][m]) for m in self.metrics},
                    "ci_high": {m: _num(self.ci_high.iloc[i][m]) for m in self.metrics},
                    "reasons": {m: r for m in self.metrics if (r := self.reasons.iloc[i][m])},
                    "p_values": {m: _num(self.p_values.iloc[i][m]) for m in self.p_values.columns},
                    "insufficient_for": _flags(self.insufficient_for, i),
                    "denominators": _ints(self.denominators, i),
                    "ci_methods": _texts(self.ci_methods, i),
                }
            )
        return {
            "kind": self.counts.kind,
            "attributes": list(self.attributes),
            "metrics": list(self.metrics),
            "min_group_size": self.min_group_size,
            "alpha": self.alpha,
            "ci_method": self.ci_method,
            "n_boot": self.n_boot,
            "reference": None if self.reference is None else [_jsonable(v) for v in self.reference],
            "overall": {m: _num(self.overall[m]) for m in self.metrics},
            "difference": {k: _num(v) for k, v in self.difference().items()},
            "ratio": {k: _num(v) for k, v in self.ratio().items()},
            "groups": groups,
        }


def _flags(frame: pd.DataFrame | None, i: int) -> list[str]:
    if frame is None:
        return []
    row = frame.iloc[i]
    return [str(m) for m in frame.columns if bool(row[m])]


def _ints(frame: pd.DataFrame | None, i: int) -> dict[str, int]:
    if frame is None:
        return {}
    return {str(m): int(v) for m, v in frame.iloc[i].items()}


def _texts(frame: pd.DataFrame | None, i: int) -> dict[str, str]:
    if frame is None:
        return {}
    return {str(m): str(v) for m, v in frame.iloc[i].items() if v}


def _num(value: Any) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def group_report(
    counts: GroupedCounts,
    *,
    attributes: str | Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    min_group_size: int = 30,
    ci: CIMethod = "analytic",
    alpha: float = 0.05,
    n_boot: int = 1000,
    reference: Any = None,
    seed: int = 0,
) -> GroupReport:
    """Per-group metrics with confidence intervals, small-group flags and significance tests.

    Works for every kind of counts (binary, multiclass, regression); every interval and test is
    computed for all groups at once.

    Parameters
    ----------
    counts : GroupCounts, MulticlassCounts or RegressionCounts
        From :func:`~fairgate.audit.core.counts.group_counts` or
        :func:`~fairgate.audit.core.counts_file.counts_from_file`.
    attributes : str or sequence of str, optional
        The attribute or intersection to report on (default: all counted attributes).
    metrics : sequence of str, optional
        Metric names or aliases of the counts' kind (default: the kind's defaults).
    min_group_size : int, default 30
        Groups with fewer rows are flagged ``insufficient`` and left out of differences/ratios;
        a group whose denominator for a metric is under it is left out of that metric's
        (``insufficient_for``).
    ci : {"analytic", "wilson", "jeffreys", "normal", "bootstrap", "none"}, default "analytic"
        ``analytic``: Wilson score intervals for rates and Student-t intervals for means.
        ``wilson`` / ``jeffreys`` / ``normal`` insist on one of them (a metric of another shape
        is refused). ``bootstrap``: percentile intervals from the cell bootstrap (binary and
        multiclass; also gives intervals for differences:
        :meth:`GroupReport.disparity_interval`); where the bootstrap would collapse to a point
        (a rate of 0 or 1, or a zero-width interval) the Wilson interval is used instead, and
        ``ci_methods`` says so.
    alpha : float, default 0.05
        One minus the interval coverage; also the significance level used by policies.
    n_boot : int, default 1000
        Bootstrap draws (``ci="bootstrap"`` only).
    reference : group label or tuple, optional
        Reference group for the tests; default the largest sufficient group.
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    GroupReport
    """
    if min_group_size < 0:
        raise ValidationError(f"min_group_size={min_group_size!r}: expected 0 or more, e.g. 30.")
    check_ci(ci, counts, resamplable(counts))
    check_alpha(alpha)
    if metrics is not None and not list(metrics):
        raise ValidationError("metrics: empty; name at least one metric, e.g. 'selection_rate'.")
    sub = counts if attributes is None else counts.marginal(attributes)
    names = metric_names(sub, metrics)
    keys = sub.keys()
    index = sub.index()
    sizes = sub.group_sizes()
    insufficient = pd.Series(sizes < min_group_size, index=index, name="insufficient")
    flat = sub.flat_arrays()
    whole = sub.overall_arrays()
    rate_names = [m for m in names if m != "count"]
    estimates = {m: estimate(sub, m, flat) for m in rate_names}

    values = {m: sizes.astype(np.float64) if m == "count" else estimates[m].values for m in names}
    by_group = pd.DataFrame(values, index=index)
    overall = pd.Series(
        {
            m: float(sub.n) if m == "count" else float(estimate(sub, m, whole).values[0])
            for m in names
        }
    )
    empty = sizes == 0
    reasons = pd.DataFrame(
        {
            m: np.full(len(sizes), "", dtype=object)
            if m == "count"
            else np.where(empty, "empty group (no rows)", estimates[m].reasons).astype(object)
            for m in names
        },
        index=index,
    )

    dens = {m: sizes if m == "count" else _denominator(estimates[m], sizes) for m in names}
    denominators = pd.DataFrame(dens, index=index).astype(np.int64)
    insufficient_for = pd.DataFrame(
        {m: (dens[m] < min_group_size) | (sizes < min_group_size) for m in names}, index=index
    )
    bounds = intervals(sub, estimates, names, ci=ci, alpha=alpha, n_boot=n_boot, seed=seed)
    ref_idx = reference_index(sub, insufficient.to_numpy(), reference)
    p_values = p_value_frame(estimates, ref_idx, index)

    return GroupReport(
        attributes=sub.attributes,
        counts=sub,
        metrics=names,
        by_group=by_group,
        overall=overall,
        ci_low=bounds.low,
        ci_high=bounds.high,
        insufficient=insufficient,
        reasons=reasons,
        p_values=p_values,
        reference=None if ref_idx is None else keys[ref_idx],
        min_group_size=min_group_size,
        alpha=alpha,
        ci_method=ci,
        n_boot=n_boot if ci == "bootstrap" else 0,
        _boot=bounds.boot,
        insufficient_for=insufficient_for,
        denominators=denominators,
        ci_methods=bounds.methods,
    )


def _denominator(est: Any, sizes: np.ndarray) -> np.ndarray:
    """The count a metric's value rests on: a rate's denominator, a mean's rows, else the rows."""
    if isinstance(est, Proportion):
        return np.asarray(est.den)
    if isinstance(est, Mean):
        return np.asarray(est.n)
    return sizes
