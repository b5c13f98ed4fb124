"""Fixtures: a registry on a real database (SQLite and PostgreSQL) and a real skops model."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml


@pytest.fixture(autouse=True)
def _on_each_database(db_url: str | None) -> None:
    """Run every registry test on SQLite and on PostgreSQL (FAIRGATE_DATABASE_URL is set)."""


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
def skops_model(tmp_path_factory) -> Path:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + rng.normal(0, 0.5, 200) > 0).astype(int)
    path = tmp_path_factory.mktemp("model") / "model.skops"
    sio.dump(LogisticRegression().fit(X, y), path)
    return path
