"""The written policy's schema: what a policy file may say, validated with clear errors.

A policy names the sensitive and prohibited variables, the metric rules with their thresholds,
the minimum group size, the significance level, the proxy threshold, the explainability rule,
and the circuit breaker's live rules. See ``audit/policies/default.yaml`` for every field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fairgate.audit.metrics import DEFAULT_METRICS, resolve_metric

__all__ = [
    "DERIVED_METRICS",
    "RULE_METRICS",
    "BreakerRule",
    "DriftRule",
    "ExplainRule",
    "MetricRule",
    "Policy",
    "WindowSpec",
    "canonical_metric",
]

DERIVED_METRICS: dict[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "equal_opportunity": ("true_positive_rate",),
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
}
"""Named fairness criteria and the rates they compare (fairlearn's definitions)."""

RULE_METRICS: tuple[str, ...] = (
    *(m for m in DEFAULT_METRICS if m != "count"),
    *DERIVED_METRICS,
)
_OUTCOME_FREE = {"selection_rate", "demographic_parity"}


def canonical_metric(name: str) -> str:
    """The canonical metric name for ``name`` (aliases resolved), or a ValueError."""
    if name in DERIVED_METRICS:
        return name
    try:
        canonical = resolve_metric(name)
    except Exception:
        canonical = None
    if canonical not in RULE_METRICS:
        raise ValueError(f"unknown metric {name!r}; expected one of: {', '.join(RULE_METRICS)}")
    return str(canonical)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Unit = Field(ge=0.0, le=1.0)


class MetricRule(_Strict):
    """A disparity rule checked on each audited attribute and intersection.

    ``kind: ratio`` needs ``min`` (the smallest group's rate over the largest's must be at least
    ``min``, e.g. 0.8 for the four-fifths rule); ``kind: difference`` needs ``max``.
    """

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    metric: str
    kind: Literal["ratio", "difference"]
    min: float | None = Field(None, ge=0.0, le=1.0)
    max: float | None = Field(None, ge=0.0, le=1.0)
    warn_margin: float = Field(0.0, ge=0.0, le=0.5)
    attributes: list[str | list[str]] | None = None
    severity: Literal["fail", "warn"] = "fail"
    description: str = ""

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return canonical_metric(value)

    @model_validator(mode="after")
    def _threshold(self) -> MetricRule:
        if self.kind == "ratio" and self.min is None:
            raise ValueError("a ratio rule needs 'min' (e.g. 0.8 for the four-fifths rule)")
        if self.kind == "difference" and self.max is None:
            raise ValueError("a difference rule needs 'max' (e.g. 0.1)")
        return self

    @property
    def threshold(self) -> float:
        """``min`` for a ratio rule, ``max`` for a difference rule."""
        return float(self.min if self.kind == "ratio" else self.max)  # type: ignore[arg-type]


class ExplainRule(_Strict):
    """Decisions must be explainable, and not by prohibited variables or their proxies."""

    required: bool = True
    max_sensitive_share: float = Field(0.1, ge=0.0, le=1.0)
    severity: Literal["fail", "warn"] = "fail"


class WindowSpec(_Strict):
    """A window of live observations: the last ``size`` (sliding) or blocks of ``size``."""

    kind: Literal["sliding", "tumbling"] = "sliding"
    size: int = Field(5000, ge=1, le=10_000_000)


class BreakerRule(_Strict):
    """A live rule of the circuit breaker: trips when the disparity passes ``threshold``."""

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    metric: str
    kind: Literal["ratio", "difference"] = "difference"
    threshold: float = Field(ge=0.0, le=1.0)
    attributes: list[str] = Field(
        default_factory=list,
        description="Attributes whose intersection forms the groups; empty: each of the "
        "filing's sensitive variables in turn (see Policy.bind).",
    )
    window: WindowSpec = WindowSpec()
    min_samples: int = Field(100, ge=1)
    alpha: float = Field(0.001, gt=0.0, le=0.5)

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return canonical_metric(value)

    @property
    def needs_outcome(self) -> bool:
        """Whether the metric needs the true outcome (all but the selection rate do)."""
        return self.metric not in _OUTCOME_FREE


class DriftRule(_Strict):
    """Trips when a sensitive group's share drifts (population stability index)."""

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    attribute: str = Field(min_length=1)
    psi_threshold: float = Field(gt=0.0, le=10.0)
    window: WindowSpec = WindowSpec()
    min_samples: int = Field(100, ge=1)


class Policy(_Strict):
    """A written policy: what must hold for a model to pass, and what trips the breaker."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    version: str = "1"
    sensitive: list[str] = Field(default_factory=list)
    prohibited: list[str] = Field(default_factory=list)
    min_group_size: int = Field(30, ge=1)
    alpha: float = Field(0.05, gt=0.0, le=0.5)
    proxy_threshold: float = Field(0.3, gt=0.0, le=1.0)
    proxy_severity: Literal["fail", "warn"] = "warn"
    max_flip_rate: float = Field(0.05, ge=0.0, le=1.0)
    intersections: bool = True
    reference_shares: dict[str, dict[str, float]] = Field(default_factory=dict)
    rules: list[MetricRule] = Field(default_factory=list)
    explainability: ExplainRule | None = ExplainRule()
    breaker: list[BreakerRule] = Field(default_factory=list)
    drift: list[DriftRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        ids = [r.id for r in self.rules] + [r.id for r in self.breaker] + [r.id for r in self.drift]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids must be unique; repeated: {dupes}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what the audit result stores)."""
        return self.model_dump(mode="json")

    def bind(self, sensitive: list[str]) -> Policy:
        """Bind the policy to a model whose filing names ``sensitive`` attributes.

        A breaker rule without attributes becomes one rule per sensitive attribute (its id
        suffixed with ``.<attribute>``); rules that name attributes are kept as they are.
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
        return self.model_copy(update={"breaker": rules})
