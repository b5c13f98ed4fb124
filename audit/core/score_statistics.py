"""The scores kind's statistics over all rows: score histograms, the ranking at the top k, scale.

A scores model's report detail (AUC, calibration, threshold sweep, top-k ranking) is derived from
three things computed over every row, by whichever engine counts the log:

- the per-group score histograms (:class:`~fairgate.audit.core.score_metrics.ScoreCounts`) of the
  scores mapped onto ``[0, 1]``;
- the per-group ranking statistics (:class:`~fairgate.audit.core.ranking.RankingCounts`) of the
  ranking by the scores themselves, highest first, ties in row order;
- the :class:`ScoreScale` that maps the scores onto ``[0, 1]``: probabilities stay as they are;
  raw scores (any value outside ``[0, 1]``) are mapped by the range of all rows, which leaves the
  AUC and the rates unchanged (both depend on the order of the scores only).

:func:`score_statistics` computes them in memory (``np.bincount``); the DuckDB and Spark engines
compute the same with one aggregate for the range and one ``GROUP BY`` for the histograms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.core.counts import aligned_inputs
from fairgate.audit.core.inputs import (
    MISSING_LABEL,
    MissingPolicy,
    binary_labels,
    check_missing_policy,
    combined_codes,
    numeric_values,
)
from fairgate.audit.core.ranking import (
    RankingCounts,
    check_k,
    position_discount,
    ranking_counts_from_codes,
    score_ranks,
)
from fairgate.audit.core.score_metrics import ScoreCounts, score_bins, score_counts_from_codes
from fairgate.errors import ValidationError

__all__ = [
    "SCORE_BINS",
    "ScoreRequest",
    "ScoreScale",
    "ScoreStatistics",
    "score_scale",
    "score_statistics",
    "top_k_size",
]

SCORE_BINS = 1000
"""Equal-width histogram bins on [0, 1] (a multiple of 10 keeps the 10-bin ECE exact)."""


@dataclass(frozen=True)
class ScoreScale:
    """How scores map onto ``[0, 1]``: ``(score - low) / span`` for raw scores, else unchanged.

    Attributes
    ----------
    low, span : float
        The lowest score and the range (``0`` and ``1`` for probabilities).
    raw : bool
        Whether the scores are raw (some value outside ``[0, 1]``).
    """

    low: float
    span: float
    raw: bool

    def unit(self, scores: np.ndarray) -> np.ndarray:
        """The scores on ``[0, 1]``."""
        if not self.raw:
            return scores
        return np.clip((scores - self.low) / self.span, 0.0, 1.0)

    def thresholds(self, points: int) -> list[float]:
        """``points`` thresholds evenly over the scores' range."""
        return [self.low + self.span * i / (points - 1) for i in range(points)]


def score_scale(low: float, high: float) -> ScoreScale:
    """The scale of scores ranging from ``low`` to ``high``.

    Parameters
    ----------
    low, high : float
        The smallest and largest score of all rows.

    Returns
    -------
    ScoreScale
        Unchanged for probabilities (both in ``[0, 1]``); otherwise mapped by the range.
    """
    low, high = float(low), float(high)
    if low < 0.0 or high > 1.0:
        return ScoreScale(low, (high - low) or 1.0, True)
    return ScoreScale(0.0, 1.0, False)


@dataclass(frozen=True)
class ScoreStatistics:
    """Everything a scores audit's detail needs, counted over all rows.

    Attributes
    ----------
    scores : ScoreCounts
        Per-group histograms of the scores on ``[0, 1]``.
    ranking : RankingCounts
        Per-group top-k and exposure statistics.
    scale : ScoreScale
        How the scores were mapped onto ``[0, 1]``.
    rows : int
        Rows counted.
    """

    scores: ScoreCounts
    ranking: RankingCounts
    scale: ScoreScale
    rows: int


@dataclass(frozen=True)
class ScoreRequest:
    """What an engine counts of a scored log: its columns and the scores kind's options.

    The arguments are checked once, here, before any engine reads the log.

    Attributes
    ----------
    y_true, y_score : str
        Columns of the outcomes and the scores (probabilities or raw scores).
    sensitive : tuple of str
        Columns of the sensitive attributes (a single name is accepted).
    threshold : float
        The decision threshold (decide ``score >= threshold``); sizes the default top.
    pos_label, top_k, bins, missing, missing_label
        As in :func:`score_statistics`.
    """

    y_true: str
    y_score: str
    sensitive: tuple[str, ...]
    threshold: float
    pos_label: Any = 1
    top_k: int | None = None
    bins: int = SCORE_BINS
    missing: MissingPolicy = "group"
    missing_label: str = MISSING_LABEL

    def __post_init__(self) -> None:
        given = self.sensitive
        names = (given,) if isinstance(given, str) else tuple(given)
        if not names:
            raise ValidationError("sensitive: no sensitive column given; name at least one.")
        object.__setattr__(self, "sensitive", names)
        check_missing_policy(self.missing)
        if self.bins < 2:
            raise ValidationError(f"bins={self.bins!r}: expected at least 2, e.g. 1000.")
        if self.top_k is not None:
            check_k(self.top_k)

    def columns(self) -> dict[str, str]:
        """The columns the log needs, by the argument that names them."""
        named = {"y_true": self.y_true, "y_score": self.y_score}
        return {**named, **{f"sensitive[{n!r}]": n for n in self.sensitive}}


def top_k_size(top_k: int | None, selected: int) -> int:
    """The audited top: ``top_k`` when given, else the rows the threshold selects (at least 1).

    Raises
    ------
    ValidationError
        For a ``top_k`` that is not a whole number of at least 1.
    """
    if top_k is None:
        return max(int(selected), 1)
    check_k(top_k)
    return int(top_k)


def score_statistics(
    y_true: Any,
    y_score: Any,
    sensitive_features: Any,
    *,
    threshold: float,
    data: pd.DataFrame | None = None,
    pos_label: Any = 1,
    top_k: int | None = None,
    bins: int = SCORE_BINS,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
) -> ScoreStatistics:
    """Score histograms and the top-k ranking of every group, in memory (``np.bincount``).

    Parameters
    ----------
    y_true : array-like or str
        True outcomes (binary).
    y_score : array-like or str
        Scores: probabilities in ``[0, 1]`` or raw scores (any finite numbers).
    sensitive_features, data, pos_label, missing, missing_label
        As in :func:`fairgate.audit.core.counts.group_counts`.
    threshold : float
        The decision threshold (decide ``score >= threshold``); sizes the default top.
    top_k : int, optional
        Size of the audited top (default: the rows the threshold selects, at least 1).
    bins : int, default 1000
        Histogram bins on ``[0, 1]``.

    Returns
    -------
    ScoreStatistics

    Raises
    ------
    ValidationError, LabelError, MissingValueError, LengthMismatchError, EmptyDataError
    """
    if bins < 2:
        raise ValidationError(f"bins={bins!r}: expected at least 2, e.g. 1000.")
    (yt, ys), names, columns = aligned_inputs(
        data, sensitive_features, y_true=y_true, y_score=y_score
    )
    t = binary_labels(yt, "y_true", pos_label).astype(np.int64)
    s = numeric_values(ys, "y_score")
    code, levels = combined_codes(names, columns, missing, missing_label)
    scale = score_scale(s.min(), s.max())
    unit = scale.unit(s)
    hist = score_counts_from_codes(
        tuple(names), levels, code, t, score_bins(unit, bins), unit, bins=bins
    )
    k = top_k_size(top_k, int((s >= float(threshold)).sum()))
    ranks = score_ranks(s)
    ranking = ranking_counts_from_codes(
        tuple(names), levels, code, (ranks <= k).astype(np.float64), position_discount(ranks), k=k
    )
    return ScoreStatistics(hist, ranking, scale, len(s))
