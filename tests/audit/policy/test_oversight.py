"""The oversight section: validation naming the field, and routing on every model kind.

Routing is checked on real models trained here (binary and score: Toronto arrests; multiclass:
penguins; regression: abalone) against an independent numpy reading of each condition.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklego.datasets import load_abalone, load_arrests, load_penguins

from fairgate.audit.policy import Oversight, load_policy
from fairgate.errors import PolicyError, ValidationError
from fairgate.routing import AUTO, HUMAN, Router


def _policy(**oversight):
    return load_policy({"name": "o", "oversight": oversight})


def _problems(oversight) -> list[str]:
    with pytest.raises(PolicyError) as info:
        _policy(**oversight)
    return info.value.details["problems"]


# ------------------------------------------------------------------ validation
def test_a_full_section_round_trips_and_binds_per_sensitive_variable():
    policy = _policy(
        threshold=0.5,
        adverse_decisions=[0],
        route_to_human=[
            {"id": "band", "score_band": 0.1, "adverse": "all"},
            {"id": "sample", "sample_rate": 0.02},
            {"id": "watched", "groups": {"colour": ["Black"]}},
        ],
        min_review_share=0.1,
        max_automated_adverse_share=0.5,
        max_override_rate=0.3,
        max_override_gap=0.1,
    )
    assert load_policy(policy.to_dict()) == policy
    limits = policy.bind(["sex", "colour"]).oversight.bound_limits()
    assert [lim.id for lim in limits][:2] == ["min_review_share.sex", "min_review_share.colour"]
    assert len(limits) == 8
    gap = next(lim for lim in limits if lim.kind == "max_override_gap")
    assert (gap.gap_kind, gap.threshold, gap.min_samples) == ("difference", 0.1, 100)
    # named attributes are kept as one intersection
    named = _policy(max_override_rate=0.3, attributes=["sex", "colour"]).bind(["sex"])
    assert [(lim.id, lim.attributes) for lim in named.oversight.bound_limits()] == [
        ("max_override_rate", ["sex", "colour"])
    ]


@pytest.mark.parametrize(
    ("oversight", "expected"),
    [
        ({"route_to_human": [{"id": "e"}]}, "has no field; give one or more of score_band"),
        ({"route_to_human": [{"id": "b", "score_band": 0.1}]}, "oversight.threshold is missing"),
        (
            {"route_to_human": [{"id": "a", "adverse": "all"}]},
            "does not say which are adverse; give adverse_decisions",
        ),
        ({"max_automated_adverse_share": 0.2}, "needs adverse_decisions"),
        ({"min_review_share": 1.5}, "oversight.min_review_share: received 1.5"),
        ({"route_to_human": [{"id": "s", "sample_rate": 0}]}, "route_to_human.0.sample_rate"),
        ({"route_to_human": [{"id": "g", "groups": {}}]}, "name at least one group"),
        ({"route_to_human": [{"id": "a", "adverse": []}]}, "at least one adverse decision"),
        ({"max_override_gap": {"kind": "gap", "threshold": 0.1}}, "max_override_gap.kind"),
        ({"min_sample": 3}, "oversight.min_sample: unknown field"),
        (
            {"route_to_human": [{"id": "x", "sample_rate": 0.1}, {"id": "x", "sample_rate": 0.2}]},
            "ids must be unique",
        ),
    ],
)
def test_bad_sections_are_refused_naming_the_field(oversight, expected):
    assert any(expected in p for p in _problems(oversight)), _problems(oversight)


def test_the_rules_the_status_answer_carries_route_like_the_policy():
    section = _policy(
        threshold=0.5, adverse_decisions=[0], route_to_human=[{"id": "b", "score_band": 0.1}]
    ).oversight
    assert isinstance(section, Oversight)
    router = Router(section.to_rules(), random.random)
    assert router.route(score=0.55) == HUMAN
    assert router.route(score=0.65) == AUTO
    assert Router(None, random.random).route(score=0.5) == AUTO


def test_a_missing_input_is_an_error_naming_the_argument():
    router = Router(
        {"threshold": 0.5, "route_to_human": [{"id": "b", "score_band": 0.1}]}, random.random
    )
    with pytest.raises(ValidationError, match="'b' needs score; pass score="):
        router.route(decision=1)
    groups = Router({"route_to_human": [{"id": "g", "groups": {"sex": ["F"]}}]}, random.random)
    with pytest.raises(ValidationError, match="needs groups"):
        groups.route(decision=1)
    with pytest.raises(ValidationError, match="score: expected a finite number"):
        router.route(score=float("nan"))


# ------------------------------------------------------------------ every model kind
def _binary():
    data = load_arrests(as_frame=True).sample(1500, random_state=0)
    x = pd_dummies(data[["age", "checks", "employed", "citizen"]])
    y = (data["released"] == "Yes").astype(int).to_numpy()
    model = LogisticRegression(max_iter=500).fit(x, y)
    proba = model.predict_proba(x)
    return proba[:, 1], model.predict(x), proba, data["sex"].astype(str).to_numpy()


def _multiclass():
    data = load_penguins(as_frame=True).dropna()
    x = data[["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(x, data["species"])
    proba = model.predict_proba(x)
    return proba.max(axis=1), model.predict(x), proba, data["island"].astype(str).to_numpy()


def _regression():
    data = load_abalone(as_frame=True)
    x = data.drop(columns=["sex", "rings"])
    pred = LinearRegression().fit(x, data["rings"]).predict(x)
    return pred, pred, None, data["sex"].astype(str).to_numpy()


def pd_dummies(frame):
    import pandas as pd

    return pd.get_dummies(frame, drop_first=True).astype(float)


KINDS = {
    # kind: (outputs, threshold, adverse decisions, adverse_below, watched group)
    "binary": (_binary, 0.5, [0], None, ("sex", "Female")),
    "scores": (_binary, 0.5, [0], None, ("sex", "Female")),
    "multiclass": (_multiclass, None, ["Chinstrap"], None, ("island", "Dream")),
    "regression": (_regression, 9.0, [], 9.5, ("sex", "I")),
}


@pytest.fixture(scope="module")
def outputs():
    return {kind: spec[0]() for kind, spec in KINDS.items()}


def _route_all(kind, outputs, condition, draw=random.random):
    _, threshold, adverse, below, (attr, _level) = KINDS[kind]
    score, decision, proba, group = outputs[kind]
    rules = {
        "threshold": threshold,
        "adverse_decisions": adverse,
        "adverse_below": below,
        "route_to_human": [{"id": "c", **condition}],
    }
    router = Router(rules, draw)
    routes = []
    for i in range(len(score)):
        kwargs = {"groups": {attr: group[i]}}
        if kind != "multiclass":
            kwargs["score"] = float(score[i])
        if kind != "scores":
            kwargs["decision"] = decision[i].item() if hasattr(decision[i], "item") else decision[i]
        if proba is not None and kind == "multiclass":
            kwargs["probabilities"] = proba[i].tolist()
        routes.append(router.route(**kwargs))
    return np.asarray(routes) == HUMAN


@pytest.mark.parametrize("kind", list(KINDS))
def test_route_per_condition_on_every_model_kind(kind, outputs):
    _, threshold, adverse, below, (attr, level) = KINDS[kind]
    score, decision, proba, group = outputs[kind]
    if kind == "scores":
        decision = (score >= threshold).astype(int)
    # adverse: every adverse decision
    expected = np.isin(decision, adverse) if adverse else decision < below
    got = _route_all(kind, outputs, {"adverse": "all"})
    assert got.any() and not got.all()
    assert np.array_equal(got, expected)
    # groups the policy names
    assert np.array_equal(_route_all(kind, outputs, {"groups": {attr: [level]}}), group == level)
    # random audit sample: reproducible when seeded, about the rate
    first = _route_all(kind, outputs, {"sample_rate": 0.2}, random.Random(7).random)
    again = _route_all(kind, outputs, {"sample_rate": 0.2}, random.Random(7).random)
    assert np.array_equal(first, again)
    assert abs(first.mean() - 0.2) < 0.06
    # low confidence
    confidence = proba.max(axis=1) if proba is not None else None
    if kind == "multiclass":
        got = _route_all(kind, outputs, {"low_confidence": 0.9})
        assert np.array_equal(got, confidence < 0.9) and got.any()
    elif kind in ("binary", "scores"):
        got = _route_all(kind, outputs, {"low_confidence": 0.7})
        assert np.array_equal(got, np.maximum(score, 1 - score) < 0.7) and got.any()
    else:  # a regression has no class probabilities: the condition says what to pass
        with pytest.raises(ValidationError, match="not a probability"):
            _route_all(kind, outputs, {"low_confidence": 0.7})
    # score band around the threshold, and only adverse decisions in it
    if threshold is not None:
        band = 0.1 if threshold <= 1 else 1.0
        near = np.abs(score - threshold) <= band
        got = _route_all(kind, outputs, {"score_band": band, "adverse": "all"})
        assert np.array_equal(got, near & expected) and got.any()
