"""Loading a policy: clear errors naming the field, files, the built-in policies, binding."""

from __future__ import annotations

import json
from importlib import resources

import pytest
import yaml

from fairgate.audit.policy import (
    builtin_policies,
    default_policy,
    load_policy,
    policy_json_schema,
)
from fairgate.errors import PolicyError
from tests.fixtures.policy import base as _base
from tests.fixtures.policy import rule as _rule

POLICIES = resources.files("fairgate.audit.policy") / "builtin"


# ------------------------------------------------------------------------------ loading errors
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            _base(rules=[_rule(metric="magic", kind="ratio", min=0.8)]),
            ["rules.0.metric", "'magic'", "selection_rate", "equalized_odds", "tpr"],
        ),
        (
            _base(
                rules=[
                    _rule("a", metric="tpr", kind="difference", max=0.1),
                    _rule("b", metric="selection_rate", kind="ratio", min=1.5),
                ]
            ),
            ["rules.1.min: received 1.5", "less than or equal to 1"],
        ),
        (
            {"rules": [{"metric": "tpr", "kind": "ratio", "min": 0.8}]},
            ["name: missing", "rules.0.id"],
        ),
        (_base(rules=[_rule(metric="tpr", kind="ratio")]), ["rules.0.min: missing", "min: 0.8"]),
        (
            _base(rules=[_rule(metric="tpr", kind="difference", min=0.8)]),
            ["rules.0.max", "rules.0.min"],
        ),
        (_base(colour="blue"), ["colour: unknown field", "'blue'", "allowed: name"]),
        (_base(rules=[_rule(kind="ratio", metric="tpr", min=0.8, mni=1)]), ["rules.0.mni"]),
        (_base(rules=[_rule(kind="flip")]), ["rules.0.max: missing", "flip"]),
        (_base(rules=[_rule(kind="group_size", metric="tpr")]), ["rules.0.metric", "takes no"]),
        (_base(rules=[_rule(kind="ratioo")]), ["rules.0.kind", "'difference'"]),
        (_base(rules=[_rule(kind="representation")]), ["reference_shares"]),
        (
            _base(rules=[_rule(kind="group_size"), _rule(kind="prohibited")]),
            ["rules: received", "repeated: r"],
        ),
        (
            _base(breaker=[{"id": "b", "metric": "tpr", "threshold": 0.1, "window": {"sise": 3}}]),
            ["breaker.0.window.sise", "allowed: kind, size"],
        ),
        (_base(explainability={"max_sensitive_share": 2}), ["explainability.max_sensitive_share"]),
    ],
)
def test_malformed_policies_name_the_field(body, expected):
    with pytest.raises(PolicyError) as err:
        load_policy(body)
    for text in expected:
        assert text in err.value.message
    assert "pydantic" not in err.value.message and "Traceback" not in err.value.message


def test_every_problem_is_reported_at_once():
    body = {
        "alpha": 0.9,
        "min_group_size": 0,
        "colour": "blue",
        "rules": [
            _rule("a", metric="magic", kind="ratio", min=0.8),
            _rule("b", metric="tpr", kind="difference", max=-1),
        ],
    }
    with pytest.raises(PolicyError) as err:
        load_policy(body)
    problems = err.value.details["problems"]
    assert len(problems) == 6
    assert err.value.message.startswith("policy: 6 problem(s): ")
    for field in ("name", "alpha", "min_group_size", "colour", "rules.0.metric", "rules.1.max"):
        assert any(p.startswith(f"{field}:") for p in problems), field
    assert err.value.status_code == 422 and err.value.to_dict()["error"] == "policy_error"


def test_files_yaml_json_and_their_errors(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("name: x\nrules: [\n")
    with pytest.raises(PolicyError, match=r"'p.yaml': not valid YAML/JSON at line 3"):
        load_policy(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text("- name: x\n")
    with pytest.raises(PolicyError, match=r"expected a mapping of fields.*received list"):
        load_policy(listing)
    with pytest.raises(PolicyError, match="no such file and not a built-in policy"):
        load_policy(tmp_path / "missing.yaml")
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path)  # a folder
    with pytest.raises(PolicyError, match="expected a mapping"):
        load_policy(["name"])  # type: ignore[arg-type]
    good = tmp_path / "p.json"
    good.write_text(json.dumps(_base(rules=[_rule(kind="ratio", metric="recall", min=0.9)])))
    policy = load_policy(good)
    assert policy.rules[0].metric == "true_positive_rate"  # the alias is resolved
    with pytest.raises(PolicyError, match=r"^bad.yaml: 1 problem\(s\): rules.0.kind"):
        (tmp_path / "bad.yaml").write_text("name: x\nrules:\n  - {id: r, kind: nope}\n")
        load_policy(tmp_path / "bad.yaml")


def test_builtin_policies_load_round_trip_and_match_the_schema():
    import jsonschema

    assert {"default", "city-example"} <= set(builtin_policies())
    schema = policy_json_schema()
    for name in builtin_policies():
        policy = load_policy(name)
        assert policy.name == name
        body = policy.to_dict()
        assert load_policy(body) == policy
        assert json.loads(json.dumps(body)) == body
        # the report reads rule["min"] / rule["max"] with defaults: never a None there
        assert all(v is not None for r in body["rules"] for v in r.values())
        raw = yaml.safe_load((POLICIES / f"{name}.yaml").read_text(encoding="utf-8"))
        jsonschema.validate(raw, schema)
    assert default_policy() == load_policy("default")
    city = load_policy("city-example")
    assert {"sex", "region"} <= set(city.prohibited)
    assert (city.min_group_size, city.alpha, city.proxy_threshold) == (30, 0.05, 0.3)
    rules = {r.id: r for r in city.rules}
    assert (rules["human_review"].min, rules["human_review"].warn_margin) == (0.8, 0.1)
    assert rules["four_fifths"].min == 0.8 and rules["equalized_odds"].max == 0.1
    assert city.explainability is not None and city.breaker and city.drift


def test_service_breaker_policy_loads_with_what_the_breaker_reads():
    from fairgate.registry.monitor.breaker import rule_metrics
    from tests.fixtures.service import POLICY_YAML

    policy = load_policy(yaml.safe_load(POLICY_YAML))
    live_dp, live_tpr = policy.breaker
    assert (live_dp.id, live_dp.metric, live_dp.kind, live_dp.threshold) == (
        "live_dp",
        "selection_rate",
        "difference",
        0.15,
    )
    assert live_dp.attributes == ["sex"] and live_dp.min_samples == 100 and live_dp.alpha == 0.001
    assert (live_dp.window.kind, live_dp.window.size) == ("sliding", 2000)
    assert (live_tpr.window.kind, live_tpr.window.size) == ("tumbling", 5000)
    assert not live_dp.needs_outcome and live_tpr.needs_outcome
    assert rule_metrics(live_tpr.metric) == ("true_positive_rate",)
    (drift,) = policy.drift
    assert (drift.id, drift.attribute, drift.psi_threshold) == ("sex_drift", "sex", 0.25)
    assert (drift.window.kind, drift.window.size, drift.min_samples) == ("sliding", 2000, 100)
    assert policy.bind(["sex", "race"]) == policy  # every rule names its attributes


def test_bind_expands_rules_without_attributes():
    bound = load_policy("city-example").bind(["sex", "race"])
    assert [(r.id, r.attributes) for r in bound.breaker] == [
        ("live_selection_rate.sex", ["sex"]),
        ("live_selection_rate.race", ["race"]),
        ("live_tpr.sex", ["sex"]),
        ("live_tpr.race", ["race"]),
    ]
    assert [(d.id, d.attribute) for d in bound.drift] == [
        ("group_mix_drift.sex", "sex"),
        ("group_mix_drift.race", "race"),
    ]
    dp = load_policy(
        _base(breaker=[{"id": "b", "metric": "demographic_parity_difference", "threshold": 0.1}])
    )
    assert dp.breaker[0].metric == "demographic_parity" and not dp.breaker[0].needs_outcome
