"""Breaker rules on a window of any kind: gaps between groups and floors / ceilings per group.

The window is turned into the audit's counts (:class:`~fairgate.audit.core.GroupedCounts` of its
kind), and each rule is judged with the audit's own estimates
(:func:`fairgate.audit.core.kinds.estimate`): per-district accuracy of a multiclass model,
mean absolute error of a regression model, per-class selection rates, and every binary rate.

The significance guard is the same for every kind: a rule trips only when the value is past its
threshold **and** a test rejects chance at ``alpha``, among groups with at least ``min_samples``
observations in the metric's denominator.

- ``difference`` / ``ratio``: the best and the worst eligible group are compared with the
  kind's two-group test (chi-square or Fisher for rates, Welch for means).
- ``minimum`` / ``maximum``: the worst eligible group is tested one-sided against the threshold
  (exact binomial test for a rate, Student's t for a mean); "accuracy >= 0.6 in every district"
  trips when a district is significantly below 0.6.

Metrics with no test (R², macro averages) can breach but never trip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from fairgate.audit.core.estimates import Derived, Estimate, Mean, Proportion, estimate_p_values
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.kinds import estimate, resolve
from fairgate.audit.core.multiclass import MulticlassCounts
from fairgate.audit.core.vocabulary import CRITERIA
from fairgate.errors import ValidationError

__all__ = ["applies", "evaluate_counts", "kind_rates", "one_sided_p_values", "take"]

_CRITERIA = {c.name: c.rates for c in CRITERIA}


def kind_rates(metric: str, counts: GroupedCounts) -> tuple[str, ...]:
    """The per-group metrics a rule's metric stands for on counts of this kind.

    A criterion stands for its rates; on multiclass counts each rate stands for that rate of every
    class (``selection_rate[bus]``, ...).

    Raises
    ------
    ValidationError
        When a metric does not apply to this kind (e.g. ``mean_absolute_error`` of a classifier).
    """
    rates = _CRITERIA.get(metric, (metric,))
    if isinstance(counts, MulticlassCounts) and metric in _CRITERIA:
        rates = tuple(f"{r}[{c}]" for r in rates for c in counts.classes)
    return tuple(resolve(counts, r) for r in rates)


def applies(metric: str, counts: GroupedCounts) -> bool:
    """Whether a rule's metric can be measured on counts of this kind."""
    try:
        kind_rates(metric, counts)
    except ValidationError:
        return False
    return True


def take(est: Estimate, idx: Sequence[int]) -> Estimate:
    """The estimate of the groups ``idx`` only (in that order)."""
    i = np.asarray(idx, dtype=np.int64)
    if isinstance(est, Proportion):
        return replace(est, num=np.asarray(est.num)[i], den=np.asarray(est.den)[i])
    if isinstance(est, Mean):
        n, total, sq = (np.asarray(a)[i] for a in (est.n, est.total, est.total_sq))
        return replace(est, n=n, total=total, total_sq=sq)
    return Derived(np.asarray(est.values)[i], np.asarray(est.reasons)[i])


def _support(est: Estimate, sizes: np.ndarray) -> np.ndarray:
    if isinstance(est, Proportion):
        return np.asarray(est.den, dtype=np.float64)
    if isinstance(est, Mean):
        return np.asarray(est.n, dtype=np.float64)
    return sizes.astype(np.float64)


def one_sided_p_values(est: Estimate, bound: float, side: str) -> np.ndarray:
    """One-sided p-values that each group's value is below (``"below"``) or above ``bound``.

    Exact binomial for a proportion, Student's t for a mean (the bound of a transformed mean,
    the root mean squared error, is squared first); NaN where there is no test.
    """
    from scipy import stats

    if isinstance(est, Proportion):
        k = np.asarray(est.num, dtype=np.float64)
        n = np.asarray(est.den, dtype=np.float64)
        p = np.clip(bound, 0.0, 1.0)
        with np.errstate(invalid="ignore"):
            out = stats.binom.cdf(k, n, p) if side == "below" else stats.binom.sf(k - 1, n, p)
        return np.where(n > 0, out, np.nan)
    if isinstance(est, Mean):
        raw_bound = bound * bound if est.transform is not None else bound
        n = np.asarray(est.n, dtype=np.float64)
        se = np.sqrt(np.asarray(est.variance) / np.where(n > 0, n, np.nan))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (np.asarray(est.raw) - raw_bound) / se
        df = np.where(n >= 2, n - 1, np.nan)
        out = stats.t.cdf(t, df) if side == "below" else stats.t.sf(t, df)
        exact = se == 0  # no spread: the value itself decides
        below = np.asarray(est.raw) < raw_bound
        out = np.where(exact, np.where(below == (side == "below"), 0.0, 1.0), out)
        return np.where(n >= 2, out, np.nan)
    return np.full(np.shape(est.values), np.nan)


def _num(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _judge_gap(rule: Any, est: Estimate, values: np.ndarray, eligible: np.ndarray) -> dict:
    idx = np.flatnonzero(eligible)
    vals = values[idx]
    hi, lo = int(idx[np.nanargmax(vals)]), int(idx[np.nanargmin(vals)])
    if rule.kind == "difference":
        stat = float(values[hi] - values[lo])
        breach = stat > rule.threshold
    else:
        stat = float(values[lo] / values[hi]) if values[hi] > 0 else 1.0
        breach = stat < rule.threshold
    p = float(estimate_p_values(take(est, [lo, hi]), reference=1)[0])
    return {"statistic": stat, "breach": breach, "p": p, "compared": [lo, hi]}


def _judge_bound(rule: Any, est: Estimate, values: np.ndarray, eligible: np.ndarray) -> dict:
    idx = np.flatnonzero(eligible)
    vals = values[idx]
    below = rule.kind == "minimum"
    worst = int(idx[np.nanargmin(vals) if below else np.nanargmax(vals)])
    stat = float(values[worst])
    breach = stat < rule.threshold if below else stat > rule.threshold
    side = "below" if below else "above"
    p = float(one_sided_p_values(take(est, [worst]), float(rule.threshold), side)[0])
    return {"statistic": stat, "breach": breach, "p": p, "compared": [worst]}


def evaluate_counts(
    rule: Any, counts: GroupedCounts, window: dict[str, Any]
) -> tuple[str, float | None, float | None, dict[str, Any]]:
    """Judge one breaker rule on a window's counts of any kind.

    Parameters
    ----------
    rule : BreakerRule
        ``metric``, ``kind`` (difference, ratio, minimum, maximum), ``threshold``,
        ``min_samples`` and ``alpha``.
    counts : GroupedCounts
        The window as the audit's counts (all groups of the rule's attributes).
    window : dict
        What the window covers (kind, size, observations, batches), kept as evidence.

    Returns
    -------
    (status, statistic, p_value, evidence)
        ``status`` is ``"insufficient"``, ``"ok"``, ``"breach"`` or ``"trip"``; the worst of the
        metric's rates is reported.
    """
    arrays = counts.flat_arrays()
    sizes = counts.group_sizes()
    keys = [list(map(str, key)) for key in counts.keys()]  # noqa: SIM118 (a method, not a dict)
    min_samples = max(int(rule.min_samples), 1)
    alpha = float(rule.alpha)
    gap = rule.kind in ("difference", "ratio")
    rank = {"insufficient": 0, "ok": 1, "breach": 2, "trip": 3}
    best: tuple[str, float | None, float | None, dict[str, Any]] | None = None
    for metric in kind_rates(rule.metric, counts):
        est = estimate(counts, metric, arrays)
        values = np.asarray(est.values, dtype=np.float64).reshape(-1)
        support = _support(est, sizes).reshape(-1)
        eligible = (support >= min_samples) & ~np.isnan(values)
        evidence: dict[str, Any] = {
            "rule": rule.id,
            "metric": metric,
            "kind": rule.kind,
            "model_kind": counts.kind,
            "threshold": float(rule.threshold),
            "alpha": alpha,
            "min_samples": min_samples,
            "attributes": list(counts.attributes),
            "window": window,
            "groups": keys,
            "observations_per_group": [int(v) for v in sizes.tolist()],
            "support": [int(v) for v in support.tolist()],
            "values": [_num(v) for v in values],
            "eligible": eligible.tolist(),
        }
        if eligible.sum() < (2 if gap else 1):
            result = ("insufficient", None, None, evidence)
        else:
            judged = (_judge_gap if gap else _judge_bound)(rule, est, values, eligible)
            p = judged["p"]
            significant = not math.isnan(p) and p < alpha
            status = (
                "trip"
                if judged["breach"] and significant
                else ("breach" if judged["breach"] else "ok")
            )
            evidence.update(
                statistic=_num(judged["statistic"]),
                p_value=_num(p),
                test=_test_name(est, gap),
                compared=[keys[i] for i in judged["compared"]],
            )
            result = (status, _num(judged["statistic"]), _num(p), evidence)
        if best is None or rank[result[0]] > rank[best[0]]:
            best = result
    assert best is not None
    return best


def _test_name(est: Estimate, gap: bool) -> str:
    if isinstance(est, Proportion):
        return "two_proportion" if gap else "binomial_one_sided"
    if isinstance(est, Mean):
        return "welch" if gap else "t_one_sided"
    return "none"
