"""The written policy's schema: what a policy file may say (``audit/policies/default.yaml``).

A policy names the sensitive and prohibited variables, the rules an audit is judged by (metric
disparities, group sizes, prohibited variables, proxies, the flip test, representation), the
explainability rule, and the circuit breaker's live rules (see :mod:`.rules`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from fairgate.audit.policy.oversight import Oversight
from fairgate.audit.policy.rules import (
    BreakerRule,
    DriftRule,
    ExplainRule,
    MetricRule,
    StrictModel,
)

__all__ = ["Policy"]


def _unique_ids(items: list[Any]) -> list[Any]:
    ids = [r.id for r in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"rule ids must be unique; repeated: {', '.join(dupes)}")
    return items


class Policy(StrictModel):
    """A written policy: what must hold for a model to pass, and what trips the breaker."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    version: str = "1"
    sensitive: list[str] = Field(default_factory=list)
    prohibited: list[str] = Field(default_factory=list)
    min_group_size: int = Field(30, ge=1)
    alpha: float = Field(0.05, gt=0.0, le=0.5)
    proxy_threshold: float = Field(0.3, gt=0.0, le=1.0)
    sensitive_names: dict[str, list[str]] = Field(
        default_factory=dict,
        description="More column-name words per sensitive category for the detectors, e.g. "
        "{region: [ward, borough]}.",
    )
    intersections: bool = True
    reference_shares: dict[str, dict[str, float]] = Field(default_factory=dict)
    rules: list[MetricRule] = Field(default_factory=list)
    explainability: ExplainRule | None = ExplainRule()
    breaker: list[BreakerRule] = Field(default_factory=list)
    drift: list[DriftRule] = Field(default_factory=list)
    quorum: int | None = Field(
        None,
        ge=1,
        le=100,
        description="Distinct committee members who must approve or reinstate a model version "
        "this policy governs; empty: the deployment's FAIRGATE_QUORUM (default 1).",
    )
    oversight: Oversight | None = Field(
        None,
        description="Human oversight: which decisions go to a person, and the review and "
        "override limits the breaker watches (see fairgate.audit.policy.oversight).",
    )

    @field_validator("sensitive", "prohibited")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        if any(not v.strip() for v in value):
            raise ValueError("names must not be empty")
        return [v.strip() for v in value]

    @field_validator("rules", "breaker", "drift")
    @classmethod
    def _ids(cls, value: list[Any]) -> list[Any]:
        return _unique_ids(value)

    @model_validator(mode="after")
    def _representation_needs_shares(self) -> Policy:
        if not self.reference_shares:
            for i, rule in enumerate(self.rules):
                if rule.kind == "representation":
                    raise ValueError(
                        f"rules.{i} ({rule.id}) is a representation rule but reference_shares is "
                        "empty; give the population shares, e.g. reference_shares: "
                        "{sex: {F: 0.51, M: 0.49}}, or remove the rule"
                    )
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that :func:`load_policy` reads back to an equal policy.

        ``model_dump(mode="json")``, except that a rule's unset optional fields (``metric``,
        ``min``, ``max``, ``attributes``), whose default is ``None``, and an unset ``quorum`` are
        left out.
        """
        body = self.model_dump(mode="json")
        body["rules"] = [{k: v for k, v in r.items() if v is not None} for r in body["rules"]]
        if body.get("quorum") is None:  # unset: the policy's text (and hash) as before quorums
            body.pop("quorum", None)
        if self.oversight is None:
            body.pop("oversight")
        else:
            body["oversight"] = self.oversight.to_rules()
        return body

    def bind(self, sensitive: list[str]) -> Policy:
        """Bind the policy to a model whose filing names ``sensitive`` attributes.

        A breaker rule without attributes, and a drift rule without an attribute, become one
        rule per sensitive attribute (the id suffixed with ``.<attribute>``); rules that name
        their attributes are kept as they are.
        """
        rules: list[BreakerRule] = []
        for rule in self.breaker:
            if rule.attributes:
                rules.append(rule)
                continue
            for attr in sensitive:
                rules.append(
                    rule.model_copy(update={"id": f"{rule.id}.{attr}", "attributes": [attr]})
                )
        drift: list[DriftRule] = []
        for d in self.drift:
            if d.attribute:
                drift.append(d)
                continue
            for attr in sensitive:
                drift.append(d.model_copy(update={"id": f"{d.id}.{attr}", "attribute": attr}))
        update: dict[str, Any] = {"breaker": rules, "drift": drift}
        if self.oversight is not None:
            update["oversight"] = self.oversight.bind(sensitive)
        return self.model_copy(update=update)
