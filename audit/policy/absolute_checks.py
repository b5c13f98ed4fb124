"""Absolute rules (``minimum`` / ``maximum``) on every group, and metric values for any kind."""

from __future__ import annotations

from typing import Any

import numpy as np

from fairgate.audit.core.kinds import estimate, resolve
from fairgate.audit.core.multiclass import MulticlassCounts
from fairgate.audit.policy.rules import DERIVED_METRICS, MetricRule
from fairgate.audit.policy.schema import Policy
from fairgate.audit.policy.verdict import AuditEvidence, RuleResult, group_label, rule_result
from fairgate.errors import ValidationError

__all__ = ["absolute_results", "report_metric", "rule_rates"]


def rule_rates(metric: str, rep: Any) -> tuple[str, ...]:
    """The per-group metrics a rule's metric stands for in this report's kind.

    A named criterion (``equalized_odds``) stands for its rates; in a multiclass report each rate
    stands for that rate of every class (``true_positive_rate[Adelie]``, ...).
    """
    rates = DERIVED_METRICS.get(metric, (metric,))
    counts = rep.counts
    if isinstance(counts, MulticlassCounts) and metric in DERIVED_METRICS:
        return tuple(f"{r}[{c}]" for r in rates for c in counts.classes)
    return rates


def report_metric(rep: Any, metric: str) -> np.ndarray | None:
    """Values of ``metric`` for every group of the report (flat); None if not of this kind."""
    counts = rep.counts
    try:
        name = resolve(counts, metric)
    except ValidationError:
        return None
    if name == "count":
        return counts.group_sizes().astype(np.float64)
    return np.asarray(estimate(counts, name, counts.flat_arrays()).values, dtype=np.float64)


def _targets(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> list[tuple[tuple, Any]]:
    if rule.attributes is None:
        return [(k, r) for k, r in ev.reports.items() if policy.intersections or len(k) == 1]
    wanted = [{a} if isinstance(a, str) else set(a) for a in rule.attributes]
    return [(k, r) for k, r in ev.reports.items() if set(k) in wanted]


def absolute_results(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    """A ``minimum`` / ``maximum`` rule on every group of each attribute set it applies to.

    Groups under the policy's ``min_group_size`` are left out (and named); a group whose metric
    is undefined is named as not measured. The rule fails when any judged group is past the
    threshold, naming each such group with its value, interval and size.
    """
    targets = _targets(policy, rule, ev)
    if not targets:
        return [
            rule_result(
                rule,
                "warn",
                f"not measured: none of {rule.attributes} was audited",
                threshold=rule.threshold,
            )
        ]
    return [_one(rule, key, rep) for key, rep in targets]


def _one(rule: MetricRule, key: tuple[str, ...], rep: Any) -> RuleResult:
    threshold = float(rule.threshold)
    metric = str(rule.metric)
    values = report_metric(rep, metric)
    if values is None:
        return rule_result(
            rule,
            "warn",
            f"not measured: {metric} is not a metric of a {rep.counts.kind} audit",
            attributes=key,
            threshold=threshold,
        )
    keys = rep.counts.keys()
    labels = [group_label(k if len(k) > 1 else k[0]) for k in keys]
    sizes = rep.counts.group_sizes()
    judged = (sizes > 0) & ~np.asarray(rep.insufficient.to_numpy(), dtype=bool)
    defined = judged & ~np.isnan(values)
    low = rep.ci_low[metric].to_numpy() if metric in rep.ci_low else np.full(len(values), np.nan)
    high = rep.ci_high[metric].to_numpy() if metric in rep.ci_high else low
    sign = 1.0 if rule.kind == "minimum" else -1.0
    margin = sign * (values - threshold)  # negative: past the threshold
    bad = defined & (margin < 0)
    near = defined & ~bad & (margin < rule.warn_margin)
    small = [f"{labels[i]} ({int(sizes[i])})" for i in np.flatnonzero((sizes > 0) & ~judged)]
    unmeasured = [labels[i] for i in np.flatnonzero(judged & np.isnan(values))]
    word = "at least" if rule.kind == "minimum" else "at most"
    if not defined.any():
        return rule_result(
            rule,
            "warn",
            f"not measurable on {' x '.join(key)}: no group has at least {rep.min_group_size} "
            f"people and a defined {metric}",
            attributes=key,
            threshold=threshold,
        )
    worst = int(np.flatnonzero(defined)[np.argmin(margin[defined])])

    def describe(i: int) -> str:
        interval = f", 95% interval {low[i]:.3f}-{high[i]:.3f}" if np.isfinite(low[i]) else ""
        return f"{labels[i]} {values[i]:.3f} (n={int(sizes[i])}{interval})"

    if bad.any():
        failing = np.flatnonzero(bad)
        why = (
            f"{metric} must be {word} {threshold:g} in every group of {' x '.join(key)}; "
            f"{len(failing)} group(s) are not: " + "; ".join(describe(i) for i in failing)
        )
        outcome, involved = rule.severity, [labels[i] for i in failing]
    elif near.any():
        close = np.flatnonzero(near)
        why = (
            f"{metric} is {word} {threshold:g} in every group of {' x '.join(key)}, but within "
            f"the warning margin of {rule.warn_margin:g}: " + "; ".join(describe(i) for i in close)
        )
        outcome, involved = "warn", [labels[i] for i in close]
    else:
        why = (
            f"{metric} is {word} {threshold:g} in every group of {' x '.join(key)} "
            f"(closest: {describe(worst)})"
        )
        outcome, involved = "pass", []
    if small:
        why += f"; left out: {', '.join(small)} (under {rep.min_group_size} people)"
    if unmeasured:
        why += f"; {metric} undefined for {', '.join(unmeasured)}"
    return rule_result(
        rule,
        outcome,
        why,
        attributes=key,
        value=float(values[worst]),
        threshold=threshold,
        groups_involved=involved,
    )
