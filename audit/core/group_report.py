"""The per-group report: metrics, intervals, small-group flags and tests for one attribute set.

:func:`group_report` turns :class:`~fairgate.audit.core.counts.GroupCounts` into a
:class:`GroupReport` whose :attr:`GroupReport.by_group` is shaped like fairlearn's
``MetricFrame.by_group`` (one row per group — a MultiIndex for an intersection — one column per
metric), with confidence intervals, ``insufficient`` flags, the reason for every NaN, and a
significance test of each group against the reference group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairgate.audit.core.counts import CELLS, GroupCounts
from fairgate.audit.core.metrics import (
    DEFAULT_METRICS,
    difference,
    metric_values,
    ratio,
    resolve_metric,
    undefined_reason,
)
from fairgate.audit.core.uncertainty import (
    _percentiles,
    bootstrap_cells,
    group_significance,
    jeffreys_interval,
    wilson_interval,
)
from fairgate.errors import ValidationError

__all__ = ["GroupReport", "group_report"]

CIMethod = Literal["wilson", "jeffreys", "bootstrap", "none"]


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
        actual negatives for FPR/TNR, predicted positives for precision, the group size for the
        selection rate) is under ``min_group_size``: left out of that metric's differences and
        ratios. Implies ``insufficient``.
    denominators : pandas.DataFrame of int
        Each metric's denominator per group.
    ci_methods : pandas.DataFrame of str
        Which method gave each interval: ``wilson``, ``jeffreys``, ``bootstrap``, or
        ``wilson (bootstrap degenerate)`` where the bootstrap would collapse to a point (a rate
        of 0 or 1, or a zero-width percentile interval); ``""`` where there is no interval.
    reasons : pandas.DataFrame of str
        Why each NaN in ``by_group`` is NaN (``""`` where defined).
    p_values : pandas.DataFrame
        Per rate metric, the p-value of the test against ``reference``.
    reference : tuple
        Key of the reference group (the largest sufficient group unless given).
    """

    attributes: tuple[str, ...]
    counts: GroupCounts
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
        sizes = self.counts.cells.reshape(-1, 4).sum(axis=1)
        ok = (sizes > 0) & ~self.insufficient.to_numpy()
        if metric is not None and self.insufficient_for is not None:
            key = resolve_metric(metric)
            if key in self.insufficient_for.columns:
                ok &= ~self.insufficient_for[key].to_numpy()
        return ok

    def _included(self) -> np.ndarray:
        return self.included()

    def difference(
        self, method: Literal["between_groups", "to_overall"] = "between_groups"
    ) -> pd.Series:
        """Largest difference per metric over the sufficient groups."""
        return pd.Series(
            {
                m: float(
                    difference(
                        self.by_group[m].to_numpy(),
                        self.overall[m],
                        method=method,
                        include=self.included(m),
                    )
                )
                for m in self.metrics
            },
            name=f"difference ({method})",
        )

    def ratio(
        self, method: Literal["between_groups", "to_overall"] = "between_groups"
    ) -> pd.Series:
        """Smallest ratio per metric over the sufficient groups."""
        return pd.Series(
            {
                m: float(
                    ratio(
                        self.by_group[m].to_numpy(),
                        self.overall[m],
                        method=method,
                        include=self.included(m),
                    )
                )
                for m in self.metrics
            },
            name=f"ratio ({method})",
        )

    def disparity_interval(
        self, metric: str, kind: Literal["difference", "ratio"] = "difference"
    ) -> tuple[float, float]:
        """Bootstrap interval of the between-groups difference or ratio of ``metric``.

        Available when the report was built with ``ci="bootstrap"``; otherwise ``(nan, nan)``.
        """
        if self._boot is None:
            return float("nan"), float("nan")
        key = resolve_metric(metric)
        values = metric_values(key, self._boot.reshape(self._boot.shape[0], -1, 4))
        fn = difference if kind == "difference" else ratio
        stat = fn(values, None, method="between_groups", include=self.included(key))
        low, high = _percentiles(np.asarray(stat)[:, None], self.alpha)
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
        keys, cells = self.counts.flat()
        groups = []
        for i, key in enumerate(keys):
            row = self.by_group.iloc[i]
            groups.append(
                {
                    "group": dict(zip(self.attributes, map(_jsonable, key), strict=True)),
                    "counts": dict(zip(CELLS, map(int, cells[i]), strict=True)),
                    "insufficient": bool(self.insufficient.iloc[i]),
                    "insufficient_for": _flags(self.insufficient_for, i),
                    "denominators": _ints(self.denominators, i),
                    "ci_methods": _texts(self.ci_methods, i),
                    "metrics": {m: _num(row[m]) for m in self.metrics},
                    "ci_low": {m: _num(self.ci_low.iloc[i][m]) for m in self.metrics},
                    "ci_high": {m: _num(self.ci_high.iloc[i][m]) for m in self.metrics},
                    "reasons": {m: r for m in self.metrics if (r := self.reasons.iloc[i][m])},
                    "p_values": {m: _num(self.p_values.iloc[i][m]) for m in self.p_values.columns},
                }
            )
        return {
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
    counts: GroupCounts,
    *,
    attributes: str | Sequence[str] | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    min_group_size: int = 30,
    ci: CIMethod = "wilson",
    alpha: float = 0.05,
    n_boot: int = 1000,
    reference: Any = None,
    seed: int = 0,
) -> GroupReport:
    """Per-group metrics with confidence intervals, small-group flags and significance tests.

    Parameters
    ----------
    counts : GroupCounts
        From :func:`~fairgate.audit.core.counts.group_counts` or
        :func:`~fairgate.audit.core.counts.counts_from_file`.
    attributes : str or sequence of str, optional
        The attribute or intersection to report on (default: all counted attributes).
    metrics : sequence of str
        Metric names or aliases (see :data:`fairgate.audit.core.metrics.METRICS`).
    min_group_size : int, default 30
        Groups with fewer rows are flagged ``insufficient`` and left out of differences/ratios;
        a group whose denominator for a metric is under it is left out of that metric's
        (``insufficient_for``).
    ci : {"wilson", "jeffreys", "bootstrap", "none"}, default "wilson"
        Wilson score or Jeffreys intervals per rate, or percentile intervals from the cell
        bootstrap (which also gives intervals for differences:
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
    if ci not in ("wilson", "jeffreys", "bootstrap", "none"):
        raise ValidationError(f"ci={ci!r}: use 'wilson', 'jeffreys', 'bootstrap' or 'none'.")
    sub = counts if attributes is None else counts.marginal(attributes)
    names = tuple(resolve_metric(m) for m in metrics)
    if not names:
        raise ValidationError("metrics: empty; name at least one metric, e.g. 'selection_rate'.")
    keys, groups = sub.flat()
    index = sub.index()
    sizes = groups.sum(axis=1)
    insufficient = pd.Series(sizes < min_group_size, index=index, name="insufficient")

    values = {m: metric_values(m, groups) for m in names}
    by_group = pd.DataFrame(values, index=index)
    overall = pd.Series({m: float(metric_values(m, sub.overall)) for m in names})
    reasons = pd.DataFrame({m: undefined_reason(m, groups) for m in names}, index=index)
    reasons = reasons.where(reasons != "", "")
    empty = sizes == 0
    for m in names:
        reasons.loc[empty, m] = "empty group (no rows)" if m != "count" else ""

    rate_names = [m for m in names if m != "count"]
    from fairgate.audit.core.metrics import METRICS

    parts = {m: METRICS[m].parts(groups) for m in rate_names}
    dens = {m: parts[m][1] if m in parts else sizes for m in names}
    denominators = pd.DataFrame(dens, index=index).astype(np.int64)
    insufficient_for = pd.DataFrame(
        {m: (dens[m] < min_group_size) | (sizes < min_group_size) for m in names}, index=index
    )
    low = pd.DataFrame(np.nan, index=index, columns=list(names))
    high = pd.DataFrame(np.nan, index=index, columns=list(names))
    methods = pd.DataFrame("", index=index, columns=list(names))
    boot = None
    if ci == "bootstrap":
        boot = bootstrap_cells(groups, n_boot, seed=seed)
    for m in rate_names if ci != "none" else []:
        num, den = parts[m]
        if ci == "jeffreys":
            lo, hi = jeffreys_interval(num, den, alpha)
            label = np.full(len(den), "jeffreys", dtype=object)
        else:
            lo, hi = wilson_interval(num, den, alpha)
            label = np.full(len(den), "wilson", dtype=object)
        if boot is not None:
            b_lo, b_hi = _percentiles(metric_values(m, boot), alpha)
            degenerate = (num == 0) | (num == den) | ~(b_hi > b_lo)
            use_boot = (den > 0) & ~degenerate
            lo, hi = np.where(use_boot, b_lo, lo), np.where(use_boot, b_hi, hi)
            label = np.where(use_boot, "bootstrap", "wilson (bootstrap degenerate)")
        low[m], high[m] = lo, hi
        methods[m] = np.where(den > 0, label, "")

    sufficient = np.flatnonzero(~insufficient.to_numpy() & (sizes > 0))
    if reference is not None:
        ref_key = reference if isinstance(reference, tuple) else (reference,)
        if ref_key not in keys:
            raise ValidationError(
                f"reference={reference!r} is not a group of {list(sub.attributes)}; "
                f"use one of {[k if len(k) > 1 else k[0] for k in keys][:20]}."
            )
        ref_idx: int | None = keys.index(ref_key)
    elif sufficient.size:
        ref_idx = int(sufficient[np.argmax(sizes[sufficient])])
    elif sizes.sum() > 0:
        ref_idx = int(np.argmax(sizes))
    else:
        ref_idx = None
    p_values = pd.DataFrame(np.nan, index=index, columns=rate_names)
    if ref_idx is not None:
        for m in rate_names:
            p_values[m] = group_significance(groups, m, reference=ref_idx).p_values

    return GroupReport(
        attributes=sub.attributes,
        counts=sub,
        metrics=names,
        by_group=by_group,
        overall=overall,
        ci_low=low,
        ci_high=high,
        insufficient=insufficient,
        reasons=reasons,
        p_values=p_values,
        reference=None if ref_idx is None else keys[ref_idx],
        min_group_size=min_group_size,
        alpha=alpha,
        ci_method=ci,
        n_boot=n_boot if ci == "bootstrap" else 0,
        _boot=boot,
        insufficient_for=insufficient_for,
        denominators=denominators,
        ci_methods=methods,
    )
