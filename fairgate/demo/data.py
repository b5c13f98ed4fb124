"""The demo: fairgate's main job on real data, on the embedded default.

The data and models of ``fairgate demo``: the Toronto arrests data shipped with scikit-lego (who
is released with a summons rather than held) and a gradient-boosting pipeline trained on it. The
demo's loop (file, audit, decide) lives in :mod:`fairgate.demo.loop`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CATEGORICAL",
    "FEATURES",
    "SENSITIVE",
    "TARGET",
    "UNAWARE_FEATURES",
    "DemoData",
    "arrests_model",
    "load_arrests_frame",
]

FEATURES = ["colour", "year", "age", "sex", "employed", "citizen", "checks"]
CATEGORICAL = ["colour", "sex", "employed", "citizen"]
SENSITIVE = ["colour", "sex"]
# The same model without the sensitive attributes among its inputs ("fairness through unawareness";
# the audit still measures it for colour and sex, and looks for proxies).
UNAWARE_FEATURES = [c for c in FEATURES if c not in SENSITIVE]
TARGET = "released"


@dataclass(frozen=True)
class DemoData:
    """The arrests data split for training and audit."""

    train: pd.DataFrame
    audit: pd.DataFrame


def load_arrests_frame(seed: int = 0) -> DemoData:
    """Load the Toronto arrests data (scikit-lego) and split it 60/40 with ``seed``.

    Returns
    -------
    DemoData
        ``released`` becomes 1 for "Yes" (released with a summons), 0 otherwise.
    """
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True)
    df = df.assign(**{TARGET: (df[TARGET] == "Yes").astype(np.int64)})
    rng = np.random.default_rng(seed)
    audit_rows = rng.random(len(df)) < 0.4
    return DemoData(df[~audit_rows].reset_index(drop=True), df[audit_rows].reset_index(drop=True))


def arrests_model(train: pd.DataFrame, seed: int = 0, features: list[str] | None = None) -> Any:
    """A scikit-learn pipeline (one-hot + gradient boosting) trained on ``train``.

    Parameters
    ----------
    train : pandas.DataFrame
        Training rows with the ``released`` target.
    seed : int, default 0
        Seed of the gradient boosting.
    features : list of str, optional
        Input columns (default :data:`FEATURES`, which include colour and sex).
    """
    features = list(FEATURES if features is None else features)
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    numeric = [c for c in features if c not in CATEGORICAL]
    categorical = [c for c in features if c in CATEGORICAL]
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
            ("num", "passthrough", numeric),
        ]
    )
    model = Pipeline(
        [("pre", pre), ("clf", HistGradientBoostingClassifier(max_iter=100, random_state=seed))]
    )
    model.fit(train[features], train[TARGET])
    return model
