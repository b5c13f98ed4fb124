"""The outcome of one breaker rule on one window."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Evaluation", "finite"]


def finite(value: Any) -> float | None:
    """``value`` as a float, or None for NaN and infinity (JSON has neither)."""
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


@dataclass
class Evaluation:
    """The outcome of one rule on one window.

    Attributes
    ----------
    rule : str
    status : {"ok", "breach", "trip", "insufficient"}
    statistic : float or None
    p_value : float or None
    evidence : dict
    """

    rule: str
    status: str
    statistic: float | None = None
    p_value: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary: rule, status, statistic and p-value (no evidence)."""
        return {name: getattr(self, name) for name in ("rule", "status", "statistic", "p_value")}
