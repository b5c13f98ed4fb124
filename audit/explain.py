"""Explainability: SHAP values on a bounded sample, globally and per sensitive group.

Never on the full data: :func:`explain` draws at most ``sample_size`` rows of ``X`` without
replacement with ``numpy.random.default_rng(seed)`` (kept in their original order), and a fixed
background of ``background_size`` rows with the same generator. The same inputs and seed give
identical values.

The explainer follows the model (``algorithm="auto"``):

* a tree ensemble on numeric inputs (scikit-learn trees, forests, gradient boosting,
  HistGradientBoosting; xgboost and lightgbm when installed): ``shap.TreeExplainer``,
  interventional, against the background, in the probability of the positive class
  (``output="proba"``) or the raw margin (``output="decision"``);
* a linear model on numeric inputs (LogisticRegression, LinearRegression, Ridge, ...):
  ``shap.LinearExplainer`` against the background, in the margin (log-odds for a classifier:
  SHAP values of a probability are not linear);
* anything else, including scikit-learn pipelines with preprocessing and string or categorical
  columns: ``shap.PermutationExplainer`` on the *original* columns against the background
  (antithetic permutations, exactly additive for every row). Columns are passed to shap as
  numeric codes and decoded back into a DataFrame with the original dtypes before each call of
  the model, so the model always sees what it was trained on.

shap calls the model once per explained row; fairgate records those calls and scores them in a
few large batches, which gives exactly shap's values at a fraction of a pipeline's per-call cost.

Under ``algorithm="auto"``, a pipeline whose permutation explanation would score more than
``max_model_rows`` rows, and whose steps are one ColumnTransformer and a tree model, takes the
tree path below instead (about a hundred times cheaper on such a pipeline).

``algorithm="tree"`` or ``"linear"`` on a pipeline whose last step is such a model explains the
transformed columns and sums the values of a column's one-hot outputs back onto it (fast and
additive, but each one-hot output is masked on its own). Whatever the path, the values must add
up: ``base_value + values.sum(axis=1)`` equals the declared output on the explained rows within
1e-6 (relative for outputs above 1). Interventional TreeSHAP does not always add up on deep trees
(shap issue #3267), so a tree explanation that fails the check is redone with the path-dependent
algorithm in the raw margin, then with the permutation explainer; ``method`` says which ran.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairgate.errors import EmptyDataError, LengthMismatchError, ValidationError

__all__ = ["Explanation", "explain"]

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
_PERMUTATIONS = 1
"""Antithetic permutation passes per row on the model-agnostic path: one pass (forward and
reverse, 2 model calls per row) is exact for models whose inputs interact at most in pairs, and
each row draws its own order, so importances averaged over the sample stay stable."""
_ATOL = 1e-6
"""Additivity tolerance (times the largest absolute output when that is above 1)."""
_RECORD_BYTES = 64 * 2**20
"""Model inputs recorded per chunk of explained rows on the model-agnostic path."""
_CALL_ROWS = 100_000
"""Rows per model call when the recorded inputs are scored."""


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


# ------------------------------------------------------------------------------ model output
Output = Callable[[pd.DataFrame], np.ndarray]


def _last(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    return arr[:, -1] if arr.ndim == 2 else arr.ravel()


def _output(model: Any, output: str) -> tuple[Output, str, str]:
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


def _kind(estimator: Any) -> str | None:
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


def _split(model: Any, X: pd.DataFrame, algorithm: str) -> tuple[Any, Any, Any, str]:
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
        if _kind(final) != algorithm or groups is None:
            raise ValidationError(
                f"algorithm={algorithm!r}: this pipeline's last step is "
                f"{type(final).__name__} after {len(prefix.steps)} step(s); the {algorithm} path "
                "needs one ColumnTransformer (one-hot/passthrough/scalers) before a "
                f"{algorithm} model. Use algorithm='auto'."
            )
        return final, prefix.transform, groups, algorithm
    kind = _kind(model)
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
        return [("", *_output(model, "decision"))]
    first = _output(model, output)
    if first[2] == "prediction" and hasattr(model, "predict_proba"):
        return []  # a classifier's labels are not a tree's output
    return [("interventional", *first), ("tree path dependent", *_output(model, "decision"))]


def _shap() -> Any:
    """Import shap without the deprecation noise of its plotting modules."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import shap
    return shap


def _library(
    estimator: Any, kind: str, perturbation: str, out_kind: str, data: np.ndarray, bg: np.ndarray
) -> tuple[np.ndarray, float]:
    """TreeExplainer or LinearExplainer values and base value."""
    shap = _shap()

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


def _fixed(
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


# ------------------------------------------------------------------- model-agnostic path
class _Codec:
    """Columns as float codes for shap, and back to a DataFrame with the original dtypes."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = list(frame.columns)
        self.dtypes = frame.dtypes.to_dict()
        self.levels: dict[Any, Any] = {}
        for c in self.columns:
            col = frame[c]
            if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
                self.levels[c] = pd.factorize(col)[1]

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty(frame.shape, dtype=np.float64)
        for j, c in enumerate(self.columns):
            col = frame[c]
            if c in self.levels:
                out[:, j] = self.levels[c].get_indexer(col)
                missing = col.isna().to_numpy()
                out[missing, j] = -1
            else:
                out[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        cols = {}
        for j, c in enumerate(self.columns):
            if c in self.levels:
                taken = self.levels[c].take(codes[:, j].astype(np.int64), allow_fill=True)
                cols[c] = pd.Series(taken, copy=False).astype(self.dtypes[c])
            else:
                cols[c] = pd.Series(codes[:, j], copy=False).astype(self.dtypes[c])
        return pd.DataFrame(cols)


class _ReplayError(Exception):
    """shap asked for other inputs on the replay than on the recording (never expected)."""


class _Batched:
    """The model as shap calls it, evaluated in large batches over many explained rows.

    shap's explainers call the model once per explained row (and permutation pass), and a
    pipeline's fixed cost per call (about 10 ms) would dominate. Which inputs shap asks for
    depends only on the data and the random orders, never on the outputs, so each chunk of rows
    is run twice from the same random state: the first pass records the inputs and answers
    zeros, the recorded inputs are scored in a few large calls, and the second pass gets the
    real outputs in order (the inputs are compared; any difference raises :class:`_ReplayError`).
    The values are exactly those of an unbatched run.
    """

    def __init__(self, fn: Output, codec: _Codec) -> None:
        self.fn, self.codec = fn, codec
        self.recorded: list[np.ndarray] = []
        self.outputs: list[np.ndarray] | None = None

    def __call__(self, z: np.ndarray) -> np.ndarray:
        if self.outputs is None:
            self.recorded.append(np.array(z, copy=True))
            return np.zeros(len(z))
        if not self.recorded:
            raise _ReplayError
        expected = self.recorded.pop(0)
        if expected.shape != z.shape or not np.array_equal(expected, z, equal_nan=True):
            raise _ReplayError
        return self.outputs.pop(0)

    def score(self) -> None:
        """Evaluate the recorded inputs in calls of at most ``_CALL_ROWS`` rows."""
        sizes = [len(z) for z in self.recorded]
        joined = np.concatenate(self.recorded) if self.recorded else np.empty((0, 0))
        parts = [
            self.fn(self.codec.decode(joined[i : i + _CALL_ROWS]))
            for i in range(0, len(joined), _CALL_ROWS)
        ]
        out = np.concatenate(parts) if parts else np.empty(0)
        self.outputs = list(np.split(out, np.cumsum(sizes)[:-1]))


def _permutation(
    fn: Output, sample: pd.DataFrame, bg: pd.DataFrame, seed: int
) -> tuple[np.ndarray, float]:
    """``shap.PermutationExplainer`` on the original columns; exactly additive per row."""
    shap = _shap()
    codec = _Codec(pd.concat([sample, bg], ignore_index=True))
    data, background = codec.encode(sample), codec.encode(bg)
    n, m = data.shape
    evals = _PERMUTATIONS * (2 * m + 1)
    per_row = (evals + 1) * len(background) * m * 8  # bytes of recorded inputs per row
    chunk = int(max(1, min(n, _RECORD_BYTES // per_row)))
    model = _Batched(fn, codec)
    state = np.random.get_state()  # shap seeds numpy's global generator: restore it after
    try:
        masker = shap.maskers.Independent(background, max_samples=len(background))
        explainer = shap.PermutationExplainer(model, masker, seed=seed)
        values, bases = [], []
        try:
            for start in range(0, n, chunk):
                rows = data[start : start + chunk]
                before = np.random.get_state()
                model.recorded, model.outputs = [], None
                explainer(rows, max_evals=evals, batch_size=10**9, silent=True)
                model.score()
                np.random.set_state(before)
                out = explainer(rows, max_evals=evals, batch_size=10**9, silent=True)
                values.append(out.values)
                bases.append(out.base_values)
        except _ReplayError:  # pragma: no cover - a future shap whose calls depend on outputs
            np.random.seed(seed)
            direct = shap.PermutationExplainer(lambda z: fn(codec.decode(z)), masker, seed=seed)
            out = direct(data, max_evals=evals, batch_size=10**9, silent=True)
            values, bases = [out.values], [out.base_values]
    finally:
        np.random.set_state(state)
    base = np.concatenate([np.ravel(b) for b in bases])
    return np.concatenate(values).astype(np.float64), float(base[0])


# -------------------------------------------------------------------------------- summaries
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

    if not isinstance(model, Pipeline) or _kind(model.steps[-1][1]) != "tree":
        return split
    try:
        return _split(model, X, "tree")
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

    split = _split(model, X, algorithm)
    cost = len(rows) * _PERMUTATIONS * (2 * X.shape[1] + 1) * len(bg_rows)
    if algorithm == "auto" and not split[3] and cost > max_model_rows:
        split = _over_budget(model, X, split)
    values, base, text = None, 0.0, ""
    if split[3]:  # the tree/linear path; text is its method, or why it was not used
        values, base, text = _fixed(model, split, output, sample, bg_frame)
    if values is None:
        fn, label, _ = _output(model, output)
        values, base = _permutation(fn, sample, bg_frame, seed)
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
