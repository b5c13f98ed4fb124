"""One metric vocabulary: the policy schema and the breaker accept exactly the same names."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairgate.audit.core import vocabulary as voc
from fairgate.audit.core.metrics import METRICS, resolve_metric
from fairgate.audit.policy import BreakerRule, MetricRule, load_policy
from fairgate.errors import PolicyError, ValidationError
from fairgate.registry.monitor.breaker import evaluate_fairness, rule_metrics
from fairgate.registry.monitor.observations import parse_batch
from fairgate.registry.monitor.windows import Window, batch_cells, combined_groups

_PREDICTED = ({0, 1}, {2, 3})  # (TP, FP) predicted positive, (TN, FN) predicted negative


def _every_name() -> list[str]:
    names = {m.name for m in voc.METRIC_NAMES} | set(voc.ALIASES)
    for c in voc.CRITERIA:
        names |= {c.name, *(c.name + s for s in voc.AGGREGATE_SUFFIXES)}
    junk = {"fairness", "count_difference", "selection_rate_ratio", "", "equalized_odds_max"}
    return sorted(names | junk)


def _breaker_accepts(name: str) -> bool:
    try:
        rule_metrics(name)
    except ValidationError:
        return False
    return True


def _policy_accepts(name: str, kind: str) -> bool:
    body = {"id": "r", "metric": name, "threshold": 0.1}
    try:
        load_policy({"name": "p", "breaker": [{**body, "kind": kind}]})
    except PolicyError:
        return False
    return True


@pytest.mark.parametrize("name", _every_name())
def test_breaker_and_policy_accept_the_same_metric_names(name):
    breaker = _breaker_accepts(name)
    assert _policy_accepts(name, "difference") is breaker
    assert _policy_accepts(name, "ratio") is breaker
    audit_rule = {"id": "r", "kind": "difference", "metric": name, "max": 0.1}
    try:
        MetricRule(**audit_rule)
        audit = True
    except ValueError:
        audit = False
    assert audit is breaker
    if breaker:
        policy_rule = BreakerRule(id="r", metric=name, threshold=0.1)
        assert rule_metrics(policy_rule.metric) == rule_metrics(name)


@given(st.text(max_size=30))
def test_any_text_is_accepted_by_both_or_neither(name):
    assert _breaker_accepts(name) is _policy_accepts(name, "difference")


def test_predictive_parity_is_a_breaker_rule_and_a_policy_rule():
    policy = load_policy(
        {
            "name": "p",
            "rules": [{"id": "pp", "kind": "ratio", "metric": "predictive_parity", "min": 0.8}],
            "breaker": [{"id": "live_pp", "metric": "predictive_parity", "threshold": 0.1}],
        }
    )
    assert policy.rules[0].metric == policy.breaker[0].metric == "predictive_parity"
    assert policy.breaker[0].needs_outcome
    assert rule_metrics("predictive_parity") == ("precision",)


def test_every_rate_in_the_vocabulary_is_implemented_and_no_other():
    comparable = {m.name for m in voc.METRIC_NAMES if m.comparable}
    assert comparable == set(METRICS)
    for alias, name in voc.ALIASES.items():
        assert resolve_metric(alias) == name
    for criterion in voc.CRITERIA:
        assert set(criterion.rates) <= set(METRICS)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_needs_outcome_follows_the_cells_a_rate_reads(name):
    metric = METRICS[name]
    outcome_free = all(
        any(set(part) == set().union(*chosen) for chosen in _subsets())
        for part in (metric.numerator, metric.denominator)
    )
    assert voc.needs_outcome(name) is not outcome_free


def _subsets() -> list[list[set[int]]]:
    return [[], [_PREDICTED[0]], [_PREDICTED[1]], list(_PREDICTED)]


def test_unknown_names_are_refused_naming_the_allowed_ones():
    with pytest.raises(PolicyError, match="predictive_parity"):
        load_policy({"name": "p", "breaker": [{"id": "b", "metric": "parity", "threshold": 0.1}]})
    with pytest.raises(ValidationError, match="use one of"):
        rule_metrics("count")


def test_breaker_trips_on_a_predictive_parity_breach():
    rng = np.random.default_rng(1)
    n = 6000
    sex = rng.choice(["F", "M"], n)
    pred = rng.integers(0, 2, n)
    # among positive decisions, F's are right 40% of the time, M's 80%
    right = rng.random(n) < np.where(sex == "F", 0.4, 0.8)
    outcome = np.where(pred == 1, right.astype(int), rng.integers(0, 2, n))
    body = {
        "model": "m",
        "version": "1",
        "prediction": pred.tolist(),
        "outcome": outcome.tolist(),
        "sensitive": {"sex": sex.tolist()},
    }
    batch = parse_batch(json.dumps(body).encode())
    window = Window("sliding", 10_000)
    local, keys = combined_groups(batch, ["sex"])
    window.add(local, keys, batch_cells(batch), 1)
    rule = BreakerRule(id="live_pp", metric="predictive_parity", threshold=0.1, min_samples=100)
    ev = evaluate_fairness(rule, window, window.counts)
    assert ev.status == "trip"
    assert ev.evidence["metric"] == "precision"
    assert ev.statistic == pytest.approx(0.4, abs=0.05)
