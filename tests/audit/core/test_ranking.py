"""Rankings at the top k: fairgate's one-pass counts equal a plain pandas reference.

The reference ranks rows with ``Series.rank(method="first", ascending=False)`` (ties in row
order), takes the first k, and sums ``1 / log2(1 + rank)`` per group with ``groupby``; for every
attribute and intersection (empty and one-row groups included), ties, k past the end and raw
(negative) scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairgate.audit import core as C
from fairgate.errors import ValidationError

TOL = 1e-9


def _reference(scores, frame, attrs, k):
    df = pd.DataFrame(frame)
    rank = pd.Series(scores).rank(method="first", ascending=False)
    df["top"] = (rank <= k).astype(float)
    df["exposure"] = 1.0 / np.log2(1.0 + rank)
    df["one"] = 1.0
    by = df.groupby(attrs, observed=True)[["one", "top", "exposure"]].sum()
    return by


@st.composite
def _rankings(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(1, 300))
    frame = {}
    for i in range(draw(st.integers(1, 3))):
        levels = draw(st.integers(1, 4))
        frame[f"a{i}"] = rng.choice([f"g{j}" for j in range(levels)], size=n)
    ties = draw(st.booleans())
    scores = rng.integers(-3, 3, n).astype(float) if ties else rng.normal(0, 5, n)
    k = draw(st.integers(1, n + 5))
    return scores, frame, k


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rankings())
def test_top_k_and_exposure_equal_a_pandas_reference_for_every_intersection(case):
    scores, frame, k = case
    counts = C.ranking_counts(scores, frame, k=k)
    attrs = list(frame)
    for order in range(1, len(attrs) + 1):
        for combo in [attrs[:order], attrs[-order:]]:
            table = C.ranking_table(counts.marginal(combo))
            ref = _reference(scores, frame, combo, k)
            for key, row in ref.iterrows():
                got = table.loc[key]
                assert got["count"] == row["one"]
                assert got["top_k"] == row["top"]
                assert got["mean_exposure"] == pytest.approx(row["exposure"] / row["one"], abs=TOL)
                assert got["share_of_pool"] == pytest.approx(row["one"] / len(scores), abs=TOL)
                top_total = ref["top"].sum()
                assert got["share_of_top_k"] == pytest.approx(row["top"] / top_total, abs=TOL)
                share = (row["exposure"] / ref["exposure"].sum()) / (row["one"] / len(scores))
                assert got["exposure_ratio"] == pytest.approx(share, rel=TOL)
            empty = table["count"] == 0  # combinations that never occur
            assert table.loc[empty, "top_k_share_ratio"].isna().all()
            assert int(table["top_k"].sum()) == min(k, len(scores))


def test_a_group_kept_out_of_the_top_has_share_ratio_zero_and_a_significant_test():
    rng = np.random.default_rng(3)
    group = np.array(["a"] * 500 + ["b"] * 500)
    scores = np.where(group == "a", rng.normal(1, 1, 1000), rng.normal(-1, 1, 1000))
    table = C.ranking_table(C.ranking_counts(scores, {"g": group}, k=100))
    assert table.loc["a", "top_k_share_ratio"] > 1.9 and table.loc["b", "top_k_share_ratio"] < 0.1
    assert table.loc["a", "exposure_ratio"] > 1 > table.loc["b", "exposure_ratio"]
    rate = C.top_k_rate(C.ranking_counts(scores, {"g": group}, k=100))
    from fairgate.audit.core.estimates import estimate_p_values

    assert estimate_p_values(rate, reference=0)[1] < 1e-6


@pytest.mark.parametrize("k", [0, -1, 2.5, True, "10"])
def test_k_must_be_a_whole_number_of_at_least_one(k):
    with pytest.raises(ValidationError, match="k="):
        C.ranking_counts([0.1, 0.2], {"g": ["a", "b"]}, k=k)


def test_missing_scores_are_refused_with_the_argument_named():
    with pytest.raises(ValidationError, match="y_score"):
        C.ranking_counts([0.1, None], {"g": ["a", "b"]}, k=1)
