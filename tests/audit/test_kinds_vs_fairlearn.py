"""Property-based tests: regression and multiclass metrics equal fairlearn's MetricFrame.

For every group and every intersection (including empty combinations and one-row groups),
fairgate's counts-first metrics equal ``MetricFrame`` with the matching scikit-learn metric to
1e-9; and the DuckDB path returns the very counts of the in-memory path for every kind.
"""

from __future__ import annotations

from functools import partial
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

fm = pytest.importorskip("fairlearn.metrics")
from sklearn import metrics as skm  # noqa: E402

from fairgate.audit import core as C  # noqa: E402
from fairgate.audit.core.multiclass_metrics import multiclass_estimate  # noqa: E402
from fairgate.audit.core.regression_metrics import regression_estimate  # noqa: E402
from tests.fixtures.fairlearn_reference import metric_frame, sensitive_columns  # noqa: E402

TOL = 1e-9
CLASSES = ("a", "b", "c", "d")


@st.composite
def regression_rows(draw):
    """Outcomes and predictions on a quarter grid (exact in binary floating point)."""
    n = draw(st.integers(min_value=1, max_value=120))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**31 - 1)))
    frame, attrs = sensitive_columns(draw, rng, n)
    spread = draw(st.sampled_from([0, 1, 40]))
    frame["y_true"] = rng.integers(-4 * spread, 4 * spread + 1, size=n) / 4
    noise = draw(st.sampled_from([0, 2, 30]))
    frame["y_pred"] = frame["y_true"] + rng.integers(-4 * noise, 4 * noise + 1, size=n) / 4
    return pd.DataFrame(frame), attrs


@st.composite
def multiclass_rows(draw):
    n = draw(st.integers(min_value=1, max_value=120))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**31 - 1)))
    frame, attrs = sensitive_columns(draw, rng, n)
    k = draw(st.integers(min_value=2, max_value=4))
    p = rng.dirichlet(np.full(k, 0.7))
    frame["y_true"] = rng.choice(CLASSES[:k], size=n, p=p)
    keep = draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]))
    guess = rng.choice(CLASSES[:k], size=n)
    frame["y_pred"] = np.where(rng.random(n) < keep, frame["y_true"], guess)
    return pd.DataFrame(frame), attrs


def _by_group(df, attrs, metrics):
    return metric_frame(df, attrs, metrics).by_group


def _aligned(expected, keys, subset):
    if len(subset) == 1:
        return expected.reindex(pd.Index([key[0] for key in keys], name=subset[0]))
    return expected.reindex(pd.MultiIndex.from_tuples(keys, names=subset))


def _r2(y_true, y_pred):
    """scikit-learn's R² where defined; fairgate says NaN (with a reason) where it is not."""
    if len(y_true) < 2:
        return np.nan
    value = skm.r2_score(y_true, y_pred, force_finite=False)
    return value if np.isfinite(value) else np.nan  # constant outcome: -inf or NaN


REGRESSION_REFERENCE = {
    "mean_absolute_error": skm.mean_absolute_error,
    "mean_squared_error": skm.mean_squared_error,
    "root_mean_squared_error": skm.root_mean_squared_error,
    "r2_score": _r2,
    "mean_error": lambda t, p: float(np.mean(np.asarray(p) - np.asarray(t))),
    "mean_prediction": lambda t, p: float(np.mean(p)),
    "mean_outcome": lambda t, p: float(np.mean(t)),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regression_rows())
def test_regression_metrics_equal_metricframe_for_every_group_and_intersection(case):
    df, attrs = case
    counts = C.group_counts("y_true", "y_pred", attrs, data=df, kind="regression")
    assert counts.n == len(df)
    for k in range(1, len(attrs) + 1):
        for subset in combinations(attrs, k):
            sub = counts.marginal(subset)
            keys, stats = sub.flat()
            expected = _aligned(_by_group(df, subset, REGRESSION_REFERENCE), keys, subset)
            present = stats[:, 0] > 0
            for metric in REGRESSION_REFERENCE:
                ours = regression_estimate(metric, stats).values
                theirs = expected[metric].to_numpy(dtype=float)
                both = present & ~np.isnan(theirs)
                np.testing.assert_allclose(ours[both], theirs[both], rtol=TOL, atol=TOL)
                # undefined where scikit-learn's is (one-row or constant-outcome R², empty groups)
                assert np.isnan(ours[~both]).all(), metric


def _per_class(metric, cls, classes):
    fn = {
        "true_positive_rate": partial(skm.recall_score, zero_division=np.nan),
        "precision": partial(skm.precision_score, zero_division=np.nan),
    }.get(metric)

    def one_vs_rest(y_true, y_pred):
        t = np.asarray(y_true) == cls
        p = np.asarray(y_pred) == cls
        if metric == "selection_rate":
            return fm.selection_rate(t, p, pos_label=True)
        if metric == "false_positive_rate":
            return fm.false_positive_rate(t, p, pos_label=True) if (~t).any() else np.nan
        return fn(t, p, pos_label=True, labels=[False, True]) if fn else np.nan

    return one_vs_rest


def _macro(fn, classes):
    def macro(y_true, y_pred):
        per = fn(y_true, y_pred, labels=list(classes), average=None, zero_division=np.nan)
        return np.nan if np.isnan(per).all() else float(np.nanmean(per))

    return macro


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(multiclass_rows())
def test_multiclass_metrics_equal_metricframe_for_every_group_and_intersection(case):
    df, attrs = case
    counts = C.group_counts("y_true", "y_pred", attrs, data=df, kind="multiclass", classes=CLASSES)
    classes = counts.classes
    reference = {
        "accuracy": skm.accuracy_score,
        "macro_true_positive_rate": _macro(skm.recall_score, classes),
        "macro_precision": _macro(skm.precision_score, classes),
    }
    for metric in ("selection_rate", "true_positive_rate", "false_positive_rate", "precision"):
        for c in classes:
            reference[f"{metric}[{c}]"] = _per_class(metric, c, classes)
    for k in range(1, len(attrs) + 1):
        for subset in combinations(attrs, k):
            sub = counts.marginal(subset)
            keys, cells = sub.flat()
            expected = _aligned(_by_group(df, subset, reference), keys, subset)
            present = cells.sum(axis=(1, 2)) > 0
            for metric in reference:
                ours = multiclass_estimate(metric, cells, classes).values
                theirs = expected[metric].to_numpy(dtype=float)
                both = present & ~np.isnan(theirs)
                np.testing.assert_allclose(ours[both], theirs[both], rtol=0, atol=TOL)
                assert np.isnan(ours[~both]).all(), metric


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(multiclass_rows(), st.sampled_from(["between_groups", "to_overall"]))
def test_favourable_class_reduces_to_binary_and_parity_per_class(case, method):
    df, attrs = case
    counts = C.group_counts("y_true", "y_pred", attrs, data=df, kind="multiclass", classes=CLASSES)
    for c in counts.classes:
        binary = C.group_counts(
            (df["y_true"] == c).astype(int), (df["y_pred"] == c).astype(int), df[attrs]
        )
        assert counts.binary(c) == binary
        assert (
            C.group_counts(
                "y_true", "y_pred", attrs, data=df, kind="multiclass", classes=CLASSES, favourable=c
            )
            == binary
        )
        dp = C.demographic_parity_per_class(counts, method=method)[c]
        eo = C.equalized_odds_per_class(counts, method=method)[c]
        np.testing.assert_allclose(
            dp, C.demographic_parity_difference(binary, method=method), atol=TOL
        )
        np.testing.assert_allclose(eo, C.equalized_odds_difference(binary, method=method), atol=TOL)


def _write(df: pd.DataFrame, path, fmt: str):
    if fmt == "parquet":
        df.to_parquet(path)
    else:
        df.to_csv(path, index=False)
    return path


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regression_rows(), multiclass_rows())
def test_duckdb_path_equals_memory_path_for_every_kind(tmp_path_factory, reg, mc):
    tmp = tmp_path_factory.mktemp("kinds")
    df, attrs = reg
    df = df.assign(y_pred=df["y_pred"] + 0.001)  # errors that are not on the grid
    memory = C.group_counts("y_true", "y_pred", attrs, data=df, kind="regression")
    path = _write(df, tmp / "reg.parquet", "parquet")
    filed = C.counts_from_file(
        path, y_true="y_true", y_pred="y_pred", sensitive=attrs, kind="regression"
    )
    assert filed.levels == memory.levels
    np.testing.assert_array_equal(filed.hist, memory.hist)
    np.testing.assert_allclose(filed.stats, memory.stats, rtol=1e-12, atol=1e-9)

    df, attrs = mc
    for fmt in ("parquet", "csv"):
        path = _write(df, tmp / f"mc.{fmt}", fmt)
        kw = {
            "y_true": "y_true",
            "y_pred": "y_pred",
            "sensitive": attrs,
            "kind": "multiclass",
            "classes": CLASSES,
        }
        assert C.counts_from_file(path, **kw) == C.group_counts(
            "y_true", "y_pred", attrs, data=df, kind="multiclass", classes=CLASSES
        )
    scores = df.assign(y_true=(df["y_true"] == "a").astype(int), s=np.linspace(0, 1, len(df)))
    path = _write(scores, tmp / "scores.parquet", "parquet")
    assert C.counts_from_file(
        path, y_true="y_true", y_pred="s", sensitive=attrs, kind="scores", threshold=0.5
    ) == C.group_counts("y_true", "s", attrs, data=scores, kind="scores", threshold=0.5)
