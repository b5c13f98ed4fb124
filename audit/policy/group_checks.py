"""Policy checks on group reports: metric ratio/difference rules and the group-size check.

A group is left out of a metric's ratio or difference when it has fewer than ``min_group_size``
people or fewer than ``min_group_size`` in that metric's denominator (actual positives for TPR
and FNR, actual negatives for FPR, predicted positives for precision): the report's
``included(metric)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairgate.audit.core.metrics import METRICS, difference, ratio
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

__all__ = ["disparity_result", "group_size_results", "metric_results"]


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


_DENOMINATOR = {
    (0, 3): "actual_positives",
    (1, 2): "actual_negatives",
    (0, 1): "predicted_positives",
    (2, 3): "predicted_negatives",
}


def _denominator(rate: str) -> str:
    metric = METRICS.get(rate)
    if metric is None:
        return "people"
    return _DENOMINATOR.get(tuple(sorted(metric.denominator)), "people")


def _groups(rep: Any, rate: str | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Group labels, their sizes, and which groups a ratio of ``rate`` includes (any kind)."""
    keys = rep.counts.keys()
    include = np.asarray(rep.included(rate), dtype=bool)
    return [group_label(k if len(k) > 1 else k[0]) for k in keys], rep.counts.group_sizes(), include


@dataclass
class _Measure:
    rate: str
    value: float
    labels: list[str]
    values: np.ndarray
    include: np.ndarray


def _measure_rate(rule: MetricRule, rate: str, rep: Any) -> _Measure | None:
    labels, _, include = _groups(rep, rate)
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
    return _Measure(rate, value, labels, values, ok)


def metric_results(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    """A ratio or difference rule on each attribute set it applies to."""
    targets, missing = _targets(rule, ev.reports, policy.intersections)
    out = [_metric_result(rule, key, rep) for key, rep in targets]
    for attrs in missing:
        out.append(
            rule_result(
                rule,
                "warn",
                "metric.not_audited",
                {
                    "attributes": " x ".join(attrs),
                    "audited": [" x ".join(k) for k in ev.reports] or ["none"],
                },
                attributes=attrs,
                threshold=rule.threshold,
            )
        )
    return out


def _left_out(rep: Any, rate: str) -> list[dict[str, Any]]:
    """Notes naming the non-empty groups a ratio of ``rate`` leaves out."""
    labels, sizes, include = _groups(rep, rate)
    names = [labels[i] for i in np.flatnonzero((sizes > 0) & ~include)]
    if not names:
        return []
    params = {
        "rate": rate,
        "groups": names,
        "min_group_size": rep.min_group_size,
        "denominator": _denominator(rate),
    }
    return [{"code": "note.left_out", "params": params}]


def _metric_result(rule: MetricRule, key: tuple[str, ...], rep: Any) -> RuleResult:
    rates = rule_rates(str(rule.metric), rep)
    measured = [m for m in (_measure_rate(rule, r, rep) for r in rates) if m is not None]
    notes = [n for r in rates for n in _left_out(rep, r)]
    threshold = float(rule.threshold or 0.0)
    if not measured:
        params = {
            "attributes": " x ".join(key),
            "min_group_size": rep.min_group_size,
            "denominator": _denominator(rates[0]) if len(rates) == 1 else "people",
            "rates": list(rates),
            "notes": notes,
        }
        return rule_result(
            rule, "warn", "metric.unmeasurable", params, attributes=key, threshold=threshold
        )
    worst = (min if rule.kind == "ratio" else max)(measured, key=lambda m: m.value)
    unmeasured = [r for r in rates if r not in {m.rate for m in measured}]
    return disparity_result(
        rule,
        key,
        worst.rate,
        worst.value,
        worst.labels,
        worst.values,
        worst.include,
        notes,
        unmeasured=unmeasured,
    )


def disparity_result(
    rule: MetricRule,
    key: tuple[str, ...],
    rate: str,
    value: float,
    labels: Sequence[str],
    values: np.ndarray,
    include: np.ndarray,
    notes: list[dict[str, Any]],
    *,
    unmeasured: Sequence[str] = (),
) -> RuleResult:
    """A ``ratio`` / ``difference`` rule judged on the between-groups value of one rate.

    Fails past the threshold, warns within ``warn_margin`` of it. A failing ratio names every
    group under the threshold times the highest group's rate; a difference names the lowest
    and the highest group.

    Parameters
    ----------
    rule : MetricRule
        A ``ratio`` or ``difference`` rule.
    key : tuple of str
        The attribute set judged.
    rate : str
        The per-group metric compared (the worst of a criterion's rates).
    value : float
        Its smallest ratio or largest difference between the included groups.
    labels : sequence of str
        Each group's label.
    values : numpy.ndarray
        Each group's value of ``rate``.
    include : numpy.ndarray of bool
        Groups compared (at least two).
    notes : list of dict
        Notes to keep with the result (groups left out).
    unmeasured : sequence of str, optional
        Rates of the rule's criterion that could not be measured.

    Returns
    -------
    RuleResult
    """
    threshold = float(rule.threshold or 0.0)
    idx = np.flatnonzero(include)
    lo, hi = int(idx[np.argmin(values[idx])]), int(idx[np.argmax(values[idx])])
    if rule.kind == "ratio":
        bad = value < threshold
        near = not bad and value < threshold + rule.warn_margin
        limit = (threshold + (rule.warn_margin if near else 0.0)) * float(values[hi])
        groups = [labels[i] for i in idx if values[i] < limit - 1e-12]
    else:
        bad = value > threshold
        near = not bad and value > threshold - rule.warn_margin
        groups = [labels[lo], labels[hi]]
    lead: list[dict[str, Any]] = []
    if near:
        lead.append({"code": "note.warn_margin", "params": {"margin": rule.warn_margin}})
    if unmeasured:
        lead.append({"code": "note.unmeasured", "params": {"rates": list(unmeasured)}})
    params = {
        "rate": rate,
        "value": value,
        "low_group": labels[lo],
        "low": float(values[lo]),
        "high_group": labels[hi],
        "high": float(values[hi]),
        "threshold": threshold,
        "notes": lead + notes,
    }
    outcome = rule.severity if bad else ("warn" if near else "pass")
    return rule_result(
        rule,
        outcome,
        f"metric.{rule.kind}",
        params,
        attributes=key,
        value=value,
        threshold=threshold,
        groups_involved=groups if (bad or near) else [],
    )


def group_size_results(rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    """Groups too small to judge, per attribute set (by people, and per metric's denominator)."""
    out = []
    for key, rep in ev.reports.items():
        labels, sizes, include = _groups(rep)
        small = [i for i in np.flatnonzero((sizes > 0) & ~include)]
        names = [labels[i] for i in small]
        enough = int(include.sum())
        notes = []
        if small and enough < 2:
            notes.append({"code": "note.too_few_remain", "params": {"count": enough}})
        for rate in [m for m in rep.metrics if m in METRICS]:
            only = [
                labels[i]
                for i in np.flatnonzero(include & ~np.asarray(rep.included(rate), dtype=bool))
            ]
            if only:
                params = {
                    "rate": rate,
                    "groups": only,
                    "min_group_size": rep.min_group_size,
                    "denominator": _denominator(rate),
                }
                notes.append({"code": "note.small_denominator", "params": params})
        if small:
            code = "group_size.small"
            params: dict[str, Any] = {
                "count": len(small),
                "min_group_size": rep.min_group_size,
                "groups": [f"{labels[i]} ({int(sizes[i])})" for i in small],
                "notes": notes,
            }
        else:
            code = "group_size.ok"
            params = {
                "attributes": " x ".join(key),
                "min_group_size": rep.min_group_size,
                "notes": notes,
            }
        out.append(
            rule_result(
                rule,
                rule.severity if small else "pass",
                code,
                params,
                attributes=key,
                value=len(small),
                threshold=rep.min_group_size,
                groups_involved=names,
            )
        )
    return out
