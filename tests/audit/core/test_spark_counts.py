"""Spark: the counts of a Spark DataFrame and of a Parquet log read by Spark equal the others.

A local Spark session (``local[2]``, Java from the machine) counts real decision logs: the
Toronto arrests (binary, colour x sex) and the penguins (sex with missing values, island).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairgate.audit import counts_from, counts_from_file, counts_from_spark, group_counts
from fairgate.errors import MissingColumnError, ValidationError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark():
    import shutil

    pytest.importorskip("pyspark", reason="install fairgate[spark] to test the Spark engine")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime; install openjdk-17-jre-headless (.ci/run does)")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("fairgate-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _arrests() -> pd.DataFrame:
    from sklearn.linear_model import LogisticRegression
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True)
    y = (df["released"] == "Yes").astype(int)
    X = pd.get_dummies(df[["age", "employed", "citizen", "checks"]], dtype=float)
    model = LogisticRegression(max_iter=500).fit(X, y)
    return pd.DataFrame(
        {
            "colour": df["colour"].astype(str),
            "sex": df["sex"].astype(str),
            "y_true": y.to_numpy(),
            "y_pred": model.predict(X).astype(int),
        }
    )


def _penguins() -> pd.DataFrame:
    from sklego.datasets import load_penguins

    df = load_penguins(as_frame=True)
    heavy = df["body_mass_g"].fillna(df["body_mass_g"].median())
    flipper = df["flipper_length_mm"].fillna(df["flipper_length_mm"].median())
    return pd.DataFrame(
        {
            "island": df["island"].astype(str),
            "sex": df["sex"].astype(object).where(df["sex"].notna(), None),
            "y_true": (df["species"] == "Adelie").astype(int).to_numpy(),
            "y_pred": (flipper < 195).astype(int).to_numpy() & (heavy < 4500).to_numpy(),
        }
    )


def _same(a, b) -> None:
    assert a.attributes == b.attributes
    assert a.levels == b.levels
    np.testing.assert_array_equal(a.cells, b.cells)


@pytest.mark.parametrize(
    ("load", "attrs"), [(_arrests, ["colour", "sex"]), (_penguins, ["sex", "island"])]
)
def test_spark_counts_equal_in_memory_and_duckdb(spark, tmp_path, load, attrs):
    frame = load()
    path = tmp_path / "decisions.parquet"
    frame.to_parquet(path, index=False)
    in_memory = group_counts("y_true", "y_pred", attrs, data=frame)
    assert in_memory.n == len(frame)
    from_duckdb = counts_from_file(path, y_true="y_true", y_pred="y_pred", sensitive=attrs)
    from_frame = counts_from_spark(
        spark.createDataFrame(frame), y_true="y_true", y_pred="y_pred", sensitive=attrs
    )
    from_parquet = counts_from_spark(
        str(path), y_true="y_true", y_pred="y_pred", sensitive=attrs, spark=spark
    )
    for other in (from_duckdb, from_frame, from_parquet):
        _same(other, in_memory)


def test_missing_sensitive_values_are_a_group_in_spark_too(spark):
    frame = _penguins()
    counts = counts_from_spark(
        spark.createDataFrame(frame), y_true="y_true", y_pred="y_pred", sensitive="sex"
    )
    assert counts.levels[0][-1] == "(missing)"
    assert counts.cells[-1].sum() == frame["sex"].isna().sum() > 0


def test_the_engine_is_chosen_by_the_form_of_the_data(spark, tmp_path):
    frame = _arrests()
    path = tmp_path / "log.parquet"
    frame.to_parquet(path, index=False)
    keys = {"y_true": "y_true", "y_pred": "y_pred", "sensitive": ["colour", "sex"]}
    expected = group_counts("y_true", "y_pred", ["colour", "sex"], data=frame)
    _same(counts_from(frame, **keys), expected)  # memory
    _same(counts_from(path, **keys), expected)  # DuckDB
    _same(counts_from(spark.createDataFrame(frame), **keys), expected)  # Spark
    _same(counts_from(str(path), engine="spark", **keys), expected)
    with pytest.raises(ValidationError, match="engine='duckdb' cannot read"):
        counts_from(frame, engine="duckdb", **keys)


def test_a_missing_column_is_named(spark):
    frame = spark.createDataFrame(_arrests())
    with pytest.raises(MissingColumnError, match="'race'"):
        counts_from_spark(frame, y_true="y_true", y_pred="y_pred", sensitive=["race"])


def test_an_audit_counts_with_spark_as_in_memory(spark, tmp_path):
    from fairgate.audit.pipeline.run import run_audit
    from tests.fixtures.audit import make_case

    model, data, spec = make_case(tmp_path, n=2000)
    in_memory = run_audit(model, data, spec, seed=0, engine="memory")
    with_spark = run_audit(model, data, spec, seed=0, engine="spark")
    assert with_spark.reports == in_memory.reports
    assert with_spark.verdict == in_memory.verdict
    with pytest.raises(ValidationError, match="Parquet decision log"):
        run_audit(model, pd.read_parquet(data), spec, engine="spark")


def test_scores_and_multiclass_counts_in_spark_equal_in_memory_and_duckdb(spark, tmp_path):
    from sklego.datasets import load_penguins

    df = load_penguins(as_frame=True).dropna(subset=["sex", "flipper_length_mm"])
    frame = pd.DataFrame(
        {
            "island": df["island"].astype(str).to_numpy(),
            "sex": df["sex"].astype(str).to_numpy(),
            "species": df["species"].astype(str).to_numpy(),
            "guess": np.where(
                df["flipper_length_mm"] < 195,
                "Adelie",
                np.where(df["bill_depth_mm"] > 16, "Chinstrap", "Gentoo"),
            ),
            "adelie": (df["species"] == "Adelie").astype(int).to_numpy(),
            "score": (230 - df["flipper_length_mm"]).to_numpy() / 60,
        }
    )
    path = tmp_path / "penguins.parquet"
    frame.to_parquet(path, index=False)
    cases = [
        {"y_true": "adelie", "y_pred": "score", "kind": "scores", "threshold": 0.5},
        {"y_true": "species", "y_pred": "guess", "kind": "multiclass"},
        {"y_true": "species", "y_pred": "guess", "kind": "multiclass", "favourable": "Gentoo"},
    ]
    for case in cases:
        attrs = ["island", "sex"]
        in_memory = group_counts(
            frame[case["y_true"]],
            frame[case["y_pred"]],
            frame[attrs],
            **{k: v for k, v in case.items() if k not in ("y_true", "y_pred")},
        )
        for other in (
            counts_from_file(path, sensitive=attrs, **case),
            counts_from_spark(spark.createDataFrame(frame), sensitive=attrs, **case),
        ):
            assert other == in_memory, case
    with pytest.raises(ValidationError, match="regression"):
        counts_from_spark(
            spark.createDataFrame(frame),
            y_true="score",
            y_pred="score",
            sensitive="sex",
            kind="regression",
        )
