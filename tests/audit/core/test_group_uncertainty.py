"""A group report's intervals, reference group and tests (audit.core.group_uncertainty)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklego.datasets import load_arrests

from fairgate.audit.core import group_counts, group_report
from fairgate.audit.core.group_uncertainty import reference_index
from fairgate.audit.core.uncertainty import wilson_interval
from fairgate.errors import ValidationError


@pytest.fixture(scope="module")
def arrests() -> pd.DataFrame:
    df = load_arrests(as_frame=True)
    out = pd.DataFrame({"colour": df["colour"], "citizen": df["citizen"]})
    out["y_true"] = (df["released"] == "Yes").astype(int)
    out["y_pred"] = (df["checks"] <= 2).astype(int)
    return out


@pytest.fixture(scope="module")
def counts(arrests):
    return group_counts("y_true", "y_pred", ["colour", "citizen"], data=arrests)


def test_an_unknown_interval_method_is_refused_with_the_known_ones(counts):
    with pytest.raises(ValidationError, match="ci='exact': use one of 'analytic', 'wilson'"):
        group_report(counts, ci="exact")


def test_a_regression_report_cannot_be_bootstrapped(arrests):
    reg = group_counts("y_true", arrests["y_pred"] * 0.5, "colour", data=arrests, kind="regression")
    with pytest.raises(ValidationError, match="cell bootstrap resamples counts of rows"):
        group_report(reg, ci="bootstrap")


def test_analytic_intervals_are_wilsons_and_say_so(counts):
    report = group_report(counts, attributes="colour", metrics=["selection_rate"])
    sizes = report.counts.group_sizes()
    selected = report.counts.cells[..., 0] + report.counts.cells[..., 1]  # tp + fp
    low, high = wilson_interval(selected.reshape(-1), sizes, alpha=0.05)
    np.testing.assert_allclose(report.ci_low["selection_rate"], low)
    np.testing.assert_allclose(report.ci_high["selection_rate"], high)
    assert set(report.ci_methods["selection_rate"]) == {"wilson"}


def test_bootstrap_intervals_hold_the_estimate_and_are_labelled(counts):
    report = group_report(counts, attributes="colour", ci="bootstrap", n_boot=200, seed=1)
    rate = report.by_group["true_positive_rate"]
    assert (
        (report.ci_low["true_positive_rate"] <= rate)
        & (rate <= report.ci_high["true_positive_rate"])
    ).all()
    assert set(report.ci_methods["true_positive_rate"]) <= {
        "bootstrap",
        "wilson (bootstrap degenerate)",
    }
    low, high = report.disparity_interval("true_positive_rate")
    assert low <= report.difference()["true_positive_rate"] <= high


def test_the_reference_group_is_the_largest_sufficient_or_the_one_named(counts):
    sub = counts.marginal("colour")
    sizes = sub.group_sizes()
    assert reference_index(sub, np.zeros(len(sizes), bool), None) == int(np.argmax(sizes))
    only_small = sizes < sizes.max()
    assert reference_index(sub, ~only_small, None) == int(np.argmin(sizes))
    assert reference_index(sub, np.zeros(len(sizes), bool), "Black") == sub.keys().index(("Black",))
    with pytest.raises(ValidationError, match="reference='Green' is not a group of"):
        reference_index(sub, np.zeros(len(sizes), bool), "Green")
