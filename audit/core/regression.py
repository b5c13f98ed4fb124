"""Regression counts: per-group sums, sums of squares and a fixed-bin error histogram.

For each group fairgate keeps (see :data:`STATS`) the number of rows and the sums of the
outcome, the outcome squared, the prediction, the prediction squared, the error
``e = y_pred - y_true``, ``|e|``, ``e**2`` and ``e**4``. Every regression metric (mean absolute
error, mean squared error, R², mean error, ...), its interval and Welch's test between groups are
functions of these sums; all are additive, so marginals, windows and files merge by addition.

The error histogram uses fixed edges that do not depend on the data (:data:`ERROR_EDGES`: zero
and eight geometric bins per decade from 1e-3 to 1e6 on both signs, plus under- and overflow),
so histograms from different windows and files add up as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairgate.audit.core.grouped import GroupedCounts
from fairgate.errors import ValidationError

__all__ = [
    "ERROR_EDGES",
    "STATS",
    "RegressionCounts",
    "check_edges",
    "error_bins",
    "regression_counts_from_codes",
]

STATS: tuple[str, ...] = (
    "n",
    "sum_y",
    "sum_y2",
    "sum_pred",
    "sum_pred2",
    "sum_err",
    "sum_abs_err",
    "sum_sq_err",
    "sum_err4",
)
"""Order of the last axis of :attr:`RegressionCounts.stats`; the error is ``y_pred - y_true``."""

_DECADE_STEPS = 8
_LOW, _HIGH = -3, 6  # decades of |error| with their own bins
_POS = 10.0 ** (np.arange(_LOW * _DECADE_STEPS, _HIGH * _DECADE_STEPS + 1) / _DECADE_STEPS)
ERROR_EDGES: tuple[float, ...] = tuple(np.concatenate([-_POS[::-1], [0.0], _POS]).tolist())
"""Default edges of the error histogram (bin ``i`` holds ``edges[i-1] <= e < edges[i]``)."""


def error_bins(errors: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Histogram bin of each error: 0 below the first edge, ``len(edges)`` from the last one.

    Equal to ``np.searchsorted(edges, errors, side="right")``; for the default edges the bin is
    computed from ``log10 |error|`` and corrected against the edges themselves, several times
    faster than a binary search over 145 edges.
    """
    if edges is ERROR_EDGES or tuple(edges) == ERROR_EDGES:
        return _default_bins(np.asarray(errors, dtype=np.float64))
    return np.searchsorted(np.asarray(edges), errors, side="right")


def _default_bins(errors: np.ndarray) -> np.ndarray:
    # log10 in float32 is twice as fast; rows within 1e-4 of an edge (float32 rounding is about
    # 1e-5 here), and non-finite ones, are decided exactly by a binary search
    m = len(_POS)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = np.log10(np.abs(errors).astype(np.float32))
        t -= np.float32(_LOW)
        t *= np.float32(_DECADE_STEPS)
        k = np.floor(t)
        np.clip(k, -1, m - 1, out=k)
        near = ~(np.abs(t - np.rint(t)) >= 1e-4)
        bins = np.where(errors < 0, (m - 1) - k, k + (m + 2)).astype(np.int64)
    if near.any():
        bins[near] = np.searchsorted(np.asarray(ERROR_EDGES), errors[near], side="right")
    return bins


@dataclass(frozen=True, eq=False)
class RegressionCounts(GroupedCounts):
    """Sufficient statistics of a regression model's outputs for every group.

    Attributes
    ----------
    attributes : tuple of str
    levels : tuple of tuple
    stats : numpy.ndarray
        Float array ``(*levels, 9)`` in the order of :data:`STATS`.
    hist : numpy.ndarray
        Integer array ``(*levels, len(edges) + 1)``: rows per error bin.
    edges : tuple of float
        The histogram's edges.
    """

    stats: np.ndarray
    hist: np.ndarray
    edges: tuple[float, ...] = ERROR_EDGES

    ARRAYS: ClassVar[tuple[str, ...]] = ("stats", "hist")
    KIND: ClassVar[str] = "regression"

    def __post_init__(self) -> None:
        if self.stats.shape != (*self.grid, len(STATS)):
            raise ValueError(f"stats has shape {self.stats.shape}")
        if self.hist.shape != (*self.grid, len(self.edges) + 1):
            raise ValueError(f"hist has shape {self.hist.shape}")
        self.check_layout()

    def settings(self) -> dict[str, Any]:
        """The histogram edges (kept by marginals)."""
        return {"edges": self.edges}

    def group_sizes(self) -> np.ndarray:
        """Rows per group, flat (row-major)."""
        return self.stats.reshape(-1, len(STATS))[:, 0].astype(np.int64)

    @property
    def overall(self) -> np.ndarray:
        """Statistics over all rows, shape ``(9,)``."""
        return self.stats.reshape(-1, len(STATS)).sum(axis=0)

    def flat(self) -> tuple[list[tuple[Any, ...]], np.ndarray]:
        """Group keys and the statistics as a ``(groups, 9)`` array."""
        return self.keys(), self.stats.reshape(-1, len(STATS))

    def to_frame(self) -> pd.DataFrame:
        """One row per group, one column per statistic."""
        return pd.DataFrame(self.stats.reshape(-1, len(STATS)), index=self.index(), columns=STATS)

    def error_quantiles(self, q: float | list[float]) -> np.ndarray:
        """Approximate error quantiles per group from the histogram (bin edges, interpolated).

        Returns
        -------
        numpy.ndarray
            Shape ``(groups, len(q))``; NaN for an empty group. Under- and overflow bins are
            bounded by the nearest edge.
        """
        qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
        if ((qs < 0) | (qs > 1)).any():
            raise ValidationError(f"q={q!r}: quantiles must lie in [0, 1].")
        hist = self.hist.reshape(-1, self.hist.shape[-1]).astype(np.float64)
        edges = np.asarray(self.edges)
        lower = np.concatenate([[edges[0]], edges])
        upper = np.concatenate([edges, [edges[-1]]])
        cum = np.cumsum(hist, axis=1)
        total = cum[:, -1:]
        out = np.full((len(hist), len(qs)), np.nan)
        for j, qq in enumerate(qs):
            target = qq * total[:, 0]
            b = np.minimum((cum < target[:, None]).sum(axis=1), hist.shape[1] - 1)
            before = np.take_along_axis(cum, b[:, None], 1)[:, 0] - hist[np.arange(len(b)), b]
            inside = hist[np.arange(len(b)), b]
            frac = np.divide(target - before, inside, out=np.zeros_like(target), where=inside > 0)
            out[:, j] = np.where(
                total[:, 0] > 0, lower[b] + np.clip(frac, 0, 1) * (upper[b] - lower[b]), np.nan
            )
        return out


def check_edges(edges: Any) -> tuple[float, ...]:
    """Validated histogram edges (default :data:`ERROR_EDGES`)."""
    if edges is None:
        return ERROR_EDGES
    arr = np.asarray(edges, dtype=np.float64).reshape(-1)
    if len(arr) < 1 or not np.isfinite(arr).all() or (np.diff(arr) <= 0).any():
        raise ValidationError(
            "error_edges: expected finite, strictly increasing numbers, e.g. [-10, -1, 0, 1, 10]."
        )
    return tuple(arr.tolist())


def regression_counts_from_codes(
    attributes: tuple[str, ...],
    levels: tuple[tuple[Any, ...], ...],
    code: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    error_edges: Any = None,
) -> RegressionCounts:
    """Per-group regression statistics in one pass of weighted ``np.bincount`` calls.

    Parameters
    ----------
    attributes, levels
        As in :class:`RegressionCounts`.
    code : numpy.ndarray
        Combined group code of each row (row-major over the attributes).
    y_true, y_pred : numpy.ndarray
        Validated float64 outcomes and predictions.
    error_edges : array-like, optional
        Histogram edges (default :data:`ERROR_EDGES`).

    Returns
    -------
    RegressionCounts
    """
    edges = check_edges(error_edges)
    grid = tuple(len(lv) for lv in levels)
    groups = math.prod(grid)
    err = y_pred - y_true
    sq = err * err
    columns = (y_true, y_true * y_true, y_pred, y_pred * y_pred, err, np.abs(err), sq, sq * sq)
    stats = np.empty((groups, len(STATS)))
    stats[:, 0] = np.bincount(code, minlength=groups)
    for j, values in enumerate(columns, start=1):
        stats[:, j] = np.bincount(code, weights=values, minlength=groups)
    width = len(edges) + 1
    hist = np.bincount(code * width + error_bins(err, edges), minlength=groups * width)
    return RegressionCounts(
        attributes,
        levels,
        stats.reshape(*grid, len(STATS)),
        hist.reshape(*grid, width),
        edges,
    )
