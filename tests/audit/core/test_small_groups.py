"""Small groups judged per metric, and intervals that never collapse to a point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairgate.audit.core.counts import group_counts
from fairgate.audit.core.group_report import group_report
from fairgate.audit.core.uncertainty import jeffreys_interval, wilson_interval


def _frame() -> pd.DataFrame:
    """Group a: 31 people, 8 actual positives; b and c: large. Predictions follow y mostly."""
    rng = np.random.default_rng(0)
    parts = []
    for group, n, positives in (("a", 31, 8), ("b", 400, 200), ("c", 300, 100)):
        y = np.zeros(n, dtype=int)
        y[:positives] = 1
        pred = np.where(rng.random(n) < 0.8, y, 1 - y)
        parts.append(pd.DataFrame({"g": group, "y": y, "pred": pred}))
    return pd.concat(parts, ignore_index=True)


def test_a_group_is_insufficient_for_a_metric_whose_denominator_is_small():
    frame = _frame()
    counts = group_counts("y", "pred", ["g"], data=frame)
    report = group_report(counts, min_group_size=30)
    assert not report.insufficient.any()  # 31 rows: enough by size
    flags = report.insufficient_for
    assert flags.loc["a", "true_positive_rate"] and flags.loc["a", "false_negative_rate"]
    assert flags.loc["a", "false_positive_rate"]  # 23 actual negatives
    assert not flags.loc["a", "selection_rate"] and not flags.loc["b", "true_positive_rate"]
    assert report.denominators.loc["a", "true_positive_rate"] == 8
    assert report.denominators.loc["a", "selection_rate"] == 31
    # the TPR ratio is taken over b and c only; the selection-rate ratio over all three
    tpr = report.by_group["true_positive_rate"]
    assert report.ratio()["true_positive_rate"] == pytest.approx(
        min(tpr["b"], tpr["c"]) / max(tpr["b"], tpr["c"])
    )
    sel = report.by_group["selection_rate"]
    assert report.ratio()["selection_rate"] == pytest.approx(sel.min() / sel.max())
    body = report.to_dict()["groups"][0]
    assert body["group"] == {"g": "a"}
    assert {"true_positive_rate", "false_negative_rate"} <= set(body["insufficient_for"])
    assert body["denominators"]["true_positive_rate"] == 8


def test_precision_is_judged_on_predicted_positives():
    frame = pd.DataFrame(
        {
            "g": ["a"] * 100 + ["b"] * 100,
            "y": [1] * 50 + [0] * 50 + [1] * 50 + [0] * 50,
            "pred": [1] * 10 + [0] * 90 + [1] * 60 + [0] * 40,
        }
    )
    report = group_report(group_counts("y", "pred", ["g"], data=frame), min_group_size=30)
    assert report.denominators.loc["a", "precision"] == 10
    assert report.insufficient_for.loc["a", "precision"]
    assert not report.insufficient_for.loc["b", "precision"]
    included = report.included("precision")
    assert included.tolist() == [False, True]  # a (10 predicted positives) is left out
    assert report.included("selection_rate").tolist() == [True, True]
    assert report.by_group.loc["a", "precision"] == 1.0  # shown, but not compared


@pytest.mark.parametrize("ci", ["wilson", "bootstrap", "jeffreys"])
def test_a_rate_of_zero_in_five_keeps_a_real_interval(ci):
    frame = pd.DataFrame(
        {"g": ["small"] * 5 + ["big"] * 200, "y": [0] * 5 + [0, 1] * 100, "pred": [0] * 205}
    )
    frame.loc[frame.index[5:105], "pred"] = 1
    report = group_report(group_counts("y", "pred", ["g"], data=frame), ci=ci, min_group_size=1)
    low = report.ci_low.loc["small", "selection_rate"]
    high = report.ci_high.loc["small", "selection_rate"]
    method = report.ci_methods.loc["small", "selection_rate"]
    assert low == 0.0 and high > 0.3
    if ci == "jeffreys":
        assert method == "jeffreys"
    else:
        assert high == pytest.approx(0.4345, abs=1e-4)  # Wilson [0, 0.434]
        assert method == ("wilson" if ci == "wilson" else "wilson (bootstrap degenerate)")
    if ci == "bootstrap":
        assert report.ci_methods.loc["big", "selection_rate"] == "bootstrap"
        b_low = report.ci_low.loc["big", "selection_rate"]
        b_high = report.ci_high.loc["big", "selection_rate"]
        assert b_low < 0.5 < b_high
    assert report.to_dict()["groups"][1]["ci_methods"]["selection_rate"] == method


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_intervals_never_collapse_and_wilson_agrees_with_scipy(kn):
    from scipy.stats import binomtest

    k, n = kn
    for fn in (wilson_interval, jeffreys_interval):
        low, high = (float(v) for v in fn(k, n))
        assert 0.0 <= low <= k / n <= high <= 1.0
        assert high - low > 0.0
    w_low, w_high = (float(v) for v in wilson_interval(k, n))
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert w_low == pytest.approx(ref.low, abs=1e-9)
    assert w_high == pytest.approx(ref.high, abs=1e-9)
