"""Absolute rules (``minimum`` / ``maximum``) on every group, and metric values for any kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fairgate.audit.core.kinds import estimate, resolve
from fairgate.audit.core.multiclass import MulticlassCounts
from fairgate.audit.policy.rules import DERIVED_METRICS, MetricRule
from fairgate.audit.policy.schema import Policy
from fairgate.audit.policy.verdict import AuditEvidence, RuleResult, group_label, rule_result
from fairgate.errors import ValidationError

__all__ = ["absolute_results", "bound_result", "report_metric", "rule_rates"]


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
        wanted = [a if isinstance(a, str) else " x ".join(a) for a in rule.attributes or []]
        params = {"attributes": wanted}
        return [rule_result(rule, "warn", "absolute.not_audited", params, threshold=rule.threshold)]
    return [_one(rule, key, rep) for key, rep in targets]


def _one(rule: MetricRule, key: tuple[str, ...], rep: Any) -> RuleResult:
    threshold = float(rule.threshold)
    metric = str(rule.metric)
    where = " x ".join(key)
    values = report_metric(rep, metric)
    if values is None:
        params = {"metric": metric, "kind": rep.counts.kind}
        return rule_result(
            rule, "warn", "absolute.other_kind", params, attributes=key, threshold=threshold
        )
    keys = rep.counts.keys()
    labels = [group_label(k if len(k) > 1 else k[0]) for k in keys]
    sizes = rep.counts.group_sizes()
    judged = np.asarray(rep.included(), dtype=bool)
    defined = judged & ~np.isnan(values)
    nan = np.full(len(values), np.nan)
    low = rep.ci_low[metric].to_numpy() if metric in rep.ci_low else nan
    high = rep.ci_high[metric].to_numpy() if metric in rep.ci_high else nan
    notes = []
    small = [f"{labels[i]} ({int(sizes[i])})" for i in np.flatnonzero((sizes > 0) & ~judged)]
    if small:
        notes.append(
            {
                "code": "note.left_out_small",
                "params": {"groups": small, "min_group_size": rep.min_group_size},
            }
        )
    unmeasured = [labels[i] for i in np.flatnonzero(judged & np.isnan(values))]
    if unmeasured:
        notes.append({"code": "note.undefined", "params": {"metric": metric, "groups": unmeasured}})
    if not defined.any():
        params = {
            "attributes": where,
            "metric": metric,
            "min_group_size": rep.min_group_size,
            "notes": notes,
        }
        return rule_result(
            rule, "warn", "absolute.unmeasurable", params, attributes=key, threshold=threshold
        )

    def describe(i: int) -> str:
        interval = f", interval {low[i]:.3f}-{high[i]:.3f}" if np.isfinite(low[i]) else ""
        return f"{labels[i]} {values[i]:.3f} (n={int(sizes[i])}{interval})"

    described = [describe(i) for i in range(len(values))]
    return bound_result(rule, key, labels, values, defined, described, notes)


def bound_result(
    rule: MetricRule,
    key: tuple[str, ...],
    labels: Sequence[str],
    values: np.ndarray,
    judged: np.ndarray,
    described: Sequence[str],
    notes: list[dict[str, Any]],
) -> RuleResult:
    """A ``minimum`` / ``maximum`` rule judged on the value of every judged group.

    The rule fails naming every group past the threshold, warns naming every group within
    ``warn_margin`` of it, and otherwise passes with the group nearest to it.

    Parameters
    ----------
    rule : MetricRule
        A ``minimum`` or ``maximum`` rule.
    key : tuple of str
        The attribute set judged.
    labels : sequence of str
        Each group's label.
    values : numpy.ndarray
        Each group's value of the rule's metric.
    judged : numpy.ndarray of bool
        Groups large enough and with the value defined (at least one).
    described : sequence of str
        Each group as the verdict names it (label, value, size, interval).
    notes : list of dict
        Notes to keep with the result (groups left out, values undefined).

    Returns
    -------
    RuleResult
    """
    threshold = float(rule.threshold)
    sign = 1.0 if rule.kind == "minimum" else -1.0
    margin = np.where(judged, sign * (values - threshold), np.inf)  # below zero: past it
    bad = margin < 0
    near = ~bad & (margin < rule.warn_margin)
    worst = int(np.argmin(margin))
    if bad.any():
        shown, code, outcome = np.flatnonzero(bad), "absolute.fail", rule.severity
    elif near.any():
        shown, code, outcome = np.flatnonzero(near), "absolute.near", "warn"
    else:
        shown, code, outcome = np.array([worst]), "absolute.pass", "pass"
    params = {
        "metric": str(rule.metric),
        "bound": "at least" if rule.kind == "minimum" else "at most",
        "threshold": threshold,
        "attributes": " x ".join(key),
        "count": len(shown),
        "groups": [described[i] for i in shown],
        "margin": rule.warn_margin,
        "notes": notes,
    }
    return rule_result(
        rule,
        outcome,
        code,
        params,
        attributes=key,
        value=float(values[worst]),
        threshold=threshold,
        groups_involved=[] if outcome == "pass" else [labels[i] for i in shown],
    )
