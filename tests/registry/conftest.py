"""Fixtures: a registry on a real SQLite file and a real skops model trained here."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml


@pytest.fixture
def registry(tmp_path):
    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    return Registry(Settings(home=tmp_path / "home"))


@pytest.fixture(scope="session")
def example_filing() -> dict:
    from fairgate.registry.store.filing import example_filing_path

    return yaml.safe_load(example_filing_path().read_text(encoding="utf-8"))


@pytest.fixture
def make_filing(example_filing):
    def make(name: str = "lending", version: str = "1", **changes) -> dict:
        body = copy.deepcopy(example_filing)
        body.update(name=name, version=version, **changes)
        return body

    return make


@pytest.fixture(scope="session")
def arrests_model(example_filing):
    """A model trained on the Toronto arrests data, taking exactly the example filing's features."""
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklego.datasets import load_arrests

    frame = load_arrests(as_frame=True)
    features = [f["name"] for f in example_filing["features"]]
    X, y = frame[features], (frame["released"] == "Yes").astype(int)
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(X[c])]
    categorical = [c for c in features if c not in numeric]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), categorical), (StandardScaler(), numeric)
        ),
        LogisticRegression(max_iter=500),
    )
    return model.fit(X, y), X


@pytest.fixture(scope="session")
def skops_model(tmp_path_factory, arrests_model) -> Path:
    import skops.io as sio

    path = tmp_path_factory.mktemp("model") / "model.skops"
    sio.dump(arrests_model[0], path)
    return path
