"""The tree and linear explainers: TreeExplainer and LinearExplainer, on models and pipelines."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.explain.agnostic import Output, shap_module
from fairgate.errors import ValidationError

__all__ = ["estimator_kind", "explain_fixed", "model_output", "split_model"]

_TREES = (
    "DecisionTree",
    "ExtraTree",
    "RandomForest",
    "ExtraTrees",
    "GradientBoosting",
    "HistGradientBoosting",
    "XGB",
    "LGBM",
)
_ATOL = 1e-6
"""Additivity tolerance (times the largest absolute output when that is above 1)."""


def _last(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    return arr[:, -1] if arr.ndim == 2 else arr.ravel()


def model_output(model: Any, output: str) -> tuple[Output, str, str]:
    """The function explained, its description, and its kind (probability/margin/prediction)."""
    classes = getattr(model, "classes_", None)
    positive = f" of class {classes[-1]}" if classes is not None and len(classes) else ""
    has_proba = hasattr(model, "predict_proba")
    has_decision = hasattr(model, "decision_function")
    if (output == "proba" and has_proba) or (
        output == "decision" and not has_decision and has_proba
    ):
        return lambda f: _last(model.predict_proba(f)), f"probability{positive}", "probability"
    if output in ("proba", "decision") and has_decision:
        return lambda f: _last(model.decision_function(f)), f"margin{positive}", "margin"

    def predict(frame: pd.DataFrame) -> np.ndarray:
        raw = np.asarray(model.predict(frame))
        if not np.issubdtype(raw.dtype, np.number) and raw.dtype != bool:
            raise ValidationError(
                f"output={output!r}: the model predicts labels of type {raw.dtype}, which cannot "
                "be explained as numbers; use output='proba' with a classifier that has "
                "predict_proba."
            )
        return raw.astype(np.float64).ravel()

    return predict, "prediction", "prediction"


def estimator_kind(estimator: Any) -> str | None:
    """``"tree"`` or ``"linear"`` for a model shap explains exactly, else None."""
    name = type(estimator).__name__
    if any(name.startswith(t) for t in _TREES):
        return "tree"
    if hasattr(estimator, "coef_") and hasattr(estimator, "intercept_"):
        return "linear"
    return None


# --------------------------------------------------------------------- pipelines (opt-in fold)
def _column_groups(pre: Any, columns: list[str]) -> list[list[int]] | None:
    """For each original column, the transformed columns it becomes (None if unknown)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    if not isinstance(pre, ColumnTransformer):
        return None
    groups: dict[str, list[int]] = {c: [] for c in columns}
    start = 0
    for _name, trans, cols in pre.transformers_:
        if isinstance(trans, str) and trans == "drop":
            continue
        cols = [columns[c] if isinstance(c, int | np.integer) else c for c in np.atleast_1d(cols)]
        if isinstance(trans, OneHotEncoder):
            if trans.drop is not None:
                return None
            sizes = [len(c) for c in trans.categories_]
        elif (isinstance(trans, str) and trans == "passthrough") or (
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


def _dense(values: Any) -> np.ndarray:
    if hasattr(values, "toarray"):
        values = values.toarray()
    return np.asarray(values, dtype=np.float64)


def split_model(model: Any, X: pd.DataFrame, algorithm: str) -> tuple[Any, Any, Any, str]:
    """``(estimator, transform, column groups, kind)``; kind "" means model-agnostic."""
    from sklearn.pipeline import Pipeline

    numeric = all(pd.api.types.is_numeric_dtype(X[c]) for c in X.columns)
    if isinstance(model, Pipeline):
        if algorithm == "auto" or algorithm == "permutation":
            return None, None, None, ""
        final = model.steps[-1][1]
        prefix = model[:-1]
        step = prefix.steps[-1][1] if len(prefix.steps) == 1 else None
        groups = None if step is None else _column_groups(step, [str(c) for c in X.columns])
        if estimator_kind(final) != algorithm or groups is None:
            raise ValidationError(
                f"algorithm={algorithm!r}: this pipeline's last step is "
                f"{type(final).__name__} after {len(prefix.steps)} step(s); the {algorithm} path "
                "needs one ColumnTransformer (one-hot/passthrough/scalers) before a "
                f"{algorithm} model. Use algorithm='auto'."
            )
        return final, prefix.transform, groups, algorithm
    kind = estimator_kind(model)
    if algorithm == "permutation" or (algorithm == "auto" and (kind is None or not numeric)):
        return None, None, None, ""
    if (kind != algorithm and algorithm != "auto") or not numeric:
        raise ValidationError(
            f"algorithm={algorithm!r}: {type(model).__name__} on "
            f"{'numeric' if numeric else 'non-numeric'} columns is not a {algorithm} model on "
            "numeric inputs; use algorithm='auto'."
        )
    return model, None, None, str(kind)


def _fold(values: np.ndarray, groups: list[list[int]] | None) -> np.ndarray:
    if groups is None:
        return values
    return np.column_stack([values[:, g].sum(axis=1) for g in groups])


def _pick(values: Any, base: Any) -> tuple[np.ndarray, float]:
    """The positive (last) class of a multi-output explanation."""
    arr = np.asarray(values, dtype=np.float64)
    base_arr = np.asarray(base, dtype=np.float64)
    if isinstance(values, list):  # older shap: one array per class
        arr = np.stack(values, axis=-1)
    if arr.ndim == 3:
        arr = arr[..., -1]
        base_arr = base_arr.reshape(-1, base_arr.shape[-1])[..., -1] if base_arr.ndim else base_arr
    return arr, float(np.ravel(base_arr)[0])


def _attempts(kind: str, model: Any, output: str) -> list[tuple[str, Output, str, str]]:
    """The library explainers to try, in order: ``(perturbation, output fn, label, kind)``.

    Interventional TreeSHAP is known not to add up on deep trees (shap issue #3267; e.g.
    HistGradientBoosting's best-first trees), so the path-dependent algorithm, exact on the raw
    margin, is the tree fallback before the model-agnostic explainer.
    """
    if kind == "linear":
        return [("", *model_output(model, "decision"))]
    first = model_output(model, output)
    if first[2] == "prediction" and hasattr(model, "predict_proba"):
        return []  # a classifier's labels are not a tree's output
    return [("interventional", *first), ("tree path dependent", *model_output(model, "decision"))]


def _library(
    estimator: Any, kind: str, perturbation: str, out_kind: str, data: np.ndarray, bg: np.ndarray
) -> tuple[np.ndarray, float]:
    """TreeExplainer or LinearExplainer values and base value."""
    shap = shap_module()

    if kind == "linear":
        masker = shap.maskers.Independent(bg, max_samples=len(bg))
        out = shap.LinearExplainer(estimator, masker)(data)
        return _pick(out.values, out.base_values)
    if perturbation == "interventional":
        explainer = shap.TreeExplainer(
            estimator,
            data=bg,
            feature_perturbation="interventional",
            model_output="probability" if out_kind == "probability" else "raw",
        )
    else:
        explainer = shap.TreeExplainer(estimator, feature_perturbation="tree_path_dependent")
    values = explainer.shap_values(data, check_additivity=False)
    return _pick(values, explainer.expected_value)


def explain_fixed(
    model: Any, split: tuple, output: str, sample: pd.DataFrame, bg_frame: pd.DataFrame
) -> tuple[np.ndarray | None, float, str]:
    """The tree/linear path: ``(values, base, method)``, or ``(None, 0, why not)``."""
    estimator, transform, groups, kind = split
    name = "TreeExplainer" if kind == "tree" else "LinearExplainer"
    attempts = _attempts(kind, model, output)
    if not attempts:
        return None, 0.0, ""
    note = ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = _dense(transform(sample) if transform else sample)
            bg = _dense(transform(bg_frame) if transform else bg_frame)
            for perturbation, fn, label, out_kind in attempts:
                raw, base = _library(estimator, kind, perturbation, out_kind, data, bg)
                values = _fold(raw, groups)
                ref = fn(sample)
                atol = _ATOL * max(1.0, float(np.abs(ref).max()))  # relative for large outputs
                if np.allclose(base + values.sum(axis=1), ref, atol=atol, rtol=0):
                    folded = "transformed columns summed per input" if groups is not None else ""
                    parts = [p for p in (perturbation, note.strip("; "), folded, label) if p]
                    return values, base, f"{name} ({'; '.join(parts)})"
                note = f"; {perturbation or name} values did not add up"
    except Exception as exc:  # an unsupported model: fall back to the model-agnostic path
        return None, 0.0, f"; {name} failed ({type(exc).__name__})"
    return None, 0.0, note
