"""The vectorised group tests equal scipy's, test by test; group reports for every kind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from fairgate.audit import core as C
from fairgate.errors import ValidationError


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60)),
        min_size=1,
        max_size=20,
    )
)
def test_fisher_exact_many_equals_scipy(tables):
    arr = np.array(tables).reshape(-1, 2, 2)
    ours = C.fisher_exact_many(arr)
    theirs = [stats.fisher_exact(t).pvalue for t in arr]
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)), min_size=2, max_size=12),
    st.integers(0, 11),
)
def test_two_proportion_tests_equal_scipy_chi2_or_fisher(groups, ref):
    ref = ref % len(groups)
    num = np.array([min(k, n) for k, n in groups])
    den = np.array([n for _, n in groups])
    p, tests = C.two_proportion_p_values(num, den, ref)
    for g in range(len(groups)):
        if g == ref or den[g] == 0 or den[ref] == 0:
            assert np.isnan(p[g]) and tests[g] == ""
            continue
        table = np.array([[num[g], den[g] - num[g]], [num[ref], den[ref] - num[ref]]])
        if (table.sum(axis=0) == 0).any():
            assert p[g] == 1.0
            continue
        expected = stats.contingency.expected_freq(table)
        if (expected < 5).any():
            assert tests[g] == "fisher"
            want = stats.fisher_exact(table).pvalue
        else:
            assert tests[g] == "chi2"
            want = stats.chi2_contingency(table, correction=True).pvalue
        np.testing.assert_allclose(p[g], want, rtol=1e-6, atol=1e-12)


def test_welch_on_moments_equals_scipy_ttest_on_rows():
    rng = np.random.default_rng(3)
    groups = [
        rng.normal(loc, scale, size=n) for loc, scale, n in [(0, 1, 50), (0.3, 2, 9), (1, 0.5, 200)]
    ]
    n = np.array([len(g) for g in groups], dtype=float)
    est = C.Mean(
        n, np.array([g.sum() for g in groups]), np.array([(g * g).sum() for g in groups]), ""
    )
    p = C.welch_p_values(est, reference=2)
    for i in (0, 1):
        want = stats.ttest_ind(groups[i], groups[2], equal_var=False).pvalue
        np.testing.assert_allclose(p[i], want, rtol=1e-9)
    assert np.isnan(p[2])


def _regression_frame(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    district = rng.choice(
        ["north", "south", "east", "west", "tiny"], size=n, p=[0.3, 0.3, 0.2, 0.195, 0.005]
    )
    y = rng.normal(20, 5, size=n)
    bias = np.where(district == "east", 3.0, 0.0)
    return pd.DataFrame({"district": district, "y": y, "pred": y + bias + rng.normal(0, 1, size=n)})


def test_regression_group_report_flags_the_biased_district_and_the_small_one():
    df = _regression_frame()
    counts = C.group_counts("y", "pred", "district", data=df, kind="regression")
    report = C.group_report(counts, min_group_size=30)
    assert report.counts.kind == "regression"
    assert report.by_group["mean_error"].idxmax() == "east"
    assert report.insufficient["tiny"]
    east = report.by_group.loc["east", "mean_absolute_error"]
    assert (
        report.ci_low.loc["east", "mean_absolute_error"]
        < east
        < report.ci_high.loc["east", "mean_absolute_error"]
    )
    assert report.p_values.loc["east", "mean_error"] < 1e-6
    unbiased = [g for g in ("north", "south", "west") if (g,) != report.reference]
    assert (report.p_values.loc[unbiased, "mean_error"] > 1e-3).all()
    assert np.isnan(report.p_values.loc[report.reference[0], "mean_error"])
    # the t interval of the mean error equals scipy's on the rows
    rows = (df["pred"] - df["y"])[df["district"] == "east"]
    low, high = stats.t.interval(0.95, len(rows) - 1, loc=rows.mean(), scale=stats.sem(rows))
    np.testing.assert_allclose(
        [report.ci_low.loc["east", "mean_error"], report.ci_high.loc["east", "mean_error"]],
        [low, high],
        rtol=1e-9,
    )
    payload = report.to_dict()
    assert payload["kind"] == "regression"
    assert payload["groups"][0]["counts"]["n"] > 0
    with pytest.raises(ValidationError, match="bootstrap"):
        C.group_report(counts, ci="bootstrap")
    with pytest.raises(ValidationError, match="ci='wilson' does not apply"):
        C.group_report(counts, ci="wilson")


def test_multiclass_group_report_with_bootstrap_and_per_class_metrics():
    rng = np.random.default_rng(1)
    n = 2000
    island = rng.choice(["Biscoe", "Dream", "Torgersen"], size=n)
    truth = rng.choice(["Adelie", "Chinstrap", "Gentoo"], size=n)
    wrong = rng.choice(["Adelie", "Chinstrap", "Gentoo"], size=n)
    miss = np.where(island == "Dream", 0.5, 0.1)
    pred = np.where(rng.random(n) < miss, wrong, truth)
    counts = C.group_counts(truth, pred, {"island": island}, kind="multiclass")
    report = C.group_report(counts, ci="bootstrap", n_boot=200)
    assert report.by_group["accuracy"].idxmin() == "Dream"
    assert report.p_values.loc["Dream", "accuracy"] < 1e-6
    assert "true_positive_rate[Gentoo]" in report.metrics
    low, high = report.disparity_interval("accuracy")
    assert 0 < low < high
    report = C.group_report(counts, metrics=["accuracy", "tpr[Adelie]", "macro_precision"])
    assert report.metrics == ("accuracy", "true_positive_rate[Adelie]", "macro_precision")
    with pytest.raises(ValidationError, match="classes"):
        C.group_report(counts, metrics=["true_positive_rate[Emperor]"])
