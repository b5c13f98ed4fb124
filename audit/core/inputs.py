"""Input normalisation at the boundary: columns, labels, numbers and combined group codes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from fairgate.errors import (
    EmptyDataError,
    LabelError,
    LengthMismatchError,
    MissingColumnError,
    MissingValueError,
    ValidationError,
)

__all__ = [
    "MISSING_LABEL",
    "MissingPolicy",
    "binary_labels",
    "check_lengths",
    "check_missing_policy",
    "class_codes",
    "column",
    "combined_codes",
    "factorize_levels",
    "numeric_values",
    "plain_value",
    "sensitive_columns",
    "to_series",
]

MISSING_LABEL = "(missing)"
"""Default label of the explicit group that holds missing sensitive values."""

MissingPolicy = Literal["group", "error"]


def check_missing_policy(missing: str) -> None:
    """Refuse an unknown ``missing=`` policy."""
    if missing not in ("group", "error"):
        raise ValidationError(f"missing={missing!r}: expected 'group' or 'error'.")


def to_series(values: Any, name: str) -> pd.Series:
    """Turn numpy / pandas / pyarrow / list input into a pandas Series without copying strings."""
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    if isinstance(values, pd.Index):
        return pd.Series(values, name=name)
    mod = type(values).__module__
    if mod.startswith("pyarrow"):
        return pd.Series(values.to_pandas(), name=name)
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValidationError(
            f"{name}: expected a one-dimensional array, received shape {arr.shape}; "
            "pass one column (a Series, an array or a list)."
        )
    return pd.Series(arr, name=name)


def sensitive_columns(
    sensitive_features: Any, data: pd.DataFrame | None
) -> tuple[list[str], list[pd.Series]]:
    """Normalize ``sensitive_features`` to names and Series."""
    if data is not None:
        names = [sensitive_features] if isinstance(sensitive_features, str) else None
        if names is None:
            names = list(sensitive_features)
        missing = [c for c in names if c not in data.columns]
        if missing:
            raise MissingColumnError(
                f"sensitive_features: column(s) {missing} not in the data (columns: "
                f"{list(map(str, data.columns))[:20]}); check the spelling or pass the values.",
                details={"missing": missing},
            )
        return [str(c) for c in names], [data[c].reset_index(drop=True) for c in names]
    if isinstance(sensitive_features, pd.DataFrame):
        return [str(c) for c in sensitive_features.columns], [
            sensitive_features[c].reset_index(drop=True) for c in sensitive_features.columns
        ]
    if type(sensitive_features).__module__.startswith("pyarrow") and hasattr(
        sensitive_features, "column_names"
    ):
        table = sensitive_features
        return list(table.column_names), [to_series(table.column(c), c) for c in table.column_names]
    if isinstance(sensitive_features, Mapping):
        return [str(k) for k in sensitive_features], [
            to_series(v, str(k)) for k, v in sensitive_features.items()
        ]
    if isinstance(sensitive_features, pd.Series):
        name = str(sensitive_features.name) if sensitive_features.name is not None else "sf0"
        return [name], [sensitive_features.reset_index(drop=True)]
    arr = np.asarray(sensitive_features, dtype=object)
    if arr.ndim == 1:
        return ["sf0"], [pd.Series(arr)]
    if arr.ndim == 2:
        return [f"sf{i}" for i in range(arr.shape[1])], [
            pd.Series(arr[:, i]) for i in range(arr.shape[1])
        ]
    raise ValidationError(
        f"sensitive_features: expected a column, a DataFrame, a dict of columns or a list of "
        f"column names with data=, received an array of shape {arr.shape}."
    )


def binary_labels(values: pd.Series, name: str, pos_label: Any) -> np.ndarray:
    """Validate a label/prediction column and return it as 0/1 int8."""
    _refuse_missing(values, name)
    arr = values.to_numpy()
    if arr.dtype == bool:
        return arr.astype(np.int8)
    if np.issubdtype(arr.dtype, np.number) and pos_label in (1, True, 1.0):
        # fast path for numeric 0/1
        is_one = arr == 1
        ok = is_one | (arr == 0)
        if not ok.all():
            uniq = pd.unique(arr[~ok])[:5]
            raise LabelError(
                f"{name}: expected binary labels 0/1, received other values such as "
                f"{list(uniq)}; threshold scores into 0/1, pass pos_label= for other labels, "
                "or audit with kind='multiclass' or kind='regression'.",
                details={"argument": name, "unexpected": [str(u) for u in uniq]},
            )
        return is_one.astype(np.int8)
    uniq = pd.unique(arr)
    if len(uniq) > 2:
        raise LabelError(
            f"{name}: expected two classes, received {len(uniq)} distinct values such as "
            f"{[str(u) for u in uniq[:5]]}; audit them with kind='multiclass' (or name the "
            "favourable class), or kind='regression' for numbers.",
            details={"argument": name, "classes": [str(u) for u in uniq[:10]]},
        )
    if pos_label not in set(uniq.tolist()) and not (len(uniq) == 2 or len(uniq) == 1):
        raise LabelError(f"{name}: pos_label={pos_label!r} not among the values {list(uniq)}.")
    if len(uniq) == 2 and pos_label not in set(uniq.tolist()):
        raise LabelError(
            f"{name}: pos_label={pos_label!r} is not one of the two classes "
            f"{[str(u) for u in uniq]}; pass pos_label= naming the favourable decision.",
            details={"argument": name, "classes": [str(u) for u in uniq]},
        )
    return (arr == pos_label).astype(np.int8)


def factorize_levels(
    series: pd.Series, name: str, missing: MissingPolicy, missing_label: str
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Sorted integer codes of one sensitive column; missing values become the last level."""
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    levels = [plain_value(u) for u in uniques]
    if (codes < 0).any():
        if missing == "error":
            bad = int((codes < 0).sum())
            raise MissingValueError(
                f"sensitive feature {name!r}: {bad} missing value(s); pass missing='group' to "
                f"count them as the explicit group {missing_label!r}, or fill them.",
                details={"argument": name, "missing": bad},
            )
        codes = np.where(codes < 0, len(levels), codes)
        levels.append(missing_label)
    return codes.astype(np.int64, copy=False), tuple(levels)


def plain_value(value: Any) -> Any:
    """Numpy scalars to Python scalars, so levels compare and serialize cleanly."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_lengths(lengths: Mapping[str, int]) -> int:
    """The common length of the inputs; refuse different lengths and zero rows."""
    distinct = set(lengths.values())
    if len(distinct) > 1:
        desc = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise LengthMismatchError(
            f"inputs must have one row each for the same people; received lengths {desc}. "
            "Align them (same rows, same order) before auditing.",
            details=dict(lengths),
        )
    n = distinct.pop()
    if n == 0:
        raise EmptyDataError(
            "the data has no rows; an audit needs at least one decision per group."
        )
    return n


def column(data: pd.DataFrame | None, values: Any, name: str) -> pd.Series:
    """The column ``values`` names in ``data``, or ``values`` itself as a Series."""
    if data is not None and isinstance(values, str):
        if values not in data.columns:
            raise MissingColumnError(
                f"{name}={values!r}: no such column "
                f"(columns: {list(map(str, data.columns))[:20]}); "
                "check the spelling.",
                details={"argument": name, "column": values},
            )
        return data[values].reset_index(drop=True)
    return to_series(values, name)


def combined_codes(
    names: Sequence[str], columns: Sequence[pd.Series], missing: MissingPolicy, missing_label: str
) -> tuple[np.ndarray, tuple[tuple[Any, ...], ...]]:
    """One integer group code per row (row-major over the attributes) and the levels."""
    factorized = [
        factorize_levels(c, n, missing, missing_label) for n, c in zip(names, columns, strict=True)
    ]
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for codes, lv in factorized:
        code *= len(lv)
        code += codes
    return code, tuple(lv for _, lv in factorized)


def _refuse_missing(values: pd.Series, name: str) -> None:
    _refuse_mask(values.isna().to_numpy(), name)


def _refuse_mask(missing: np.ndarray, name: str) -> None:
    if missing.any():
        bad = int(missing.sum())
        first = int(np.flatnonzero(missing)[0])
        raise MissingValueError(
            f"{name}: {bad} missing value(s) (NaN/None), first at row {first}; drop or impute "
            "those rows before auditing, labels and predictions must be complete.",
            details={"argument": name, "missing": bad, "first_row": first},
        )


def numeric_values(values: pd.Series, name: str) -> np.ndarray:
    """Validate a numeric outcome or prediction column (regression) and return float64.

    Raises
    ------
    MissingValueError, ValidationError
        On missing, non-numeric or infinite values.
    """
    _refuse_missing(values, name)
    try:
        arr = values.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        sample = [str(v) for v in pd.unique(values.to_numpy())[:5]]
        raise ValidationError(
            f"{name}: expected numbers for a regression audit, received values such as "
            f"{sample}; pass numeric outcomes and predictions, or audit as kind='multiclass'.",
            details={"argument": name, "sample": sample},
        ) from None
    finite = np.isfinite(arr)
    if not finite.all():
        first = int(np.flatnonzero(~finite)[0])
        raise ValidationError(
            f"{name}: {int((~finite).sum())} infinite value(s), first at row {first}; "
            "every outcome and prediction must be a finite number.",
            details={"argument": name, "first_row": first},
        )
    return arr


def class_codes(
    y_true: pd.Series, y_pred: pd.Series, classes: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray, tuple[Any, ...]]:
    """Integer class codes of outcomes and predictions over one shared, sorted class list.

    Parameters
    ----------
    y_true, y_pred : pandas.Series
        Class labels (any hashable values).
    classes : sequence, optional
        The classes in the order wanted; default the sorted union of both columns.

    Returns
    -------
    (true_codes, pred_codes, classes)
    """
    t_codes, t_uniques = pd.factorize(y_true)
    p_codes, p_uniques = pd.factorize(y_pred)
    _refuse_mask(t_codes < 0, "y_true")
    _refuse_mask(p_codes < 0, "y_pred")
    seen = pd.Index(t_uniques).append(pd.Index(p_uniques)).unique()  # few values: cheap
    if classes is None:
        labels = tuple(plain_value(u) for u in seen.sort_values())
    else:
        labels = tuple(plain_value(c) for c in classes)
        if len(set(labels)) != len(labels) or len(labels) < 2:
            raise ValidationError(
                f"classes={list(labels)!r}: expected at least two distinct classes."
            )
        unknown = [str(v) for v in seen if v not in set(labels)][:5]
        if unknown:
            raise LabelError(
                f"y_true/y_pred: values {unknown} are not among classes={list(labels)!r}; "
                "add them to classes= or leave classes= out.",
                details={"unexpected": unknown},
            )
    position = pd.Index(labels)
    t_map = position.get_indexer(pd.Index(t_uniques)).astype(np.int64)
    p_map = position.get_indexer(pd.Index(p_uniques)).astype(np.int64)
    return t_map[t_codes], p_map[p_codes], labels
