"""Per-group counts of a decision log with one Spark SQL aggregation (pyspark imported lazily).

A city's decision logs live in Parquet on HDFS or an object store and are processed with Spark.
:func:`counts_from_spark` runs the very aggregation the DuckDB path runs (``GROUP BY`` the
sensitive attributes, the outcome and the decision, ``count(*)``) on the cluster, collects the
small grouped result to the driver and finishes it with
:func:`~fairgate.audit.core.counts_file.counts_from_grouped` (the DuckDB path's own finishing
step), so it returns exactly the counts of the in-memory and DuckDB paths for the binary, scores
and multiclass kinds. Only one row per distinct key ever leaves the cluster.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fairgate.audit.core.counts import Kind
from fairgate.audit.core.counts_file import (
    check_log_columns,
    counts_from_grouped,
    log_arguments,
    log_columns,
)
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.inputs import MISSING_LABEL, MissingPolicy
from fairgate.audit.core.score_file import SCORE, ScoreQueries
from fairgate.audit.core.score_statistics import ScoreRequest, ScoreStatistics
from fairgate.errors import (
    ConfigurationError,
    EmptyDataError,
    ValidationError,
)

__all__ = [
    "counts_from_spark",
    "is_spark_frame",
    "score_statistics_from_spark",
    "spark_session",
]


def is_spark_frame(value: Any) -> bool:
    """Whether ``value`` is a Spark DataFrame (classic or Spark Connect), without importing it."""
    module = type(value).__module__
    return module.startswith("pyspark.") and type(value).__name__ == "DataFrame"


def spark_session(master: str | None = None) -> Any:
    """The active Spark session, or a new one (``master`` e.g. ``local[2]`` or ``spark://h:7077``).

    Without ``master``, Spark's own configuration decides (``spark-submit --master``,
    ``SPARK_MASTER``, or ``spark-defaults.conf``; a local session when nothing is set).

    Raises
    ------
    ConfigurationError
        When pyspark is not installed.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigurationError(
            "the Spark engine needs pyspark (and a Java runtime); install it with: "
            "pip install 'fairgate[spark]'."
        ) from None
    if master is None:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
    builder = SparkSession.builder.appName("fairgate")
    if master is not None:
        builder = builder.master(master)
    return builder.getOrCreate()


def _frame(data: Any, spark: Any) -> tuple[Any, str]:
    if is_spark_frame(data):
        return data, "the DataFrame"
    if isinstance(data, str | Path):
        text = str(data)
        local = "://" not in text and "*" not in text
        if local and not Path(text).exists():
            raise ValidationError(f"data={text!r}: no such file or folder; check the path.")
        session = spark if spark is not None else spark_session()
        return session.read.parquet(text), f"data={text!r}"
    raise ValidationError(
        f"data: expected a Spark DataFrame or a Parquet path, received {type(data).__name__}; "
        "use group_counts for in-memory frames."
    )


def counts_from_spark(
    data: Any,
    *,
    y_true: str,
    y_pred: str,
    sensitive: str | Sequence[str],
    kind: Kind = "binary",
    pos_label: Any = 1,
    threshold: float | None = None,
    classes: Any = None,
    favourable: Any = None,
    missing: MissingPolicy = "group",
    missing_label: str = MISSING_LABEL,
    spark: Any = None,
) -> GroupedCounts:
    """The counts of :func:`~fairgate.audit.core.counts.group_counts`, computed by Spark.

    Parameters
    ----------
    data : pyspark.sql.DataFrame, str or Path
        A decision log: a Spark DataFrame, or a Parquet file or folder (``hdfs://``, ``s3a://``
        and other URIs Spark reads work too).
    y_true, y_pred : str
        Column names of the outcomes and decisions.
    sensitive : str or sequence of str
        Column names of the sensitive attributes.
    kind, pos_label, threshold, classes, favourable, missing, missing_label
        As in :func:`~fairgate.audit.core.counts.group_counts`; ``kind="regression"`` is not
        computed on Spark yet (use the DuckDB path on the Parquet files).
    spark : pyspark.sql.SparkSession, optional
        The session that reads a path (default: :func:`spark_session`).

    Returns
    -------
    GroupCounts or MulticlassCounts
        Identical to the in-memory and DuckDB counts of the same rows.

    Raises
    ------
    MissingColumnError, EmptyDataError, LabelError, MissingValueError, ConfigurationError
    """
    names = log_arguments(sensitive, missing, kind, threshold, favourable)
    if kind == "regression":
        raise ValidationError(
            "kind='regression': the Spark engine counts binary, scores and multiclass logs; "
            "audit a regression log with engine='duckdb' on its Parquet files."
        )
    frame, what = _frame(data, spark)
    check_log_columns(list(frame.columns), log_columns(names, y_true=y_true, y_pred=y_pred), what)
    from pyspark.sql import functions

    keys = list(dict.fromkeys([*names, y_true, y_pred]))
    count = "__fairgate_n"
    grouped = frame.groupBy(*[functions.col(_quote(k)) for k in keys]).agg(
        functions.count(functions.lit(1)).alias(count)
    )
    rows = grouped.toPandas()
    if rows.empty:
        raise EmptyDataError(f"{what}: no rows; an audit needs decisions to count.")
    return counts_from_grouped(
        rows,
        y_true=y_true,
        y_pred=y_pred,
        sensitive=names,
        count=count,
        kind=kind,
        pos_label=pos_label,
        threshold=threshold,
        classes=classes,
        favourable=favourable,
        missing=missing,
        missing_label=missing_label,
    )


def _quote(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def score_statistics_from_spark(
    data: Any, request: ScoreRequest, *, spark: Any = None
) -> ScoreStatistics:
    """Score histograms and the top-k ranking of every group, computed by Spark.

    The queries of :class:`~fairgate.audit.core.score_file.ScoreQueries` (the DuckDB path's own)
    run on a view of the log. Ties at a score are ranked in row order: for a Parquet path the
    file and the row within it (Spark's ``_metadata``), as DuckDB does; for a Spark DataFrame its
    partition order (``monotonically_increasing_id``).

    Parameters
    ----------
    data : pyspark.sql.DataFrame, str or Path
        A scored decision log: a Spark DataFrame, or a Parquet file or folder.
    request : ScoreRequest
        The columns and options.
    spark : pyspark.sql.SparkSession, optional
        The session that reads a path (default: :func:`spark_session`).

    Returns
    -------
    ScoreStatistics
        Equal to the in-memory and DuckDB statistics of the same rows in the same order.

    Raises
    ------
    MissingColumnError, EmptyDataError, LabelError, MissingValueError, ValidationError,
    ConfigurationError
    """
    frame, what = _frame(data, spark)
    check_log_columns(list(frame.columns), request.columns(), what)
    from pyspark.sql import functions

    if is_spark_frame(data):
        order = [functions.monotonically_increasing_id().alias("__fairgate_row")]
        tail = "__fairgate_row"
    else:
        order = [
            functions.col("_metadata.file_path").alias("__fairgate_file"),
            functions.col("_metadata.row_index").alias("__fairgate_row"),
        ]
        tail = "__fairgate_file, __fairgate_row"
    view = f"fairgate_scored_{uuid.uuid4().hex}"
    frame.select(
        *[functions.col(_quote(c)) for c in dict.fromkeys([*request.sensitive, request.y_true])],
        functions.col(_quote(request.y_score)).cast("double").alias(SCORE),
        *order,
    ).createOrReplaceTempView(view)
    session = frame.sparkSession
    try:
        queries = ScoreQueries(view, request, tail, _quote)
        return queries.statistics(lambda sql: session.sql(sql).toPandas(), what)
    finally:
        session.catalog.dropTempView(view)
