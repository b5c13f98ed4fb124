"""One door to every kind's metrics: names, defaults and estimates for any counts object."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fairgate.audit.core.counts import CELLS, GroupCounts
from fairgate.audit.core.estimates import Estimate, Proportion
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.metrics import DEFAULT_METRICS, METRICS, resolve_metric
from fairgate.audit.core.multiclass import MulticlassCounts
from fairgate.audit.core.multiclass_metrics import (
    default_multiclass_metrics,
    multiclass_estimate,
    resolve_multiclass_metric,
)
from fairgate.audit.core.regression import STATS, RegressionCounts
from fairgate.audit.core.regression_metrics import (
    DEFAULT_REGRESSION_METRICS,
    regression_estimate,
)
from fairgate.audit.core.vocabulary import resolve_metric_name
from fairgate.errors import ValidationError

__all__ = [
    "default_metrics",
    "estimate",
    "group_record",
    "metric_names",
    "resamplable",
    "resolve",
]


def _check(counts: Any) -> None:
    if not isinstance(counts, GroupedCounts):
        raise ValidationError(
            f"counts: expected the result of group_counts (or counts_from_file), received "
            f"{type(counts).__name__}."
        )


def default_metrics(counts: GroupedCounts) -> tuple[str, ...]:
    """The metrics a report of this kind shows unless told otherwise."""
    _check(counts)
    if isinstance(counts, RegressionCounts):
        return DEFAULT_REGRESSION_METRICS
    if isinstance(counts, MulticlassCounts):
        return default_multiclass_metrics(counts.classes)
    return DEFAULT_METRICS


def resolve(counts: GroupedCounts, name: str) -> str:
    """Canonical name of a metric of this kind (aliases such as ``tpr`` or ``mae`` accepted)."""
    _check(counts)
    if isinstance(counts, RegressionCounts):
        return resolve_metric_name(name, "regression")
    if isinstance(counts, MulticlassCounts):
        return resolve_multiclass_metric(name, counts.classes)
    return resolve_metric(name)


def estimate(counts: GroupedCounts, name: str, arrays: dict[str, np.ndarray]) -> Estimate:
    """The estimate of metric ``name`` (canonical, not ``count``) over flat group arrays.

    Parameters
    ----------
    counts : GroupedCounts
        Gives the kind and its settings (classes, ...).
    name : str
        Canonical metric name.
    arrays : dict
        Arrays with one leading group axis, as :meth:`GroupedCounts.flat_arrays` returns (or a
        stack of bootstrap draws flattened into that axis).

    Returns
    -------
    Proportion, Mean or Derived
    """
    if isinstance(counts, RegressionCounts):
        return regression_estimate(name, arrays["stats"])
    if isinstance(counts, MulticlassCounts):
        return multiclass_estimate(name, arrays["cells"], counts.classes)
    metric = METRICS[name]
    num, den = metric.parts(arrays["cells"])
    return Proportion(num, den, metric.undefined)


def resamplable(counts: GroupedCounts) -> bool:
    """Whether the cell bootstrap applies (counts of rows in cells: binary and multiclass)."""
    return isinstance(counts, (GroupCounts, MulticlassCounts))


def group_record(counts: GroupedCounts, i: int) -> dict[str, Any]:
    """The sufficient statistics of flat group ``i`` as a JSON-ready dict of numbers.

    Multiclass: one entry per ``"true→predicted"`` pair of the confusion matrix.
    """
    if isinstance(counts, RegressionCounts):
        stats = counts.stats.reshape(-1, len(STATS))[i]
        return {name: float(v) for name, v in zip(STATS, stats, strict=True)}
    if isinstance(counts, MulticlassCounts):
        k = len(counts.classes)
        matrix = counts.cells.reshape(-1, k, k)[i]
        return {
            f"{t}→{p}": int(matrix[a, b])
            for a, t in enumerate(counts.classes)
            for b, p in enumerate(counts.classes)
        }
    cells = counts.cells.reshape(-1, 4)[i]
    return dict(zip(CELLS, map(int, cells), strict=True))


def metric_names(counts: GroupedCounts, metrics: Sequence[str] | None) -> tuple[str, ...]:
    """Canonical names of ``metrics`` (default: the kind's defaults)."""
    names = default_metrics(counts) if metrics is None else tuple(metrics)
    return tuple(resolve(counts, m) for m in names)
