"""A batch's columns checked one by one: 0/1 decisions, sensitive values and event times.

Each check is all or nothing and names the field, what was received and what to send instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fairgate.errors import LengthMismatchError, ValidationError

__all__ = [
    "MAX_TIMESTAMP",
    "MISSING",
    "binary_column",
    "check01",
    "rows_to_columns",
    "sensitive_column",
    "timestamps_column",
]

MISSING = "(missing)"
"""Level given to a ``null`` sensitive value."""

MAX_TIMESTAMP = 253402300799.0
"""Largest accepted event time (9999-12-31T23:59:59Z, epoch seconds)."""


def binary_column(values: Any, name: str, *, nullable: bool, n: int | None) -> np.ndarray:
    """0/1 values (``null`` as -1 when ``nullable``) as int8."""
    if not isinstance(values, list):
        raise ValidationError(f"{name!r}: expected a list, received {type(values).__name__}.")
    if n is not None and len(values) != n:
        raise LengthMismatchError(
            f"{name!r} has {len(values)} values but 'prediction' has {n}; send one per decision.",
            details={"field": name, "length": len(values), "expected": n},
        )
    arr = np.asarray(values) if values else np.zeros(0, dtype=np.int8)
    if arr.dtype.kind == "O" and nullable:
        missing = np.equal(arr, None)
        rest = arr[~missing]
        known = np.asarray(rest.tolist()) if rest.size else np.zeros(0, dtype=np.int8)
        out = np.full(arr.shape[0], -1, dtype=np.int8)
        out[~missing] = check01(known, name)
        return out
    if arr.ndim != 1:
        raise ValidationError(f"{name!r}: expected a flat list of 0/1 values.")
    return check01(arr, name)


def check01(arr: np.ndarray, name: str) -> np.ndarray:
    """Refuse anything but 0/1 (or booleans); return int8."""
    if arr.dtype.kind not in "iub" or arr.ndim != 1:
        sample = [v for v in arr.tolist() if not isinstance(v, bool | int)][:3]
        raise ValidationError(
            f"{name!r}: expected 0/1 (or true/false), received values such as {sample!r}.",
            details={"field": name},
        )
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        raise ValidationError(
            f"{name!r}: expected 0/1, received {arr[bad][:3].tolist()}; threshold scores first.",
            details={"field": name},
        )
    return arr.astype(np.int8)


_SENSITIVE_TYPES = {str, int, bool, type(None)}


def sensitive_column(values: Any, name: str, n: int) -> tuple[np.ndarray, list[str]]:
    """Codes (int32) into the levels of one sensitive attribute; ``null`` is :data:`MISSING`."""
    import pandas as pd

    if not isinstance(values, list) or len(values) != n:
        got = len(values) if isinstance(values, list) else type(values).__name__
        raise LengthMismatchError(
            f"sensitive[{name!r}]: expected a list of {n} values (one per decision), got {got}.",
            details={"attribute": name},
        )
    types = set(map(type, values))
    if not types <= _SENSITIVE_TYPES:
        bad = sorted(t.__name__ for t in types - _SENSITIVE_TYPES)
        raise ValidationError(
            f"sensitive[{name!r}]: values must be strings (or integers, booleans, null); "
            f"received {', '.join(bad)}.",
            details={"attribute": name},
        )
    arr = np.empty(n, dtype=object)
    arr[:] = values
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    levels = [str(u) for u in uniques]
    if len(set(levels)) != len(levels):  # e.g. 1 and "1": merge them as strings
        codes, uniques = pd.factorize(np.asarray([levels[c] if c >= 0 else None for c in codes]))
        levels = [str(u) for u in uniques]
    codes = codes.astype(np.int32, copy=False)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(levels), codes).astype(np.int32)
        levels.append(MISSING)
    return codes, levels


def timestamps_column(ts: Any, n: int) -> np.ndarray | None:
    """Event times (epoch seconds, NaN where not given), or None without a ``ts`` column."""
    if ts is None:
        return None
    if not isinstance(ts, list) or len(ts) != n:
        raise LengthMismatchError(f"'ts': expected a list of {n} epoch-second numbers or nulls.")
    if not all(t is None or (isinstance(t, int | float) and not isinstance(t, bool)) for t in ts):
        raise ValidationError("'ts': expected epoch seconds (numbers) or null.")
    arr = np.asarray([math.nan if t is None else t for t in ts], dtype=np.float64)
    bad = ~np.isnan(arr) & ((arr < 0) | (arr > MAX_TIMESTAMP))
    if bad.any():
        raise ValidationError(
            f"'ts': event times must be epoch seconds between 0 and {MAX_TIMESTAMP:.0f} "
            f"(year 9999); received {arr[bad][:3].tolist()}.",
            details={"field": "ts"},
        )
    return arr


def rows_to_columns(rows: list[Any]) -> tuple[list[Any], list[Any], dict[str, list[Any]], Any]:
    """The row form's observations as columns: predictions, outcomes, sensitive values, times."""
    first = rows[0]
    if not isinstance(first, dict) or not isinstance(first.get("sensitive"), dict):
        raise ValidationError(
            "observations[0]: expected an object with 'prediction' and 'sensitive' (an object)."
        )
    attrs = sorted(first["sensitive"])
    pred: list[Any] = []
    out: list[Any] = []
    ts: list[Any] = []
    any_ts = False
    sens: dict[str, list[Any]] = {a: [] for a in attrs}
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or "prediction" not in row:
            raise ValidationError(f"observations[{i}]: expected an object with 'prediction'.")
        s = row.get("sensitive")
        if not isinstance(s, dict) or sorted(s) != attrs:
            raise ValidationError(
                f"observations[{i}].sensitive: expected the attributes {attrs} like the first "
                f"row, received {sorted(s) if isinstance(s, dict) else s!r}."
            )
        pred.append(row["prediction"])
        out.append(row.get("outcome"))
        t = row.get("ts")
        any_ts = any_ts or t is not None
        ts.append(t)
        for a in attrs:
            sens[a].append(s[a])
    return pred, out, sens, (ts if any_ts else None)
