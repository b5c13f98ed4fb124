"""Multiclass metrics from per-group confusion matrices: accuracy, one-vs-rest rates, parity.

Per-class metrics are named ``"<metric>[<class>]"`` — ``selection_rate[Adelie]``,
``true_positive_rate[Gentoo]`` — and are one-vs-rest rates of that class, so each has a Wilson
interval and a chi-square / Fisher test like a binary rate. Macro averages are the unweighted mean
over the classes where the rate is defined (scikit-learn's ``average="macro"`` with
``zero_division=np.nan``). Demographic parity and equalized odds are given per class.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal, TypedDict, Unpack

import numpy as np

from fairgate.audit.core.estimates import Derived, Estimate, Proportion
from fairgate.audit.core.metrics import Method, difference, ratio
from fairgate.audit.core.multiclass import MulticlassCounts
from fairgate.errors import ValidationError

__all__ = [
    "MACRO_METRICS",
    "PER_CLASS_METRICS",
    "PerClassOptions",
    "default_multiclass_metrics",
    "demographic_parity_per_class",
    "equalized_odds_per_class",
    "multiclass_estimate",
    "per_class_rates",
    "resolve_multiclass_metric",
]

PER_CLASS_METRICS: tuple[str, ...] = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "precision",
)
"""One-vs-rest rates available for every class (``name[class]``)."""

MACRO_METRICS: tuple[str, ...] = (
    "macro_true_positive_rate",
    "macro_false_positive_rate",
    "macro_precision",
)
"""Unweighted means of a per-class rate over the classes where it is defined."""

_EMPTY = "empty group (no rows)"
_PER_CLASS = re.compile(r"^(?P<metric>[a-z_]+)\[(?P<cls>.+)\]$")
_ALIASES = {
    "tpr": "true_positive_rate",
    "fpr": "false_positive_rate",
    "recall": "true_positive_rate",
}


def default_multiclass_metrics(classes: Sequence[Any]) -> tuple[str, ...]:
    """Count, accuracy, macro TPR and precision, then each class's selection rate and TPR."""
    per_class = [f"{m}[{c}]" for m in ("selection_rate", "true_positive_rate") for c in classes]
    return ("count", "accuracy", "macro_true_positive_rate", "macro_precision", *per_class)


def resolve_multiclass_metric(name: str, classes: Sequence[Any]) -> str:
    """Canonical name of a multiclass metric (``accuracy``, ``macro_*``, ``rate[class]``).

    Raises
    ------
    ValidationError
        For an unknown metric or class; the message lists what is known.
    """
    if name in ("count", "accuracy", "accuracy_score", *MACRO_METRICS):
        return "accuracy" if name == "accuracy_score" else name
    match = _PER_CLASS.match(name)
    labels = [str(c) for c in classes]
    if match:
        metric = _ALIASES.get(match["metric"], match["metric"])
        if metric in PER_CLASS_METRICS and match["cls"] in labels:
            return f"{metric}[{match['cls']}]"
    raise ValidationError(
        f"metric {name!r} is not a multiclass metric; use count, accuracy, "
        f"{', '.join(MACRO_METRICS)}, or one of {', '.join(PER_CLASS_METRICS)} followed by a "
        f"class in brackets, e.g. 'true_positive_rate[{labels[0]}]' (classes: {labels})."
    )


def per_class_rates(cells: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Numerators and denominators of every one-vs-rest rate, shape ``(..., K)`` each.

    Parameters
    ----------
    cells : numpy.ndarray
        Confusion matrices ``(..., K, K)`` (true class first).
    """
    m = np.asarray(cells, dtype=np.int64)
    diag = np.diagonal(m, axis1=-2, axis2=-1)
    actual = m.sum(axis=-1)
    predicted = m.sum(axis=-2)
    total = m.sum(axis=(-2, -1))[..., None]
    return {
        "selection_rate": (predicted, np.broadcast_to(total, predicted.shape)),
        "true_positive_rate": (diag, actual),
        "false_positive_rate": (predicted - diag, total - actual),
        "precision": (diag, predicted),
    }


_UNDEFINED = {
    "selection_rate": _EMPTY,
    "true_positive_rate": "no actual {c} in the group",
    "false_positive_rate": "every row of the group is actually {c}",
    "precision": "no {c} predicted in the group",
}


def multiclass_estimate(name: str, cells: np.ndarray, classes: Sequence[Any]) -> Estimate:
    """The estimate (values, reasons, interval and test) of a multiclass metric.

    Parameters
    ----------
    name : str
        Canonical name (see :func:`resolve_multiclass_metric`), other than ``count``.
    cells : numpy.ndarray
        Shape ``(groups, K, K)``.
    classes : sequence
        The K class labels.

    Returns
    -------
    Proportion or Derived
    """
    m = np.asarray(cells, dtype=np.int64)
    total = m.sum(axis=(-2, -1))
    if name == "accuracy":
        return Proportion(np.trace(m, axis1=-2, axis2=-1), total, _EMPTY)
    rates = per_class_rates(m)
    if name.startswith("macro_"):
        num, den = rates[name.removeprefix("macro_")]
        values = _nanmean_last(np.where(den > 0, num / np.where(den > 0, den, 1), np.nan))
        reasons = np.where(
            total == 0, _EMPTY, np.where(np.isnan(values), "no class has this rate defined", "")
        ).astype(object)
        return Derived(values, reasons)
    match = _PER_CLASS.match(name)
    if match is None or match["metric"] not in rates:
        raise ValidationError(f"metric {name!r} has no multiclass estimate.")
    c = [str(x) for x in classes].index(match["cls"])
    num, den = rates[match["metric"]]
    return Proportion(num[..., c], den[..., c], _UNDEFINED[match["metric"]].format(c=classes[c]))


def _nanmean_last(values: np.ndarray) -> np.ndarray:
    valid = ~np.isnan(values)
    k = valid.sum(axis=-1)
    total = np.where(valid, values, 0.0).sum(axis=-1)
    out = np.full(k.shape, np.nan)
    np.divide(total, k, out=out, where=k > 0)
    return out


class PerClassOptions(TypedDict, total=False):
    """Options of the per-class parity metrics (each may be left out for its default).

    Attributes
    ----------
    kind : {"difference", "ratio"}
        Largest difference (default) or smallest ratio between groups.
    method : {"between_groups", "to_overall"}
        As in fairlearn (default ``"between_groups"``).
    attributes : str or sequence of str or None
        Attribute or intersection (default: all counted attributes).
    min_group_size : int
        Smaller groups are left out (default 0).
    """

    kind: Literal["difference", "ratio"]
    method: Method
    attributes: str | Sequence[str] | None
    min_group_size: int


def _per_class_aggregate(
    counts: MulticlassCounts,
    rate: str,
    *,
    kind: Literal["difference", "ratio"] = "difference",
    method: Method = "between_groups",
    attributes: str | Sequence[str] | None = None,
    min_group_size: int = 0,
) -> dict[Any, float]:
    sub = counts if attributes is None else counts.marginal(attributes)
    _, cells = sub.flat()
    num, den = per_class_rates(cells)[rate]
    values = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    onum, oden = per_class_rates(sub.overall)[rate]
    overall = np.where(oden > 0, onum / np.where(oden > 0, oden, 1), np.nan)
    sizes = sub.group_sizes()
    include = (sizes > 0) & (sizes >= min_group_size)
    fn = difference if kind == "difference" else ratio
    out = fn(values.T, overall, method=method, include=np.broadcast_to(include, values.T.shape))
    return {c: float(v) for c, v in zip(counts.classes, np.atleast_1d(out), strict=True)}


def demographic_parity_per_class(
    counts: MulticlassCounts, **options: Unpack[PerClassOptions]
) -> dict[Any, float]:
    """Demographic parity difference (or ratio) of each class's selection rate between groups.

    Parameters
    ----------
    counts : MulticlassCounts
        Counts from ``group_counts(..., kind="multiclass")``.
    **options
        ``kind``, ``method``, ``attributes``, ``min_group_size``: see :class:`PerClassOptions`.

    Returns
    -------
    dict
        Class label -> value (NaN when no group has the rate defined).
    """
    return _per_class_aggregate(counts, "selection_rate", **options)


def equalized_odds_per_class(
    counts: MulticlassCounts, **options: Unpack[PerClassOptions]
) -> dict[Any, float]:
    """Equalized odds of each class (one-vs-rest): the worse of its TPR and FPR disparities.

    Parameters are those of :func:`demographic_parity_per_class`. For ``difference`` the larger
    of the two differences, for ``ratio`` the smaller of the two ratios (an undefined part is
    left out, as fairlearn does).
    """
    tpr = _per_class_aggregate(counts, "true_positive_rate", **options)
    fpr = _per_class_aggregate(counts, "false_positive_rate", **options)
    worst = np.nanmin if options.get("kind") == "ratio" else np.nanmax
    out = {}
    for c in counts.classes:
        parts = [v for v in (tpr[c], fpr[c]) if not np.isnan(v)]
        out[c] = float(worst(parts)) if parts else float("nan")
    return out
