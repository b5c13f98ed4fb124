"""The scores kind's statistics over all rows: DuckDB and Spark equal the in-memory path.

Hypothesis draws logs with empty and one-row groups (a group of one attribute that never meets a
level of the other), missing sensitive values, probabilities and raw scores, and many ties, so
the k-th score is usually shared by rows of several groups (the tie rule, row order, decides who
is in the top). Each log is written to Parquet and counted by DuckDB; the arrays and the whole
report detail (AUC and its bound, ECE, reliability, sweep, ranking rows) must equal the
in-memory path's to 1e-9. A few examples run on a local Spark session (slow).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairgate.audit.core.engine import score_statistics_from
from fairgate.audit.core.score_file import score_statistics_from_file
from fairgate.audit.core.score_statistics import ScoreRequest, score_statistics
from fairgate.audit.pipeline.kind_detail import score_detail
from fairgate.errors import MissingColumnError, MissingValueError, ValidationError
from tests.audit.core.test_spark_counts import spark  # noqa: F401 (the local Spark session)

PROBABILITIES = [0.0, 0.05, 0.25, 0.5, 0.5000001, 0.75, 0.999, 1.0]
RAW = [-7.5, -1.0, 0.0, 0.3, 2.0, 2.0000000001, 11.0]


@st.composite
def logs(draw) -> tuple[pd.DataFrame, float, int | None]:
    """A scored log, a threshold and a top size (None: the rows the threshold selects)."""
    n = draw(st.integers(1, 40))
    pool = draw(st.sampled_from([PROBABILITIES, RAW]))
    scores = draw(
        st.lists(
            st.one_of(st.sampled_from(pool), st.floats(min(pool), max(pool), width=64)),
            min_size=n,
            max_size=n,
        )
    )
    g = draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n))
    h = draw(st.lists(st.sampled_from(["x", "y"]), min_size=n, max_size=n))
    if n > 1 and draw(st.booleans()):  # a one-row group
        g[draw(st.integers(0, n - 1))] = "lonely"
    frame = pd.DataFrame(
        {
            "g": pd.Series(g, dtype=object),
            "h": h,
            "y": draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
            "s": np.asarray(scores, dtype=np.float64) + 0.0,  # no negative zero
        }
    )
    threshold = draw(st.sampled_from(pool))
    top_k = draw(st.one_of(st.none(), st.integers(1, n + 2)))
    return frame, threshold, top_k


def assert_detail_close(a, b, where: str = "detail") -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_detail_close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_detail_close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and not (isinstance(b, float) and math.isnan(a) and math.isnan(b)):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-9), where
    else:
        assert a == b, where


def _same_statistics(memory, other) -> None:
    assert other.scale == memory.scale and other.rows == memory.rows
    assert other.scores.attributes == memory.scores.attributes
    assert other.scores.levels == memory.scores.levels
    np.testing.assert_array_equal(other.scores.hist, memory.scores.hist)
    np.testing.assert_allclose(other.scores.score_sum, memory.scores.score_sum, atol=1e-9)
    assert other.ranking.k == memory.ranking.k and other.ranking.levels == memory.ranking.levels
    np.testing.assert_allclose(other.ranking.stats, memory.ranking.stats, rtol=1e-9, atol=1e-9)
    assert_detail_close(
        score_detail(memory, threshold=0.5),
        score_detail(other, threshold=0.5),
    )


def _keys(threshold: float, top_k: int | None) -> dict:
    return {
        "y_true": "y",
        "y_score": "s",
        "sensitive": ["g", "h"],
        "threshold": threshold,
        "top_k": top_k,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs())
def test_duckdb_statistics_and_detail_equal_the_in_memory_path(case):
    frame, threshold, top_k = case
    memory = score_statistics("y", "s", ["g", "h"], data=frame, threshold=threshold, top_k=top_k)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scored.parquet"
        frame.to_parquet(path, index=False, row_group_size=7)  # several row groups
        duck = score_statistics_from_file(path, ScoreRequest(**_keys(threshold, top_k)))
    _same_statistics(memory, duck)


def test_ties_at_the_kth_score_are_ranked_in_row_order_on_every_engine(tmp_path):
    # six rows share the k-th score; row order decides which two of them are in the top 3
    frame = pd.DataFrame(
        {
            "g": ["b", "a", "a", "b", "b", "b", "b"],
            "h": ["x"] * 7,
            "y": [1, 0, 1, 0, 1, 0, 1],
            "s": [0.9, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4],
        }
    )
    frame.to_parquet(tmp_path / "log.parquet", index=False)
    keys = _keys(0.5, 3)
    memory = score_statistics_from(frame, engine="memory", **keys)
    duck = score_statistics_from(tmp_path / "log.parquet", engine="duckdb", **keys)
    _same_statistics(memory, duck)
    by_g = duck.ranking.marginal("g")
    assert by_g.levels[0] == ("a", "b")
    np.testing.assert_array_equal(by_g.stats[:, 1], [2, 1])  # rows 0 (b), 1 (a), 2 (a)


def test_a_glob_of_parquet_files_ranks_ties_by_file_name_then_row(tmp_path):
    frame = pd.DataFrame(
        {
            "g": ["b", "a", "a", "b", "b", "a"],
            "h": ["x", "y", "x", "y", "x", "y"],
            "y": [1, 0, 1, 0, 1, 1],
            "s": [3.0, -1.0, 3.0, 3.0, 0.5, 3.0],
        }
    )
    frame.iloc[3:].to_parquet(tmp_path / "part-1.parquet", index=False)  # written first
    frame.iloc[:3].to_parquet(tmp_path / "part-0.parquet", index=False)
    keys = _keys(0.0, 2)
    memory = score_statistics_from(frame, engine="memory", **keys)
    duck = score_statistics_from(str(tmp_path / "part-*.parquet"), engine="duckdb", **keys)
    _same_statistics(memory, duck)
    assert memory.scale.raw and memory.ranking.k == 2


def test_sensitive_columns_named_like_the_query_columns_do_not_clash(tmp_path):
    rng = np.random.default_rng(1)
    n = 300
    frame = pd.DataFrame(
        {
            "n": rng.choice(["a", "b"], n),
            "bin": rng.choice([1, 2, 3], n),
            "y": rng.integers(0, 2, n),
            "s": rng.normal(size=n).round(1),
        }
    )
    frame.to_parquet(tmp_path / "log.parquet", index=False)
    keys = {**_keys(0.0, None), "sensitive": ["n", "bin"]}
    memory = score_statistics_from(frame, engine="memory", **keys)
    _same_statistics(memory, score_statistics_from(tmp_path / "log.parquet", **keys))


def test_file_refusals_name_the_problem(tmp_path):
    path = tmp_path / "log.parquet"
    pd.DataFrame({"g": ["a", "b"], "h": ["x", "y"], "y": [1, 0], "s": [0.2, None]}).to_parquet(
        path, index=False
    )
    with pytest.raises(MissingValueError, match="y_score='s': 1 missing"):
        score_statistics_from_file(path, ScoreRequest(**_keys(0.5, None)))
    with pytest.raises(MissingColumnError, match="y_score='score'"):
        score_statistics_from_file(path, ScoreRequest(**{**_keys(0.5, None), "y_score": "score"}))
    pd.DataFrame({"g": ["a"], "h": ["x"], "y": [1], "s": [np.inf]}).to_parquet(path, index=False)
    with pytest.raises(ValidationError, match="1 infinite or NaN"):
        score_statistics_from_file(path, ScoreRequest(**_keys(0.5, None)))
    pd.DataFrame({"g": ["a"], "h": ["x"], "y": [1], "s": ["high"]}).to_parquet(path, index=False)
    with pytest.raises(ValidationError, match="expected numeric scores"):
        score_statistics_from_file(path, ScoreRequest(**_keys(0.5, None)))
    with pytest.raises(ValidationError, match="k=0"):
        score_statistics_from(
            pd.DataFrame({"g": ["a"], "h": ["x"], "y": [1], "s": [0.5]}), **_keys(0.5, 0)
        )
    frame = pd.DataFrame({"g": ["a"], "h": ["x"], "y": [1], "s": [0.5]})
    frame.to_csv(tmp_path / "log.csv", index=False)
    with pytest.raises(ValidationError, match="convert the log to Parquet"):
        score_statistics_from_file(tmp_path / "log.csv", ScoreRequest(**_keys(0.5, None)))


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(logs())
def test_spark_statistics_and_detail_equal_the_in_memory_path(spark, case):  # noqa: F811
    frame, threshold, top_k = case
    memory = score_statistics("y", "s", ["g", "h"], data=frame, threshold=threshold, top_k=top_k)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scored.parquet"
        frame.to_parquet(path, index=False)
        on_spark = score_statistics_from(path, engine="spark", **_keys(threshold, top_k))
    _same_statistics(memory, on_spark)
