"""The written policy: clear errors naming the field, and verdicts computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from fairgate.audit.counts import group_counts
from fairgate.audit.group_report import group_report
from fairgate.audit.policy import (
    AuditEvidence,
    builtin_policies,
    default_policy,
    evaluate,
    load_policy,
)
from fairgate.errors import PolicyError


def _base(**rules):
    return {"name": "t", **rules}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            _base(rules=[{"id": "r", "metric": "magic", "kind": "ratio", "min": 0.8}]),
            ["rules.0.metric", "equalized_odds"],
        ),
        (
            _base(
                rules=[
                    {"id": "a", "metric": "tpr", "kind": "difference", "max": 0.1},
                    {"id": "b", "metric": "selection_rate", "kind": "ratio", "min": 1.5},
                ]
            ),
            ["rules.1.min"],
        ),
        ({"rules": [{"metric": "tpr", "kind": "ratio", "min": 0.8}]}, ["name", "rules.0.id"]),
        (_base(rules=[{"id": "r", "metric": "tpr", "kind": "ratio"}]), ["rules.0", "min"]),
        (_base(colour="blue"), ["colour", "unknown field"]),
        (_base(alpha=0.9, min_group_size=0), ["alpha", "min_group_size"]),
    ],
)
def test_malformed_policies_name_every_field(body, fields):
    with pytest.raises(PolicyError) as err:
        load_policy(body)
    for field in fields:
        assert field in err.value.message


def test_files_and_builtins(tmp_path):
    assert {"default", "city-example"} <= set(builtin_policies())
    for name in builtin_policies():
        assert load_policy(name).name == name
    bad = tmp_path / "p.yaml"
    bad.write_text("name: x\nrules: [\n")
    with pytest.raises(PolicyError, match="line"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="no such file"):
        load_policy(tmp_path / "missing.yaml")


def test_service_breaker_policy_loads():
    import yaml

    from tests.service.conftest import POLICY_YAML

    policy = load_policy(yaml.safe_load(POLICY_YAML))
    live_dp, live_tpr = policy.breaker
    assert live_dp.window.kind == "sliding" and live_dp.window.size == 2000
    assert not live_dp.needs_outcome and live_tpr.needs_outcome
    assert policy.drift[0].psi_threshold == 0.25
    bound = default_policy().bind(["sex", "race"])
    assert [r.attributes for r in bound.breaker] == [["sex"], ["race"]]


def _report(selected: dict[str, tuple[int, int]], min_group_size=30):
    """Counts where each group has ``n`` people of whom ``k`` are selected (half positives)."""
    y_true, y_pred, group = [], [], []
    for g, (k, n) in selected.items():
        pred = np.r_[np.ones(k), np.zeros(n - k)]
        truth = np.tile([1, 0], n // 2 + 1)[:n]
        y_true += truth.tolist()
        y_pred += pred.tolist()
        group += [g] * n
    counts = group_counts(np.array(y_true), np.array(y_pred), {"g": np.array(group)})
    return {("g",): group_report(counts, attributes="g", min_group_size=min_group_size)}


def test_verdict_matches_hand_computation():
    reports = _report({"A": (50, 100), "B": (30, 100), "C": (2, 4)})
    policy = load_policy(
        {
            "name": "hand",
            "prohibited": ["sex"],
            "max_flip_rate": 0.05,
            "rules": [
                {"id": "four_fifths", "metric": "selection_rate", "kind": "ratio", "min": 0.8},
                {
                    "id": "dp",
                    "metric": "demographic_parity",
                    "kind": "difference",
                    "max": 0.25,
                    "warn_margin": 0.1,
                },
            ],
            "explainability": None,
        }
    )
    evidence = AuditEvidence(
        reports=reports,
        features=["sex", "income"],
        prohibited=[{"feature": "sex", "category": "sex", "prohibited": True, "evidence": "name"}],
        proxies={
            "findings": [
                {"features": ["zip"], "attribute": "race", "score": 0.7, "above_threshold": True}
            ]
        },
        flips=[{"attribute": "sex", "rate": 0.2, "n": 100, "pairs": []}],
    )
    verdict = evaluate(policy, evidence)
    by_id = {r.rule_id: r for r in verdict.rules}
    ff = by_id["four_fifths"]
    assert ff.outcome == "fail" and ff.value == pytest.approx(0.6) and ff.groups_involved == ["B"]
    dp = by_id["dp"]  # 0.2 <= 0.25 but within the 0.1 margin
    assert dp.outcome == "warn" and dp.value == pytest.approx(0.2)
    assert by_id["group_size"].outcome == "warn" and by_id["group_size"].groups_involved == ["C"]
    assert by_id["prohibited_variable"].outcome == "fail"
    assert by_id["proxy"].outcome == "warn" and by_id["proxy"].value == pytest.approx(0.7)
    assert by_id["flip_test"].outcome == "fail" and by_id["flip_test"].value == pytest.approx(0.2)
    assert verdict.outcome == "fail" and {r.rule_id for r in verdict.failing()} == {
        "four_fifths",
        "prohibited_variable",
        "flip_test",
    }
    body = verdict.to_dict()
    assert set(body["rules"][0]) == {
        "rule_id",
        "outcome",
        "attributes",
        "description",
        "value",
        "threshold",
        "groups_involved",
        "why",
    }


def test_unmeasurable_rule_is_a_warning_not_a_pass():
    reports = _report({"A": (10, 40), "B": (2, 10)})
    policy = load_policy(
        {
            "name": "x",
            "rules": [{"id": "ff", "metric": "selection_rate", "kind": "ratio", "min": 0.8}],
            "explainability": None,
        }
    )
    result = next(
        r for r in evaluate(policy, AuditEvidence(reports=reports)).rules if r.rule_id == "ff"
    )
    assert result.outcome == "warn" and result.value is None and "not measurable" in result.why
