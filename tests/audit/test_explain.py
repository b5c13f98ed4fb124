"""SHAP explanations: additivity, determinism, bounded samples, pipelines with string columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fairgate.audit.explain import Explanation, explain
from fairgate.errors import EmptyDataError, LengthMismatchError, ValidationError


@pytest.fixture(scope="module")
def numeric():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(10_000, 4)), columns=["a", "b", "c", "d"])
    y = ((X.a + 0.5 * X.b + rng.normal(0, 0.3, len(X))) > 0).astype(int)
    sex = rng.choice(["F", "M"], len(X)).astype(object)
    sex[:50] = None  # a missing group
    return X, y, pd.DataFrame({"sex": sex})


@pytest.fixture(scope="module")
def arrests():
    from fairgate.demo.data import FEATURES, SENSITIVE, arrests_model, load_arrests_frame

    data = load_arrests_frame(0)
    return arrests_model(data.train, 0), data.audit[FEATURES], data.audit[SENSITIVE]


def _rows(n: int, size: int, seed: int) -> np.ndarray:
    """The documented sample: ``default_rng(seed).choice(n, min(size, n), replace=False)``."""
    return np.sort(np.random.default_rng(seed).choice(n, size=min(size, n), replace=False))


def _added(e: Explanation) -> np.ndarray:
    return e.base_value + e.values.sum(axis=1)


def test_tree_model_is_additive_in_probability(numeric):
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

    X, y, sex = numeric
    rows = X.iloc[_rows(len(X), 300, 3)]
    for model in (
        GradientBoostingClassifier(n_estimators=30, random_state=0).fit(X, y),
        RandomForestClassifier(20, max_depth=6, random_state=0).fit(X, y),
    ):
        e = explain(model, X, sensitive=sex, seed=3, sample_size=300)
        assert e.method == "TreeExplainer (interventional; probability of class 1)"
        assert e.n_explained == 300 and e.values.shape == (300, 4)
        assert np.allclose(_added(e), model.predict_proba(rows)[:, 1], atol=1e-6)
        assert list(e.global_importance)[:2] == ["a", "b"]
        # per-group importance: one table per attribute, one entry per group, every feature
        assert set(e.group_importance) == {"sex"}
        assert set(e.group_importance["sex"]) == {"F", "M", "(missing)"}
        for table in e.group_importance["sex"].values():
            assert set(table) == set(e.features)


def test_tree_margin_and_the_deep_tree_fallback(numeric):
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier

    X, y, _ = numeric
    rows = X.iloc[_rows(len(X), 200, 0)]
    gb = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(X, y)
    e = explain(gb, X, sample_size=200, output="decision")
    assert "margin" in e.method
    assert np.allclose(_added(e), gb.decision_function(rows), atol=1e-6)
    # HistGradientBoosting grows deep trees on which interventional TreeSHAP does not add up
    # (shap issue #3267): the explanation falls back and still adds up to what it declares
    hgb = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    e = explain(hgb, X, sample_size=200)
    assert e.method.startswith("TreeExplainer") or e.method.startswith("PermutationExplainer")
    declared = hgb.decision_function(rows) if "margin" in e.method else hgb.predict_proba(rows)
    assert np.allclose(_added(e), declared if declared.ndim == 1 else declared[:, 1], atol=1e-6)


def test_linear_model_is_additive_in_the_margin(numeric):
    from sklearn.linear_model import LinearRegression, LogisticRegression

    X, y, sex = numeric
    rows = X.iloc[_rows(len(X), 500, 1)]
    lr = LogisticRegression().fit(X, y)
    e = explain(lr, X, sensitive=sex, seed=1)
    assert e.method == "LinearExplainer (margin of class 1)" and e.n_explained == 500
    assert np.allclose(_added(e), lr.decision_function(rows), atol=1e-6)
    reg = LinearRegression().fit(X, X.a * 2 + X.b)
    e = explain(reg, X, seed=1)
    assert e.method == "LinearExplainer (prediction)"
    assert np.allclose(_added(e), reg.predict(rows), atol=1e-6)


def test_model_agnostic_path_matches_exact_linear_shap(numeric):
    """On a linear margin one antithetic permutation is exact: it must equal LinearExplainer."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y, _ = numeric
    lr = LogisticRegression().fit(X, y)
    pipe = make_pipeline(FunctionTransformer(), lr)
    exact = explain(lr, X, seed=7, sample_size=80, output="decision")
    agnostic = explain(pipe, X, seed=7, sample_size=80, output="decision")
    assert agnostic.method == "PermutationExplainer (model-agnostic; margin of class 1)"
    assert np.allclose(agnostic.values, exact.values, atol=1e-9)
    assert agnostic.base_value == pytest.approx(exact.base_value)


def test_deterministic_with_a_seed_and_numpy_state_untouched(numeric, arrests):
    from sklearn.ensemble import RandomForestClassifier

    X, y, _ = numeric
    forest = RandomForestClassifier(20, max_depth=5, random_state=0).fit(X, y)
    one = explain(forest, X, seed=5, sample_size=100)
    two = explain(forest, X, seed=5, sample_size=100)
    assert np.array_equal(one.values, two.values) and one.to_dict() == two.to_dict()
    assert not np.array_equal(one.values, explain(forest, X, seed=6, sample_size=100).values)
    model, Xa, _ = arrests
    np.random.seed(123)
    expected = np.random.random(3)
    np.random.seed(123)
    first = explain(model, Xa, seed=2, sample_size=40, background_size=30)
    assert np.array_equal(np.random.random(3), expected)  # shap's global seeding is undone
    second = explain(model, Xa, seed=2, sample_size=40, background_size=30)
    assert np.array_equal(first.values, second.values)


def test_arrests_pipeline_with_string_columns_is_explained_on_its_inputs(arrests):
    model, X, sensitive = arrests
    assert (X.dtypes == "str").sum() == 4  # pandas string columns
    e = explain(model, X, sensitive=sensitive, proxies=["citizen"], seed=0, sample_size=120)
    assert e.method == "PermutationExplainer (model-agnostic; probability of class 1)"
    assert e.features == tuple(X.columns) and e.values.shape == (120, 7)
    rows = X.iloc[_rows(len(X), 120, 0)]
    assert np.allclose(_added(e), model.predict_proba(rows)[:, 1], atol=1e-6)
    assert set(e.sensitive_share) == {"colour", "sex", "citizen"}
    total = sum(e.global_importance.values())
    assert e.sensitive_share["colour"] == pytest.approx(e.global_importance["colour"] / total)
    assert set(e.group_importance) == {"colour", "sex"}
    assert set(e.group_importance["colour"]) == set(rows.colour.unique())
    body = json.loads(json.dumps(e.to_dict()))
    assert set(body) == {
        "method",
        "features",
        "base_value",
        "n_explained",
        "global_importance",
        "group_importance",
        "sensitive_share",
        "seed",
        "values",
    }
    assert list(body["global_importance"].values()) == sorted(
        body["global_importance"].values(), reverse=True
    )


def test_batched_calls_give_exactly_shaps_permutation_values(arrests):
    """The model-agnostic path batches shap's per-row model calls; the values must not change."""
    from fairgate.audit.explain.agnostic import Codec, shap_module

    shap = shap_module()

    model, X, _ = arrests
    e = explain(model, X, seed=4, sample_size=30, background_size=25)
    rng = np.random.default_rng(4)
    rows = np.sort(rng.choice(len(X), size=30, replace=False))
    bg_rows = np.sort(rng.choice(len(X), size=25, replace=False))
    sample = X.iloc[rows].reset_index(drop=True)
    bg = X.iloc[bg_rows].reset_index(drop=True)
    codec = Codec(pd.concat([sample, bg], ignore_index=True))
    direct = shap.PermutationExplainer(
        lambda z: model.predict_proba(codec.decode(z))[:, 1],
        shap.maskers.Independent(codec.encode(bg), max_samples=25),
        seed=4,
    )
    out = direct(codec.encode(sample), max_evals=2 * X.shape[1] + 1, silent=True)
    assert np.array_equal(out.values, e.values)


def test_pipeline_tree_path_sums_one_hot_columns(arrests):
    model, X, _ = arrests
    e = explain(model, X, seed=0, sample_size=200, algorithm="tree")
    assert e.method.startswith("TreeExplainer") and "summed" in e.method
    assert e.features == tuple(X.columns) and e.values.shape == (200, 7)
    rows = X.iloc[_rows(len(X), 200, 0)]
    declared = model.decision_function(rows) if "margin" in e.method else None
    if declared is None:
        declared = model.predict_proba(rows)[:, 1]
    assert np.allclose(_added(e), declared, atol=1e-6)
    with pytest.raises(ValidationError, match="algorithm='linear'"):
        explain(model, X, algorithm="linear")


def test_bounded_sample(numeric):
    from sklearn.linear_model import LogisticRegression

    X, y, _ = numeric
    lr = LogisticRegression().fit(X, y)
    e = explain(lr, X, sample_size=250, background_size=20)
    assert len(X) == 10_000 and e.n_explained == 250 and e.values.shape == (250, 4)
    small = explain(lr, X.iloc[:40], sample_size=500)
    assert small.n_explained == 40


def test_clear_errors(numeric):
    from sklearn.linear_model import LogisticRegression

    X, y, sex = numeric
    lr = LogisticRegression().fit(X, y)
    with pytest.raises(EmptyDataError, match="X has 0 rows"):
        explain(lr, X.iloc[:0])
    with pytest.raises(LengthMismatchError, match="sensitive has 10 rows but X has 10,000"):
        explain(lr, X, sensitive=sex.iloc[:10])
    with pytest.raises(ValidationError, match="no predict method"):
        explain(object(), X)
    with pytest.raises(ValidationError, match="expected a pandas DataFrame"):
        explain(lr, X.to_numpy())
    with pytest.raises(ValidationError, match="output='probability'"):
        explain(lr, X, output="probability")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="sample_size=0"):
        explain(lr, X, sample_size=0)
