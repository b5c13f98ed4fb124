"""Breaker rules of every kind on real windows: the tests equal scipy's, the guard holds.

One-sided tests of a floor or ceiling equal ``scipy.stats.binomtest`` and ``ttest_1samp``; a
per-class selection-rate gap between districts trips only when it is significant; a small or
noisy window breaches without tripping.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from fairgate.audit.core.estimates import Mean, Proportion
from fairgate.audit.policy.rules import BreakerRule
from fairgate.errors import ValidationError
from fairgate.registry.monitor.kind_rules import evaluate_counts, one_sided_p_values
from fairgate.registry.monitor.kind_windows import KindWindow
from fairgate.registry.monitor.live_kind import LiveKind
from fairgate.registry.monitor.observations import parse_batch_dict

CLASSES = ("bike", "bus", "car", "walk")


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 400), st.floats(0.0, 1.0), st.floats(0.05, 0.95))
def test_one_sided_proportion_tests_equal_scipy_binomtest(n, share, bound):
    k = round(share * n)
    est = Proportion(np.array([k]), np.array([n]), "")
    below = one_sided_p_values(est, bound, "below")[0]
    above = one_sided_p_values(est, bound, "above")[0]
    assert below == pytest.approx(stats.binomtest(k, n, bound, "less").pvalue, rel=1e-9)
    assert above == pytest.approx(stats.binomtest(k, n, bound, "greater").pvalue, rel=1e-9)


def test_one_sided_mean_tests_equal_scipy_ttest_1samp():
    rng = np.random.default_rng(0)
    x = np.abs(rng.normal(2.0, 1.0, 57))
    est = Mean(np.array([len(x)]), np.array([x.sum()]), np.array([(x * x).sum()]), "")
    for side, alt in (("below", "less"), ("above", "greater")):
        got = one_sided_p_values(est, 2.2, side)[0]
        assert got == pytest.approx(stats.ttest_1samp(x, 2.2, alternative=alt).pvalue, rel=1e-9)


def _rule(**kw):
    base = {"id": "r", "attributes": ["district"], "min_samples": 100, "alpha": 0.001}
    return BreakerRule(**(base | kw))


def _batch(district, pred, truth, batch_id):
    live = LiveKind("multiclass", classes=CLASSES)
    body = {
        "model": "m",
        "version": "1",
        "prediction": np.asarray(pred).tolist(),
        "outcome": list(truth),
        "sensitive": {"district": np.asarray(district).tolist()},
    }
    return dataclasses.replace(parse_batch_dict(body, live), id=batch_id)


def test_a_per_class_selection_rate_gap_trips_only_when_significant():
    rule = _rule(metric="demographic_parity", kind="difference", threshold=0.2)
    live = LiveKind("multiclass", classes=CLASSES)
    window = KindWindow(live, "sliding", 4000, ["district"], rule.metric)
    rng = np.random.default_rng(0)
    labels = np.array(CLASSES)

    def stream(n, car_west):
        district = np.array(["east", "west"])[rng.integers(0, 2, n)]
        pred = labels[rng.integers(0, 4, n)]
        pushed = (district == "west") & (rng.random(n) < car_west)
        pred[pushed] = "car"
        return district, pred, [None] * n  # selection rates need no outcome

    window.add(_batch(*stream(2000, 0.0), 1))
    status, *_ = evaluate_counts(rule, window.counts(), window.describe())
    assert status == "ok"
    small = KindWindow(live, "sliding", 4000, ["district"], rule.metric)
    small.add(_batch(*stream(60, 0.5), 2))  # a large gap in a window too small to judge
    assert evaluate_counts(rule, small.counts(), small.describe())[0] == "insufficient"
    window.add(_batch(*stream(2000, 0.6), 3))
    status, stat, p, evidence = evaluate_counts(rule, window.counts(), window.describe())
    assert status == "trip" and stat > 0.2 and p < 0.001
    assert evidence["metric"] == "selection_rate[car]" and evidence["compared"][-1] == ["west"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"metric": "accuracy", "kind": "minimum", "threshold": 1.5}, "not in \\[0, 1\\]"),
        ({"metric": "demographic_parity", "kind": "minimum", "threshold": 0.5}, "compares"),
        ({"metric": "mae", "kind": "difference", "threshold": -1}, "at least 0"),
    ],
)
def test_breaker_rules_refuse_thresholds_that_cannot_mean_anything(rule, message):
    with pytest.raises((ValueError, ValidationError), match=message):
        _rule(**rule)


def test_regression_thresholds_are_in_the_metrics_unit():
    assert _rule(metric="mae", kind="maximum", threshold=3.0).threshold == 3.0
    assert _rule(metric="mean_error", kind="minimum", threshold=-2.0).threshold == -2.0
