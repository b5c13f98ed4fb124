"""Judge an audit's evidence against the written policy: one RuleResult per check, a Verdict.

:func:`evaluate` gives one :class:`RuleResult` per rule and attribute set — pass, warn or fail —
with the measured value, the threshold, the groups involved and a plain-English sentence saying
why, and a :class:`Verdict` whose outcome is the worst of them. Groups under the policy's
``min_group_size`` are left out of ratios and differences (as :class:`GroupReport` decides) and
listed by the ``group_size`` check; a rule that cannot be measured (fewer than two groups large
enough, or its evidence missing) is a warning with the reason, never a silent pass.

Checks that run whatever the rules say: ``group_size`` (warn) and ``prohibited_variable``
(fail), and ``proxy`` (warn, at the policy's ``proxy_threshold``) when a proxy scan ran. A rule of
the same kind in the policy replaces the built-in check (its id, threshold and severity apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fairgate.audit.core.levels import highest
from fairgate.audit.policy.absolute_checks import absolute_results
from fairgate.audit.policy.detector_checks import (
    explain_result,
    flip_results,
    prohibited_result,
    proxy_result,
    representation_results,
)
from fairgate.audit.policy.group_checks import group_size_results, metric_results
from fairgate.audit.policy.load import load_policy
from fairgate.audit.policy.ranking_checks import is_ranking_rule, ranking_results
from fairgate.audit.policy.rules import MetricRule
from fairgate.audit.policy.schema import Policy
from fairgate.audit.policy.verdict import AuditEvidence, Outcome, RuleResult, Verdict

__all__ = ["evaluate"]


def _builtin(kind: str, rule_id: str, severity: str) -> MetricRule:
    return MetricRule(id=rule_id, kind=kind, severity=severity)  # type: ignore[arg-type]


def evaluate(policy: Policy | str | Mapping[str, Any], evidence: AuditEvidence) -> Verdict:
    """Judge an audit's evidence against the policy.

    Parameters
    ----------
    policy : Policy, str or mapping
        A :class:`Policy`, or anything :func:`load_policy` reads.
    evidence : AuditEvidence
        Group reports, the model's inputs, detector findings and the explanation.

    Returns
    -------
    Verdict
        One :class:`RuleResult` per rule and attribute set, in the policy's order, then the
        built-in checks the policy does not replace, then the explainability rule; ``outcome``
        is the worst of them ("pass" when there is none).
    """
    policy = load_policy(policy)
    results: list[RuleResult] = []
    kinds = {r.kind for r in policy.rules}
    rules = list(policy.rules)
    if "group_size" not in kinds:
        rules.append(_builtin("group_size", "group_size", "warn"))
    if "prohibited" not in kinds:
        rules.append(_builtin("prohibited", "prohibited_variable", "fail"))
    if "proxy" not in kinds and evidence.proxies is not None:
        rules.append(_builtin("proxy", "proxy", "warn"))
    for rule in rules:
        if is_ranking_rule(rule):
            results.extend(ranking_results(policy, rule, evidence))
        elif rule.kind in ("ratio", "difference"):
            results.extend(metric_results(policy, rule, evidence))
        elif rule.kind in ("minimum", "maximum"):
            results.extend(absolute_results(policy, rule, evidence))
        elif rule.kind == "group_size":
            results.extend(group_size_results(rule, evidence))
        elif rule.kind == "prohibited":
            results.append(prohibited_result(policy, rule, evidence))
        elif rule.kind == "proxy":
            results.append(proxy_result(policy, rule, evidence))
        elif rule.kind == "flip":
            results.extend(flip_results(policy, rule, evidence))
        else:
            results.extend(representation_results(rule, evidence))
    if policy.explainability is not None:
        results.append(explain_result(policy, policy.explainability, evidence))
    outcome = highest(Outcome, (r.outcome for r in results), default="pass")
    return Verdict(outcome=outcome, rules=tuple(results), policy=policy.name)
