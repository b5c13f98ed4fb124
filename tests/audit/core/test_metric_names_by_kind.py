"""Each kind of model resolves its metric names and aliases through the one vocabulary."""

from __future__ import annotations

import pytest

from fairgate.audit.core import kinds
from fairgate.audit.core.regression_metrics import REGRESSION_METRICS
from fairgate.audit.core.vocabulary import (
    KIND_METRIC_NAMES,
    METRIC_NAMES,
    kind_metric_names,
    resolve_metric_name,
    resolve_rate,
)
from fairgate.errors import ValidationError


@pytest.mark.parametrize(
    ("kind", "metrics"),
    [("binary", METRIC_NAMES), ("regression", KIND_METRIC_NAMES)],
)
def test_every_name_and_alias_of_a_kind_resolves_to_its_canonical_name(kind, metrics):
    for metric in metrics:
        if metric.model_kind != kind:
            continue
        for name in (metric.name, *metric.aliases):
            assert resolve_metric_name(name, kind) == metric.name


def test_regression_metrics_are_the_vocabularys_with_count_first():
    assert kind_metric_names("regression") == REGRESSION_METRICS
    assert REGRESSION_METRICS[0] == "count"
    assert REGRESSION_METRICS[1:] == tuple(
        m.name for m in KIND_METRIC_NAMES if m.model_kind == "regression"
    )


def test_a_name_means_what_its_kind_says():
    # the binary alias of the selection rate is a regression metric of its own
    assert resolve_rate("mean_prediction") == "selection_rate"
    assert resolve_metric_name("mean_prediction", "regression") == "mean_prediction"
    assert resolve_metric_name("rmse", "regression") == "root_mean_squared_error"


@pytest.mark.parametrize(("kind", "name"), [("binary", "mae"), ("regression", "tpr")])
def test_a_name_of_another_kind_is_refused_with_the_known_ones(kind, name):
    with pytest.raises(
        ValidationError, match=rf"metric '{name}' is unknown; use one of the {kind}"
    ):
        resolve_metric_name(name, kind)


def test_the_kinds_door_resolves_regression_aliases():
    from sklego.datasets import load_abalone

    from fairgate.audit.core import group_counts

    df = load_abalone(as_frame=True).head(200)
    counts = group_counts("rings", df["rings"] * 0.9, "sex", data=df, kind="regression")
    assert kinds.resolve(counts, "mae") == "mean_absolute_error"
    with pytest.raises(ValidationError, match="regression model's metrics"):
        kinds.resolve(counts, "tpr")
