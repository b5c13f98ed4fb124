"""The policy's result types: the evidence it reads, one rule's result, and the Verdict."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the evidence's types; the policy needs no detector at run time
    from fairgate.audit.core.group_report import GroupReport
    from fairgate.audit.explain import Explanation
    from fairgate.audit.policy.ranking_checks import RankingEvidence
    from fairgate.detectors import (
        FlipResult,
        ProhibitedFinding,
        ProxyReport,
        RepresentationResult,
    )

from fairgate.audit.core.records import Record
from fairgate.audit.policy.reasons import HEADLINE_ORDER, reason_text

__all__ = [
    "AuditEvidence",
    "Outcome",
    "RuleResult",
    "Verdict",
    "finite",
    "group_label",
    "rule_result",
]

Outcome = Literal["pass", "warn", "fail"]
"""A rule's or a verdict's outcome, the mildest first."""


# ---------------------------------------------------------------------------------- evidence
@dataclass(frozen=True)
class AuditEvidence:
    """Everything an audit measured, as typed objects: the policy engine reads nothing else.

    Attributes
    ----------
    reports : mapping of tuple of str to GroupReport
        One group report per attribute and intersection.
    features : sequence of str
        The model's input columns.
    prohibited : sequence of ProhibitedFinding
        What :func:`fairgate.detectors.find_prohibited` found.
    proxies : ProxyReport or None
        What :func:`fairgate.detectors.scan_proxies` found; ``None`` when no proxy scan ran
        (the detectors did not run).
    flips : sequence of FlipResult
        One :func:`fairgate.detectors.flip_test` result per sensitive input.
    explanation : Explanation or None
        The SHAP summary of :func:`fairgate.audit.explain.explain`; ``None`` when none ran.
    representation : sequence of RepresentationResult
        One :func:`fairgate.detectors.representation` result per attribute with reference shares.
    categories : mapping of str to str
        Optional sensitive category of an attribute or column (e.g. ``{"colour":
        "ethnicity"}``), used to tell whether a proxy's attribute is prohibited when the
        attribute is not a model input (inputs get their category from ``prohibited``).
    ranking : RankingEvidence or None
        A scores model's ranking at the top k, per attribute (see
        :mod:`fairgate.audit.policy.ranking_checks`); ``None`` when the audit ranked no scores.
    """

    reports: Mapping[tuple[str, ...], GroupReport]
    features: Sequence[str] = ()
    prohibited: Sequence[ProhibitedFinding] = ()
    proxies: ProxyReport | None = None
    flips: Sequence[FlipResult] = ()
    explanation: Explanation | None = None
    representation: Sequence[RepresentationResult] = ()
    categories: Mapping[str, str] = field(default_factory=dict)
    ranking: RankingEvidence | None = None


def finite(value: Any) -> float | None:
    """The value as a finite float, or None."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def group_label(key: Any) -> str:
    """A group key as shown to readers (``a & b`` for intersections)."""
    return " & ".join(map(str, key)) if isinstance(key, tuple) else str(key)


# ------------------------------------------------------------------------------------ verdict
@dataclass(frozen=True)
class RuleResult(Record):
    """The outcome of one rule on one attribute set.

    Attributes
    ----------
    rule_id : str
    outcome : {"pass", "warn", "fail"}
    attributes : list of str
        The attribute set judged (empty for checks on the whole model).
    description : str
    value : float or None
        What was measured (None when it could not be).
    threshold : float or None
    groups_involved : list of str
        Groups (or features) that caused a warning or failure.
    why : str
        A sentence with the numbers: the English rendering of ``code`` and ``params``.
    kind : str
        The rule's kind (``ratio``, ``difference``, ``group_size``, ``prohibited``, ``proxy``,
        ``flip``, ``representation``, ``explainability``).
    code : str
        A stable reason code (:data:`fairgate.audit.policy.reasons.REASONS`), for the message
        catalogs.
    params : dict
        The reason's parameters (plain JSON values; clauses under ``notes``).
    """

    rule_id: str
    outcome: str
    attributes: list[str]
    description: str
    value: float | None
    threshold: float | None
    groups_involved: list[str]
    why: str
    kind: str = ""
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The policy's judgement of an audit: the worst outcome and every rule's result."""

    outcome: str
    rules: tuple[RuleResult, ...]
    policy: str

    def failing(self) -> list[RuleResult]:
        """The rules that fail."""
        return [r for r in self.rules if r.outcome == "fail"]

    def headline(self) -> list[str]:
        """The kinds of rule behind the outcome, gravest first: what a headline must name.

        The failing rules' kinds when any fails, else the warning rules' kinds; empty for a
        pass. A version failing only on prohibited inputs gives ``["prohibited"]``.
        """
        worst = [r for r in self.rules if r.outcome == self.outcome and r.outcome != "pass"]
        kinds = list(dict.fromkeys(r.kind for r in worst))
        order = {k: i for i, k in enumerate(HEADLINE_ORDER)}
        return sorted(kinds, key=lambda k: order.get(k, len(order)))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``outcome``, ``policy``, ``headline`` and ``rules``."""
        return {
            "outcome": self.outcome,
            "policy": self.policy,
            "headline": self.headline(),
            "rules": [r.to_dict() for r in self.rules],
        }

    def to_frame(self) -> Any:
        """The rule results as a pandas DataFrame (one row per result)."""
        import pandas as pd

        columns = list(RuleResult.__dataclass_fields__)
        return pd.DataFrame([r.to_dict() for r in self.rules], columns=columns)


def rule_result(
    rule: Any, outcome: str, code: str, params: Mapping[str, Any], **fields: Any
) -> RuleResult:
    """A RuleResult for ``rule``: the rule's description, the reason code and its sentence."""
    value, threshold = fields.get("value"), fields.get("threshold")
    plain = _plain(dict(params))
    return RuleResult(
        rule_id=rule.id,
        outcome=outcome,
        attributes=[str(a) for a in fields.get("attributes", ())],
        description=rule.description.en if rule.description else _description(rule),
        value=None if value is None else float(value),
        threshold=None if threshold is None else float(threshold),
        groups_involved=[str(g) for g in fields.get("groups_involved", ())],
        why=reason_text(code, plain),
        kind=str(getattr(rule, "kind", "explainability")),
        code=code,
        params=plain,
    )


def _plain(value: Any) -> Any:
    """Params as plain JSON values (numpy scalars become Python numbers)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def _description(rule: Any) -> str:
    kind = getattr(rule, "kind", "explainability")
    if kind == "ratio":
        return f"{rule.metric} ratio between groups of at least {rule.min:g}"
    if kind == "difference":
        return f"{rule.metric} difference between groups of at most {rule.max:g}"
    if kind == "minimum":
        return f"{rule.metric} of at least {rule.min:g} in every group"
    if kind == "maximum":
        return f"{rule.metric} of at most {rule.max:g} in every group"
    return _DESCRIPTIONS[kind]


_DESCRIPTIONS = {
    "group_size": "every group is large enough to judge",
    "prohibited": "the model uses no prohibited variable",
    "proxy": "no input is a strong proxy of a prohibited attribute",
    "flip": "decisions do not change when only a sensitive attribute changes",
    "representation": "the audit data represents the population",
    "explainability": "decisions are explainable, and not by prohibited variables or proxies",
}
