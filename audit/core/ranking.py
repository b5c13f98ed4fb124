"""Rankings audited at the top k: each group's share of the top k and of the exposure.

A ranking orders items (people, cases) by score, highest first; rank 1 is the top. For every
group three additive statistics are counted in one ``np.bincount`` pass over the ranked rows:

- ``pool``: items of the group in the ranking;
- ``top_k``: items of the group among the first ``k``;
- ``exposure``: the sum of the group's position discounts ``1 / log2(1 + rank)`` (the
  logarithmic discount of DCG) over the whole ranking.

From them: the group's share of the pool and of the top k, their ratio (1 means the group is
represented in the top k as in the pool), the top-k rate (``top_k / pool``, a proportion with the
usual interval and test), the mean exposure per item and the group's share of all exposure
against its share of the pool. Ties are ranked in the order of the rows (a stable sort), so a
ranking is reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairgate.audit.core.counts import aligned_inputs
from fairgate.audit.core.estimates import Proportion, safe_divide
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.inputs import (
    MISSING_LABEL,
    MissingPolicy,
    combined_codes,
    numeric_values,
)
from fairgate.errors import ValidationError

__all__ = [
    "RANKING_STATS",
    "RankingCounts",
    "check_k",
    "position_discount",
    "ranking_counts",
    "ranking_counts_from_codes",
    "ranking_table",
    "score_ranks",
    "top_k_rate",
]

RANKING_STATS: tuple[str, ...] = ("pool", "top_k", "exposure")
"""The per-group statistics of a ranking, in array order."""


def position_discount(ranks: np.ndarray) -> np.ndarray:
    """``1 / log2(1 + rank)`` for 1-based ranks: 1 at the top, slowly falling."""
    return 1.0 / np.log2(1.0 + np.asarray(ranks, dtype=np.float64))


@dataclass(frozen=True, eq=False)
class RankingCounts(GroupedCounts):
    """Per-group ranking statistics.

    Attributes
    ----------
    attributes : tuple of str
    levels : tuple of tuple
    stats : numpy.ndarray
        Float array ``(*levels, 3)`` in the order of :data:`RANKING_STATS`.
    k : int
        The size of the top.
    """

    stats: np.ndarray
    k: int = 10

    ARRAYS: ClassVar[tuple[str, ...]] = ("stats",)
    KIND: ClassVar[str] = "ranking"

    def __post_init__(self) -> None:
        if self.stats.shape != (*self.grid, len(RANKING_STATS)):
            raise ValueError(f"stats has shape {self.stats.shape}")
        self.check_layout()

    def settings(self) -> dict[str, Any]:
        """The top's size (kept by marginals)."""
        return {"k": self.k}

    def group_sizes(self) -> np.ndarray:
        """Items per group, flat (row-major)."""
        return self.stats.reshape(-1, len(RANKING_STATS))[:, 0].astype(np.int64)


def ranking_counts(
    y_score: Any,
    sensitive_features: Any,
    *,
    k: int,
    data: pd.DataFrame | None = None,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
) -> RankingCounts:
    """Per-group top-k and exposure statistics of the ranking by ``y_score`` (highest first).

    Parameters
    ----------
    y_score : array-like or str
        Scores (any finite numbers; higher ranks first) or a column of ``data``.
    sensitive_features : array-like, dict, DataFrame, or column name(s)
        As in :func:`fairgate.audit.core.counts.group_counts`.
    k : int
        Size of the top, at least 1 (larger than the ranking: the whole ranking).
    data : pandas.DataFrame, optional
        Holds the named columns.
    missing, missing_label
        As in :func:`fairgate.audit.core.counts.group_counts`.

    Returns
    -------
    RankingCounts

    Raises
    ------
    ValidationError
        For a ``k`` below 1, missing or non-numeric scores, or inputs of different lengths.
    """
    check_k(k)
    (values,), names, columns = aligned_inputs(data, sensitive_features, y_score=y_score)
    scores = numeric_values(values, "y_score")
    code, levels = combined_codes(names, columns, missing, missing_label)
    ranks = score_ranks(scores)
    return ranking_counts_from_codes(
        tuple(names),
        levels,
        code,
        (ranks <= k).astype(np.float64),
        position_discount(ranks),
        k=int(k),
    )


def check_k(k: Any) -> None:
    """Refuse a top size that is not a whole number of at least 1.

    Raises
    ------
    ValidationError
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValidationError(f"k={k!r}: expected a whole number of at least 1, e.g. k=100.")


def score_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of every row, highest score first; ties in the order of the rows.

    This is the tie rule every engine follows: ``ORDER BY score DESC, row number``.
    """
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def ranking_counts_from_codes(
    attributes: tuple[str, ...],
    levels: tuple[tuple[Any, ...], ...],
    code: np.ndarray,
    top: np.ndarray,
    exposure: np.ndarray,
    *,
    k: int,
    weights: np.ndarray | None = None,
) -> RankingCounts:
    """Fold ranked rows (or an engine's per-group sums) into :class:`RankingCounts`.

    Parameters
    ----------
    attributes, levels, code
        The sensitive attributes, their levels and the combined group code of each row.
    top, exposure : numpy.ndarray
        Per row: 1 in the top k, else 0, and the position discount (or, for grouped rows,
        their sums over the key).
    k : int
        The size of the top.
    weights : numpy.ndarray, optional
        For grouped rows, how many ranked rows each stands for (default: 1).

    Returns
    -------
    RankingCounts
    """
    groups = math.prod(len(lv) for lv in levels)
    stats = np.stack(
        [
            np.bincount(code, weights=weights, minlength=groups).astype(np.float64),
            np.bincount(code, weights=top, minlength=groups),
            np.bincount(code, weights=exposure, minlength=groups),
        ],
        axis=1,
    )
    return RankingCounts(attributes, levels, stats.reshape(*map(len, levels), 3), int(k))


def top_k_rate(counts: RankingCounts) -> Proportion:
    """The share of each group's items that reach the top k (a proportion, flat groups)."""
    flat = counts.stats.reshape(-1, len(RANKING_STATS))
    return Proportion(
        flat[:, 1].astype(np.int64), flat[:, 0].astype(np.int64), "no item of this group"
    )


def ranking_table(counts: RankingCounts) -> pd.DataFrame:
    """Per group: pool and top-k sizes and shares, their ratio, the top-k rate and exposure.

    Columns
    -------
    count, top_k, share_of_pool, share_of_top_k, top_k_share_ratio (share of the top k over
    share of the pool), top_k_rate, mean_exposure (per item), share_of_exposure and
    exposure_ratio (share of exposure over share of the pool). NaN where a group is empty.
    """
    flat = counts.stats.reshape(-1, len(RANKING_STATS))
    pool, top, exposure = flat[:, 0], flat[:, 1], flat[:, 2]
    share_pool = safe_divide(pool, pool.sum())
    share_top = safe_divide(top, top.sum())
    share_exposure = safe_divide(exposure, exposure.sum())
    return pd.DataFrame(
        {
            "count": pool.astype(np.int64),
            "top_k": top.astype(np.int64),
            "share_of_pool": share_pool,
            "share_of_top_k": share_top,
            "top_k_share_ratio": safe_divide(share_top, share_pool),
            "top_k_rate": top_k_rate(counts).values,
            "mean_exposure": safe_divide(exposure, pool),
            "share_of_exposure": share_exposure,
            "exposure_ratio": safe_divide(share_exposure, share_pool),
        },
        index=counts.index(),
    )
