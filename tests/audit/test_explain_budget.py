"""The model-agnostic explainer's budget: large pipelines of trees take the tree path."""

from __future__ import annotations

import numpy as np
import pytest

from fairgate.audit.explain import explain
from fairgate.errors import ValidationError


@pytest.fixture(scope="module")
def arrests():
    from fairgate.demo.data import FEATURES, arrests_model, load_arrests_frame

    data = load_arrests_frame(0)
    return arrests_model(data.train, 0), data.audit[FEATURES]


def test_a_tree_pipeline_over_the_budget_is_explained_by_the_tree_path(arrests):
    model, X = arrests
    # 60 rows x 15 evaluations x 30 background rows = 27,000 model rows
    small = explain(model, X, seed=0, sample_size=60, background_size=30)
    assert small.method.startswith("PermutationExplainer")
    big = explain(model, X, seed=0, sample_size=60, background_size=30, max_model_rows=20_000)
    assert big.method.startswith("TreeExplainer") and "summed per input" in big.method
    rows = X.iloc[np.sort(np.random.default_rng(0).choice(len(X), 60, replace=False))]
    total = big.base_value + big.values.sum(axis=1)
    declared = model.decision_function(rows) if "margin" in big.method else None
    if declared is None:
        declared = model.predict_proba(rows)[:, 1]
    assert np.allclose(total, declared, atol=1e-6)  # still exactly additive
    # both paths agree on which inputs matter most
    top = lambda e: max(e.global_importance, key=e.global_importance.get)  # noqa: E731
    assert top(small) == top(big)


def test_other_models_keep_the_permutation_path_and_the_budget_is_checked(arrests):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    _, X = arrests
    y = (X["checks"] > 1).astype(int)
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(), ["colour", "sex", "employed", "citizen"])],
        remainder="passthrough",
    )
    linear = Pipeline([("pre", pre), ("lr", LogisticRegression(max_iter=500))]).fit(X, y)
    e = explain(linear, X, seed=0, sample_size=20, background_size=10, max_model_rows=10)
    assert e.method.startswith("PermutationExplainer")
    with pytest.raises(ValidationError, match="max_model_rows"):
        explain(linear, X, max_model_rows=0)
