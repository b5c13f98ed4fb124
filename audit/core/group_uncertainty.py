"""A group report's uncertainty: every group's interval of each metric, and its test.

Intervals are analytic (Wilson for a rate, Student-t for a mean), Jeffreys, or percentile
intervals of the cell bootstrap; the tests compare each group with the reference group. Every
interval and test is computed for all groups at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from fairgate.audit.core.estimates import (
    Estimate,
    Mean,
    Proportion,
    estimate_interval,
    estimate_p_values,
)
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.kinds import estimate
from fairgate.audit.core.uncertainty import bootstrap_cells, jeffreys_interval, percentiles
from fairgate.errors import ValidationError

__all__ = ["CIMethod", "Intervals", "check_ci", "intervals", "p_value_frame", "reference_index"]

CIMethod = Literal["analytic", "wilson", "jeffreys", "normal", "bootstrap", "none"]
"""How a group report's intervals are computed (see :func:`intervals`)."""


class Intervals:
    """Interval bounds and methods per group and metric, and the bootstrap draws if any.

    Attributes
    ----------
    low, high : pandas.DataFrame
        Bounds, one row per group, one column per metric (NaN where there is none).
    methods : pandas.DataFrame of str
        Which method gave each interval (``""`` where there is none).
    boot : numpy.ndarray or None
        The bootstrap draws of the cells, ``(n_boot, groups, ...)``, for ``ci="bootstrap"``.
    """

    def __init__(self, index: pd.Index, names: Sequence[str]) -> None:
        self.low = pd.DataFrame(np.nan, index=index, columns=list(names))
        self.high = pd.DataFrame(np.nan, index=index, columns=list(names))
        self.methods = pd.DataFrame("", index=index, columns=list(names))
        self.boot: np.ndarray | None = None


def check_ci(ci: str, counts: GroupedCounts, resamplable: bool) -> None:
    """Refuse an unknown interval method, or a bootstrap of counts that cannot be resampled.

    Parameters
    ----------
    ci : str
        A :data:`CIMethod`.
    counts : GroupedCounts
        The counts to report on (its kind is named in the message).
    resamplable : bool
        Whether the counts keep rows the cell bootstrap can resample.

    Raises
    ------
    ValidationError
        With the methods to use instead.
    """
    if ci not in get_args(CIMethod):
        allowed = ", ".join(repr(m) for m in get_args(CIMethod))
        raise ValidationError(f"ci={ci!r}: use one of {allowed}.")
    if ci == "bootstrap" and not resamplable:
        raise ValidationError(
            f"ci='bootstrap': the cell bootstrap resamples counts of rows, which a {counts.kind} "
            "audit does not keep; use ci='analytic' (Student-t intervals on the moments)."
        )


def intervals(
    sub: GroupedCounts,
    estimates: Mapping[str, Estimate],
    names: Sequence[str],
    *,
    ci: CIMethod,
    alpha: float,
    n_boot: int,
    seed: int,
) -> Intervals:
    """Every group's interval of each metric in ``estimates``.

    Parameters
    ----------
    sub : GroupedCounts
        The counts of the reported attribute set.
    estimates : mapping of str to Estimate
        Each metric's estimate over ``sub``'s groups (``count`` has none and no interval).
    names : sequence of str
        Every reported metric (the columns of the frames).
    ci : CIMethod
        ``analytic``: Wilson for a rate, Student-t for a mean. ``wilson`` / ``jeffreys`` /
        ``normal`` insist on one (another shape is refused). ``bootstrap``: percentile
        intervals of the cell bootstrap, Wilson where the bootstrap collapses to a point.
    alpha : float
        One minus the coverage.
    n_boot, seed : int
        Bootstrap draws and their seed (``ci="bootstrap"`` only).

    Returns
    -------
    Intervals
    """
    out = Intervals(sub.index(), names)
    size = len(out.low)
    drawn = None
    if ci == "bootstrap":
        cells = sub.flat_arrays()["cells"]
        out.boot = bootstrap_cells(cells, n_boot, seed=seed)
        drawn = {"cells": out.boot.reshape(n_boot * len(cells), *cells.shape[1:])}
    for m, est in estimates.items() if ci != "none" else ():
        _check_interval_shape(ci, m, est)
        if not isinstance(est, (Proportion, Mean)):
            continue  # R², macro averages, shares: no interval
        if ci == "jeffreys":
            lo, hi = jeffreys_interval(est.num, est.den, alpha)
            label = np.full(size, "jeffreys", dtype=object)
        else:
            lo, hi = estimate_interval(est, alpha)
            label = np.full(size, "wilson" if isinstance(est, Proportion) else "t", dtype=object)
        if drawn is not None:
            b_lo, b_hi = percentiles(estimate(sub, m, drawn).values.reshape(n_boot, -1), alpha)
            use_boot = np.ones(size, dtype=bool)
            if isinstance(est, Proportion):
                num, den = np.asarray(est.num), np.asarray(est.den)
                use_boot = (den > 0) & ~((num == 0) | (num == den) | ~(b_hi > b_lo))
            lo, hi = np.where(use_boot, b_lo, lo), np.where(use_boot, b_hi, hi)
            label = np.where(use_boot, "bootstrap", "wilson (bootstrap degenerate)")
        out.low[m], out.high[m] = lo, hi
        out.methods[m] = np.where(np.isfinite(lo) | np.isfinite(hi), label, "")
    return out


def _check_interval_shape(ci: str, metric: str, est: Any) -> None:
    wanted = {"wilson": Proportion, "jeffreys": Proportion, "normal": Mean}.get(ci)
    if wanted is not None and isinstance(est, (Proportion, Mean)) and not isinstance(est, wanted):
        raise ValidationError(
            f"ci={ci!r} does not apply to {metric!r} (not a "
            f"{'mean' if ci == 'normal' else 'rate'}); use ci='analytic', which picks the "
            "interval of each metric's shape."
        )


def reference_index(sub: GroupedCounts, insufficient: np.ndarray, reference: Any) -> int | None:
    """Index of the reference group: the one named, else the largest sufficient group.

    Parameters
    ----------
    sub : GroupedCounts
        The counts of the reported attribute set.
    insufficient : numpy.ndarray of bool
        Groups too small to judge.
    reference : group label or tuple or None
        The group named by the caller.

    Returns
    -------
    int or None
        None when every group is empty.

    Raises
    ------
    ValidationError
        A named reference that is not a group; the message lists the groups.
    """
    keys = sub.keys()
    sizes = sub.group_sizes()
    if reference is not None:
        ref_key = reference if isinstance(reference, tuple) else (reference,)
        if ref_key not in keys:
            raise ValidationError(
                f"reference={reference!r} is not a group of {list(sub.attributes)}; "
                f"use one of {[k if len(k) > 1 else k[0] for k in keys][:20]}."
            )
        return keys.index(ref_key)
    sufficient = np.flatnonzero(~insufficient & (sizes > 0))
    if sufficient.size:
        return int(sufficient[np.argmax(sizes[sufficient])])
    if sizes.sum() > 0:
        return int(np.argmax(sizes))
    return None


def p_value_frame(
    estimates: Mapping[str, Estimate], ref_idx: int | None, index: pd.Index
) -> pd.DataFrame:
    """Each group's p-value against the reference group, per metric (NaN without a reference).

    Parameters
    ----------
    estimates : mapping of str to Estimate
        Each metric's estimate over the groups.
    ref_idx : int or None
        The reference group (:func:`reference_index`).
    index : pandas.Index
        The groups.

    Returns
    -------
    pandas.DataFrame
    """
    p_values = pd.DataFrame(np.nan, index=index, columns=list(estimates))
    if ref_idx is not None:
        for m, est in estimates.items():
            p_values[m] = estimate_p_values(est, ref_idx)
    return p_values
