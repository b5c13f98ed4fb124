"""The policy's result types: the evidence it reads, one rule's result, and the Verdict."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "OUTCOME_ORDER",
    "AuditEvidence",
    "Outcome",
    "RuleResult",
    "Verdict",
    "finite",
    "get_field",
    "group_label",
    "rule_result",
]

Outcome = Literal["pass", "warn", "fail"]
OUTCOME_ORDER = {"pass": 0, "warn": 1, "fail": 2}


# ---------------------------------------------------------------------------------- evidence
@dataclass
class AuditEvidence:
    """Everything an audit measured, as the policy engine reads it.

    Detector results may be the detectors' objects or their ``to_dict()`` forms (read by
    attribute or key).

    Attributes
    ----------
    reports : mapping of tuple of str to GroupReport
        One group report per attribute and intersection.
    features : sequence of str
        The model's input columns.
    prohibited : sequence
        Sensitive-variable findings with ``feature``, ``category``, ``prohibited``, ``evidence``.
    proxies : object, dict or None
        A proxy report with ``findings`` (``features``, ``attribute``, ``score``,
        ``above_threshold``); ``None`` when no proxy scan ran.
    flips : sequence
        Flip-test results (``attribute``, ``rate``, ``n``, ``pairs``).
    explanation : dict, Explanation or None
        The SHAP summary (``global_importance``, ``sensitive_share``, ``method``, ...).
    representation : object, list or None
        Representation test results (``attribute``, ``groups`` with ``flagged``, ``p_value``).
    categories : mapping of str to str
        Optional sensitive category of an attribute or column (e.g. ``{"colour":
        "ethnicity"}``), used to tell whether a proxy's attribute is prohibited when the
        attribute is not a model input (inputs get their category from ``prohibited``).
    """

    reports: Mapping[tuple[str, ...], Any]
    features: Sequence[str] = ()
    prohibited: Sequence[Any] = ()
    proxies: Any = None
    flips: Sequence[Any] = ()
    explanation: Any = None
    representation: Any = None
    categories: Mapping[str, str] = field(default_factory=dict)


def get_field(item: Any, key: str, default: Any = None) -> Any:
    """A field of a detector object or its dict form."""
    if isinstance(item, Mapping):
        return item.get(key, default)
    return getattr(item, key, default)


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
class RuleResult:
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
        A sentence with the numbers.
    """

    rule_id: str
    outcome: str
    attributes: list[str]
    description: str
    value: float | None
    threshold: float | None
    groups_involved: list[str]
    why: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with exactly the fields above."""
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    """The policy's judgement of an audit: the worst outcome and every rule's result."""

    outcome: str
    rules: tuple[RuleResult, ...]
    policy: str

    def failing(self) -> list[RuleResult]:
        """The rules that fail."""
        return [r for r in self.rules if r.outcome == "fail"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``outcome``, ``policy`` and ``rules``."""
        return {
            "outcome": self.outcome,
            "policy": self.policy,
            "rules": [r.to_dict() for r in self.rules],
        }

    def to_frame(self) -> Any:
        """The rule results as a pandas DataFrame (one row per result)."""
        import pandas as pd

        columns = list(RuleResult.__dataclass_fields__)
        return pd.DataFrame([r.to_dict() for r in self.rules], columns=columns)


def rule_result(rule: Any, outcome: str, why: str, **fields: Any) -> RuleResult:
    """A RuleResult for ``rule`` with the rule's description."""
    value, threshold = fields.get("value"), fields.get("threshold")
    return RuleResult(
        rule_id=rule.id,
        outcome=outcome,
        attributes=[str(a) for a in fields.get("attributes", ())],
        description=rule.description or _description(rule),
        value=None if value is None else float(value),
        threshold=None if threshold is None else float(threshold),
        groups_involved=[str(g) for g in fields.get("groups_involved", ())],
        why=why,
    )


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
