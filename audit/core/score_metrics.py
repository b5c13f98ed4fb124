"""Score-based group metrics (ROC AUC, calibration) from per-group score histograms.

Like the confusion counts, the per-group score histograms are computed in one ``np.bincount``
pass: for every group, every score bin and both labels, the number of rows, plus the sum of the
scores in each bin. All score metrics derive from those arrays.

Error bounds
------------
*ROC AUC.* The histogram AUC counts every (positive, negative) pair in different bins exactly and
every pair that falls into the *same* bin as a tie (worth 1/2). The difference to the exact AUC is
therefore at most half the share of same-bin pairs::

    |AUC_hist - AUC_exact| <= 0.5 * sum_b pos_b * neg_b / (P * N)

:func:`roc_auc_by_group` returns this bound for every group; with the default 1,000 bins it is
typically below 1e-3. When every bin holds a single distinct score the result is exact; for small
data, :func:`exact_roc_auc_by_group` ranks the rows instead.

*Expected calibration error.* ECE with ``n_bins`` equal-width bins on ``[0, 1]`` is computed
exactly when ``n_bins`` divides the histogram's ``bins``: the coarse bins are unions of fine bins,
and the mean score per bin comes from the stored score sums, not from bin centres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairgate.audit.core.counts import aligned_inputs
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.inputs import (
    MISSING_LABEL,
    MissingPolicy,
    binary_labels,
    combined_codes,
)
from fairgate.errors import MissingValueError, ValidationError

__all__ = [
    "ScoreCounts",
    "exact_roc_auc_by_group",
    "expected_calibration_error",
    "roc_auc_by_group",
    "score_bins",
    "score_counts",
    "score_counts_from_codes",
]


@dataclass(frozen=True, eq=False)
class ScoreCounts(GroupedCounts):
    """Per-group score histograms.

    Attributes
    ----------
    attributes : tuple of str
    levels : tuple of tuple
    hist : numpy.ndarray
        Shape ``(*levels, bins, 2)``: rows per score bin with label 0 (``[..., 0]``) and 1.
    score_sum : numpy.ndarray
        Shape ``(*levels, bins)``: sum of the scores in each bin.
    """

    hist: np.ndarray
    score_sum: np.ndarray

    ARRAYS: ClassVar[tuple[str, ...]] = ("hist", "score_sum")
    KIND: ClassVar[str] = "scores"

    def __post_init__(self) -> None:
        self.check_layout()

    @property
    def bins(self) -> int:
        """Number of equal-width score bins on [0, 1]."""
        return int(self.hist.shape[-2])

    def group_sizes(self) -> np.ndarray:
        """Rows per group, flat (row-major)."""
        return self.hist.reshape(-1, self.bins * 2).sum(axis=1)


def score_bins(unit: np.ndarray, bins: int) -> np.ndarray:
    """The histogram bin of every score in ``[0, 1]``: ``min(floor(score * bins), bins - 1)``."""
    return np.minimum((unit * bins).astype(np.int64), bins - 1)


def score_counts_from_codes(
    attributes: tuple[str, ...],
    levels: tuple[tuple[Any, ...], ...],
    code: np.ndarray,
    t: np.ndarray,
    b: np.ndarray,
    score_sum: np.ndarray,
    *,
    bins: int,
    weights: np.ndarray | None = None,
) -> ScoreCounts:
    """Fold rows (or an engine's grouped rows) into per-group score histograms.

    Parameters
    ----------
    attributes, levels
        The sensitive attributes and their levels.
    code : numpy.ndarray
        Combined group code of each row.
    t : numpy.ndarray
        0/1 label of each row.
    b : numpy.ndarray
        Score bin of each row (see :func:`score_bins`).
    score_sum : numpy.ndarray
        The row's score (or, for grouped rows, the sum of the scores of the key).
    bins : int
        Number of score bins.
    weights : numpy.ndarray, optional
        Rows behind each grouped row (default: one each).

    Returns
    -------
    ScoreCounts
    """
    sizes = tuple(len(lv) for lv in levels)
    groups = math.prod(sizes)
    cell = code * bins + b
    hist = np.bincount(cell * 2 + t, weights=weights, minlength=groups * bins * 2)
    sums = np.bincount(cell, weights=score_sum, minlength=groups * bins)
    return ScoreCounts(
        attributes,
        levels,
        hist.astype(np.int64).reshape(*sizes, bins, 2),
        sums.reshape(*sizes, bins),
    )


def _scored_rows(
    y_true: Any,
    y_score: Any,
    sensitive_features: Any,
    data: pd.DataFrame | None,
    pos_label: Any,
    missing: MissingPolicy,
    missing_label: str,
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray, tuple[tuple[Any, ...], ...]]:
    """Validated labels (0/1), scores in [0, 1], names, group codes and levels."""
    (yt, ys), names, columns = aligned_inputs(
        data, sensitive_features, y_true=y_true, y_score=y_score
    )
    t = binary_labels(yt, "y_true", pos_label).astype(np.int64)
    s = _scores(ys)
    code, levels = combined_codes(names, columns, missing, missing_label)
    return t, s, names, code, levels


def _scores(values: pd.Series) -> np.ndarray:
    if values.isna().any():
        raise MissingValueError(
            f"y_score: {int(values.isna().sum())} missing value(s); every row needs a score."
        )
    try:
        arr = values.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(
            "y_score: expected numeric scores (probabilities in [0, 1]); received non-numbers."
        ) from None
    if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
        raise ValidationError(
            f"y_score: expected probabilities in [0, 1], received values from {arr.min()!r} to "
            f"{arr.max()!r}; pass predict_proba(...)[:, 1] or rescale the scores."
        )
    return arr


def score_counts(
    y_true: Any,
    y_score: Any,
    sensitive_features: Any,
    *,
    data: pd.DataFrame | None = None,
    pos_label: Any = 1,
    bins: int = 1000,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
) -> ScoreCounts:
    """Per-group score histograms, in one pass.

    Parameters
    ----------
    y_true : array-like or str
        True outcomes (binary).
    y_score : array-like or str
        Scores in ``[0, 1]`` (e.g. ``predict_proba(X)[:, 1]``).
    sensitive_features, data, pos_label, missing, missing_label
        As in :func:`fairgate.audit.core.counts.group_counts`.
    bins : int, default 1000
        Equal-width bins on ``[0, 1]``; a multiple of 10 keeps the 10-bin ECE exact.

    Returns
    -------
    ScoreCounts
    """
    if bins < 2:
        raise ValidationError(f"bins={bins!r}: expected at least 2, e.g. 1000.")
    t, s, names, code, levels = _scored_rows(
        y_true, y_score, sensitive_features, data, pos_label, missing, missing_label
    )
    return score_counts_from_codes(tuple(names), levels, code, t, score_bins(s, bins), s, bins=bins)


def roc_auc_by_group(sc: ScoreCounts) -> tuple[np.ndarray, np.ndarray]:
    """ROC AUC of every group from its histogram, with the binning error bound.

    Parameters
    ----------
    sc : ScoreCounts
        Histograms from :func:`score_counts`.

    Returns
    -------
    (auc, bound) : tuple of numpy.ndarray
        Flat over groups (row-major, like :meth:`GroupCounts.flat`). NaN for a group with no
        positives or no negatives (AUC undefined).
    """
    hist = sc.hist.reshape(-1, sc.bins, 2).astype(np.float64)
    neg, pos = hist[..., 0], hist[..., 1]
    n_neg, n_pos = neg.sum(axis=1), pos.sum(axis=1)
    below = np.cumsum(neg, axis=1) - neg  # negatives in strictly lower bins
    wins = (pos * below).sum(axis=1) + 0.5 * (pos * neg).sum(axis=1)
    pairs = n_pos * n_neg
    ok = pairs > 0
    auc = np.full(len(pairs), np.nan)
    bound = np.full(len(pairs), np.nan)
    np.divide(wins, pairs, out=auc, where=ok)
    np.divide(0.5 * (pos * neg).sum(axis=1), pairs, out=bound, where=ok)
    return auc, bound


def expected_calibration_error(sc: ScoreCounts, n_bins: int = 10) -> np.ndarray:
    """Expected calibration error of every group (equal-width bins on [0, 1]).

    ``ECE = sum_m (n_m / n) * |positives_m / n_m - mean_score_m|``.

    Parameters
    ----------
    sc : ScoreCounts
        Histograms from :func:`score_counts`.
    n_bins : int, default 10
        Must divide ``sc.bins`` (then the result is exact).

    Returns
    -------
    numpy.ndarray
        Flat over groups; NaN for an empty group.
    """
    if n_bins < 1 or sc.bins % n_bins:
        raise ValidationError(
            f"n_bins={n_bins!r}: must divide the histogram's {sc.bins} bins, e.g. 10."
        )
    factor = sc.bins // n_bins
    hist = sc.hist.reshape(-1, n_bins, factor, 2).sum(axis=2).astype(np.float64)
    sums = sc.score_sum.reshape(-1, n_bins, factor).sum(axis=2)
    n_m = hist.sum(axis=2)
    n = n_m.sum(axis=1)
    gap = np.abs(hist[..., 1] - sums)  # n_m * |acc_m - conf_m|
    out = np.full(len(n), np.nan)
    np.divide(gap.sum(axis=1), n, out=out, where=n > 0)
    return out


def exact_roc_auc_by_group(
    y_true: Any,
    y_score: Any,
    sensitive_features: Any,
    *,
    data: pd.DataFrame | None = None,
    pos_label: Any = 1,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
) -> pd.Series:
    """Exact per-group ROC AUC by ranking the rows (for small data; ties count one half).

    Returns
    -------
    pandas.Series
        Indexed like :meth:`ScoreCounts.index`; NaN where a group lacks either class.
    """
    from scipy.stats import rankdata

    t_codes, s, names, code, levels = _scored_rows(
        y_true, y_score, sensitive_features, data, pos_label, missing, missing_label
    )
    t = t_codes.astype(bool)
    groups = math.prod(len(lv) for lv in levels)
    out = np.full(groups, np.nan)
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(groups + 1))
    for g in range(groups):
        rows = order[bounds[g] : bounds[g + 1]]
        pos = t[rows]
        n_pos, n_neg = int(pos.sum()), int((~pos).sum())
        if n_pos and n_neg:
            ranks = rankdata(s[rows])
            out[g] = (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    grid = tuple(map(len, levels))  # the groups' index, as every counts object builds it
    no_bins = ScoreCounts(tuple(names), levels, np.zeros((*grid, 0, 2)), np.zeros((*grid, 0)))
    return pd.Series(out, index=no_bins.index(), name="roc_auc")
