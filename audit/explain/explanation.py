"""The explanation of one model on a bounded sample: :func:`explain` and :class:`Explanation`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairgate.audit.explain.agnostic import PERMUTATIONS, permutation_values
from fairgate.audit.explain.fixed import estimator_kind, explain_fixed, model_output, split_model
from fairgate.errors import EmptyDataError, LengthMismatchError, ValidationError

__all__ = ["Explanation", "explain"]


@dataclass(frozen=True)
class Explanation:
    """SHAP values of a bounded sample and their summaries.

    Attributes
    ----------
    method : str
        Explainer and the output it explains, e.g.
        ``"PermutationExplainer (model-agnostic; probability of class 1)"``.
    features : tuple of str
        The model's input columns, in order.
    values : numpy.ndarray
        ``n_explained x len(features)``; ``base_value + values.sum(axis=1)`` is the explained
        output on those rows.
    base_value : float
        The mean output over the background.
    n_explained : int
        Rows explained (at most ``sample_size``).
    global_importance : dict of str to float
        Feature -> mean absolute SHAP value, largest first.
    group_importance : dict
        Attribute -> group -> feature -> mean absolute SHAP value within the group.
    sensitive_share : dict of str to float
        Share of the total mean absolute SHAP value carried by each sensitive attribute that is
        an input and by each declared proxy.
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
        """Return a JSON-ready dict (``values`` as a list of lists)."""
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


def _summaries(
    values: np.ndarray, features: list[str], sensitive: pd.DataFrame | None, watched: list[str]
) -> tuple[dict, dict, dict]:
    mean_abs = np.abs(values).mean(axis=0)
    order = np.argsort(-mean_abs, kind="stable")
    glob = {features[i]: float(mean_abs[i]) for i in order}
    groups: dict[str, dict[str, dict[str, float]]] = {}
    if sensitive is not None:
        for attr in sensitive.columns:
            col = sensitive[attr].astype(object).where(sensitive[attr].notna(), "(missing)")
            col = col.astype(str)
            table = {}
            for level in sorted(col.unique().tolist()):
                means = np.abs(values[(col == level).to_numpy()]).mean(axis=0)
                table[level] = {features[i]: float(means[i]) for i in order}
            groups[str(attr)] = table
    total = float(mean_abs.sum())
    shares = {f: (glob[f] / total if total > 0 else 0.0) for f in dict.fromkeys(watched)}
    return glob, groups, shares


def _check(model: Any, X: Any, sensitive: Any, sample_size: int, background_size: int) -> None:
    if not isinstance(X, pd.DataFrame):
        raise ValidationError(
            f"X: expected a pandas DataFrame of the model's inputs, received {type(X).__name__}; "
            "wrap it with pandas.DataFrame(X, columns=[...])."
        )
    if len(X) == 0 or X.shape[1] == 0:
        raise EmptyDataError(
            f"X has {len(X)} rows and {X.shape[1]} columns; pass at least one row and column."
        )
    if sensitive is not None and len(sensitive) != len(X):
        raise LengthMismatchError(
            f"sensitive has {len(sensitive):,} rows but X has {len(X):,}; pass the sensitive "
            "attributes of the same rows, in the same order."
        )
    if not callable(getattr(model, "predict", None)):
        raise ValidationError(
            f"model: a {type(model).__name__} has no predict method; pass a fitted model or "
            "scikit-learn pipeline."
        )
    for name, value in (("sample_size", sample_size), ("background_size", background_size)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise ValidationError(f"{name}={value!r}: expected a whole number of 1 or more.")


def _over_budget(model: Any, X: pd.DataFrame, split: tuple) -> tuple:
    """The pipeline tree fold when the model qualifies for it, else the permutation path."""
    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline) or estimator_kind(model.steps[-1][1]) != "tree":
        return split
    try:
        return split_model(model, X, "tree")
    except ValidationError:  # not one ColumnTransformer before the trees: permutation it is
        return split


def explain(
    model: Any,
    X: pd.DataFrame,
    *,
    sensitive: pd.DataFrame | pd.Series | None = None,
    proxies: Sequence[str] = (),
    seed: int = 0,
    sample_size: int = 500,
    background_size: int = 100,
    output: Literal["proba", "decision", "predict"] = "proba",
    algorithm: Literal["auto", "tree", "linear", "permutation"] = "auto",
    max_model_rows: int = 500_000,
) -> Explanation:
    """SHAP values of a bounded, seeded sample of ``X``, with global and per-group importance.

    Parameters
    ----------
    model : estimator
        A fitted model or scikit-learn pipeline taking ``X``'s columns.
    X : pandas.DataFrame
        The model's inputs (any dtypes the model accepts, including strings).
    sensitive : pandas.DataFrame or Series, optional
        Sensitive attributes of the same rows, for the per-group importance; those that are also
        inputs are reported in ``sensitive_share``.
    proxies : sequence of str, optional
        Inputs found to be proxies of a sensitive attribute, reported in ``sensitive_share``
        (names that are not inputs are ignored).
    seed : int, default 0
        Seed of the sample, the background and the permutations.
    sample_size : int, default 500
        At most this many rows are explained.
    background_size : int, default 100
        Rows of the fixed background the explainers integrate over.
    output : {"proba", "decision", "predict"}, default "proba"
        What is explained: the positive (last) class probability, the margin
        (``decision_function``; a tree's raw output), or ``predict``. A model without the method
        asked for falls back to the next one; the linear path always explains the margin.
        ``method`` names the output explained.
    algorithm : {"auto", "tree", "linear", "permutation"}, default "auto"
        Force an explainer; "tree"/"linear" on a pipeline explain its transformed columns and
        sum them back onto the original ones (see the module notes).
    max_model_rows : int, default 500000
        Budget of the model-agnostic path under ``algorithm="auto"``: it scores
        ``rows x (2 x features + 1) x background`` rows (1.45 million for 500 rows of 14
        features), so above the budget a pipeline of one ColumnTransformer and a tree model is
        explained by the tree path on its transformed columns instead (``method`` says so);
        other models keep the permutation path.

    Returns
    -------
    Explanation

    Raises
    ------
    ValidationError, EmptyDataError, LengthMismatchError
        ``X`` not a DataFrame or empty, ``sensitive`` of another length, a model without
        ``predict``, or a bad size, output or algorithm.
    """
    _check(model, X, sensitive, sample_size, background_size)
    if not isinstance(max_model_rows, int | np.integer) or max_model_rows < 1:
        raise ValidationError(
            f"max_model_rows={max_model_rows!r}: expected a whole number of 1 or more."
        )
    if output not in ("proba", "decision", "predict"):
        raise ValidationError(f"output={output!r}: use 'proba', 'decision' or 'predict'.")
    if algorithm not in ("auto", "tree", "linear", "permutation"):
        raise ValidationError(
            f"algorithm={algorithm!r}: use 'auto', 'tree', 'linear' or 'permutation'."
        )
    if isinstance(sensitive, pd.Series):
        sensitive = sensitive.to_frame()
    rng = np.random.default_rng(seed)
    n = len(X)
    rows = np.sort(rng.choice(n, size=min(sample_size, n), replace=False))
    bg_rows = np.sort(rng.choice(n, size=min(background_size, n), replace=False))
    sample = X.iloc[rows].reset_index(drop=True)
    bg_frame = X.iloc[bg_rows].reset_index(drop=True)
    sens = None if sensitive is None else sensitive.iloc[rows].reset_index(drop=True)
    features = [str(c) for c in X.columns]

    split = split_model(model, X, algorithm)
    cost = len(rows) * PERMUTATIONS * (2 * X.shape[1] + 1) * len(bg_rows)
    if algorithm == "auto" and not split[3] and cost > max_model_rows:
        split = _over_budget(model, X, split)
    values, base, text = None, 0.0, ""
    if split[3]:  # the tree/linear path; text is its method, or why it was not used
        values, base, text = explain_fixed(model, split, output, sample, bg_frame)
    if values is None:
        fn, label, _ = model_output(model, output)
        values, base = permutation_values(fn, sample, bg_frame, seed)
        text = f"PermutationExplainer (model-agnostic; {label}{text})"

    watched = [
        c for c in (list(map(str, sens.columns)) if sens is not None else []) if c in features
    ]
    watched += [str(p) for p in proxies if str(p) in features]
    glob, by_group, shares = _summaries(values, features, sens, watched)
    return Explanation(
        method=text,
        features=tuple(features),
        values=values,
        base_value=float(base),
        n_explained=len(rows),
        global_importance=glob,
        group_importance=by_group,
        sensitive_share=shares,
        seed=seed,
    )
