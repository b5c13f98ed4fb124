"""Group counts: input types, missing values, intersections and the DuckDB path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fairgate.audit import CELLS, MISSING_LABEL, counts_from_file, group_counts
from fairgate.errors import MissingValueError


def _frame(n: int = 5000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n).astype(object)
    sex[rng.random(n) < 0.02] = None  # a few missing values
    return pd.DataFrame(
        {
            "sex": sex,
            "region": rng.choice(["north", "south", "east", "west", "centre"], n),
            "age_band": rng.choice(["<25", "25-45", ">45"], n),
            "y_true": rng.integers(0, 2, n),
            "y_pred": rng.integers(0, 2, n),
        }
    )


def _naive(df: pd.DataFrame, attrs: list[str]) -> pd.DataFrame:
    """Row-by-row reference with pandas groupby (missing filled explicitly)."""
    keyed = df.assign(**{a: df[a].fillna(MISSING_LABEL) for a in attrs})
    t, p = keyed["y_true"], keyed["y_pred"]
    keyed = keyed.assign(
        TP=(t == 1) & (p == 1),
        FP=(t == 0) & (p == 1),
        TN=(t == 0) & (p == 0),
        FN=(t == 1) & (p == 0),
    )
    return keyed.groupby(attrs)[list(CELLS)].sum().astype(np.int64)


def test_counts_match_a_row_by_row_groupby_for_every_intersection():
    df = _frame()
    counts = group_counts("y_true", "y_pred", ["sex", "region", "age_band"], data=df)
    assert counts.n == len(df)
    assert counts.cells.shape == (3, 5, 3, 4)
    for subset in counts.intersections():
        ours = counts.marginal(subset).to_frame()
        ours = ours[ours.sum(axis=1) > 0]
        expected = _naive(df, list(subset)).reindex(ours.index)
        assert len(expected) == len(ours)
        np.testing.assert_array_equal(ours.to_numpy(), expected.to_numpy())


def test_missing_sensitive_values_become_an_explicit_group_not_dropped():
    df = _frame()
    counts = group_counts("y_true", "y_pred", "sex", data=df)
    assert counts.levels[0][-1] == MISSING_LABEL
    n_missing = int(df["sex"].isna().sum())
    assert n_missing > 0
    assert counts.cells[-1].sum() == n_missing
    assert counts.n == len(df)
    custom = group_counts("y_true", "y_pred", "sex", data=df, missing_label="not stated")
    assert custom.levels[0][-1] == "not stated"
    with pytest.raises(MissingValueError, match="sex"):
        group_counts("y_true", "y_pred", "sex", data=df, missing="error")


def test_numpy_pandas_pyarrow_and_dict_inputs_agree():
    df = _frame(800).dropna()
    expected = group_counts("y_true", "y_pred", ["sex", "region"], data=df)
    as_series = group_counts(df["y_true"], df["y_pred"], df[["sex", "region"]])
    as_numpy = group_counts(
        df["y_true"].to_numpy(),
        df["y_pred"].to_numpy(),
        {"sex": df["sex"].to_numpy(), "region": df["region"].to_numpy()},
    )
    table = pa.Table.from_pandas(df[["sex", "region"]], preserve_index=False)
    as_arrow = group_counts(
        pa.array(df["y_true"].to_numpy()), pa.array(df["y_pred"].to_numpy()), table
    )
    for other in (as_series, as_numpy, as_arrow):
        assert other == expected


def test_boolean_and_string_labels_with_pos_label():
    df = _frame(500).dropna()
    ref = group_counts("y_true", "y_pred", "region", data=df)
    as_bool = group_counts(df["y_true"] == 1, df["y_pred"] == 1, df["region"])
    as_str = group_counts(
        np.where(df["y_true"] == 1, "released", "held"),
        np.where(df["y_pred"] == 1, "released", "held"),
        df["region"],
        pos_label="released",
    )
    assert np.array_equal(as_bool.cells, ref.cells)
    assert np.array_equal(as_str.cells, ref.cells)


def test_marginal_reorders_attributes():
    df = _frame(1000)
    counts = group_counts("y_true", "y_pred", ["sex", "region", "age_band"], data=df)
    a = counts.marginal(["age_band", "sex"])
    b = counts.marginal(["sex", "age_band"])
    assert a.attributes == ("age_band", "sex")
    np.testing.assert_array_equal(a.cells, np.transpose(b.cells, (1, 0, 2)))


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_duckdb_path_returns_identical_counts(tmp_path, fmt):
    df = _frame(20_000, seed=11)
    attrs = ["sex", "region", "age_band"]
    path = tmp_path / f"decisions.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=4096)
    else:
        df.to_csv(path, index=False)
    in_memory = group_counts("y_true", "y_pred", attrs, data=df)
    from_file = counts_from_file(path, y_true="y_true", y_pred="y_pred", sensitive=attrs)
    assert from_file.attributes == in_memory.attributes
    assert from_file.levels == in_memory.levels
    np.testing.assert_array_equal(from_file.cells, in_memory.cells)


def test_error_bins_of_the_default_edges_equal_a_binary_search_on_and_beside_every_edge():
    from fairgate.audit.core.regression import ERROR_EDGES, error_bins

    edges = np.asarray(ERROR_EDGES)
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            edges,
            np.nextafter(edges, np.inf),
            np.nextafter(edges, -np.inf),
            edges * (1 + 1e-7),
            edges * (1 - 1e-7),
            [0.0, -0.0, 1e300, -1e300, 5e-324, -5e-324, 1e-40, -1e-40, 1e39, -1e39],
            rng.normal(0, 3, 50_000),
            rng.standard_cauchy(50_000),
            rng.normal(0, 1e-4, 5_000),
        ]
    )
    expected = np.searchsorted(edges, values, side="right")
    np.testing.assert_array_equal(error_bins(values, ERROR_EDGES), expected)
    custom = (-1.0, 0.0, 2.5)
    np.testing.assert_array_equal(
        error_bins(values, custom), np.searchsorted(np.asarray(custom), values, side="right")
    )
