"""Verdicts computed by hand: every rule kind, severities, margins, never a silent pass."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fairgate.audit.core.counts import group_counts
from fairgate.audit.core.group_report import group_report
from fairgate.audit.explain import Explanation
from fairgate.audit.policy import (
    AuditEvidence,
    Policy,
    Verdict,
    evaluate,
    load_policy,
)
from fairgate.audit.policy.reasons import HEADLINE_ORDER
from fairgate.detectors import (
    FlipPair,
    FlipResult,
    GroupShare,
    ProhibitedFinding,
    ProxyFinding,
    ProxyReport,
    RepresentationResult,
)
from tests.fixtures.policy import reports as _reports
from tests.fixtures.policy import rule as _rule

HAND = {
    "name": "hand",
    "prohibited": ["sex", "religion"],
    "explainability": {"max_sensitive_share": 0.1},
    "rules": [
        _rule("four_fifths", kind="ratio", metric="selection_rate", min=0.8),
        _rule("dp", kind="difference", metric="demographic_parity", max=0.1),
        _rule("eo", kind="difference", metric="equalized_odds", max=0.1),
        _rule("dp_margin", kind="difference", metric="selection_rate", max=0.25, warn_margin=0.1),
        _rule("ratio_margin", kind="ratio", metric="selection_rate", min=0.55, warn_margin=0.1),
        _rule("ratio_pass", kind="ratio", metric="selection_rate", min=0.5, severity="warn"),
        _rule("small", kind="group_size"),
        _rule("no_prohibited", kind="prohibited"),
        _rule("proxy", kind="proxy", severity="fail"),
        _rule("flips", kind="flip", max=0.05),
    ],
}


def _explanation(**fields):
    features = tuple(fields["global_importance"])
    return Explanation(
        features=features,
        values=np.zeros((1, len(features))),
        base_value=0.0,
        group_importance={},
        seed=0,
        **fields,
    )


def _hand_evidence(**overrides):
    # A: 50 of 100 selected; B: 30 of 100; C: 0 of 4 (too small: left out, or the ratio would be 0)
    fields = {
        "reports": _reports({"A": (50, 100), "B": (30, 100), "C": (0, 4)}),
        "features": ["sex", "income", "zip", "school"],
        "prohibited": [
            ProhibitedFinding("sex", "sex", "name", prohibited=True, how="name"),
            ProhibitedFinding(  # not an input: ignored
                "religion", "religion", "name", prohibited=True, how="name"
            ),
        ],
        "proxies": ProxyReport(
            findings=(
                ProxyFinding(("zip",), "race", 0.7, "cramers_v", above_threshold=True),
                ProxyFinding(("school", "income"), "sex", 0.45, "tree", above_threshold=True),
                ProxyFinding(("income",), "sex", 0.1, "cramers_v", above_threshold=False),
            ),
            threshold=0.3,
            sample_size=1000,
            seed=0,
        ),
        "flips": [
            FlipResult(
                "sex",
                pairs=(
                    FlipPair("F", "M", n=50, flips=15, rate=0.3, ci_low=None, ci_high=None),
                    FlipPair("M", "F", n=50, flips=5, rate=0.1, ci_low=None, ci_high=None),
                    FlipPair("M", "X", n=2, flips=2, rate=1.0, ci_low=None, ci_high=None),
                ),
                rate=0.2,
                n=100,
            )
        ],
        "explanation": _explanation(
            method="TreeExplainer",
            n_explained=500,
            global_importance={"income": 0.5, "sex": 0.2, "zip": 0.2, "school": 0.1},
            sensitive_share={"sex": 0.2},
        ),
    }
    fields.update(overrides)
    return AuditEvidence(**fields)


def test_verdict_matches_hand_computation():
    verdict = evaluate(load_policy(HAND), _hand_evidence())
    by_id = {r.rule_id: r for r in verdict.rules}
    assert list(by_id) == [r["id"] for r in HAND["rules"]] + ["explainability"]

    ff = by_id["four_fifths"]  # 0.30 / 0.50; C (rate 0) is left out
    assert (ff.outcome, ff.value, ff.threshold) == ("fail", pytest.approx(0.6), 0.8)
    assert ff.groups_involved == ["B"] and ff.attributes == ["g"]
    assert "0.600" in ff.why and "B 0.300 vs A 0.500" in ff.why
    assert "left out of selection_rate: C" in ff.why
    assert (ff.kind, ff.code, ff.params["low_group"], ff.params["value"]) == (
        "ratio",
        "metric.ratio",
        "B",
        pytest.approx(0.6),
    )
    dp = by_id["dp"]
    assert (dp.outcome, dp.value, dp.groups_involved) == ("fail", pytest.approx(0.2), ["B", "A"])
    eo = by_id["eo"]  # TPR: A 25/50, B 15/50; FPR: A 25/50, B 15/50 -> 0.2
    assert (eo.outcome, eo.value) == ("fail", pytest.approx(0.2))
    margin = by_id["dp_margin"]  # 0.2 <= 0.25 but within 0.1 of it
    assert (margin.outcome, margin.value) == ("warn", pytest.approx(0.2))
    assert "warning margin" in margin.why
    assert by_id["ratio_margin"].outcome == "warn"  # 0.6 >= 0.55 but under 0.65
    assert by_id["ratio_pass"].outcome == "pass" and by_id["ratio_pass"].groups_involved == []

    small = by_id["small"]
    assert (small.outcome, small.value, small.threshold) == ("warn", 1.0, 30.0)
    assert small.groups_involved == ["C"] and "C (4)" in small.why

    prohibited = by_id["no_prohibited"]
    assert prohibited.outcome == "fail" and prohibited.groups_involved == ["sex"]
    assert "sex (sex)" in prohibited.why and prohibited.code == "prohibited.used"

    proxy = by_id["proxy"]  # school + income predict sex (prohibited): fail; zip -> race: warn
    assert (proxy.outcome, proxy.value, proxy.threshold) == ("fail", 0.7, 0.3)
    assert proxy.groups_involved == ["school + income → sex", "zip → race"]

    flips = by_id["flips"]
    # judged on the worst pair with enough rows (M→X has 2 rows: shown, not judged)
    assert (flips.outcome, flips.value, flips.threshold) == ("fail", 0.3, 0.05)
    assert flips.groups_involved == ["F→M", "M→F"]
    assert "30.0% of the decisions of F change when sex is set to M" in flips.why
    assert "pooled over every pair: 20.0%" in flips.why and "M→X" in flips.why

    explained = by_id["explainability"]  # sex 20%, zip (proxy of race) 20%, school+income 60%
    assert explained.outcome == "fail" and explained.value == pytest.approx(0.6)
    assert explained.groups_involved[0] == "school + income (proxy of sex)"
    assert set(explained.groups_involved) == {
        "school + income (proxy of sex)",
        "sex (prohibited: sex)",
        "zip (proxy of race)",
    }

    assert verdict.outcome == "fail" and verdict.policy == "hand"
    assert {r.rule_id for r in verdict.failing()} == {
        "four_fifths",
        "dp",
        "eo",
        "no_prohibited",
        "proxy",
        "flips",
        "explainability",
    }
    body = json.loads(json.dumps(verdict.to_dict()))
    assert set(body) == {"outcome", "policy", "headline", "rules"}
    # the failing kinds, gravest first
    failing_kinds = {r.kind for r in verdict.failing()}
    assert body["headline"] == [k for k in HEADLINE_ORDER if k in failing_kinds]
    assert body["headline"][:3] == ["prohibited", "proxy", "explainability"]
    assert all(
        set(r)
        == {
            "rule_id",
            "outcome",
            "attributes",
            "description",
            "value",
            "threshold",
            "groups_involved",
            "why",
            "kind",
            "code",
            "params",
        }
        for r in body["rules"]
    )
    frame = verdict.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(verdict.rules)
    assert list(frame.columns)[:2] == ["rule_id", "outcome"]


def test_built_in_checks_and_severities():
    policy = load_policy({"name": "minimal", "prohibited": ["sex"], "explainability": None})
    evidence = _hand_evidence(proxies=None, flips=[], explanation=None)
    by_id = {r.rule_id: r for r in evaluate(policy, evidence).rules}
    # always: small groups (warn) and prohibited variables (fail); no proxy scan: no proxy check
    assert set(by_id) == {"group_size", "prohibited_variable"}
    assert by_id["group_size"].outcome == "warn"
    assert by_id["prohibited_variable"].outcome == "fail"
    # a proxy scan ran: the built-in proxy check warns, whatever the attribute
    verdict = evaluate(policy, _hand_evidence(flips=[], explanation=None))
    proxy = next(r for r in verdict.rules if r.rule_id == "proxy")
    assert proxy.outcome == "warn" and proxy.value == 0.7


def test_never_a_silent_pass():
    policy = load_policy(
        {
            "name": "x",
            "prohibited": ["ethnicity"],
            "rules": [
                _rule("ff", kind="ratio", metric="selection_rate", min=0.8),
                _rule(
                    "by_race", kind="ratio", metric="selection_rate", min=0.8, attributes=["race"]
                ),
                _rule("proxy", kind="proxy"),
                _rule("flips", kind="flip", max=0.05),
            ],
        }
    )
    # only one group is large enough; the detectors and the explanation did not run
    evidence = AuditEvidence(
        reports=_reports({"A": (10, 40), "B": (2, 10)}), features=["g", "income"]
    )
    by_id = {r.rule_id: r for r in evaluate(policy, evidence).rules}
    ff = by_id["ff"]
    assert ff.outcome == "warn" and ff.value is None and "not measurable" in ff.why
    assert "left out of selection_rate: B" in ff.why
    assert by_id["by_race"].outcome == "warn" and "race was not audited" in by_id["by_race"].why
    assert by_id["proxy"].outcome == "warn" and "did not run" in by_id["proxy"].why
    assert by_id["flips"].outcome == "warn" and by_id["flips"].attributes == ["g"]
    assert by_id["prohibited_variable"].outcome == "warn"  # only checked by column name
    explained = by_id["explainability"]
    assert explained.outcome == "fail" and explained.value is None


def test_attributes_intersections_and_representation():
    a = np.repeat(["A", "B"], 200)
    h = np.tile(["x", "y"], 200)
    y_pred = np.r_[np.ones(120), np.zeros(80), np.ones(60), np.zeros(140)]
    counts = group_counts(np.ones(400), y_pred, {"g": a, "h": h})
    reports = {
        k: group_report(counts, attributes=k, min_group_size=30) for k in counts.intersections()
    }
    rules = [
        _rule("all", kind="ratio", metric="selection_rate", min=0.8),
        _rule("only_h", kind="ratio", metric="selection_rate", min=0.8, attributes=["h"]),
        _rule("pair", kind="difference", metric="tpr", max=0.1, attributes=["h x g"]),
        _rule("shares", kind="representation", attributes=["g"]),
    ]
    policy = load_policy(
        {
            "name": "x",
            "rules": rules,
            "explainability": None,
            "reference_shares": {"g": {"A": 0.5, "B": 0.5}},
        }
    )
    representation = [
        RepresentationResult(
            attribute="g",
            groups=(GroupShare("A", 120, 0.6, 0.5, residual=2.8, flagged=True),),
            statistic=8.0,
            p_value=0.001,
            alpha=0.05,
        )
    ]
    verdict = evaluate(policy, AuditEvidence(reports=reports, representation=representation))
    attrs = [(r.rule_id, tuple(r.attributes)) for r in verdict.rules if r.rule_id != "group_size"]
    assert attrs[:5] == [
        ("all", ("g",)),
        ("all", ("h",)),
        ("all", ("g", "h")),
        ("only_h", ("h",)),
        ("pair", ("g", "h")),
    ]
    all_g = next(r for r in verdict.rules if r.rule_id == "all" and r.attributes == ["g"])
    assert all_g.value == pytest.approx(0.5) and all_g.outcome == "fail"  # 0.3 / 0.6
    shares = next(r for r in verdict.rules if r.rule_id == "shares")
    assert (shares.outcome, shares.groups_involved) == ("warn", ["A"])
    assert "60.0% vs 50.0%" in shares.why
    no_intersections = policy.model_copy(update={"intersections": False})
    keys = {
        tuple(r.attributes)
        for r in evaluate(no_intersections, AuditEvidence(reports)).rules
        if r.rule_id == "all"
    }
    assert keys == {("g",), ("h",)}


def test_a_clean_model_passes():
    policy = load_policy(
        {
            "name": "x",
            "rules": [_rule("ff", kind="ratio", metric="selection_rate", min=0.8)],
            "explainability": None,
        }
    )
    verdict = evaluate(policy, AuditEvidence(reports=_reports({"A": (50, 100), "B": (45, 100)})))
    assert verdict.outcome == "pass" and not verdict.failing()
    assert verdict.rules[0].description == "selection_rate ratio between groups of at least 0.8"
    assert isinstance(verdict, Verdict) and isinstance(policy, Policy)
