"""Score-based group metrics from histograms: AUC with its error bound, and calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from fairgate.audit import (
    exact_roc_auc_by_group,
    expected_calibration_error,
    roc_auc_by_group,
    score_counts,
)
from fairgate.errors import ValidationError


def _scored(n: int = 6000, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c"], n)
    y = rng.integers(0, 2, n)
    shift = np.where(g == "c", 0.05, 0.2)
    s = np.clip(rng.normal(0.4 + shift * y, 0.15), 0, 1)
    return pd.DataFrame({"g": g, "h": rng.choice(["x", "y"], n), "y": y, "s": s})


def _ece_reference(y: np.ndarray, s: np.ndarray, n_bins: int = 10) -> float:
    b = np.minimum((s * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for m in range(n_bins):
        sel = b == m
        if sel.any():
            total += sel.sum() / len(s) * abs(y[sel].mean() - s[sel].mean())
    return total


def test_histogram_auc_is_within_its_bound_of_the_exact_auc():
    df = _scored()
    sc = score_counts("y", "s", ["g", "h"], data=df, bins=1000)
    auc, bound = roc_auc_by_group(sc.marginal("g"))
    exact = [roc_auc_score(df.y[df.g == k], df.s[df.g == k]) for k in ("a", "b", "c")]
    assert (np.abs(auc - exact) <= bound + 1e-12).all()
    assert (bound < 2e-3).all()
    np.testing.assert_allclose(exact_roc_auc_by_group("y", "s", "g", data=df).to_numpy(), exact)


def test_auc_is_exact_when_each_bin_holds_one_score_value():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 10, 400) / 10 + 0.05  # ten distinct values, one per bin
    y = (rng.random(400) < s).astype(int)
    auc, bound = roc_auc_by_group(score_counts(y, s, np.zeros(400), bins=10))
    assert auc[0] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert bound[0] > 0  # the bound is conservative: ties are exact here


def test_ece_from_fine_histograms_is_exact():
    df = _scored()
    sc = score_counts("y", "s", "g", data=df)
    ece = expected_calibration_error(sc, n_bins=10)
    for i, k in enumerate(("a", "b", "c")):
        sel = df.g == k
        assert ece[i] == pytest.approx(_ece_reference(df.y[sel].to_numpy(), df.s[sel].to_numpy()))


def test_single_class_group_gives_nan_auc_and_bad_scores_are_refused():
    auc, _ = roc_auc_by_group(
        score_counts([1, 1, 0, 1], [0.9, 0.8, 0.3, 0.7], ["a", "a", "b", "b"])
    )
    assert np.isnan(auc[0]) and auc[1] == 1.0
    with pytest.raises(ValidationError, match=r"probabilities in \[0, 1\]"):
        score_counts([1, 0], [1.5, 0.2], ["a", "b"])
    with pytest.raises(ValidationError, match="must divide"):
        expected_calibration_error(score_counts([1, 0], [0.5, 0.2], ["a", "b"], bins=100), 7)
