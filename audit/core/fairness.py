"""fairlearn's group-fairness aggregates of a binary classifier, from its confusion counts.

``demographic_parity_difference/ratio``, ``equal_opportunity_difference/ratio``,
``equalized_odds_difference/ratio`` (named and computed as in fairlearn, over every attribute or
intersection) and the four-fifths rule (:func:`disparate_impact`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from fairgate.audit.core.counts import GroupCounts
from fairgate.audit.core.estimates import safe_divide
from fairgate.audit.core.metrics import Method, difference, metric_values, ratio, selection_rate
from fairgate.errors import ValidationError

__all__ = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "disparate_impact",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
]


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


_ARGS_DOC = """
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
        Groups smaller than this are left out.{extra}

    Returns
    -------
    float
    """
_AGG_DOC = """
    agg : {"worst_case", "mean"}, default "worst_case"
        How the TPR and FPR parts are combined, as in fairlearn."""


def _criterion(
    name: str, rates: tuple[str, ...], kind: Literal["difference", "ratio"], summary: str
) -> Callable[..., float]:
    """A fairlearn aggregate of ``rates`` (one rate, or TPR and FPR combined with ``agg``)."""
    worst = max if kind == "difference" else min
    if len(rates) == 1:

        def criterion(
            counts: GroupCounts,
            *,
            method: Method = "between_groups",
            attributes: str | Sequence[str] | None = None,
            min_group_size: int = 0,
        ) -> float:
            return _aggregate(rates[0], counts, method, attributes, min_group_size, kind)

    else:

        def criterion(
            counts: GroupCounts,
            *,
            method: Method = "between_groups",
            attributes: str | Sequence[str] | None = None,
            min_group_size: int = 0,
            agg: Literal["worst_case", "mean"] = "worst_case",
        ) -> float:
            a, b = (_aggregate(r, counts, method, attributes, min_group_size, kind) for r in rates)
            return _combine(a, b, agg, worst=worst)

    criterion.__name__ = criterion.__qualname__ = name
    extra = _AGG_DOC if len(rates) > 1 else ""
    criterion.__doc__ = summary + "\n" + _ARGS_DOC.replace("{extra}", extra)
    return criterion


_TPR_FPR = ("true_positive_rate", "false_positive_rate")

demographic_parity_difference = _criterion(
    "demographic_parity_difference",
    ("selection_rate",),
    "difference",
    "Largest difference in selection rate between groups.",
)
demographic_parity_ratio = _criterion(
    "demographic_parity_ratio",
    ("selection_rate",),
    "ratio",
    "Smallest ratio of selection rates between groups.",
)
equal_opportunity_difference = _criterion(
    "equal_opportunity_difference",
    ("true_positive_rate",),
    "difference",
    "Largest difference in true positive rate between groups.",
)
equal_opportunity_ratio = _criterion(
    "equal_opportunity_ratio",
    ("true_positive_rate",),
    "ratio",
    "Smallest ratio of true positive rates between groups.",
)
equalized_odds_difference = _criterion(
    "equalized_odds_difference",
    _TPR_FPR,
    "difference",
    "The larger (or mean) of the TPR and FPR differences between groups, as in fairlearn.",
)
equalized_odds_ratio = _criterion(
    "equalized_odds_ratio",
    _TPR_FPR,
    "ratio",
    "The smaller (or mean) of the TPR and FPR ratios between groups, as in fairlearn.",
)


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
    ratios = safe_divide(rates, np.full(rates.shape, ref_rate))
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
