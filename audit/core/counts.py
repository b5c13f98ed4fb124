"""Per-group confusion counts: the one pass every fairness metric is derived from.

fairgate computes the confusion counts (TP, FP, TN, FN) of every group of every sensitive
attribute *and every intersection* in one pass: each sensitive column is factorized to integer
codes, the codes are combined into one group code, and one ``np.bincount`` over
``group_code * 4 + cell`` yields the full cross-tabulation. Marginals (one attribute, or any subset
of attributes) are sums over the other axes of that array, so they cost nothing more.

For files larger than memory, :func:`counts_from_file` computes the same array with one DuckDB
``GROUP BY`` over a Parquet or CSV path, and returns identical numbers.

Cell order is ``(TP, FP, TN, FN)`` everywhere (see :data:`CELLS`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
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
    "CELLS",
    "MISSING_LABEL",
    "GroupCounts",
    "counts_from_file",
    "counts_from_grouped",
    "group_counts",
]

CELLS: tuple[str, str, str, str] = ("TP", "FP", "TN", "FN")
"""Order of the last axis of every counts array."""

MISSING_LABEL = "(missing)"
"""Default label of the explicit group that holds missing sensitive values."""

# cell index from (y_true, y_pred): (1,1)->TP=0, (0,1)->FP=1, (0,0)->TN=2, (1,0)->FN=3
_CELL_OF = np.array([2, 1, 3, 0], dtype=np.int64)  # indexed by 2*y_true + y_pred

MissingPolicy = Literal["group", "error"]


@dataclass(frozen=True, eq=False)
class GroupCounts:
    """Confusion counts of every intersection of one or more sensitive attributes.

    Parameters
    ----------
    attributes : tuple of str
        Names of the sensitive attributes, in axis order.
    levels : tuple of tuple
        The levels (group labels) of each attribute, sorted; the explicit missing group, if any,
        comes last.
    cells : numpy.ndarray
        Integer array of shape ``(len(levels[0]), ..., len(levels[k-1]), 4)``; the last axis is
        ``(TP, FP, TN, FN)``. Combinations that never occur hold zeros.
    """

    attributes: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...]
    cells: np.ndarray

    def __post_init__(self) -> None:
        shape = (*tuple(len(lv) for lv in self.levels), 4)
        if self.cells.shape != shape:
            raise ValueError(f"cells has shape {self.cells.shape}, expected {shape}")
        if len(self.attributes) != len(self.levels):
            raise ValueError("attributes and levels differ in length")

    @property
    def n(self) -> int:
        """Total number of rows counted."""
        return int(self.cells.sum())

    @property
    def overall(self) -> np.ndarray:
        """Counts over all rows, shape ``(4,)``."""
        return self.cells.reshape(-1, 4).sum(axis=0)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GroupCounts):
            return NotImplemented
        return (
            self.attributes == other.attributes
            and self.levels == other.levels
            and np.array_equal(self.cells, other.cells)
        )

    __hash__ = None  # type: ignore[assignment]

    def marginal(self, attributes: str | Sequence[str]) -> GroupCounts:
        """Counts for one attribute or an intersection of several.

        Parameters
        ----------
        attributes : str or sequence of str
            Attribute name(s), a subset of :attr:`attributes`, in the order wanted.

        Returns
        -------
        GroupCounts
        """
        wanted = (attributes,) if isinstance(attributes, str) else tuple(attributes)
        unknown = [a for a in wanted if a not in self.attributes]
        if unknown or not wanted:
            raise MissingColumnError(
                f"attributes={list(wanted)!r}: {unknown or 'none given'} not among the counted "
                f"attributes {list(self.attributes)}; pass a non-empty subset of them."
            )
        axes = [self.attributes.index(a) for a in wanted]
        drop = tuple(i for i in range(len(self.attributes)) if i not in axes)
        summed = self.cells.sum(axis=drop) if drop else self.cells
        kept = sorted(axes)  # order of the remaining axes after the sum
        perm = [kept.index(a) for a in axes] + [len(kept)]
        return GroupCounts(
            attributes=wanted,
            levels=tuple(self.levels[a] for a in axes),
            cells=np.ascontiguousarray(np.transpose(summed, perm)),
        )

    def flat(self) -> tuple[list[tuple[Any, ...]], np.ndarray]:
        """Group keys (one tuple per intersection) and the counts as a ``(groups, 4)`` array."""
        keys = list(_product(self.levels))
        return keys, self.cells.reshape(-1, 4)

    def index(self) -> pd.Index:
        """A pandas index of the groups, shaped like fairlearn's ``MetricFrame.by_group``."""
        if len(self.attributes) == 1:
            return pd.Index(list(self.levels[0]), name=self.attributes[0])
        return pd.MultiIndex.from_product([list(lv) for lv in self.levels], names=self.attributes)

    def to_frame(self) -> pd.DataFrame:
        """The counts as a DataFrame with one row per group and columns TP, FP, TN, FN."""
        return pd.DataFrame(self.cells.reshape(-1, 4), index=self.index(), columns=list(CELLS))

    def intersections(self, max_order: int | None = None) -> list[tuple[str, ...]]:
        """Every non-empty subset of the attributes (in attribute order), up to ``max_order``."""
        from itertools import combinations

        top = len(self.attributes) if max_order is None else min(max_order, len(self.attributes))
        out: list[tuple[str, ...]] = []
        for k in range(1, top + 1):
            out.extend(combinations(self.attributes, k))
        return out


def _product(levels: tuple[tuple[Any, ...], ...]) -> Iterable[tuple[Any, ...]]:
    from itertools import product

    return product(*levels)


# --------------------------------------------------------------------------------------------
# Input normalisation (the boundary)
# --------------------------------------------------------------------------------------------


def _to_series(values: Any, name: str) -> pd.Series:
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


def _sensitive_frame(
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
        return list(table.column_names), [
            _to_series(table.column(c), c) for c in table.column_names
        ]
    if isinstance(sensitive_features, Mapping):
        return [str(k) for k in sensitive_features], [
            _to_series(v, str(k)) for k, v in sensitive_features.items()
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


def _binary(values: pd.Series, name: str, pos_label: Any) -> np.ndarray:
    """Validate a label/prediction column and return it as 0/1 int8."""
    if values.isna().any():
        bad = int(values.isna().sum())
        first = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise MissingValueError(
            f"{name}: {bad} missing value(s) (NaN/None), first at row {first}; drop or impute "
            "those rows before auditing, labels and predictions must be complete.",
            details={"argument": name, "missing": bad, "first_row": first},
        )
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
                f"{list(uniq)}; threshold scores into 0/1 or pass pos_label= for other labels.",
                details={"argument": name, "unexpected": [str(u) for u in uniq]},
            )
        return is_one.astype(np.int8)
    uniq = pd.unique(arr)
    if len(uniq) > 2:
        raise LabelError(
            f"{name}: expected two classes, received {len(uniq)} distinct values such as "
            f"{[str(u) for u in uniq[:5]]}; fairgate audits binary decisions.",
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


def _factorize(
    series: pd.Series, name: str, missing: MissingPolicy, missing_label: str
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Sorted integer codes of one sensitive column; missing values become the last level."""
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    levels = [_plain(u) for u in uniques]
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


def _plain(value: Any) -> Any:
    """Numpy scalars to Python scalars, so levels compare and serialize cleanly."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_lengths(lengths: Mapping[str, int]) -> int:
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


def _column(data: pd.DataFrame | None, values: Any, name: str) -> pd.Series:
    if data is not None and isinstance(values, str):
        if values not in data.columns:
            raise MissingColumnError(
                f"{name}={values!r}: no such column "
                f"(columns: {list(map(str, data.columns))[:20]}); "
                "check the spelling.",
                details={"argument": name, "column": values},
            )
        return data[values].reset_index(drop=True)
    return _to_series(values, name)


def group_counts(
    y_true: Any,
    y_pred: Any,
    sensitive_features: Any,
    *,
    data: pd.DataFrame | None = None,
    pos_label: Any = 1,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
) -> GroupCounts:
    """Count TP, FP, TN, FN for every intersection of the sensitive attributes, in one pass.

    Parameters
    ----------
    y_true, y_pred : array-like or str
        True outcomes and the model's decisions (binary). With ``data=``, column names.
    sensitive_features : array-like, DataFrame, dict, pyarrow Table, or list of str
        One or more sensitive columns. With ``data=``, a column name or a list of names.
    data : pandas.DataFrame, optional
        A frame holding the named columns.
    pos_label : scalar, default 1
        The favourable (positive) decision.
    missing : {"group", "error"}, default "group"
        What to do with missing values in a sensitive column: count them as an explicit group
        labelled ``missing_label`` (never silently dropped), or raise.
    missing_label : str, default "(missing)"
        Label of that explicit group.

    Returns
    -------
    GroupCounts
        Counts of shape ``(levels_1, ..., levels_k, 4)``.

    Raises
    ------
    MissingColumnError, LengthMismatchError, LabelError, MissingValueError, EmptyDataError
        On invalid input; each message names the argument and what to do.
    """
    if missing not in ("group", "error"):
        raise ValidationError(f"missing={missing!r}: expected 'group' or 'error'.")
    if isinstance(data, pd.DataFrame) and len(data) == 0:
        raise EmptyDataError("data: the frame has no rows; an audit needs decisions to count.")
    yt = _column(data, y_true, "y_true")
    yp = _column(data, y_pred, "y_pred")
    names, columns = _sensitive_frame(sensitive_features, data)
    if not names:
        raise ValidationError("sensitive_features: no sensitive column given; name at least one.")
    lengths = {"y_true": len(yt), "y_pred": len(yp)}
    lengths.update(
        {f"sensitive_features[{n!r}]": len(c) for n, c in zip(names, columns, strict=True)}
    )
    _check_lengths(lengths)
    t = _binary(yt, "y_true", pos_label)
    p = _binary(yp, "y_pred", pos_label)
    code, levels = _combined_codes(names, columns, missing, missing_label)
    sizes = [len(lv) for lv in levels]
    code *= 4
    code += _CELL_OF[2 * t.astype(np.int64) + p]
    cells = np.bincount(code, minlength=math.prod(sizes) * 4).reshape(*sizes, 4)
    return GroupCounts(tuple(names), levels, cells)


def _combined_codes(
    names: Sequence[str], columns: Sequence[pd.Series], missing: MissingPolicy, missing_label: str
) -> tuple[np.ndarray, tuple[tuple[Any, ...], ...]]:
    """One integer group code per row (row-major over the attributes) and the levels."""
    factorized = [
        _factorize(c, n, missing, missing_label) for n, c in zip(names, columns, strict=True)
    ]
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for codes, lv in factorized:
        code *= len(lv)
        code += codes
    return code, tuple(lv for _, lv in factorized)


# --------------------------------------------------------------------------------------------
# Files larger than memory: one DuckDB GROUP BY
# --------------------------------------------------------------------------------------------


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _reader_sql(path: Path) -> str:
    suffix = "".join(path.suffixes).lower()
    literal = "'" + str(path).replace("'", "''") + "'"
    if suffix.endswith(".parquet") or suffix.endswith(".pq"):
        return f"read_parquet({literal})"
    if suffix.endswith(".csv") or suffix.endswith(".csv.gz") or suffix.endswith(".tsv"):
        return f"read_csv_auto({literal})"
    raise ValidationError(
        f"path={str(path.name)!r}: unknown file type {suffix or '(none)'}; "
        "pass a .parquet or .csv file."
    )


def counts_from_file(
    path: str | Path,
    *,
    y_true: str,
    y_pred: str,
    sensitive: Sequence[str],
    pos_label: Any = 1,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
    threads: int | None = None,
) -> GroupCounts:
    """The same counts as :func:`group_counts`, from a Parquet/CSV file, with one DuckDB GROUP BY.

    The file is streamed by DuckDB; memory does not grow with the number of rows, only with the
    number of groups.

    Parameters
    ----------
    path : str or Path
        A ``.parquet`` or ``.csv`` file (DuckDB globs such as ``part-*.parquet`` work too).
    y_true, y_pred : str
        Column names of the outcomes and decisions.
    sensitive : sequence of str
        Column names of the sensitive attributes.
    pos_label, missing, missing_label
        As in :func:`group_counts`.
    threads : int, optional
        DuckDB threads (default: DuckDB's own).

    Returns
    -------
    GroupCounts
        Identical to :func:`group_counts` on the same rows.
    """
    import duckdb

    path = Path(path)
    if "*" not in str(path) and not path.exists():
        raise ValidationError(f"path={str(path)!r}: no such file; check the path.")
    names = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if not names:
        raise ValidationError("sensitive: no sensitive column given; name at least one.")
    source = _reader_sql(path)
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        wanted = {"y_true": y_true, "y_pred": y_pred}
        wanted.update({f"sensitive[{n!r}]": n for n in names})
        absent = {k: v for k, v in wanted.items() if v not in columns}
        if absent:
            raise MissingColumnError(
                f"{', '.join(f'{k}={v!r}' for k, v in absent.items())}: not in the file's "
                f"columns {columns[:20]}; check the spelling.",
                details={"missing": list(absent.values())},
            )
        keys = ", ".join(_quote(c) for c in [*names, y_true, y_pred])
        rows = con.execute(f"SELECT {keys}, count(*) AS n FROM {source} GROUP BY ALL").fetchdf()
    finally:
        con.close()
    if rows.empty:
        raise EmptyDataError(f"path={str(path)!r}: the file has no rows.")
    return counts_from_grouped(
        rows,
        y_true=y_true,
        y_pred=y_pred,
        sensitive=names,
        pos_label=pos_label,
        missing=missing,
        missing_label=missing_label,
    )


def counts_from_grouped(
    rows: pd.DataFrame,
    *,
    y_true: str,
    y_pred: str,
    sensitive: Sequence[str],
    count: str = "n",
    pos_label: Any = 1,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
) -> GroupCounts:
    """Counts from an engine's ``GROUP BY`` result: one row per distinct key with its count.

    The SQL engines (DuckDB, Spark) run ``SELECT sensitive..., y_true, y_pred, count(*)
    ... GROUP BY ALL``; this turns their (small) result into the counts :func:`group_counts`
    returns for the same rows, with the same validation and the same level order.

    Parameters
    ----------
    rows : pandas.DataFrame
        The grouped rows: the key columns and ``count``.
    y_true, y_pred : str
        Key columns of the outcomes and decisions.
    sensitive : sequence of str
        Key columns of the sensitive attributes.
    count : str, default "n"
        The column holding each key's number of rows.
    pos_label, missing, missing_label
        As in :func:`group_counts`.

    Returns
    -------
    GroupCounts
    """
    names = list(sensitive)
    n = rows[count].to_numpy(dtype=np.int64)
    t = _binary(rows[y_true].reset_index(drop=True), "y_true", pos_label)
    p = _binary(rows[y_pred].reset_index(drop=True), "y_pred", pos_label)
    columns = [rows[c].reset_index(drop=True) for c in names]
    code, levels = _combined_codes(names, columns, missing, missing_label)
    sizes = [len(lv) for lv in levels]
    code = code * 4 + _CELL_OF[2 * t.astype(np.int64) + p]
    cells = np.zeros(math.prod(sizes) * 4, dtype=np.int64)
    np.add.at(cells, code, n)  # exact integer sums (one row per distinct group x cell)
    return GroupCounts(tuple(names), levels, cells.reshape(*sizes, 4))
