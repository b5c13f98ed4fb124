"""Policy checks on group reports: metric ratio/difference rules and the group-size check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairgate.audit.core.metrics import difference, ratio
from fairgate.audit.policy.absolute_checks import report_metric, rule_rates
from fairgate.audit.policy.rules import MetricRule
from fairgate.audit.policy.schema import Policy
from fairgate.audit.policy.verdict import (
    AuditEvidence,
    RuleResult,
    finite,
    group_label,
    rule_result,
)

__all__ = ["group_size_results", "metric_results"]


def _targets(
    rule: MetricRule, reports: Mapping[tuple[str, ...], Any], intersections: bool
) -> tuple[list[tuple[tuple[str, ...], Any]], list[list[str]]]:
    if rule.attributes is None:
        return [(k, r) for k, r in reports.items() if intersections or len(k) == 1], []
    out, missing = [], []
    for item in rule.attributes:
        want = {item} if isinstance(item, str) else set(item)
        match = [k for k in reports if set(k) == want]
        if match:
            out.append((match[0], reports[match[0]]))
        else:
            missing.append([item] if isinstance(item, str) else list(item))
    return out, missing


def _groups(rep: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Group labels, their sizes, and which groups the report includes (any kind)."""
    keys = rep.counts.keys()
    sizes = rep.counts.group_sizes()
    include = (sizes > 0) & ~np.asarray(rep.insufficient.to_numpy(), dtype=bool)
    return [group_label(k if len(k) > 1 else k[0]) for k in keys], sizes, include


@dataclass
class _Measure:
    rate: str
    value: float
    low: tuple[str, float]
    high: tuple[str, float]
    labels: list[str]
    values: np.ndarray
    include: np.ndarray


def _measure_rate(rule: MetricRule, rate: str, rep: Any) -> _Measure | None:
    labels, _, include = _groups(rep)
    values = report_metric(rep, rate)
    if values is None:
        return None
    ok = include & ~np.isnan(values)
    if ok.sum() < 2:
        return None
    fn = ratio if rule.kind == "ratio" else difference
    value = finite(fn(values, None, method="between_groups", include=ok))
    if value is None:
        return None
    idx = np.flatnonzero(ok)
    lo = int(idx[np.argmin(values[idx])])
    hi = int(idx[np.argmax(values[idx])])
    return _Measure(
        rate,
        value,
        (labels[lo], float(values[lo])),
        (labels[hi], float(values[hi])),
        labels,
        values,
        ok,
    )


def metric_results(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    """A ratio or difference rule on each attribute set it applies to."""
    targets, missing = _targets(rule, ev.reports, policy.intersections)
    out = [_metric_result(rule, key, rep) for key, rep in targets]
    for attrs in missing:
        out.append(
            rule_result(
                rule,
                "warn",
                f"not measured: {' x '.join(attrs)} was not audited (the audit's attribute "
                f"sets are {', '.join(' x '.join(k) for k in ev.reports) or 'none'})",
                attributes=attrs,
                threshold=rule.threshold,
            )
        )
    return out


def _metric_result(rule: MetricRule, key: tuple[str, ...], rep: Any) -> RuleResult:
    rates = rule_rates(str(rule.metric), rep)
    measured = [m for m in (_measure_rate(rule, r, rep) for r in rates) if m is not None]
    labels, sizes, include = _groups(rep)
    left_out = [labels[i] for i in np.flatnonzero((sizes > 0) & ~include)]
    note = (
        f"; left out: {', '.join(left_out)} (under {rep.min_group_size} people)" if left_out else ""
    )
    threshold = float(rule.threshold or 0.0)
    if not measured:
        return rule_result(
            rule,
            "warn",
            f"not measurable on {' x '.join(key)}: fewer than two groups have at least "
            f"{rep.min_group_size} people and a defined {' and '.join(rates)}{note}",
            attributes=key,
            threshold=threshold,
        )
    worst = (min if rule.kind == "ratio" else max)(measured, key=lambda m: m.value)
    value = worst.value
    (lo_name, lo), (hi_name, hi) = worst.low, worst.high
    if rule.kind == "ratio":
        bad = value < threshold
        near = not bad and value < threshold + rule.warn_margin
        limit = threshold + (rule.warn_margin if near else 0.0)
        groups = [
            worst.labels[i]
            for i in np.flatnonzero(worst.include)
            if worst.values[i] < limit * hi - 1e-12
        ]
        why = (
            f"smallest {worst.rate} ratio between groups is {value:.3f} ({lo_name} {lo:.3f} vs "
            f"{hi_name} {hi:.3f}); minimum {threshold:g}"
        )
    else:
        bad = value > threshold
        near = not bad and value > threshold - rule.warn_margin
        groups = [lo_name, hi_name]
        why = (
            f"largest {worst.rate} difference between groups is {value:.3f} ({hi_name} "
            f"{hi:.3f} vs {lo_name} {lo:.3f}); maximum {threshold:g}"
        )
    if near:
        why += f", within the warning margin of {rule.warn_margin:g}"
    unmeasured = [r for r in rates if r not in {m.rate for m in measured}]
    if unmeasured:
        why += f"; {' and '.join(unmeasured)} could not be measured"
    outcome = rule.severity if bad else ("warn" if near else "pass")
    return rule_result(
        rule,
        outcome,
        why + note,
        attributes=key,
        value=value,
        threshold=threshold,
        groups_involved=groups if (bad or near) else [],
    )


def group_size_results(rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    """Groups too small to judge, per attribute set."""
    out = []
    for key, rep in ev.reports.items():
        labels, sizes, include = _groups(rep)
        small = [i for i in np.flatnonzero((sizes > 0) & ~include)]
        names = [labels[i] for i in small]
        enough = int(include.sum())
        if small:
            why = (
                f"{len(small)} group(s) have fewer than {rep.min_group_size} people and are left "
                f"out of ratios and differences: "
                + ", ".join(f"{labels[i]} ({int(sizes[i])})" for i in small)
            )
            if enough < 2:
                why += f"; only {enough} group(s) remain, so disparities cannot be measured"
        else:
            why = f"every group of {' x '.join(key)} has at least {rep.min_group_size} people"
        out.append(
            rule_result(
                rule,
                rule.severity if small else "pass",
                why,
                attributes=key,
                value=len(small),
                threshold=rep.min_group_size,
                groups_involved=names,
            )
        )
    return out
