"""Representation: each group's share in the audit data against a reference population."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fairgate.audit.core.records import Record
from fairgate.errors import ValidationError

__all__ = ["GroupShare", "RepresentationResult", "representation"]


@dataclass(frozen=True)
class GroupShare:
    """One group's observed and reference share."""

    group: str
    count: int
    share: float
    reference: float
    residual: float
    flagged: bool


@dataclass(frozen=True)
class RepresentationResult(Record):
    """Chi-square goodness of fit of the group counts against the reference shares."""

    attribute: str
    groups: tuple[GroupShare, ...]
    statistic: float
    p_value: float
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        """The groups as a DataFrame."""
        return pd.DataFrame([g.__dict__ for g in self.groups])


def _reference(attribute: str, reference: Mapping[str, float]) -> dict[str, float]:
    shares = {str(k): float(v) for k, v in reference.items()}
    if any(v < 0 or not np.isfinite(v) for v in shares.values()):
        raise ValidationError(f"reference[{attribute!r}]: shares must be non-negative numbers.")
    total = sum(shares.values())
    if abs(total - 1.0) > 0.01:
        raise ValidationError(
            f"reference[{attribute!r}]: shares sum to {total:.3f}; they must sum to 1 (± 0.01)."
        )
    return {k: v / total for k, v in shares.items()}


def representation(
    sensitive: pd.Series | pd.DataFrame,
    reference: Mapping[str, float] | Mapping[str, Mapping[str, float]],
    *,
    alpha: float = 0.05,
) -> RepresentationResult | list[RepresentationResult]:
    """Compare group shares with reference shares (e.g. census), with a chi-square test.

    A group is flagged when its share is under 0.8 x its reference share, or its standardized
    residual is below the two-sided normal quantile at ``alpha``; a group missing from the
    reference is flagged with reference 0.

    Parameters
    ----------
    sensitive : pandas.Series or DataFrame
        One attribute (Series, named) or several (DataFrame: one result per column).
    reference : mapping
        ``{group: share}`` for a Series, ``{attribute: {group: share}}`` for a DataFrame.
    alpha : float, default 0.05
        Significance level of the residual flag.

    Returns
    -------
    RepresentationResult or list of RepresentationResult
    """
    from scipy import stats

    if isinstance(sensitive, pd.DataFrame):
        missing = [c for c in sensitive.columns if c not in reference]
        if missing:
            raise ValidationError(f"reference: no shares for {missing}.")
        return [
            representation(sensitive[c], reference[c], alpha=alpha)  # type: ignore[arg-type]
            for c in sensitive.columns
        ]
    attribute = str(sensitive.name)
    ref = _reference(attribute, reference)  # type: ignore[arg-type]
    counts = (
        sensitive.astype(object).where(sensitive.notna(), "(missing)").astype(str).value_counts()
    )
    n = int(counts.sum())
    if n == 0:
        raise ValidationError(f"{attribute}: no rows to compare with the reference.")
    groups = sorted(set(ref) | set(counts.index))
    observed = np.array([int(counts.get(g, 0)) for g in groups], dtype=np.float64)
    expected_share = np.array([ref.get(g, 0.0) for g in groups])
    known = expected_share > 0
    expected = expected_share[known] * observed[known].sum()
    statistic, p_value = stats.chisquare(observed[known], expected)
    z = float(stats.norm.ppf(1 - alpha / 2))
    out = []
    for i, g in enumerate(groups):
        share = observed[i] / n
        exp = expected_share[i] * n
        residual = float((observed[i] - exp) / np.sqrt(exp)) if exp > 0 else float("inf")
        flagged = expected_share[i] == 0 or share < 0.8 * expected_share[i] or residual < -z
        out.append(
            GroupShare(
                g, int(observed[i]), float(share), float(expected_share[i]), residual, bool(flagged)
            )
        )
    return RepresentationResult(attribute, tuple(out), float(statistic), float(p_value), alpha)
