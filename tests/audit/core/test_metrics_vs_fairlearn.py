"""Property-based tests: every metric, for every group and intersection, equals fairlearn's."""

from __future__ import annotations

import warnings
from functools import partial
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

fm = pytest.importorskip("fairlearn.metrics")
from sklearn.metrics import accuracy_score, precision_score  # noqa: E402

from fairgate.audit import core as M  # noqa: E402
from fairgate.audit import group_counts, group_report  # noqa: E402
from tests.fixtures.fairlearn_reference import metric_frame, sensitive_columns  # noqa: E402

TOL = 1e-9


def _npv(y_true, y_pred):
    return precision_score(1 - np.asarray(y_true), 1 - np.asarray(y_pred), zero_division=np.nan)


# fairgate name -> (fairlearn/sklearn callable, fairgate rate whose denominator decides NaN)
REFERENCE = {
    "selection_rate": fm.selection_rate,
    "true_positive_rate": fm.true_positive_rate,
    "false_positive_rate": fm.false_positive_rate,
    "false_negative_rate": fm.false_negative_rate,
    "true_negative_rate": fm.true_negative_rate,
    "precision": partial(precision_score, zero_division=np.nan),
    "negative_predictive_value": _npv,
    "accuracy": accuracy_score,
    "count": fm.count,
}


@st.composite
def decisions(draw):
    """Random binary decisions with 1-3 sensitive attributes; small, skewed groups on purpose."""
    n = draw(st.integers(min_value=1, max_value=120))
    seed = draw(st.integers(min_value=0, max_value=2**31 - 1))
    rng = np.random.default_rng(seed)
    frame, attrs = sensitive_columns(draw, rng, n)
    p_true = draw(st.sampled_from([0.0, 0.05, 0.5, 0.95, 1.0]))
    p_pred = draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
    frame["y_true"] = (rng.random(n) < p_true).astype(int)
    frame["y_pred"] = (rng.random(n) < p_pred).astype(int)
    return pd.DataFrame(frame), attrs


def _fairlearn_frame(df: pd.DataFrame, attrs: tuple[str, ...]) -> pd.DataFrame:
    return metric_frame(df, attrs, REFERENCE).by_group


def _defined(metric: str, cells: np.ndarray) -> np.ndarray:
    if metric == "count":
        return np.ones(len(cells), dtype=bool)
    _, den = M.METRICS[metric].parts(cells)
    return den > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decisions())
def test_every_metric_every_group_and_intersection_equals_fairlearn(case):
    df, attrs = case
    counts = group_counts("y_true", "y_pred", attrs, data=df)
    for k in range(1, len(attrs) + 1):
        for subset in combinations(attrs, k):
            sub = counts.marginal(subset)
            keys, cells = sub.flat()
            expected = _fairlearn_frame(df, subset)
            if len(subset) == 1:
                expected = expected.reindex(pd.Index([key[0] for key in keys], name=subset[0]))
            else:
                expected = expected.reindex(pd.MultiIndex.from_tuples(keys, names=subset))
            present = cells.sum(axis=1) > 0
            for metric in REFERENCE:
                ours = M.metric_values(metric, cells)
                theirs = expected[metric].to_numpy(dtype=float)
                defined = _defined(metric, cells) & present
                # where the rate is defined, the numbers agree to 1e-9
                np.testing.assert_allclose(ours[defined], theirs[defined], rtol=0, atol=TOL)
                # where it is not (empty or single-class group), fairgate says NaN, never 0
                assert np.isnan(ours[~defined & present]).all()
                if metric != "count":
                    assert np.isnan(ours[~present]).all()
                    assert np.isnan(theirs[~present]).all()  # fairlearn: empty combination


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decisions(), st.sampled_from(["between_groups", "to_overall"]))
def test_differences_and_ratios_equal_fairlearn(case, method):
    df, attrs = case
    counts = group_counts("y_true", "y_pred", attrs, data=df)
    kw = {"y_true": df["y_true"], "y_pred": df["y_pred"], "sensitive_features": df[attrs]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dp_d = fm.demographic_parity_difference(**kw, method=method)
        dp_r = fm.demographic_parity_ratio(**kw, method=method)
    np.testing.assert_allclose(
        M.demographic_parity_difference(counts, method=method), dp_d, atol=TOL
    )
    np.testing.assert_allclose(M.demographic_parity_ratio(counts, method=method), dp_r, atol=TOL)

    # Equalized odds / opportunity: fairlearn scores an undefined TPR or FPR as 0 (scikit-learn's
    # zero_division); fairgate leaves such groups out. Compare where every present group is defined.
    _, cells = counts.flat()
    present = cells.sum(axis=1) > 0
    tpr_ok = _defined("true_positive_rate", cells)[present].all()
    fpr_ok = _defined("false_positive_rate", cells)[present].all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if tpr_ok:
            np.testing.assert_allclose(
                M.equal_opportunity_difference(counts, method=method),
                fm.equal_opportunity_difference(**kw, method=method),
                atol=TOL,
            )
            np.testing.assert_allclose(
                M.equal_opportunity_ratio(counts, method=method),
                fm.equal_opportunity_ratio(**kw, method=method),
                atol=TOL,
            )
        # fairlearn folds the two parts with Python's min(), whose result with a NaN part depends
        # on the order; compare where both parts are defined numbers.
        both_defined = (
            tpr_ok
            and fpr_ok
            and not np.isnan(M.equal_opportunity_ratio(counts, method=method))
            and not np.isnan(
                M.ratio(
                    M.false_positive_rate(cells),
                    M.false_positive_rate(counts.overall),
                    method=method,
                    include=present,
                )
            )
        )
        if tpr_ok and fpr_ok:
            for agg in ("worst_case", "mean"):
                np.testing.assert_allclose(
                    M.equalized_odds_difference(counts, method=method, agg=agg),
                    fm.equalized_odds_difference(**kw, method=method, agg=agg),
                    atol=TOL,
                )
        if both_defined:
            for agg in ("worst_case", "mean"):
                np.testing.assert_allclose(
                    M.equalized_odds_ratio(counts, method=method, agg=agg),
                    fm.equalized_odds_ratio(**kw, method=method, agg=agg),
                    atol=TOL,
                )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decisions(), st.sampled_from(["between_groups", "to_overall"]))
def test_group_report_difference_and_ratio_equal_metricframe(case, method):
    df, attrs = case
    counts = group_counts("y_true", "y_pred", attrs, data=df)
    report = group_report(counts, min_group_size=0, ci="none")
    mf = metric_frame(df, attrs, {m: REFERENCE[m] for m in ("selection_rate", "accuracy", "count")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_d, theirs_r = mf.difference(method=method), mf.ratio(method=method)
    ours_d, ours_r = report.difference(method), report.ratio(method)
    for metric in ("selection_rate", "accuracy", "count"):
        np.testing.assert_allclose(ours_d[metric], theirs_d[metric], atol=TOL)
        np.testing.assert_allclose(ours_r[metric], theirs_r[metric], atol=TOL)
    # by_group has fairlearn's shape: same index names and the same groups
    assert list(report.by_group.index.names) == list(mf.by_group.index.names)
    assert len(report.by_group) == len(mf.by_group)
