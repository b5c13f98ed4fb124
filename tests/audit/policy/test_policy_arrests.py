"""The policy and the explanation end to end on the Toronto arrests data."""

from __future__ import annotations

import pytest

from fairgate.audit.core.counts import group_counts
from fairgate.audit.core.group_report import group_report
from fairgate.audit.policy import (
    AuditEvidence,
    evaluate,
    load_policy,
)


# --------------------------------------------------------------------- end to end on real data
def test_policy_and_explain_on_the_toronto_arrests_data():
    from fairgate.audit.core import demographic_parity_ratio
    from fairgate.audit.explain import explain
    from fairgate.demo.data import FEATURES, SENSITIVE, TARGET, arrests_model, load_arrests_frame
    from fairgate.detectors import find_prohibited, flip_test, scan_proxies

    data = load_arrests_frame(0)
    model = arrests_model(data.train, 0)
    audit = data.audit
    X = audit[FEATURES]
    policy = load_policy("city-example")
    counts = group_counts(audit[TARGET], model.predict(X), audit[SENSITIVE])
    reports = {
        k: group_report(counts, attributes=k, min_group_size=policy.min_group_size)
        for k in counts.intersections()
    }
    others = [c for c in FEATURES if c not in SENSITIVE]
    proxies = scan_proxies(audit[others], audit[SENSITIVE], threshold=0.3, sample_size=1000)
    explanation = explain(model, X, sensitive=audit[SENSITIVE], seed=0, sample_size=80)
    evidence = AuditEvidence(
        reports=reports,
        features=FEATURES,
        prohibited=find_prohibited(X, prohibited=policy.prohibited),
        proxies=proxies,
        flips=[flip_test(model, X, a, sample_size=300) for a in SENSITIVE],
        explanation=explanation,
    )
    verdict = evaluate(policy, evidence)
    by_rule: dict[str, list] = {}
    for r in verdict.rules:
        by_rule.setdefault(r.rule_id, []).append(r)
    # every metric rule on colour, sex and colour x sex
    assert [tuple(r.attributes) for r in by_rule["four_fifths"]] == list(reports)
    colour = by_rule["four_fifths"][0]
    assert colour.value == pytest.approx(
        demographic_parity_ratio(counts, attributes="colour", min_group_size=30)
    )
    (prohibited,) = by_rule["prohibited_variable"]  # colour (ethnicity) and sex are inputs
    assert prohibited.outcome == "fail" and prohibited.groups_involved == ["colour", "sex"]
    assert {r.attributes[0] for r in by_rule["flip_test"]} == {"colour", "sex"}
    (explained,) = by_rule["explainability"]
    assert explained.value == pytest.approx(max(explanation.sensitive_share.values()))
    assert verdict.outcome == "fail"
    # the same model without colour and sex among its inputs: no prohibited variable
    unaware = AuditEvidence(reports=reports, features=others, prohibited=[], proxies=proxies)
    result = {r.rule_id: r for r in evaluate(policy, unaware).rules}
    assert result["prohibited_variable"].outcome == "pass"
