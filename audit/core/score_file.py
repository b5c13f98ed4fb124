"""The scores kind's statistics of a file over all rows, in DuckDB (SQL shared with Spark).

:func:`score_statistics_from_file` computes what
:func:`~fairgate.audit.core.score_statistics.score_statistics` computes in memory, from a Parquet
log streamed by DuckDB, in three queries whose results are small:

1. one aggregate: rows, missing and non-finite scores, the scores' range (which fixes the
   :class:`~fairgate.audit.core.score_statistics.ScoreScale`) and the rows the threshold selects
   (which sizes the default top);
2. one ``GROUP BY`` (sensitive columns, outcome, score bin): rows and score sums per bin;
3. one ``GROUP BY`` of the sensitive columns over ``row_number() OVER (ORDER BY score DESC,
   file, row in file)``: pool size, top-k members and exposure per group; ties are ranked in the
   order of the rows, as in memory.

The SQL text is built here for both engines; :mod:`~fairgate.audit.core.spark` runs the same
queries on a view of the Spark DataFrame. :meth:`ScoreQueries.statistics` runs them on
either engine and folds the grouped rows into the very arrays the in-memory path counts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from fairgate.audit.core.counts_file import open_log, quote_sql, refuse_bad_values
from fairgate.audit.core.inputs import binary_labels, combined_codes
from fairgate.audit.core.ranking import ranking_counts_from_codes
from fairgate.audit.core.score_metrics import score_counts_from_codes
from fairgate.audit.core.score_statistics import (
    ScoreRequest,
    ScoreScale,
    ScoreStatistics,
    score_scale,
    top_k_size,
)
from fairgate.errors import EmptyDataError, ValidationError

__all__ = ["SCORE", "ScoreQueries", "score_statistics_from_file"]

SCORE = "__fairgate_score"
"""The score column (cast to DOUBLE) of the view the queries read."""

# the queries' own columns, named so no column of a log can clash with them
UNIT, BIN, ROWS, SUM = "__fairgate_unit", "__fairgate_bin", "__fairgate_n", "__fairgate_sum"
RANK, TOP, EXPOSURE = "__fairgate_rank", "__fairgate_top", "__fairgate_exposure"


def _double(value: float) -> str:
    # a string literal parsed as DOUBLE: the same bits in DuckDB and Spark (a bare 0.1 is DECIMAL)
    return f"CAST('{float(value)!r}' AS DOUBLE)"


class ScoreQueries:
    """The SQL of the three queries over a view with the score in :data:`SCORE`.

    Parameters
    ----------
    source : str
        The table or view the queries read.
    request : ScoreRequest
        The columns and options.
    order : str
        The ``ORDER BY`` tail that breaks ties in row order (after ``score DESC``).
    quote : callable
        Quotes a column name in the engine's dialect.
    """

    def __init__(
        self, source: str, request: ScoreRequest, order: str, quote: Callable[[str], str]
    ) -> None:
        self.source = source
        self.request = request
        self.keys = [quote(n) for n in request.sensitive]
        self.y_true = quote(request.y_true)
        self.order = order

    def statistics(self, execute: Callable[[str], pd.DataFrame], what: str) -> ScoreStatistics:
        """Run the three queries with ``execute`` (SQL to a pandas frame) and fold the results.

        Parameters
        ----------
        execute : callable
            Runs one query on the engine and returns its (small) result.
        what : str
            How the messages name the log.

        Returns
        -------
        ScoreStatistics
        """
        req = self.request
        summary = execute(self.range(req.threshold)).iloc[0]
        scale, selected = _check_range(summary, req.y_score, what)
        k = top_k_size(req.top_k, selected)
        hist_rows = execute(self.histogram(scale, req.bins))
        rank_rows = execute(self.ranking(k))
        return _fold(hist_rows, rank_rows, req, scale, k)

    def range(self, threshold: float) -> str:
        """Rows, missing and non-finite scores, the range and the rows at or above threshold."""
        finite = f"({SCORE} - {SCORE}) = 0"  # false for NaN and infinities, in both engines
        return f"""
            SELECT count(*) AS n, count({SCORE}) AS present,
                   sum(CASE WHEN {finite} THEN 1 ELSE 0 END) AS finite,
                   min({SCORE}) AS low, max({SCORE}) AS high,
                   sum(CASE WHEN {SCORE} >= {_double(threshold)} THEN 1 ELSE 0 END) AS selected
            FROM {self.source}
        """

    def histogram(self, scale: ScoreScale, bins: int) -> str:
        """Rows and score sums per (sensitive columns, outcome, score bin)."""
        keys = ", ".join([*self.keys, self.y_true])
        unit = f"(({SCORE} - {_double(scale.low)}) / {_double(scale.span)})" if scale.raw else SCORE
        return f"""
            SELECT {keys}, LEAST(CAST(floor({UNIT} * {bins}) AS BIGINT), {bins - 1}) AS {BIN},
                   count(*) AS {ROWS}, sum({UNIT}) AS {SUM}
            FROM (SELECT {keys}, {unit} AS {UNIT} FROM {self.source}) scored
            GROUP BY {keys}, LEAST(CAST(floor({UNIT} * {bins}) AS BIGINT), {bins - 1})
        """

    def ranking(self, k: int) -> str:
        """Pool size, top-k members and exposure per group of the ranking by score."""
        keys = ", ".join(self.keys)
        return f"""
            SELECT {keys}, count(*) AS {ROWS},
                   sum(CASE WHEN {RANK} <= {int(k)} THEN 1 ELSE 0 END) AS {TOP},
                   sum(1 / log2(CAST({RANK} AS DOUBLE) + 1)) AS {EXPOSURE}
            FROM (
                SELECT {keys}, row_number() OVER (ORDER BY {SCORE} DESC, {self.order}) AS {RANK}
                FROM {self.source}
            ) ranked
            GROUP BY {keys}
        """


def _check_range(summary: pd.Series, y_score: str, what: str) -> tuple[ScoreScale, int]:
    """Refuse an empty log or missing / non-finite scores; the scale and the rows selected."""
    n = int(summary["n"])
    if n == 0:
        raise EmptyDataError(f"{what}: no rows; an audit needs decisions to count.")
    present = int(summary["present"])
    refuse_bad_values({("y_score", y_score): (n - present, present - int(summary["finite"] or 0))})
    return score_scale(summary["low"], summary["high"]), int(summary["selected"] or 0)


def _fold(
    hist_rows: pd.DataFrame, rank_rows: pd.DataFrame, req: ScoreRequest, scale: ScoreScale, k: int
) -> ScoreStatistics:
    """The grouped rows of the histogram and ranking queries as the in-memory arrays."""
    names, missing, missing_label = list(req.sensitive), req.missing, req.missing_label
    bins = req.bins
    code, levels = combined_codes(names, [hist_rows[c] for c in names], missing, missing_label)
    t = binary_labels(hist_rows[req.y_true].reset_index(drop=True), "y_true", req.pos_label)
    scores = score_counts_from_codes(
        tuple(names),
        levels,
        code,
        t.astype(np.int64),
        hist_rows[BIN].to_numpy(np.int64),
        hist_rows[SUM].to_numpy(np.float64),
        bins=bins,
        weights=hist_rows[ROWS].to_numpy(np.float64),
    )
    r_code, r_levels = combined_codes(names, [rank_rows[c] for c in names], missing, missing_label)
    if r_levels != levels:
        raise ValueError("the ranking's groups differ from the histograms' groups")
    ranking = ranking_counts_from_codes(
        tuple(names),
        levels,
        r_code,
        rank_rows[TOP].to_numpy(np.float64),
        rank_rows[EXPOSURE].to_numpy(np.float64),
        k=k,
        weights=rank_rows[ROWS].to_numpy(np.float64),
    )
    return ScoreStatistics(scores, ranking, scale, int(rank_rows[ROWS].sum()))


def score_statistics_from_file(
    path: str | Path, request: ScoreRequest, *, threads: int | None = None
) -> ScoreStatistics:
    """Score histograms and the top-k ranking of every group of a Parquet log, in DuckDB.

    Parameters
    ----------
    path : str or Path
        A Parquet file (or a glob; ties are then ranked by file name, then row).
    request : ScoreRequest
        The columns and options.
    threads : int, optional
        DuckDB threads (default: DuckDB's own).

    Returns
    -------
    ScoreStatistics
        Equal to the in-memory statistics of the same rows in file order.

    Raises
    ------
    MissingColumnError, EmptyDataError, LabelError, MissingValueError, ValidationError
    """
    import duckdb

    text = str(path)
    if not text.lower().endswith((".parquet", ".pq")):
        raise ValidationError(
            f"path={Path(text).name!r}: the score statistics rank rows in file order, which "
            "DuckDB keeps for Parquet only; convert the log to Parquet."
        )
    con, _ = open_log(path, request.columns(), threads)
    literal = "'" + text.replace("'", "''") + "'"
    if "*" in text:  # several files: ties in file name, then row order
        reader = f"read_parquet({literal}, file_row_number=true, filename='__fairgate_file')"
        order = "__fairgate_file, file_row_number"
    else:  # one file: no file name per row to carry through the sort
        reader, order = f"read_parquet({literal}, file_row_number=true)", "file_row_number"
    queries = ScoreQueries("scored", request, order, quote_sql)
    try:
        con.execute(
            f"CREATE TEMP VIEW scored AS SELECT *, CAST({quote_sql(request.y_score)} AS DOUBLE) "
            f"AS {SCORE} FROM {reader}"
        )
        return queries.statistics(lambda sql: con.execute(sql).fetchdf(), f"path={text!r}")
    except duckdb.ConversionException as exc:
        raise ValidationError(
            f"y_score={request.y_score!r}: expected numeric scores ({exc}); pass a numeric column."
        ) from exc
    finally:
        con.close()
