"""Explainability: SHAP values on a bounded sample, globally and per sensitive group.

The explainer follows the model: tree ensembles get ``shap.TreeExplainer`` (exact, in the
model's raw margin: log-odds for classifiers), linear models ``shap.LinearExplainer`` (margin),
both with a fixed seeded background; a scikit-learn ``Pipeline`` whose last step is a tree or
linear model is explained on its transformed features and the values of one-hot columns are
summed back onto the original feature (SHAP values add up, so additivity is kept). Any other
model gets a model-agnostic permutation estimate on the original features (antithetic random
orders against a fixed background, exactly additive for each row), in probability space.
Never on the full data: at most ``sample_size`` rows are explained.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairgate.errors import EmptyDataError, LengthMismatchError, ValidationError

__all__ = ["Explanation", "explain"]

_TREES = (
    "DecisionTree",
    "RandomForest",
    "ExtraTrees",
    "GradientBoosting",
    "HistGradientBoosting",
    "XGB",
    "LGBM",
)


@dataclass(frozen=True)
class Explanation:
    """SHAP values of a sample and their summaries.

    Attributes
    ----------
    method : str
        Explainer and output space, e.g. ``"tree (log-odds)"``.
    features : tuple of str
    values : numpy.ndarray
        ``n_explained x features``; ``base_value + values.sum(axis=1)`` is the model output.
    base_value : float
    n_explained : int
    global_importance : dict
        Feature -> mean absolute SHAP value, largest first.
    group_importance : dict
        Attribute -> group -> feature -> mean absolute SHAP value.
    sensitive_share : dict
        Share of the total mean absolute SHAP value carried by each sensitive input or proxy.
    seed : int
    """

    method: str
    features: tuple[str, ...]
    values: np.ndarray
    base_value: float
    n_explained: int
    global_importance: dict[str, float]
    group_importance: dict[str, dict[str, dict[str, float]]]
    sensitive_share: dict[str, float]
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``values`` as lists)."""
        return {
            "method": self.method,
            "features": list(self.features),
            "base_value": self.base_value,
            "n_explained": self.n_explained,
            "global_importance": dict(self.global_importance),
            "group_importance": self.group_importance,
            "sensitive_share": dict(self.sensitive_share),
            "seed": self.seed,
            "values": self.values.tolist(),
        }


def _kind(estimator: Any) -> str | None:
    name = type(estimator).__name__
    if any(name.startswith(t) for t in _TREES):
        return "tree"
    if hasattr(estimator, "coef_") and hasattr(estimator, "intercept_"):
        return "linear"
    return None


def _column_groups(pre: Any, columns: list[str]) -> list[list[int]] | None:
    """For each original column, the transformed columns it becomes (None if unknown)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    if not isinstance(pre, ColumnTransformer):
        return None
    groups: dict[str, list[int]] = {c: [] for c in columns}
    start = 0
    for _name, trans, cols in pre.transformers_:
        if trans == "drop":
            continue
        cols = [columns[c] if isinstance(c, int | np.integer) else c for c in np.atleast_1d(cols)]
        if isinstance(trans, OneHotEncoder):
            if trans.drop is not None:
                return None
            sizes = [len(c) for c in trans.categories_]
        elif trans == "passthrough" or (
            hasattr(trans, "get_feature_names_out")
            and len(trans.get_feature_names_out(cols)) == len(cols)
        ):
            sizes = [1] * len(cols)
        else:
            return None
        for col, size in zip(cols, sizes, strict=True):
            if col not in groups:
                return None
            groups[col].extend(range(start, start + size))
            start += size
    return [groups[c] for c in columns]


def _fixed_model(model: Any, X: pd.DataFrame) -> tuple[Any, Any, list[list[int]] | None, str]:
    """(estimator, transform, column groups, kind) for the tree/linear paths, else kind ''."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline) and len(model.steps) >= 2:
        final = model.steps[-1][1]
        kind = _kind(final)
        if kind is not None:
            pre = model[:-1]
            step = pre.steps[-1][1] if len(pre.steps) == 1 else None
            groups = _column_groups(step, list(X.columns)) if step is not None else None
            if groups is not None:
                return final, pre.transform, groups, kind
        return None, None, None, ""
    kind = _kind(model)
    if kind is not None and all(pd.api.types.is_numeric_dtype(X[c]) for c in X.columns):
        return model, None, None, kind
    return None, None, None, ""


def _dense(values: Any) -> np.ndarray:
    if hasattr(values, "toarray"):
        values = values.toarray()
    return np.asarray(values, dtype=np.float64)


def _fold(values: np.ndarray, groups: list[list[int]] | None) -> np.ndarray:
    if groups is None:
        return values
    return np.column_stack([values[:, g].sum(axis=1) for g in groups])


def _select_output(values: Any, base: Any) -> tuple[np.ndarray, float]:
    arr = np.asarray(values.values if hasattr(values, "values") else values, dtype=np.float64)
    base_arr = np.asarray(base, dtype=np.float64)
    if arr.ndim == 3:  # (rows, features, classes): the positive class
        arr = arr[..., -1]
        base_arr = base_arr[..., -1] if base_arr.ndim else base_arr
    return arr, float(np.ravel(base_arr)[0])


def _shap_library(estimator: Any, kind: str, data: np.ndarray, bg: np.ndarray) -> tuple:
    import shap

    if kind == "tree":
        explainer = shap.TreeExplainer(estimator, data=bg, feature_perturbation="interventional")
        values = explainer.shap_values(data, check_additivity=False)
        return _select_output(values, explainer.expected_value), "tree (raw margin: log-odds)"
    explainer = shap.LinearExplainer(estimator, shap.maskers.Independent(bg))
    out = explainer(data)
    return _select_output(out.values, out.base_values), "linear (raw margin: log-odds)"


def _score(model: Any, frame: pd.DataFrame, output: str) -> np.ndarray:
    if output == "proba" and hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(frame), dtype=np.float64)
        return proba[:, -1] if proba.ndim == 2 else proba
    if output == "decision" and hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(frame), dtype=np.float64).ravel()
    return np.asarray(model.predict(frame), dtype=np.float64).ravel()


def _permutation(
    model: Any, X: pd.DataFrame, bg: pd.DataFrame, rng: np.random.Generator, output: str
) -> tuple[np.ndarray, float]:
    """Antithetic permutation SHAP against a fixed background; exactly additive per row."""
    n, m = X.shape
    nb = len(bg)
    orders = []
    for _ in range(2):
        perm = rng.permutation(m)
        orders.extend([perm, perm[::-1]])
    phi = np.zeros((n, m))
    r_idx = np.repeat(np.arange(n), nb * (m + 1))
    b_idx = np.tile(np.repeat(np.arange(nb), m + 1), n)
    k_idx = np.tile(np.arange(m + 1), n * nb)
    base = 0.0
    dtypes = X.dtypes.to_dict()
    for order in orders:
        rank = np.empty(m, dtype=int)
        rank[order] = np.arange(m)
        cols = {}
        for j, col in enumerate(X.columns):
            take_x = rank[j] < k_idx
            cols[col] = np.where(take_x, X[col].to_numpy()[r_idx], bg[col].to_numpy()[b_idx])
        frame = pd.DataFrame(cols).astype(dtypes)
        f = _score(model, frame, output).reshape(n, nb, m + 1).mean(axis=1)
        base = float(f[:, 0].mean())
        phi[:, order] += np.diff(f, axis=1)
    return phi / len(orders), base


def _summaries(
    values: np.ndarray,
    features: list[str],
    sensitive: pd.DataFrame | None,
    watched: Sequence[str],
) -> tuple[dict, dict, dict]:
    mean_abs = np.abs(values).mean(axis=0)
    order = np.argsort(-mean_abs, kind="stable")
    glob = {features[i]: float(mean_abs[i]) for i in order}
    groups: dict[str, dict[str, dict[str, float]]] = {}
    if sensitive is not None:
        for attr in sensitive.columns:
            col = sensitive[attr].astype(object).where(sensitive[attr].notna(), "(missing)")
            table = {}
            for level in sorted(col.unique().tolist(), key=str):
                rows = (col == level).to_numpy()
                means = np.abs(values[rows]).mean(axis=0)
                table[str(level)] = {f: float(v) for f, v in zip(features, means, strict=True)}
            groups[str(attr)] = table
    total = float(mean_abs.sum())
    shares = {
        f: (glob[f] / total if total > 0 else 0.0) for f in dict.fromkeys(watched) if f in glob
    }
    return glob, groups, shares


def explain(
    model: Any,
    X: pd.DataFrame,
    *,
    sensitive: pd.DataFrame | None = None,
    proxies: Sequence[str] = (),
    seed: int = 0,
    sample_size: int = 500,
    background_size: int = 100,
    output: Literal["proba", "decision", "predict"] = "proba",
) -> Explanation:
    """SHAP values of a bounded, seeded sample of ``X``, with global and per-group importance.

    Parameters
    ----------
    model : estimator
        A fitted model or scikit-learn pipeline taking ``X``'s columns.
    X : pandas.DataFrame
        The model's inputs.
    sensitive : pandas.DataFrame, optional
        Sensitive attributes aligned with ``X``, for the per-group importance; those that are
        also inputs are reported in ``sensitive_share``.
    proxies : sequence of str, optional
        Detected proxies, reported in ``sensitive_share`` too.
    seed : int, default 0
        Seed of the sample, the background and the permutations.
    sample_size : int, default 500
        At most this many rows are explained.
    background_size : int, default 100
        Background rows (25 for the model-agnostic path, whose cost grows with it).
    output : {"proba", "decision", "predict"}, default "proba"
        Output explained by the model-agnostic path (tree and linear paths explain the margin).

    Returns
    -------
    Explanation
    """
    if not isinstance(X, pd.DataFrame):
        raise ValidationError(f"X: expected a pandas DataFrame, received {type(X).__name__}.")
    if len(X) == 0 or X.shape[1] == 0:
        raise EmptyDataError("X: no rows or no columns to explain.")
    if sensitive is not None and len(sensitive) != len(X):
        raise LengthMismatchError(
            f"sensitive has {len(sensitive):,} rows but X has {len(X):,}; pass aligned rows."
        )
    if not hasattr(model, "predict"):
        raise ValidationError("model: expected a fitted model with a predict method.")
    rng = np.random.default_rng(seed)
    n = len(X)
    rows = np.sort(rng.choice(n, size=min(sample_size, n), replace=False))
    sample = X.iloc[rows].reset_index(drop=True)
    sens = None if sensitive is None else sensitive.iloc[rows].reset_index(drop=True)
    features = [str(c) for c in X.columns]
    estimator, transform, groups, kind = _fixed_model(model, X)
    if kind:
        bg_rows = rng.choice(n, size=min(background_size, n), replace=False)
        bg_frame = X.iloc[np.sort(bg_rows)]
        data = _dense(transform(sample) if transform else sample)
        bg = _dense(transform(bg_frame) if transform else bg_frame)
        (values, base), method = _shap_library(estimator, kind, data, bg)
        values = _fold(values, groups)
    else:
        bg_rows = rng.choice(n, size=min(max(1, background_size // 4), n), replace=False)
        values, base = _permutation(model, sample, X.iloc[np.sort(bg_rows)], rng, output)
        method = f"permutation (model-agnostic, {output})"
    watched = [c for c in (list(sens.columns) if sens is not None else []) if c in features]
    watched += [p for p in proxies if p in features]
    glob, by_group, shares = _summaries(values, features, sens, watched)
    return Explanation(
        method=method,
        features=tuple(features),
        values=values,
        base_value=base,
        n_explained=len(rows),
        global_importance=glob,
        group_importance=by_group,
        sensitive_share=shares,
        seed=seed,
    )
