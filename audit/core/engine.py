"""Choose where the per-group counts are computed: in memory, in DuckDB or in Spark.

:func:`counts_from` takes a decision log in whatever form it comes and picks the engine by that
form: a pandas DataFrame or a pyarrow Table is counted in memory (``np.bincount``), a file path in
DuckDB (streamed, larger than memory), a Spark DataFrame in Spark (on the cluster). Every engine
returns exactly the same :class:`~fairgate.audit.core.counts.GroupCounts` for the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from fairgate.audit.core.counts import group_counts
from fairgate.audit.core.counts_file import counts_from_file
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.inputs import MISSING_LABEL, MissingPolicy
from fairgate.audit.core.score_file import score_statistics_from_file
from fairgate.audit.core.score_statistics import (
    ScoreRequest,
    ScoreStatistics,
    score_statistics,
)
from fairgate.audit.core.spark import (
    counts_from_spark,
    is_spark_frame,
    score_statistics_from_spark,
)
from fairgate.errors import ValidationError

__all__ = ["ENGINES", "Engine", "choose_engine", "counts_from", "score_statistics_from"]

Engine = Literal["auto", "memory", "duckdb", "spark"]
ENGINES: tuple[str, ...] = ("auto", "memory", "duckdb", "spark")
"""The engine names :func:`counts_from` (and ``fairgate audit --engine``) accept."""


def choose_engine(data: Any, engine: str = "auto") -> str:
    """The engine that counts ``data``: ``memory``, ``duckdb`` or ``spark``.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, str, Path or pyspark.sql.DataFrame
        The decision log.
    engine : {"auto", "memory", "duckdb", "spark"}
        ``auto`` chooses by the form of ``data``; any other name is checked against it.

    Returns
    -------
    str

    Raises
    ------
    ValidationError
        An unknown engine, or one that cannot read this form of data.
    """
    if engine not in ENGINES:
        raise ValidationError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}.")
    is_path = isinstance(data, str | Path)
    in_memory = isinstance(data, pd.DataFrame) or type(data).__module__.startswith("pyarrow")
    spark_frame = is_spark_frame(data)
    if not (is_path or in_memory or spark_frame):
        raise ValidationError(
            f"data: expected a pandas DataFrame, a pyarrow Table, a file path or a Spark "
            f"DataFrame, received {type(data).__name__}."
        )
    if engine == "auto":
        return "spark" if spark_frame else ("duckdb" if is_path else "memory")
    readable = {
        "memory": is_path or in_memory,
        "duckdb": is_path,
        "spark": is_path or spark_frame,
    }[engine]
    if not readable:
        form = "a Spark DataFrame" if spark_frame else "an in-memory frame"
        raise ValidationError(
            f"engine={engine!r} cannot read {form}; pass engine='auto' (or a file path)."
        )
    return engine


def counts_from(
    data: Any,
    *,
    y_true: str,
    y_pred: str,
    sensitive: str | Sequence[str],
    engine: str = "auto",
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
    **kind_options: Any,
) -> GroupedCounts:
    """Per-group counts of a decision log, on the engine its form calls for.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, str, Path or pyspark.sql.DataFrame
        The decision log (for a path: Parquet or CSV; Spark reads Parquet).
    y_true, y_pred : str
        Column names of the outcomes and decisions.
    sensitive : str or sequence of str
        Column names of the sensitive attributes.
    engine : {"auto", "memory", "duckdb", "spark"}
        See :func:`choose_engine`.
    missing, missing_label
        As in :func:`~fairgate.audit.core.counts.group_counts`.
    **kind_options
        ``kind``, ``pos_label``, ``threshold``, ``classes``, ``favourable``, ``error_edges`` as
        in :func:`~fairgate.audit.core.counts.group_counts`.

    Returns
    -------
    GroupCounts, MulticlassCounts or RegressionCounts
        The same counts whichever engine ran.
    """
    names = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    chosen = choose_engine(data, engine)
    options = {"missing": missing, "missing_label": missing_label, **kind_options}
    if chosen == "spark":
        return counts_from_spark(data, y_true=y_true, y_pred=y_pred, sensitive=names, **options)
    if chosen == "duckdb":
        return counts_from_file(data, y_true=y_true, y_pred=y_pred, sensitive=names, **options)
    return group_counts(y_true, y_pred, names, data=_frame(data), **options)


def score_statistics_from(
    data: Any,
    *,
    y_true: str,
    y_score: str,
    sensitive: str | Sequence[str],
    threshold: float,
    engine: str = "auto",
    **options: Any,
) -> ScoreStatistics:
    """Score histograms and the top-k ranking of a scored log, on the engine its form calls for.

    Parameters
    ----------
    data : pandas.DataFrame, pyarrow.Table, str, Path or pyspark.sql.DataFrame
        The scored log (for DuckDB and Spark: Parquet).
    y_true, y_score : str
        Columns of the outcomes and the scores.
    sensitive : str or sequence of str
        Columns of the sensitive attributes.
    threshold : float
        The decision threshold (sizes the default top).
    engine : {"auto", "memory", "duckdb", "spark"}
        See :func:`choose_engine`.
    **options
        ``pos_label``, ``top_k``, ``bins``, ``missing``, ``missing_label`` as in
        :func:`~fairgate.audit.core.score_statistics.score_statistics`.

    Returns
    -------
    ScoreStatistics
        The same statistics whichever engine ran.
    """
    request = ScoreRequest(y_true, y_score, sensitive, threshold, **options)
    chosen = choose_engine(data, engine)
    if chosen == "spark":
        return score_statistics_from_spark(data, request)
    if chosen == "duckdb":
        return score_statistics_from_file(data, request)
    return score_statistics(
        y_true,
        y_score,
        list(request.sensitive),
        data=_frame(data),
        threshold=threshold,
        **options,
    )


def _frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if not isinstance(data, str | Path):
        return data.to_pandas()
    path = Path(data)
    if not path.exists():
        raise ValidationError(f"data={str(path)!r}: no such file; check the path.")
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    return pd.read_parquet(path)
