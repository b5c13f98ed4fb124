"""What a per-group metric is made of, and its interval and test, vectorised over all groups.

Every metric of every kind is one of three shapes, each computed from sufficient statistics:

- :class:`Proportion` — ``num / den`` of counts (rates of a classifier, per-class rates, top-k
  rates): Wilson interval; chi-square test (Yates) of each group against the reference, or
  Fisher's exact test where an expected cell is below 5.
- :class:`Mean` — the mean of a per-row quantity from ``n``, its sum and its sum of squares
  (mean absolute error, mean error, mean prediction, ...): Student-t interval; Welch's test.
  An optional monotone ``transform`` (the square root of a mean squared error) is applied to the
  value and the interval bounds; the test is that of the untransformed mean.
- :class:`Derived` — any other value (R², macro averages, shares): no interval and no test.

All tests run over every group at once: no Python loop over groups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from fairgate.errors import ValidationError

__all__ = [
    "Derived",
    "Estimate",
    "Mean",
    "Proportion",
    "binomial_counts",
    "check_alpha",
    "estimate_interval",
    "estimate_p_values",
    "fisher_exact_many",
    "safe_divide",
    "two_proportion_p_values",
    "welch_p_values",
    "wilson_interval",
]


def safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` as float64, NaN where ``den == 0`` (no warning)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out if out.ndim else out[()]


@dataclass(frozen=True)
class Proportion:
    """A rate ``num / den`` of counts; NaN with ``undefined`` as the reason where ``den == 0``."""

    num: np.ndarray
    den: np.ndarray
    undefined: str

    @property
    def values(self) -> np.ndarray:
        """The rate per group."""
        return safe_divide(self.num, self.den)

    @property
    def reasons(self) -> np.ndarray:
        """Why each value is NaN (``""`` where defined)."""
        return np.where(np.asarray(self.den) == 0, self.undefined, "").astype(object)


@dataclass(frozen=True)
class Mean:
    """The mean of a per-row quantity, from its count, sum and sum of squares."""

    n: np.ndarray
    total: np.ndarray
    total_sq: np.ndarray
    undefined: str
    transform: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def raw(self) -> np.ndarray:
        """The untransformed mean."""
        return safe_divide(self.total, self.n)

    @property
    def values(self) -> np.ndarray:
        """The (transformed) mean per group."""
        raw = self.raw
        return raw if self.transform is None else self.transform(raw)

    @property
    def variance(self) -> np.ndarray:
        """Sample variance (``n - 1`` denominator) of the quantity; NaN below two rows."""
        n = np.asarray(self.n, dtype=np.float64)
        total = np.asarray(self.total, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ss = np.asarray(self.total_sq, dtype=np.float64) - total * total / n
        return safe_divide(np.maximum(ss, 0.0), n - 1) * np.where(n >= 2, 1.0, np.nan)

    @property
    def reasons(self) -> np.ndarray:
        """Why each value is NaN (``""`` where defined)."""
        return np.where(np.asarray(self.n) == 0, self.undefined, "").astype(object)


@dataclass(frozen=True)
class Derived:
    """A value with no interval and no test (R², macro averages, shares)."""

    values: np.ndarray
    reasons: np.ndarray


Estimate = Proportion | Mean | Derived


def check_alpha(alpha: float) -> None:
    """Refuse an ``alpha`` outside (0, 1)."""
    if not 0 < alpha < 1:
        raise ValidationError(
            f"alpha={alpha!r}: expected a number strictly between 0 and 1, e.g. 0.05."
        )


def binomial_counts(
    successes: np.ndarray, trials: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The set-up of every binomial interval: ``alpha`` checked, the counts as floats.

    Parameters
    ----------
    successes, trials : array-like of int
        Numerator and denominator counts.
    alpha : float
        One minus the coverage (checked: strictly between 0 and 1).

    Returns
    -------
    (k, n, valid) : tuple of numpy.ndarray
        ``valid`` is where ``n > 0`` (an interval is NaN elsewhere).
    """
    check_alpha(alpha)
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    return k, n, n > 0


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions.

    Parameters
    ----------
    successes, trials : array-like of int
        Numerator and denominator counts (any matching shapes).
    alpha : float, default 0.05
        One minus the coverage.

    Returns
    -------
    (low, high) : tuple of numpy.ndarray
        NaN where ``trials == 0``.
    """
    k, n, valid = binomial_counts(successes, trials, alpha)
    z = float(stats.norm.ppf(1 - alpha / 2))
    z2 = z * z
    safe_n = np.where(valid, n, 1.0)
    p = k / safe_n
    denom = 1 + z2 / safe_n
    centre = (p + z2 / (2 * safe_n)) / denom
    half = z * np.sqrt(np.maximum(p * (1 - p) / safe_n + z2 / (4 * safe_n * safe_n), 0)) / denom
    low = np.where(k <= 0, 0.0, np.clip(centre - half, 0, 1))  # exact at the ends, no 1e-17
    high = np.where(k >= n, 1.0, np.clip(centre + half, 0, 1))
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def _t_interval(est: Mean, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    n = np.asarray(est.n, dtype=np.float64)
    mean = est.raw
    se = np.sqrt(safe_divide(est.variance, n))
    df = np.where(n >= 2, n - 1, 1.0)
    q = stats.t.ppf(1 - alpha / 2, df)
    low, high = mean - q * se, mean + q * se
    if est.transform is not None:
        with np.errstate(invalid="ignore"):
            low, high = est.transform(np.maximum(low, 0.0)), est.transform(high)
    return low, high


def estimate_interval(est: Estimate, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson interval of a proportion, Student-t interval of a mean, none (NaN) otherwise."""
    check_alpha(alpha)
    if isinstance(est, Proportion):
        return wilson_interval(est.num, est.den, alpha)
    if isinstance(est, Mean):
        return _t_interval(est, alpha)
    nan = np.full(np.shape(est.values), np.nan)
    return nan, nan.copy()


def fisher_exact_many(tables: np.ndarray) -> np.ndarray:
    """Two-sided Fisher exact p-values of many 2x2 tables at once.

    Parameters
    ----------
    tables : numpy.ndarray
        Integer array of shape ``(m, 2, 2)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(m,)``; the sum of the probabilities of every table with the observed margins
        that is no more likely than the observed one (as ``scipy.stats.fisher_exact``).
    """
    tables = np.asarray(tables, dtype=np.int64).reshape(-1, 2, 2)
    if not len(tables):
        return np.zeros(0)
    r1 = tables[:, 0].sum(axis=1)
    c1 = tables[:, :, 0].sum(axis=1)
    total = tables.sum(axis=(1, 2))
    r2 = total - r1
    lo = np.maximum(0, c1 - r2)
    hi = np.minimum(r1, c1)
    width = int((hi - lo).max()) + 1
    x = lo[:, None] + np.arange(width)[None, :]
    valid = x <= hi[:, None]
    xs = np.where(valid, x, lo[:, None])
    # log pmf of the hypergeometric: C(c1, x) C(total - c1, r1 - x) / C(total, r1)
    logp = _log_comb(c1[:, None], xs) + _log_comb((total - c1)[:, None], r1[:, None] - xs)
    logp -= _log_comb(total, r1)[:, None]
    observed = _log_comb(c1, tables[:, 0, 0]) + _log_comb(total - c1, tables[:, 0, 1])
    observed -= _log_comb(total, r1)
    keep = valid & (logp <= observed[:, None] + 1e-7)
    p = np.where(keep, np.exp(logp), 0.0).sum(axis=1)
    return np.minimum(p, 1.0)


def _log_comb(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def two_proportion_p_values(
    num: np.ndarray, den: np.ndarray, reference: int, *, min_expected: float = 5.0
) -> tuple[np.ndarray, np.ndarray]:
    """Each group's proportion against the reference group's, for all groups at once.

    A 2x2 table (successes, failures) x (group, reference) per group: Pearson's chi-square test
    with Yates' continuity correction (as ``scipy.stats.chi2_contingency``) when every expected
    count is at least ``min_expected``, otherwise Fisher's exact test.

    Parameters
    ----------
    num, den : numpy.ndarray
        Successes and trials per group, shape ``(groups,)``.
    reference : int
        Index of the reference group.
    min_expected : float, default 5
        Below this expected count, Fisher's exact test replaces chi-square.

    Returns
    -------
    (p_values, tests) : tuple of numpy.ndarray
        NaN / ``""`` for the reference itself and where either trial count is zero.
    """
    num = np.asarray(num, dtype=np.int64).reshape(-1)
    den = np.asarray(den, dtype=np.int64).reshape(-1)
    groups = len(num)
    p_values = np.full(groups, np.nan)
    tests = np.full(groups, "", dtype=object)
    k_r, n_r = num[reference], den[reference]
    testable = (den > 0) & (n_r > 0)
    testable[reference] = False
    if not testable.any():
        return p_values, tests
    idx = np.flatnonzero(testable)
    table = np.empty((len(idx), 2, 2), dtype=np.int64)
    table[:, 0, 0], table[:, 0, 1] = num[idx], den[idx] - num[idx]
    table[:, 1, 0], table[:, 1, 1] = k_r, n_r - k_r
    t = table.astype(np.float64)
    rows, cols = t.sum(axis=2), t.sum(axis=1)
    total = rows.sum(axis=1)
    degenerate = (cols == 0).any(axis=1)
    expected = rows[:, :, None] * cols[:, None, :] / total[:, None, None]
    small = (expected < min_expected).any(axis=(1, 2)) & ~degenerate
    big = ~small & ~degenerate
    out = np.ones(len(idx))
    kind = np.full(len(idx), "chi2", dtype=object)
    if big.any():
        e = expected[big]
        dev = np.abs(t[big] - e)
        dev -= np.minimum(0.5, dev)  # Yates, never past the expected count
        stat = (dev * dev / e).sum(axis=(1, 2))
        out[big] = stats.chi2.sf(stat, 1)
    if small.any():
        out[small] = fisher_exact_many(table[small])
        kind[small] = "fisher"
    p_values[idx], tests[idx] = out, kind
    return p_values, tests


def welch_p_values(est: Mean, reference: int) -> np.ndarray:
    """Welch's t-test of each group's mean against the reference group's, all groups at once.

    Equals ``scipy.stats.ttest_ind(group, reference, equal_var=False)`` on the rows. NaN for the
    reference, for groups under two rows, and where both variances are zero.
    """
    n = np.asarray(est.n, dtype=np.float64).reshape(-1)
    mean = np.asarray(est.raw, dtype=np.float64).reshape(-1)
    var = np.asarray(est.variance, dtype=np.float64).reshape(-1)
    a = var / np.where(n > 0, n, np.nan)
    a_r = a[reference]
    se2 = a + a_r
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (mean - mean[reference]) / np.sqrt(se2)
        df = se2 * se2 / (a * a / (n - 1) + a_r * a_r / (n[reference] - 1))
    ok = np.isfinite(t) & np.isfinite(df) & (se2 > 0)
    p = np.full(len(n), np.nan)
    p[ok] = 2 * stats.t.sf(np.abs(t[ok]), df[ok])
    p[reference] = np.nan
    return p


def estimate_p_values(est: Estimate, reference: int) -> np.ndarray:
    """The kind-appropriate test of every group against ``reference`` (NaN for Derived)."""
    if isinstance(est, Proportion):
        return two_proportion_p_values(est.num, est.den, reference)[0]
    if isinstance(est, Mean):
        return welch_p_values(est, reference)
    return np.full(np.shape(est.values), np.nan)
