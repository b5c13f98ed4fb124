"""Uncertainty from counts: Wilson intervals, the cell bootstrap, and significance tests.

The bootstrap resamples **cells**, not rows: one multinomial draw over the flattened
``(groups x 4)`` count vector with the total ``N`` gives exactly the distribution of the group
confusion counts under resampling ``N`` rows with replacement — each resampled row lands in cell
``j`` with probability ``count_j / N``, independently. A draw therefore costs ``O(groups)``
instead of ``O(N)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from fairgate.audit.core.estimates import (
    binomial_counts,
    check_alpha,
    two_proportion_p_values,
    wilson_interval,
)
from fairgate.audit.core.metrics import METRICS, RateMetric, metric_values, resolve_metric
from fairgate.errors import ValidationError

__all__ = [
    "SignificanceResult",
    "bootstrap_cells",
    "bootstrap_interval",
    "group_significance",
    "jeffreys_interval",
    "percentiles",
    "wilson_interval",
]


def jeffreys_interval(
    successes: np.ndarray, trials: np.ndarray, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Jeffreys interval: the equal-tailed Beta(k + 1/2, n - k + 1/2) posterior interval.

    The lower bound is 0 when ``k == 0`` and the upper bound is 1 when ``k == n`` (Brown, Cai and
    DasGupta 2001), so the interval never collapses to a point.

    Parameters
    ----------
    successes, trials : array-like of int
        Successes and trials of each proportion (shapes broadcast together).
    alpha : float, default 0.05
        One minus the coverage, e.g. 0.05 for 95% intervals.

    Returns
    -------
    (low, high) : tuple of numpy.ndarray
        The bounds; NaN for a proportion with no trials.
    """
    k, n, valid = binomial_counts(successes, trials, alpha)
    a, b = k + 0.5, np.maximum(n - k, 0) + 0.5
    low = np.where(k > 0, stats.beta.ppf(alpha / 2, a, b), 0.0)
    high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, a, b), 1.0)
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def bootstrap_cells(
    cells: np.ndarray, n_boot: int, *, seed: int | np.random.Generator | None = 0
) -> np.ndarray:
    """Draw bootstrap replicates of confusion counts by resampling cells.

    Parameters
    ----------
    cells : numpy.ndarray
        Counts of shape ``(..., 4)`` (any group layout); the total is ``N``.
    n_boot : int
        Number of draws.
    seed : int or numpy.random.Generator, default 0
        Seed or generator for the draws.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_boot, *cells.shape)``: each draw has the same total ``N``.
    """
    if n_boot < 1:
        raise ValidationError(f"n_boot={n_boot!r}: expected a positive number of draws, e.g. 1000.")
    cells = np.asarray(cells, dtype=np.int64)
    total = int(cells.sum())
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if total == 0:
        return np.zeros((n_boot, *cells.shape), dtype=np.int64)
    flat = cells.reshape(-1)
    draws = rng.multinomial(total, flat / total, size=n_boot)
    return draws.reshape(n_boot, *cells.shape)


def bootstrap_interval(
    cells: np.ndarray,
    statistic: str | Callable[[np.ndarray], np.ndarray],
    *,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int | np.random.Generator | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of a statistic of the counts.

    Parameters
    ----------
    cells : numpy.ndarray
        Counts of shape ``(..., 4)``.
    statistic : str or callable
        A metric name, or a function mapping counts ``(draws, ..., 4)`` to values
        ``(draws, ...)`` (e.g. a difference between groups).
    n_boot, alpha, seed
        Draws, one minus coverage, random seed.

    Returns
    -------
    (low, high) : tuple of numpy.ndarray
        NaN where the statistic is undefined in more than half of the draws.
    """
    check_alpha(alpha)
    draws = bootstrap_cells(cells, n_boot, seed=seed)
    if isinstance(statistic, str):
        name = statistic
        values = metric_values(name, draws)
    else:
        values = np.asarray(statistic(draws), dtype=np.float64)
    return percentiles(values, alpha)


def percentiles(values: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """NaN-aware percentiles over axis 0, without warnings."""
    valid = ~np.isnan(values)
    enough = valid.sum(axis=0) * 2 > values.shape[0]
    filled = np.where(valid, values, np.nan)
    safe = np.where(enough[None, ...], filled, 0.0)
    with np.errstate(all="ignore"):
        low = np.nanquantile(safe, alpha / 2, axis=0)
        high = np.nanquantile(safe, 1 - alpha / 2, axis=0)
    return np.where(enough, low, np.nan), np.where(enough, high, np.nan)


@dataclass(frozen=True)
class SignificanceResult:
    """Per-group test of a rate against the reference group.

    Attributes
    ----------
    metric : str
    reference : int
        Index of the reference group.
    p_values : numpy.ndarray
        NaN for the reference itself and where the rate is undefined.
    tests : numpy.ndarray of str
        ``"chi2"``, ``"fisher"`` or ``""`` per group.
    """

    metric: str
    reference: int
    p_values: np.ndarray
    tests: np.ndarray


def group_significance(
    groups: np.ndarray,
    metric: str = "selection_rate",
    *,
    reference: int | None = None,
    min_expected: float = 5.0,
) -> SignificanceResult:
    """Test whether each group's rate differs from the reference group's.

    A 2x2 table (successes, failures) x (group, reference) per group: Pearson's chi-square test
    (with Yates' continuity correction) when every expected cell count is at least
    ``min_expected``, otherwise Fisher's exact test — for all groups at once
    (:func:`~fairgate.audit.core.estimates.two_proportion_p_values`).

    Parameters
    ----------
    groups : numpy.ndarray
        Counts of shape ``(groups, 4)``.
    metric : str, default "selection_rate"
        A rate metric (``count`` has no test).
    reference : int, optional
        Index of the reference group; default the largest group.
    min_expected : float, default 5
        Below this expected cell count, Fisher's exact test replaces chi-square.

    Returns
    -------
    SignificanceResult
    """
    key = resolve_metric(metric)
    if key == "count":
        raise ValidationError("metric='count' has no significance test; use a rate metric.")
    rate: RateMetric = METRICS[key]
    groups = np.asarray(groups, dtype=np.int64).reshape(-1, 4)
    num, den = rate.parts(groups)
    if reference is None:
        reference = int(np.argmax(groups.sum(axis=1)))
    p_values, tests = two_proportion_p_values(num, den, reference, min_expected=min_expected)
    return SignificanceResult(key, reference, p_values, tests)
