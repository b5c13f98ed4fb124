"""Absolute policy rules (minimum / maximum in every group) for every kind, with real models."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

from fairgate.audit import core as C
from fairgate.audit.policy import AuditEvidence, evaluate, load_policy
from fairgate.errors import PolicyError
from fairgate.registry.store.filing import parse_filing

MODES = np.array(["walk", "bike", "bus", "car"])


def travel_demand(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """Trips in five districts; in Harbourside the recorded features say little about the mode."""
    rng = np.random.default_rng(seed)
    district = rng.choice(
        ["Old Town", "Riverside", "Hillcrest", "Northgate", "Harbourside"], size=n
    )
    mode = rng.integers(0, 4, size=n)
    distance = mode * 3.0 + rng.normal(0, 1.0, size=n)
    stops = mode + rng.normal(0, 0.6, size=n)
    noisy = district == "Harbourside"
    distance[noisy] = rng.normal(4.5, 4.0, size=noisy.sum())
    stops[noisy] = rng.normal(1.5, 1.5, size=noisy.sum())
    return pd.DataFrame(
        {"district": district, "distance": distance, "stops": stops, "mode": MODES[mode]}
    )


def _evidence(counts, attrs):
    reports = {a: C.group_report(counts, attributes=a, min_group_size=30) for a in attrs}
    return AuditEvidence(reports=reports)


def test_per_district_accuracy_floor_fails_for_the_one_district_below_it_named():
    df = travel_demand()
    train, test = train_test_split(df, test_size=0.5, random_state=0)
    model = RandomForestClassifier(n_estimators=30, max_depth=6, random_state=0)
    model.fit(train[["distance", "stops"]], train["mode"])
    pred = model.predict(test[["distance", "stops"]])
    counts = C.group_counts(test["mode"], pred, test[["district"]], kind="multiclass")
    examples = resources.files("fairgate.registry") / "examples"
    policy = load_policy(Path(str(examples / "traffic-policy.yaml")))
    filing = parse_filing(Path(str(examples / "traffic-filing.yaml")))
    assert filing.target.classes == sorted(MODES.tolist())
    verdict = evaluate(policy, _evidence(counts, [("district",)]))
    by_id = {r.rule_id: r for r in verdict.rules}
    floor = by_id["accuracy_floor"]
    assert floor.outcome == "fail" and verdict.outcome == "fail"
    assert floor.groups_involved == ["Harbourside"]
    assert "Harbourside" in floor.why and "at least 0.6" in floor.why
    assert floor.value < 0.6 and floor.threshold == 0.6
    accuracy = C.group_report(counts).by_group["accuracy"]
    assert (accuracy.drop("Harbourside") > 0.6).all()
    assert by_id["bus_recall"].outcome == "pass"
    assert by_id["mode_parity"].outcome in ("pass", "fail")  # on per-class selection rates
    assert "selection_rate[" in by_id["mode_parity"].why


def test_regression_mae_ceiling_and_gap_on_abalone():
    from sklego.datasets import load_abalone

    df = load_abalone(as_frame=True)
    features = [c for c in df.columns if c not in ("sex", "rings")]
    train, test = train_test_split(df, test_size=0.5, random_state=0)
    model = LinearRegression().fit(train[features], train["rings"])
    pred = model.predict(test[features])
    counts = C.group_counts(test["rings"], pred, test[["sex"]], kind="regression")
    mae = C.group_report(counts).by_group["mean_absolute_error"]
    ceiling = float((mae.max() + mae.min()) / 2)  # between the best and the worst group
    policy = load_policy(
        {
            "name": "abalone",
            "rules": [
                {"id": "mae", "kind": "maximum", "metric": "mae", "max": ceiling},
                {"id": "gap", "kind": "difference", "metric": "mean_absolute_error", "max": 5},
                {"id": "floor", "kind": "minimum", "metric": "r2", "min": -10},
                {"id": "binary_only", "kind": "minimum", "metric": "accuracy", "min": 0.5},
            ],
        }
    )
    by_id = {r.rule_id: r for r in evaluate(policy, _evidence(counts, [("sex",)])).rules}
    assert by_id["mae"].outcome == "fail"
    assert by_id["mae"].groups_involved == [str(g) for g in mae.index[mae > ceiling]]
    assert by_id["gap"].outcome == "pass"
    assert by_id["floor"].outcome == "pass"
    assert by_id["binary_only"].outcome == "warn"
    assert "not a metric of a regression audit" in by_id["binary_only"].why


def test_small_groups_are_left_out_of_absolute_rules_and_named():
    truth = np.array(["a"] * 200 + ["b"] * 200 + ["a"] * 10)
    pred = np.array(["a"] * 200 + ["b"] * 200 + ["b"] * 10)
    district = np.array(["x"] * 200 + ["y"] * 200 + ["z"] * 10)
    counts = C.group_counts(truth, pred, {"district": district}, kind="multiclass")
    policy = load_policy(
        {"name": "p", "rules": [{"id": "f", "kind": "minimum", "metric": "accuracy", "min": 0.6}]}
    )
    result = evaluate(policy, _evidence(counts, [("district",)])).rules[0]
    assert result.outcome == "pass"
    assert "left out: z (10)" in result.why


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "minimum", "metric": "accuracy"}, "needs 'min'"),
        ({"kind": "minimum", "metric": "demographic_parity", "min": 0.5}, "compares groups"),
        ({"kind": "maximum", "metric": "mae", "min": 1}, "does not use 'min'"),
        ({"kind": "ratio", "metric": "mae", "min": 1.5}, "less than or equal to 1"),
    ],
)
def test_malformed_absolute_rules_are_refused_naming_the_field(rule, message):
    with pytest.raises(PolicyError, match=message):
        load_policy({"name": "p", "rules": [{"id": "r", **rule}]})
