"""The per-class parity metrics share one set of options and reduce to the binary metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklego.datasets import load_penguins

import fairgate.audit.core as C


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    df = load_penguins(as_frame=True).dropna(subset=["species", "island", "sex"])
    rng = np.random.default_rng(3)
    species = df["species"].to_numpy()
    shuffled = np.where(rng.random(len(df)) < 0.3, rng.permutation(species), species)
    return pd.DataFrame(
        {"y_true": species, "y_pred": shuffled, "island": df["island"], "sex": df["sex"]}
    )


@pytest.mark.parametrize("kind", ["difference", "ratio"])
@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
def test_every_option_reaches_both_metrics(penguins, kind, method):
    counts = C.group_counts("y_true", "y_pred", ["island", "sex"], data=penguins, kind="multiclass")
    options = {"kind": kind, "method": method, "attributes": "island", "min_group_size": 50}
    dp = C.demographic_parity_per_class(counts, **options)
    eo = C.equalized_odds_per_class(counts, **options)
    dp_binary = getattr(C, f"demographic_parity_{kind}")
    eo_binary = getattr(C, f"equalized_odds_{kind}")
    for c in counts.classes:
        binary = counts.binary(c).marginal("island")
        sizes = dict(zip(binary.keys(), binary.group_sizes(), strict=True))
        kept = [key for key, n in sizes.items() if n >= 50]
        assert 1 < len(kept) < len(sizes)  # the size option really leaves a group out
        expected_dp = dp_binary(binary, method=method, min_group_size=50)
        expected_eo = eo_binary(binary, method=method, min_group_size=50)
        np.testing.assert_allclose(dp[c], expected_dp, atol=1e-12)
        np.testing.assert_allclose(eo[c], expected_eo, atol=1e-12)


def test_an_unknown_option_is_refused(penguins):
    counts = C.group_counts("y_true", "y_pred", ["island"], data=penguins, kind="multiclass")
    with pytest.raises(TypeError, match="min_size"):
        C.equalized_odds_per_class(counts, min_size=5)
