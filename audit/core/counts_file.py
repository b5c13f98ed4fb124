"""Counts of every kind from files larger than memory: one DuckDB ``GROUP BY``.

:func:`counts_from_file` streams a Parquet or CSV file through DuckDB and returns the very counts
:func:`~fairgate.audit.core.counts.group_counts` computes in memory: memory grows with the number
of groups, not with the number of rows. Binary and multiclass files are grouped by the sensitive
columns, the outcome and the prediction; regression files by the sensitive columns and the error
histogram bin (found with an ``ASOF JOIN`` on the fixed edges), with the sums per bin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.core.counts import GroupCounts, Kind, binary_cells, check_kind_options
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.inputs import (
    MISSING_LABEL,
    MissingPolicy,
    binary_labels,
    check_missing_policy,
    class_codes,
    combined_codes,
    numeric_values,
)
from fairgate.audit.core.multiclass import multiclass_counts_from_codes
from fairgate.audit.core.regression import STATS, RegressionCounts, check_edges
from fairgate.errors import (
    EmptyDataError,
    MissingColumnError,
    MissingValueError,
    ValidationError,
)

__all__ = [
    "check_kind_options",
    "check_log_columns",
    "counts_from_file",
    "counts_from_grouped",
    "log_arguments",
    "log_columns",
    "open_log",
    "quote_sql",
    "reader_sql",
    "refuse_bad_values",
]


def quote_sql(identifier: str) -> str:
    """A column name quoted for DuckDB SQL."""
    return '"' + identifier.replace('"', '""') + '"'


def reader_sql(path: Path) -> str:
    """The DuckDB table function that reads a Parquet or CSV file."""
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


def log_arguments(
    sensitive: str | Sequence[str],
    missing: MissingPolicy,
    kind: str,
    threshold: float | None = None,
    favourable: Any = None,
) -> list[str]:
    """Check an engine's arguments once; the sensitive column names as a list.

    Raises
    ------
    ValidationError
        For no sensitive column, an unknown missing policy or kind, or misplaced options.
    """
    names = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if not names:
        raise ValidationError("sensitive: no sensitive column given; name at least one.")
    check_missing_policy(missing)
    check_kind_options(kind, threshold, favourable)
    return names


def check_log_columns(columns: Sequence[str], wanted: dict[str, str], what: str) -> None:
    """Refuse a log that lacks a column an argument names.

    Parameters
    ----------
    columns : sequence of str
        The log's columns.
    wanted : dict
        Argument (``y_true``, ``sensitive['sex']``) to the column it names.
    what : str
        How the message names the log.

    Raises
    ------
    MissingColumnError
    """
    absent = {k: v for k, v in wanted.items() if v not in columns}
    if absent:
        raise MissingColumnError(
            f"{', '.join(f'{k}={v!r}' for k, v in absent.items())}: not in the columns of "
            f"{what} {list(columns)[:20]}; check the spelling.",
            details={"missing": list(absent.values())},
        )


def log_columns(names: Sequence[str], **columns: str) -> dict[str, str]:
    """The columns a decision log needs (``columns`` and the sensitive ``names``) by argument."""
    return {**columns, **{f"sensitive[{n!r}]": n for n in names}}


def counts_from_file(
    path: str | Path,
    *,
    y_true: str,
    y_pred: str,
    sensitive: Sequence[str],
    kind: Kind = "binary",
    pos_label: Any = 1,
    threshold: float | None = None,
    classes: Any = None,
    favourable: Any = None,
    error_edges: Any = None,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
    threads: int | None = None,
) -> GroupedCounts:
    """The same counts as :func:`group_counts`, from a Parquet/CSV file, with one DuckDB GROUP BY.

    The file is streamed by DuckDB; memory does not grow with the number of rows, only with the
    number of groups.

    Parameters
    ----------
    path : str or Path
        A ``.parquet`` or ``.csv`` file (DuckDB globs such as ``part-*.parquet`` work too).
    y_true, y_pred : str
        Column names of the outcomes and the model's outputs.
    sensitive : sequence of str
        Column names of the sensitive attributes.
    kind, pos_label, threshold, classes, favourable, error_edges, missing, missing_label
        As in :func:`~fairgate.audit.core.counts.group_counts`.
    threads : int, optional
        DuckDB threads (default: DuckDB's own).

    Returns
    -------
    GroupCounts, MulticlassCounts or RegressionCounts
        Equal to :func:`~fairgate.audit.core.counts.group_counts` on the same rows (regression
        sums up to floating-point summation order).
    """
    names = log_arguments(sensitive, missing, kind, threshold, favourable)
    con, source = open_log(path, log_columns(names, y_true=y_true, y_pred=y_pred), threads)
    try:
        if kind == "regression":
            return _regression(
                con, source, names, y_true, y_pred, error_edges, missing, missing_label
            )
        keys = ", ".join(quote_sql(c) for c in [*names, y_true, y_pred])
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
        kind=kind,
        pos_label=pos_label,
        threshold=threshold,
        classes=classes,
        favourable=favourable,
        missing=missing,
        missing_label=missing_label,
    )


def open_log(path: str | Path, wanted: dict[str, str], threads: int | None) -> tuple[Any, str]:
    """A DuckDB connection and the SQL that reads the log, after checking its columns.

    Parameters
    ----------
    path : str or Path
        A Parquet or CSV file (or a glob).
    wanted : dict
        Argument to column name (see :func:`check_log_columns`).
    threads : int, optional
        DuckDB threads (default: DuckDB's own).

    Returns
    -------
    (connection, source) : tuple
        The caller closes the connection.
    """
    import duckdb

    path = Path(path)
    if "*" not in str(path) and not path.exists():
        raise ValidationError(f"path={str(path)!r}: no such file; check the path.")
    source = reader_sql(path)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        check_log_columns(columns, wanted, "the file")
    except BaseException:
        con.close()
        raise
    return con, source


def counts_from_grouped(
    rows: pd.DataFrame,
    *,
    y_true: str,
    y_pred: str,
    sensitive: Sequence[str],
    count: str = "n",
    kind: Kind = "binary",
    pos_label: Any = 1,
    threshold: float | None = None,
    classes: Any = None,
    favourable: Any = None,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
) -> GroupedCounts:
    """Counts from an engine's ``GROUP BY`` result: one row per distinct key with its count.

    The SQL engines (DuckDB, Spark) run ``SELECT sensitive..., y_true, y_pred, count(*) ...
    GROUP BY ALL``; this turns their small result into the counts
    :func:`~fairgate.audit.core.counts.group_counts` returns for the same rows, with the same
    validation and level order. Kinds ``binary``, ``scores`` and ``multiclass`` (regression is
    grouped by error bin instead, see :func:`counts_from_file`).

    Parameters
    ----------
    rows : pandas.DataFrame
        The grouped rows: the key columns and ``count``.
    y_true, y_pred : str
        Key columns of the outcomes and the model's outputs.
    sensitive : sequence of str
        Key columns of the sensitive attributes.
    count : str, default "n"
        The column holding each key's number of rows.
    kind, pos_label, threshold, classes, favourable, missing, missing_label
        As in :func:`~fairgate.audit.core.counts.group_counts`.

    Returns
    -------
    GroupCounts or MulticlassCounts
    """
    if kind == "regression":
        raise ValidationError(
            "kind='regression': grouped rows of outcome and prediction cannot give the error "
            "sums; use counts_from_file or group_counts."
        )
    names = list(sensitive)
    rows = rows.reset_index(drop=True)
    n = rows[count].to_numpy(dtype=np.int64)
    code, levels = combined_codes(names, [rows[c] for c in names], missing, missing_label)
    if kind == "multiclass":
        t_codes, p_codes, labels = class_codes(rows[y_true], rows[y_pred], classes)
        mc = multiclass_counts_from_codes(
            tuple(names), levels, code, t_codes, p_codes, labels, weights=n
        )
        return mc if favourable is None else mc.binary(favourable)
    t = binary_labels(rows[y_true], "y_true", pos_label)
    if kind == "scores":
        p = (numeric_values(rows[y_pred], "y_pred") >= float(threshold)).astype(np.int8)
    else:
        p = binary_labels(rows[y_pred], "y_pred", pos_label)
    cells = binary_cells(code, tuple(map(len, levels)), t, p, weights=n)
    return GroupCounts(tuple(names), levels, cells)


def _regression(
    con: Any,
    source: str,
    names: list[str],
    y_true: str,
    y_pred: str,
    error_edges: Any,
    missing: MissingPolicy,
    missing_label: str,
) -> RegressionCounts:
    """Sums per (group, error bin) in one GROUP BY, folded into per-group statistics."""
    import duckdb

    edges = check_edges(error_edges)
    con.register("fairgate_edges", pd.DataFrame({"i": np.arange(len(edges)), "edge": edges}))
    keys = ", ".join(quote_sql(c) for c in names)
    t, p = quote_sql(y_true), quote_sql(y_pred)
    try:
        rows = con.execute(
            f"""
            WITH src AS (
                SELECT {keys}, CAST({t} AS DOUBLE) AS y, CAST({p} AS DOUBLE) AS p,
                       CAST({p} AS DOUBLE) - CAST({t} AS DOUBLE) AS e
                FROM {source}
            )
            SELECT {", ".join(f"src.{quote_sql(c)}" for c in names)},
                   coalesce(fairgate_edges.i + 1, 0) AS bin,
                   count(*) AS n,
                   count(*) - count(src.y) AS null_y,
                   count(*) - count(src.p) AS null_p,
                   count(*) FILTER (WHERE NOT isfinite(src.y)) AS bad_y,
                   count(*) FILTER (WHERE NOT isfinite(src.p)) AS bad_p,
                   sum(src.y) AS sum_y, sum(src.y * src.y) AS sum_y2,
                   sum(src.p) AS sum_pred, sum(src.p * src.p) AS sum_pred2,
                   sum(src.e) AS sum_err, sum(abs(src.e)) AS sum_abs_err,
                   sum(src.e * src.e) AS sum_sq_err, sum(src.e * src.e * src.e * src.e) AS sum_err4
            FROM src ASOF LEFT JOIN fairgate_edges ON src.e >= fairgate_edges.edge
            GROUP BY ALL
            """
        ).fetchdf()
    except duckdb.ConversionException as exc:
        raise ValidationError(
            f"y_true={y_true!r}/y_pred={y_pred!r}: expected numbers for a regression audit "
            f"({exc}); pass numeric columns, or audit as kind='multiclass'."
        ) from exc
    if rows.empty:
        raise EmptyDataError("the file has no rows.")
    refuse_bad_values(
        {
            ("y_true", y_true): (int(rows["null_y"].sum()), int(rows["bad_y"].sum())),
            ("y_pred", y_pred): (int(rows["null_p"].sum()), int(rows["bad_p"].sum())),
        }
    )
    code, levels = combined_codes(names, [rows[c] for c in names], missing, missing_label)
    grid = tuple(map(len, levels))
    groups = math.prod(grid)
    stats = np.empty((groups, len(STATS)))
    for j, name in enumerate(STATS):
        stats[:, j] = np.bincount(code, weights=rows[name].to_numpy(np.float64), minlength=groups)
    width = len(edges) + 1
    hist = np.bincount(
        code * width + rows["bin"].to_numpy(np.int64),
        weights=rows["n"].to_numpy(np.float64),
        minlength=groups * width,
    )
    return RegressionCounts(
        tuple(names),
        levels,
        stats.reshape(*grid, len(STATS)),
        hist.astype(np.int64).reshape(*grid, width),
        edges,
    )


def refuse_bad_values(found: dict[tuple[str, str], tuple[int, int]]) -> None:
    """Refuse missing, then infinite or NaN, values an engine counted in numeric columns.

    Parameters
    ----------
    found : dict
        ``(argument, column)`` to ``(missing, not finite)`` row counts.

    Raises
    ------
    MissingValueError, ValidationError
    """
    problems = (
        (
            MissingValueError,
            "missing",
            "missing value(s) in the file; drop or impute those rows "
            "before auditing, outcomes and predictions must be complete",
        ),
        (
            ValidationError,
            "bad",
            "infinite or NaN value(s) in the file; every outcome and "
            "prediction must be a finite number",
        ),
    )
    for slot, (error, key, text) in enumerate(problems):
        for (arg, column), counts in found.items():
            if counts[slot]:
                raise error(
                    f"{arg}={column!r}: {counts[slot]} {text}.",
                    details={"argument": arg, key: counts[slot]},
                )
