"""Policy rules on a ranking's top k: each group's place in the top against its share of the pool.

A scores model's audit ranks its rows by score and counts, per group of each sensitive
attribute, the rows in the pool and in the top k and the exposure (see
:func:`fairgate.audit.core.ranking.ranking_table`). The policy judges three of those per-group
metrics with the usual rule kinds:

- ``top_k_rate``: the share of the group's rows that reach the top k;
- ``top_k_share_ratio``: the group's share of the top k over its share of the pool (1: the
  group is represented in the top as in the pool; "at least 0.8 in every group" is the
  four-fifths rule on the top);
- ``exposure_ratio``: the group's share of the exposure over its share of the pool.

``minimum`` / ``maximum`` rules judge every group large enough (``min_group_size`` rows in the
pool) and name each failing group; ``ratio`` / ``difference`` rules compare the smallest and
largest value among those groups. Groups too small are left out and named. The ranking is
counted per single attribute; a rule naming an intersection is a warning saying so. Every
result states the k it was judged at and where k came from (the filing's ``top_k``, or the rows
the threshold selects).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairgate.audit.core.vocabulary import KIND_METRIC_NAMES
from fairgate.audit.policy.absolute_checks import bound_result
from fairgate.audit.policy.group_checks import disparity_result
from fairgate.audit.policy.rules import MetricRule
from fairgate.audit.policy.schema import Policy
from fairgate.audit.policy.verdict import AuditEvidence, RuleResult, rule_result

__all__ = ["RANKING_METRICS", "RankingEvidence", "is_ranking_rule", "ranking_results"]

RANKING_METRICS: tuple[str, ...] = tuple(
    m.name for m in KIND_METRIC_NAMES if m.model_kind == "ranking"
)
"""The per-group metrics of a ranking a rule may name."""


@dataclass(frozen=True)
class RankingEvidence:
    """A scores model's ranking audited at the top k, per single sensitive attribute.

    Attributes
    ----------
    k : int
        Size of the audited top.
    rows : int
        Ranked rows.
    filed : bool
        Whether k is the filing's ``top_k`` (else: the rows the threshold selects).
    by_attribute : mapping of str to sequence of mapping
        Per attribute, one row per non-empty group: ``group``, ``count`` (rows in the pool) and
        the metrics of :data:`RANKING_METRICS` (None where undefined).
    """

    k: int
    rows: int
    filed: bool
    by_attribute: Mapping[str, Sequence[Mapping[str, Any]]]

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any], *, filed: bool) -> RankingEvidence | None:
        """The ranking of an audit's scores detail (``kind_detail``); None for other kinds.

        Parameters
        ----------
        detail : mapping
            The audit's kind detail (``AuditResult.kinds``).
        filed : bool
            Whether the audit's k came from the filing's ``top_k``.

        Returns
        -------
        RankingEvidence or None
        """
        if detail.get("kind") != "scores":
            return None
        by_attribute = {
            str(attr): tuple(dict(row) for row in entry.get("ranking", ()))
            for attr, entry in detail["by_attribute"].items()
        }
        return cls(int(detail["k"]), int(detail["rows"]), bool(filed), by_attribute)


def is_ranking_rule(rule: MetricRule) -> bool:
    """Whether the rule names a ranking metric (and is judged here)."""
    return rule.metric in RANKING_METRICS


def ranking_results(policy: Policy, rule: MetricRule, ev: AuditEvidence) -> list[RuleResult]:
    """A ratio, difference, minimum or maximum rule on a ranking metric, per attribute.

    Parameters
    ----------
    policy : Policy
        Gives ``min_group_size``.
    rule : MetricRule
        Names one of :data:`RANKING_METRICS`.
    ev : AuditEvidence
        Its ``ranking`` (None when the audit ranked no scores: a warning).

    Returns
    -------
    list of RuleResult
    """
    ranking: RankingEvidence | None = getattr(ev, "ranking", None)
    threshold = float(rule.threshold)
    if ranking is None:
        kind = next((rep.counts.kind for rep in ev.reports.values()), "binary")
        params = {"metric": rule.metric, "kind": kind}
        return [rule_result(rule, "warn", "absolute.other_kind", params, threshold=threshold)]
    wanted = list(ranking.by_attribute) if rule.attributes is None else rule.attributes
    out = []
    for item in wanted:
        if isinstance(item, str) and item in ranking.by_attribute:
            out.append(_judge(policy, rule, ranking, item))
            continue
        attrs = [item] if isinstance(item, str) else list(item)
        params = {"attributes": " x ".join(attrs), "audited": list(ranking.by_attribute)}
        out.append(
            rule_result(
                rule, "warn", "metric.not_audited", params, attributes=attrs, threshold=threshold
            )
        )
    return out


def _judge(policy: Policy, rule: MetricRule, ranking: RankingEvidence, attr: str) -> RuleResult:
    metric, threshold = str(rule.metric), float(rule.threshold)
    rows = ranking.by_attribute[attr]
    labels = [str(r["group"]) for r in rows]
    sizes = np.asarray([int(r["count"]) for r in rows], dtype=np.int64)
    values = np.asarray(
        [np.nan if r.get(metric) is None else float(r[metric]) for r in rows], dtype=np.float64
    )
    judged = (sizes >= policy.min_group_size) & np.isfinite(values)
    notes: list[dict[str, Any]] = [
        {
            "code": "note.top_k_filed" if ranking.filed else "note.top_k_threshold",
            "params": {"k": ranking.k, "rows": ranking.rows},
        }
    ]
    too_few = np.flatnonzero(sizes < policy.min_group_size)
    small = [f"{labels[i]} ({int(sizes[i])})" for i in too_few]
    if small:
        params = {"groups": small, "min_group_size": policy.min_group_size}
        notes.append({"code": "note.left_out_small", "params": params})
    fields = {"attributes": (attr,), "threshold": threshold}
    absolute = rule.kind in ("minimum", "maximum")
    if judged.sum() < (1 if absolute else 2):
        code = "absolute.unmeasurable" if absolute else "metric.unmeasurable"
        params = {
            "attributes": attr,
            "metric": metric,
            "rates": [metric],
            "denominator": "people",
            "min_group_size": policy.min_group_size,
            "notes": notes,
        }
        return rule_result(rule, "warn", code, params, **fields)
    if absolute:
        return _absolute(rule, attr, labels, sizes, values, judged, notes)
    return _between(rule, attr, labels, values, judged, notes)


def _absolute(
    rule: MetricRule,
    attr: str,
    labels: list[str],
    sizes: np.ndarray,
    values: np.ndarray,
    judged: np.ndarray,
    notes: list[dict[str, Any]],
) -> RuleResult:
    described = [f"{labels[i]} {values[i]:.3f} (n={int(sizes[i])})" for i in range(len(labels))]
    return bound_result(rule, (attr,), labels, values, judged, described, notes)


def _between(
    rule: MetricRule,
    attr: str,
    labels: list[str],
    values: np.ndarray,
    judged: np.ndarray,
    notes: list[dict[str, Any]],
) -> RuleResult:
    idx = np.flatnonzero(judged)
    lo, hi = float(values[idx].min()), float(values[idx].max())
    value = (lo / hi if hi > 0 else 1.0) if rule.kind == "ratio" else hi - lo
    return disparity_result(rule, (attr,), str(rule.metric), value, labels, values, judged, notes)
