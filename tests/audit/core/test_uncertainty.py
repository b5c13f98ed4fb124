"""Cell bootstrap, Wilson intervals, significance tests and small groups."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fairgate.audit import (
    bootstrap_cells,
    bootstrap_interval,
    group_counts,
    group_report,
    group_significance,
    wilson_interval,
)
from fairgate.audit.core.metrics import difference, selection_rate


def _data(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])
    base = {"a": 0.6, "b": 0.5, "c": 0.45, "d": 0.3}
    y_pred = (rng.random(n) < np.vectorize(base.get)(group)).astype(int)
    return pd.DataFrame({"g": group, "y_true": rng.integers(0, 2, n), "y_pred": y_pred})


def test_cell_bootstrap_matches_row_resampling_within_monte_carlo_error():
    df = _data(3000)
    counts = group_counts("y_true", "y_pred", "g", data=df)
    _, cells = counts.flat()
    draws = 4000

    def stat(c: np.ndarray) -> np.ndarray:
        return difference(selection_rate(c), method="between_groups")

    ours = stat(bootstrap_cells(cells, draws, seed=1))

    rng = np.random.default_rng(2)
    codes = pd.factorize(df["g"], sort=True)[0]
    yp = df["y_pred"].to_numpy()
    rows = np.empty(draws)
    for i in range(draws):
        idx = rng.integers(0, len(df), len(df))
        pos = np.bincount(codes[idx], weights=yp[idx], minlength=4)
        tot = np.bincount(codes[idx], minlength=4)
        rate = pos / tot
        rows[i] = rate.max() - rate.min()

    # same distribution: a two-sample KS test does not reject, moments and quantiles agree
    assert stats.ks_2samp(ours, rows).pvalue > 0.001
    se_mean = np.sqrt(ours.var() / draws + rows.var() / draws)
    assert abs(ours.mean() - rows.mean()) < 4 * se_mean
    for q in (0.025, 0.5, 0.975):
        assert abs(np.quantile(ours, q) - np.quantile(rows, q)) < 0.15 * (
            np.quantile(rows, 0.975) - np.quantile(rows, 0.025)
        )
    assert abs(ours.std() / rows.std() - 1) < 0.08


def test_bootstrap_draws_keep_the_total_and_are_seeded():
    cells = np.array([[10, 5, 20, 3], [0, 0, 0, 0], [1, 2, 3, 4]])
    a = bootstrap_cells(cells, 50, seed=7)
    b = bootstrap_cells(cells, 50, seed=7)
    assert a.shape == (50, 3, 4)
    np.testing.assert_array_equal(a, b)
    assert (a.reshape(50, -1).sum(axis=1) == cells.sum()).all()
    assert (a[:, 1] == 0).all()  # an empty group stays empty


def test_bootstrap_interval_of_a_rate_covers_the_estimate():
    cells = np.array([40, 10, 35, 15])
    low, high = bootstrap_interval(cells, "selection_rate", n_boot=2000, seed=0)
    assert low < 0.5 < high


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (57, 200), (1, 1)])
def test_wilson_interval_matches_scipy(k, n):
    low, high = wilson_interval(np.array([k]), np.array([n]), alpha=0.05)
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    np.testing.assert_allclose([low[0], high[0]], [ref.low, ref.high], atol=1e-12)


def test_wilson_interval_of_an_empty_group_is_nan_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = wilson_interval(np.array([0]), np.array([0]))
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_significance_uses_fisher_for_small_cells_and_chi2_otherwise():
    groups = np.array(
        [
            [300, 200, 300, 200],  # reference, large
            [2, 1, 1, 0],  # four people: Fisher
            [150, 50, 150, 50],  # large, clearly different: chi-square
        ]
    )
    result = group_significance(groups, "selection_rate", reference=0)
    assert list(result.tests) == ["", "fisher", "chi2"]
    assert np.isnan(result.p_values[0])
    fisher = stats.fisher_exact([[3, 1], [500, 500]]).pvalue
    assert result.p_values[1] == pytest.approx(fisher)
    chi = stats.chi2_contingency([[200, 200], [500, 500]]).pvalue
    assert result.p_values[2] == pytest.approx(chi)


def test_small_and_single_class_groups_are_flagged_with_reasons_not_crashes():
    df = pd.DataFrame(
        {
            "g": ["big"] * 200 + ["tiny"] * 3 + ["allneg"] * 40,
            "y_true": [1, 0] * 100 + [1, 1, 1] + [0] * 40,
            "y_pred": [1, 0, 0, 1] * 50 + [1, 0, 1] + [0, 0, 0, 1] * 10,
        }
    )
    counts = group_counts("y_true", "y_pred", "g", data=df)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division warning anywhere
        report = group_report(counts, min_group_size=30, ci="bootstrap", n_boot=200)
    assert bool(report.insufficient["tiny"]) is True
    assert bool(report.insufficient["big"]) is False
    assert np.isnan(report.by_group.loc["allneg", "true_positive_rate"])
    assert "no actual positives" in report.reasons.loc["allneg", "true_positive_rate"]
    assert np.isnan(report.by_group.loc["tiny", "false_positive_rate"])
    # the tiny group is left out of the ratio: only big vs allneg count
    sr = report.by_group["selection_rate"]
    assert report.ratio()["selection_rate"] == pytest.approx(
        min(sr["big"], sr["allneg"]) / max(sr["big"], sr["allneg"])
    )
    low, high = report.disparity_interval("selection_rate")
    assert low <= report.difference()["selection_rate"] <= high
    assert report.to_dict()["groups"][2]["insufficient"] is True
