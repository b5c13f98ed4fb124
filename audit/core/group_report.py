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
    wilson_interval,
)
from fairgate.errors import ValidationError

__all__ = ["GroupReport", "group_report"]

CIMethod = Literal["wilson", "bootstrap", "none"]


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
        Groups smaller than ``min_group_size``: shown, but left out of differences and ratios.
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

    def _included(self) -> np.ndarray:
        sizes = self.counts.cells.reshape(-1, 4).sum(axis=1)
        return (sizes > 0) & ~self.insufficient.to_numpy()

    def difference(
        self, method: Literal["between_groups", "to_overall"] = "between_groups"
    ) -> pd.Series:
        """Largest difference per metric over the sufficient groups."""
        include = self._included()
        return pd.Series(
            {
                m: float(
                    difference(
                        self.by_group[m].to_numpy(), self.overall[m], method=method, include=include
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
        include = self._included()
        return pd.Series(
            {
                m: float(
                    ratio(
                        self.by_group[m].to_numpy(), self.overall[m], method=method, include=include
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
        stat = fn(values, None, method="between_groups", include=self._included())
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
        Groups with fewer rows are flagged ``insufficient`` and left out of differences/ratios.
    ci : {"wilson", "bootstrap", "none"}, default "wilson"
        Wilson score intervals per rate, or percentile intervals from the cell bootstrap
        (which also gives intervals for differences: :meth:`GroupReport.disparity_interval`).
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
    if ci not in ("wilson", "bootstrap", "none"):
        raise ValidationError(f"ci={ci!r}: use 'wilson', 'bootstrap' or 'none'.")
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
    low = pd.DataFrame(np.nan, index=index, columns=list(names))
    high = pd.DataFrame(np.nan, index=index, columns=list(names))
    boot = None
    if ci == "wilson":
        from fairgate.audit.core.metrics import METRICS

        for m in rate_names:
            num, den = METRICS[m].parts(groups)
            lo, hi = wilson_interval(num, den, alpha)
            low[m], high[m] = lo, hi
    elif ci == "bootstrap":
        boot = bootstrap_cells(groups, n_boot, seed=seed)
        for m in rate_names:
            lo, hi = _percentiles(metric_values(m, boot), alpha)
            low[m], high[m] = lo, hi

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
    )
