"""Bad input gets a FairgateError naming the argument, what was received and what to do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairgate.audit import counts_from_file, group_counts, group_report
from fairgate.errors import (
    EmptyDataError,
    FairgateError,
    LabelError,
    LengthMismatchError,
    MissingColumnError,
    MissingValueError,
    ValidationError,
)

DF = pd.DataFrame({"sex": ["F", "M", "F", "M"], "y_true": [1, 0, 1, 0], "y_pred": [1, 1, 0, 0]})


def test_missing_sensitive_column_is_named():
    with pytest.raises(MissingColumnError, match=r"\['race'\].*not in the data") as err:
        group_counts("y_true", "y_pred", ["sex", "race"], data=DF)
    assert err.value.status_code == 422
    assert isinstance(err.value, FairgateError)


def test_missing_label_column_is_named():
    with pytest.raises(MissingColumnError, match="y_true='outcome'"):
        group_counts("outcome", "y_pred", "sex", data=DF)


def test_length_mismatch_names_every_length():
    with pytest.raises(LengthMismatchError, match=r"y_true=4, y_pred=3"):
        group_counts(DF["y_true"], DF["y_pred"][:3], DF["sex"])


@pytest.mark.parametrize(
    ("values", "match"),
    [([0, 1, 2, 1], "expected binary labels 0/1"), (["a", "b", "c", "a"], "expected two classes")],
)
def test_non_binary_labels(values, match):
    with pytest.raises(LabelError, match=match):
        group_counts(values, DF["y_pred"], DF["sex"])


def test_pos_label_not_among_classes():
    with pytest.raises(LabelError, match="pos_label='yes'"):
        group_counts(["no", "maybe"] * 2, ["no", "maybe"] * 2, DF["sex"], pos_label="yes")


@pytest.mark.parametrize("column", ["y_true", "y_pred"])
def test_nan_in_labels_or_predictions(column):
    bad = DF.astype({column: float}).copy()
    bad.loc[2, column] = np.nan
    with pytest.raises(MissingValueError, match=rf"{column}: 1 missing value.*first at row 2"):
        group_counts("y_true", "y_pred", "sex", data=bad)


def test_empty_frame():
    with pytest.raises(EmptyDataError, match="no rows"):
        group_counts("y_true", "y_pred", "sex", data=DF.iloc[:0])
    with pytest.raises(EmptyDataError):
        group_counts([], [], [])


def test_unknown_metric_lists_the_known_ones():
    counts = group_counts("y_true", "y_pred", "sex", data=DF)
    with pytest.raises(ValidationError, match="metric 'fairness' is unknown; use one of"):
        group_report(counts, metrics=["fairness"])


def test_file_errors(tmp_path):
    with pytest.raises(ValidationError, match="no such file"):
        counts_from_file(tmp_path / "nope.parquet", y_true="y", y_pred="p", sensitive=["s"])
    path = tmp_path / "d.csv"
    DF.to_csv(path, index=False)
    with pytest.raises(MissingColumnError, match="sensitive\\['race'\\]='race'"):
        counts_from_file(path, y_true="y_true", y_pred="y_pred", sensitive=["race"])
    (tmp_path / "d.xlsx").write_bytes(b"not a table")
    with pytest.raises(ValidationError, match="unknown file type"):
        counts_from_file(tmp_path / "d.xlsx", y_true="y", y_pred="p", sensitive=["s"])
