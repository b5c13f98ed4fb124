"""An audit of a scores model on a Parquet file gives the same report detail on every engine.

A regression tree trained on the Toronto arrests predicts the chance of release (probabilities
with many ties: one value per leaf). The audit of the Parquet file on DuckDB (scored in batches,
counted in the engine, a detector sample of only 500 rows) shows the same AUC, calibration,
sweep and ranking as the audit in memory: the figures come from every row, not from the sample.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.tree import DecisionTreeRegressor

from fairgate.audit import run_audit
from tests.audit.core.test_score_engines import assert_detail_close
from tests.audit.core.test_spark_counts import spark  # noqa: F401 (the local Spark session)

pytestmark = pytest.mark.slow


def _audits(tmp_path, engines: tuple[str, ...]) -> dict[str, dict]:
    """The scores detail of the arrests audit (a Parquet file) on each engine."""
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True)
    frame = pd.get_dummies(df[["age", "employed", "citizen", "checks"]], drop_first=True)
    frame = frame.astype(float)
    features = list(frame.columns)
    frame["released"] = (df["released"] == "Yes").astype(int)
    frame["colour"], frame["sex"] = df["colour"].astype(str), df["sex"].astype(str)
    frame.to_parquet(tmp_path / "arrests.parquet", index=False)
    model = DecisionTreeRegressor(max_depth=5, random_state=0)
    model.fit(frame[features], frame["released"])
    spec = {
        "target": "released",
        "sensitive": ["colour", "sex"],
        "features": features,
        "kind": "scores",
        "threshold": 0.8,
        "name": "release-chance",
    }
    return {
        engine: run_audit(
            model,
            tmp_path / "arrests.parquet",
            spec,
            None,
            engine=engine,
            sample_size=500,
            explain_size=20,
        ).kinds
        for engine in engines
    }


def test_duckdb_audit_of_a_parquet_file_equals_the_in_memory_audit(tmp_path):
    details = _audits(tmp_path, ("memory", "duckdb"))
    memory, duck = details["memory"], details["duckdb"]
    assert memory["kind"] == "scores" and memory["raw"] is False
    assert memory["rows"] == 5226 and "sample" not in duck  # every row of the arrests
    assert set(memory["by_attribute"]) == {"colour", "sex"}
    assert memory["by_attribute"]["colour"]["ranking"]  # the top k is audited per group
    assert_detail_close(memory, duck)


def test_spark_audit_of_a_parquet_file_equals_the_in_memory_audit(spark, tmp_path):  # noqa: F811
    details = _audits(tmp_path, ("memory", "spark"))
    assert_detail_close(details["memory"], details["spark"])
