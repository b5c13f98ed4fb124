"""The rules a policy may hold: metric names, audit rules, explainability and breaker rules."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from fairgate.audit.core.vocabulary import (
    CRITERIA,
    KIND_METRIC_NAMES,
    RULE_METRICS,
    resolve_rule_metric,
)
from fairgate.audit.core.vocabulary import needs_outcome as _needs_outcome
from fairgate.errors import ValidationError

__all__ = [
    "DERIVED_METRICS",
    "ID_PATTERN",
    "RULE_KINDS",
    "RULE_METRICS",
    "BreakerRule",
    "DriftRule",
    "ExplainRule",
    "MetricRule",
    "RuleDescription",
    "RuleKind",
    "StrictModel",
    "WindowSpec",
    "canonical_metric",
]

DERIVED_METRICS: dict[str, tuple[str, ...]] = {c.name: c.rates for c in CRITERIA}
"""Named fairness criteria and the rates they compare (from the metric vocabulary)."""

RuleKind = Literal[
    "ratio",
    "difference",
    "minimum",
    "maximum",
    "group_size",
    "prohibited",
    "proxy",
    "flip",
    "representation",
]
"""What a rule checks; see :class:`MetricRule`."""

RULE_KINDS: tuple[str, ...] = get_args(RuleKind)
"""Every :data:`RuleKind`, in order."""

ID_PATTERN = r"^[A-Za-z0-9_.-]+$"


def canonical_metric(name: str) -> str:
    """The canonical name of a rule's metric (see :mod:`fairgate.audit.core.vocabulary`).

    Accepts the comparable rate metrics, their aliases (``tpr``, ``recall``, ...), the criteria
    of :data:`DERIVED_METRICS` and fairlearn's aggregate names (``demographic_parity_difference``,
    ``equalized_odds_ratio``, ...), which map to the criterion.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the allowed ones.
    """
    try:
        return resolve_rule_metric(name)
    except ValidationError as exc:
        raise ValueError(exc.message) from None


class StrictModel(BaseModel):
    """A frozen pydantic model that refuses unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleDescription(StrictModel):
    """What a rule asks, in words a committee member reads: in English and in 简体中文.

    Both are required, so the report states the committee's own rule in either language; the
    Chinese text must hold Chinese characters.
    """

    en: str = Field(min_length=1, max_length=1000)
    zh: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _both_languages(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, str) and _recorded(info):
            return {"en": data, "zh": data}  # published before descriptions were bilingual
        if isinstance(data, str):
            raise ValueError(
                "write the description in both languages, e.g. description: {en: 'every "
                "group ...', zh: '每个群体……'}"
            )
        return data

    @field_validator("zh")
    @classmethod
    def _chinese(cls, value: str, info: ValidationInfo) -> str:
        if _recorded(info):
            return value
        if not any("\u3400" <= ch <= "\u9fff" for ch in value):
            raise ValueError("the zh description must be written in Chinese")
        return value


def _recorded(info: ValidationInfo) -> bool:
    """Whether the policy being validated was published earlier (see ``load_policy``)."""
    return bool(info.context and info.context.get("recorded"))


def _norm_attributes(value: Any) -> Any:
    """``["sex", ["sex", "race"], "sex x race"]`` -> names and lists of names."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValueError("expected a list of attribute names (or lists of names for intersections)")
    out: list[str | list[str]] = []
    for item in value:
        if isinstance(item, str) and " x " in item:
            item = [p.strip() for p in item.split(" x ")]
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
        elif (
            isinstance(item, list | tuple)
            and item
            and all(isinstance(p, str) and p.strip() for p in item)
        ):
            out.append([p.strip() for p in item])
        else:
            raise ValueError(f"{item!r} is not an attribute name, a list of names, or 'a x b'")
    return out


# the threshold each kind requires, and the ones it accepts
_REQUIRED = {"ratio": "min", "difference": "max", "flip": "max", "minimum": "min", "maximum": "max"}
_ACCEPTED = {
    "ratio": {"min"},
    "difference": {"max"},
    "flip": {"max"},
    "proxy": {"max"},
    "minimum": {"min"},
    "maximum": {"max"},
}
_ABSOLUTE = {"minimum", "maximum"}
_IN_UNITS = {m.name for m in KIND_METRIC_NAMES if m.model_kind == "regression"}
_WARN_BY_DEFAULT = {"group_size", "representation"}


class MetricRule(StrictModel):
    """One rule of the audit verdict, checked on each audited attribute set where it applies.

    Kinds
    -----
    ``ratio``
        ``metric`` and ``min``: the smallest group's rate over the largest's must be at least
        ``min`` (0.8 is the four-fifths rule).
    ``difference``
        ``metric`` and ``max``: the largest gap between groups' rates must be at most ``max``.
    ``minimum`` / ``maximum``
        ``metric`` and ``min`` (``max``): the metric must be at least ``min`` (at most ``max``)
        in every group large enough to judge, of every audited attribute and intersection —
        "accuracy >= 0.6 in every district", "mean_absolute_error <= 3 for every group". The
        verdict names each failing group. Thresholds are in the metric's own unit.
    ``group_size``
        Groups under the policy's ``min_group_size`` are listed (they are shown but left out of
        ratios and differences). Warns by default.
    ``prohibited``
        The model takes no prohibited variable as input.
    ``proxy``
        No input predicts a prohibited attribute with a score above ``max`` (default: the
        policy's ``proxy_threshold``); proxies of other sensitive attributes are warnings.
    ``flip``
        ``max``: the share of decisions that change when only a sensitive input changes.
    ``representation``
        The audit data's group shares match the reference population. Warns by default.
    """

    id: str = Field(min_length=1, max_length=100, pattern=ID_PATTERN)
    kind: RuleKind
    metric: str | None = Field(None, validate_default=True)
    min: float | None = Field(None, validate_default=True)
    max: float | None = Field(None, validate_default=True)
    warn_margin: float = Field(0.0, ge=0.0, le=0.5)
    attributes: list[str | list[str]] | None = None
    severity: Literal["fail", "warn"] = "fail"
    description: RuleDescription | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_severity(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("kind") in _WARN_BY_DEFAULT:
            data = {"severity": "warn", **data}
        return data

    @field_validator("attributes", mode="before")
    @classmethod
    def _attributes(cls, value: Any) -> Any:
        return _norm_attributes(value)

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind in ("ratio", "difference", *_ABSOLUTE):
            if value is None:
                raise ValueError(f"a {kind} rule needs a metric, e.g. selection_rate")
            canonical = canonical_metric(value)
            if kind in _ABSOLUTE and canonical in DERIVED_METRICS:
                raise ValueError(
                    f"{canonical} compares groups; a {kind} rule needs one metric of each group "
                    "(e.g. accuracy, true_positive_rate, mean_absolute_error)"
                )
            return canonical
        if value is not None and kind is not None:
            raise ValueError(f"a {kind} rule takes no metric; remove it")
        return value

    @field_validator("min", "max")
    @classmethod
    def _threshold(cls, value: float | None, info: ValidationInfo) -> float | None:
        kind = info.data.get("kind")
        if kind is None:
            return value
        name = info.field_name
        if value is None and _REQUIRED.get(kind) == name:
            example = {"ratio": "0.8", "difference": "0.1", "flip": "0.05", "minimum": "0.6"}
            raise ValueError(f"a {kind} rule needs {name!r}, e.g. {name}: {example.get(kind, '3')}")
        accepted = _ACCEPTED.get(kind, set())
        if value is not None and name not in accepted:
            use = f"use {' or '.join(map(repr, sorted(accepted)))}" if accepted else "remove it"
            raise ValueError(f"a {kind} rule does not use {name!r}; {use}")
        if value is not None and not math.isfinite(value):
            raise ValueError("expected a finite number")
        if value is not None and kind not in _ABSOLUTE:
            if value < 0:
                raise ValueError("Input should be greater than or equal to 0")
            metric = info.data.get("metric")
            in_units = kind == "difference" and metric in _IN_UNITS
            if value > 1 and not in_units:
                raise ValueError(
                    "Input should be less than or equal to 1 (a rate, a share or a ratio)"
                )
        return value

    @property
    def threshold(self) -> float | None:
        """``min`` for ratio and minimum rules, ``max`` for the others."""
        return self.min if self.kind in ("ratio", "minimum") else self.max


class ExplainRule(StrictModel):
    """Decisions must be explainable, and not by prohibited variables or their proxies.

    The rule fails (``severity``) when the explanation did not run and ``required`` is true, or
    when a sensitive or prohibited input, or a detected proxy, carries more than
    ``max_sensitive_share`` of the model's total mean absolute SHAP value.
    """

    id: str = Field("explainability", min_length=1, max_length=100, pattern=ID_PATTERN)
    required: bool = True
    max_sensitive_share: float = Field(0.1, ge=0.0, le=1.0)
    severity: Literal["fail", "warn"] = "fail"
    description: RuleDescription | None = None


class WindowSpec(StrictModel):
    """A window of live observations: the last ``size`` (sliding) or blocks of ``size``."""

    kind: Literal["sliding", "tumbling"] = "sliding"
    size: int = Field(5000, ge=1, le=10_000_000)


class BreakerRule(StrictModel):
    """A live rule of the circuit breaker: trips when the disparity passes ``threshold``.

    A difference rule trips above ``threshold``, a ratio rule below it, and only when a test of
    the groups is significant at ``alpha`` with at least ``min_samples`` in two groups. A
    ``minimum`` (``maximum``) rule trips when a group with at least ``min_samples`` is below
    (above) ``threshold`` and a one-sided test of that group against it is significant: a live
    per-district accuracy floor, a mean absolute error ceiling. Thresholds of rates and ratios
    lie in [0, 1]; those of a regression metric are in the metric's own unit.
    """

    id: str = Field(min_length=1, max_length=100, pattern=ID_PATTERN)
    metric: str
    kind: Literal["ratio", "difference", "minimum", "maximum"] = "difference"
    threshold: float
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

    @model_validator(mode="after")
    def _bounds(self) -> BreakerRule:
        value = self.threshold
        if not math.isfinite(value):
            raise ValueError("threshold: expected a finite number")
        if self.kind in _ABSOLUTE and self.metric in DERIVED_METRICS:
            raise ValueError(
                f"threshold: {self.metric} compares groups; a {self.kind} rule needs one metric "
                "of each group (e.g. accuracy, mean_absolute_error)"
            )
        in_units = self.metric in _IN_UNITS and self.kind != "ratio"
        if not in_units and not 0.0 <= value <= 1.0:
            raise ValueError(
                f"threshold: {value!r} is not in [0, 1] (a rate, a share or a ratio); only "
                "regression metrics take thresholds in their own unit"
            )
        if in_units and self.kind == "difference" and value < 0:
            raise ValueError("threshold: a difference is at least 0")
        return self

    @property
    def needs_outcome(self) -> bool:
        """Whether the metric needs the true outcome (all but the selection rate do)."""
        return _needs_outcome(self.metric)


class DriftRule(StrictModel):
    """Trips when a sensitive group's share drifts (population stability index)."""

    id: str = Field(min_length=1, max_length=100, pattern=ID_PATTERN)
    attribute: str | None = Field(
        None,
        min_length=1,
        description="The sensitive attribute watched; none: each of the filing's sensitive "
        "variables in turn (see Policy.bind).",
    )
    psi_threshold: float = Field(gt=0.0, le=10.0)
    window: WindowSpec = WindowSpec()
    min_samples: int = Field(100, ge=1)
