"""SHAP explanations: additivity, determinism, bounded samples, pipelines with string columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairgate.audit.explain import explain


@pytest.fixture(scope="module")
def numeric():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(10_000, 4)), columns=["a", "b", "c", "d"])
    y = ((X.a + 0.5 * X.b + rng.normal(0, 0.3, len(X))) > 0).astype(int)
    sex = pd.DataFrame({"sex": rng.choice(["F", "M"], len(X))})
    return X, y, sex


def _rows(n, size, seed):
    return np.sort(np.random.default_rng(seed).choice(n, size=min(size, n), replace=False))


def test_tree_and_linear_additivity(numeric):
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    X, y, sex = numeric
    for model in (
        GradientBoostingClassifier(n_estimators=30, random_state=0).fit(X, y),
        LogisticRegression().fit(X, y),
    ):
        e = explain(model, X, sensitive=sex, seed=3, sample_size=300)
        rows = X.iloc[_rows(len(X), 300, 3)]
        assert e.n_explained == 300 and e.values.shape == (300, 4)
        margin = model.decision_function(rows)
        assert np.allclose(e.base_value + e.values.sum(axis=1), margin, atol=1e-6)
        assert next(iter(e.global_importance)) == "a"
        assert set(e.group_importance["sex"]) == {"F", "M"}


def test_deterministic_with_a_seed(numeric):
    from sklearn.ensemble import RandomForestClassifier

    X, y, _ = numeric
    model = RandomForestClassifier(20, random_state=0).fit(X, y)
    one = explain(model, X, seed=5, sample_size=100)
    two = explain(model, X, seed=5, sample_size=100)
    assert np.array_equal(one.values, two.values)


def test_pipeline_with_string_columns_on_the_arrests_model():
    from fairgate._demo import FEATURES, SENSITIVE, arrests_model, load_arrests_frame

    data = load_arrests_frame(0)
    model = arrests_model(data.train, 0)
    X = data.audit[FEATURES]
    e = explain(model, X, sensitive=data.audit[SENSITIVE], seed=0, sample_size=200)
    assert e.features == tuple(FEATURES) and e.n_explained == 200
    assert set(e.sensitive_share) == {"colour", "sex"}
    assert 0 < sum(e.sensitive_share.values()) < 1
    rows = X.iloc[_rows(len(X), 200, 0)]
    margin = model.decision_function(rows)
    assert np.allclose(e.base_value + e.values.sum(axis=1), margin, atol=1e-6)


def test_model_agnostic_path_is_additive():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    y = (X.a > 0).astype(int)
    model = KNeighborsClassifier(5).fit(X, y)
    e = explain(model, X, seed=0, sample_size=50, background_size=40)
    assert e.method.startswith("permutation")
    rows = X.iloc[_rows(len(X), 50, 0)]
    assert np.allclose(e.base_value + e.values.sum(axis=1), model.predict_proba(rows)[:, 1])
