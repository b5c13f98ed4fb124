"""The policy's ``oversight`` section: which decisions go to a person, and the limits watched live.

::

    oversight:
      threshold: 0.5                # the score the model decides at (for score bands)
      adverse_decisions: [0]        # decisions adverse to the person (0: a denial)
      route_to_human:               # any condition sends a decision to a person
        - {id: near_threshold_denials, score_band: 0.1, adverse: all}
        - {id: audit_sample, sample_rate: 0.02}
      min_review_share: 0.1         # share of decisions people must review
      max_automated_adverse_share: 0.2
      max_override_rate: 0.3
      max_override_gap: {kind: difference, threshold: 0.1}
      attributes: []                # groups of the limits; []: each sensitive variable in turn
      window: {kind: sliding, size: 2000}
      min_samples: 100
      alpha: 0.001

What each condition means is defined once, in :mod:`fairgate.routing` (the serving side's
``StatusClient.route`` and the audit report use it). The limits become breaker rules
(:meth:`Oversight.limits`) judged by :mod:`fairgate.registry.monitor.oversight` with the same
guard as the fairness rules: at least ``min_samples`` decisions in a group and a test significant
at ``alpha``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from fairgate.audit.policy.rules import ID_PATTERN, StrictModel, WindowSpec

__all__ = ["LIMIT_KINDS", "OverrideGap", "Oversight", "OversightLimit", "RouteCondition"]

LIMIT_KINDS: tuple[str, ...] = (
    "min_review_share",
    "max_automated_adverse_share",
    "max_override_rate",
    "max_override_gap",
)
"""The oversight limits, in the order they are judged."""

_Decision = int | float | str | bool


class RouteCondition(StrictModel):
    """One condition of ``route_to_human``: all of its fields must hold (see fairgate.routing)."""

    id: str = Field(min_length=1, max_length=100, pattern=ID_PATTERN)
    score_band: float | None = Field(None, gt=0.0, le=1e9)
    low_confidence: float | None = Field(None, gt=0.0, le=1.0)
    adverse: Literal["all"] | list[_Decision] | None = None
    sample_rate: float | None = Field(None, gt=0.0, le=1.0)
    groups: dict[str, list[str]] | None = None
    description: str = ""

    @field_validator("adverse", mode="before")
    @classmethod
    def _adverse(cls, value: Any) -> Any:
        if value is None or value == "all" or isinstance(value, list):
            if isinstance(value, list) and not value:
                raise ValueError("give 'all' or at least one adverse decision value, e.g. [0]")
            return value
        if isinstance(value, str | int | float | bool):
            return [value]
        raise ValueError("expected 'all' or the adverse decision value(s), e.g. 0 or [deny]")

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if value is not None and (not value or any(not lv for lv in value.values())):
            raise ValueError("name at least one group, e.g. {district: [North]}")
        return value

    @model_validator(mode="after")
    def _something(self) -> RouteCondition:
        fields = ("score_band", "low_confidence", "adverse", "sample_rate", "groups")
        if all(getattr(self, f) is None for f in fields):
            raise ValueError(
                f"route_to_human condition {self.id!r} has no field; give one or more of "
                f"{', '.join(fields)}"
            )
        return self


class OverrideGap(StrictModel):
    """The largest allowed gap of override rates between groups.

    ``difference``: the largest minus the smallest group's override rate must be at most
    ``threshold``; ``ratio``: the smallest over the largest must be at least ``threshold``.
    """

    kind: Literal["difference", "ratio"] = "difference"
    threshold: float = Field(ge=0.0, le=1.0)


class OversightLimit(StrictModel):
    """One oversight limit bound to the attributes whose groups it watches (a breaker rule).

    Attributes
    ----------
    id : str
        ``<kind>`` or ``<kind>.<attribute>`` once bound.
    kind : str
        One of :data:`LIMIT_KINDS`.
    threshold : float
    gap_kind : {"difference", "ratio"}
        For ``max_override_gap`` only.
    attributes : list of str
    window : WindowSpec
    min_samples : int
    alpha : float
    """

    id: str
    kind: Literal[
        "min_review_share",
        "max_automated_adverse_share",
        "max_override_rate",
        "max_override_gap",
    ]
    threshold: float
    gap_kind: Literal["difference", "ratio"] = "difference"
    attributes: list[str] = Field(default_factory=list)
    window: WindowSpec = WindowSpec()
    min_samples: int = 100
    alpha: float = 0.001


class Oversight(StrictModel):
    """Human oversight of a model's decisions: routing to people, and limits watched live."""

    threshold: float | None = Field(
        None, description="The score the model decides at; score bands are measured from it."
    )
    adverse_decisions: list[_Decision] = Field(
        default_factory=list,
        description="Decision values adverse to the person (0 for a denial, a class label).",
    )
    adverse_below: float | None = Field(
        None, description="A numeric decision below this is adverse (a regression's amount)."
    )
    route_to_human: list[RouteCondition] = Field(default_factory=list)
    min_review_share: float | None = Field(None, gt=0.0, le=1.0)
    max_automated_adverse_share: float | None = Field(None, ge=0.0, lt=1.0)
    max_override_rate: float | None = Field(None, ge=0.0, lt=1.0)
    max_override_gap: OverrideGap | None = None
    attributes: list[str] = Field(
        default_factory=list,
        description="Attributes whose intersection forms the limits' groups; empty: each of "
        "the filing's sensitive variables in turn (see Policy.bind).",
    )
    window: WindowSpec = WindowSpec(size=2000)
    min_samples: int = Field(100, ge=1)
    alpha: float = Field(0.001, gt=0.0, le=0.5)
    _sensitive: list[str] = PrivateAttr(default_factory=list)

    @field_validator("max_override_gap", mode="before")
    @classmethod
    def _gap(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"kind": "difference", "threshold": value}
        return value

    @field_validator("threshold", "adverse_below")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("expected a finite number")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Oversight:
        ids = [c.id for c in self.route_to_human]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"oversight.route_to_human ids must be unique; repeated: {dupes}")
        for i, cond in enumerate(self.route_to_human):
            if cond.score_band is not None and self.threshold is None:
                raise ValueError(
                    f"oversight.route_to_human.{i} ({cond.id}) has a score_band but "
                    "oversight.threshold is missing; give the score the model decides at, e.g. "
                    "threshold: 0.5"
                )
            if cond.adverse == "all" and not self._defines_adverse:
                raise ValueError(
                    f"oversight.route_to_human.{i} ({cond.id}) sends 'all' adverse decisions "
                    "but the section does not say which are adverse; give adverse_decisions "
                    "(e.g. [0]) or adverse_below"
                )
        if self.max_automated_adverse_share is not None and not self._defines_adverse:
            raise ValueError(
                "oversight.max_automated_adverse_share needs adverse_decisions (e.g. [0]) or "
                "adverse_below, to know which decisions are adverse"
            )
        return self

    @property
    def _defines_adverse(self) -> bool:
        return bool(self.adverse_decisions) or self.adverse_below is not None

    def to_rules(self) -> dict[str, Any]:
        """The JSON the status answer carries and :class:`fairgate.routing.Router` reads."""
        return self.model_dump(mode="json", exclude_none=True)

    def limits(self) -> list[OversightLimit]:
        """The limits as breaker rules (unbound: ``attributes`` as the section gives them)."""
        common = {
            "attributes": list(self.attributes),
            "window": self.window,
            "min_samples": self.min_samples,
            "alpha": self.alpha,
        }
        out = []
        for kind in LIMIT_KINDS:
            value = getattr(self, kind)
            if value is None:
                continue
            if isinstance(value, OverrideGap):
                out.append(
                    OversightLimit(
                        id=kind,
                        kind=kind,
                        threshold=value.threshold,
                        gap_kind=value.kind,
                        **common,
                    )
                )
            else:
                out.append(OversightLimit(id=kind, kind=kind, threshold=value, **common))
        return out

    def bind(self, sensitive: list[str]) -> Oversight:
        """A copy bound to a model whose filing names ``sensitive`` (see :meth:`bound_limits`)."""
        copy = self.model_copy()
        copy._sensitive = list(sensitive)
        return copy

    def bound_limits(self) -> list[OversightLimit]:
        """The limits bound to the model: without ``attributes``, one per sensitive variable.

        A limit bound to one attribute gets the id ``<kind>.<attribute>``; with no attribute at
        all (neither in the section nor in the filing) it watches the model's decisions as one
        group (``max_override_gap`` then has nothing to compare and never trips).
        """
        limits = self.limits()
        if self.attributes or not self._sensitive:
            return limits
        return [
            lim.model_copy(update={"id": f"{lim.id}.{attr}", "attributes": [attr]})
            for lim in limits
            for attr in self._sensitive
        ]
