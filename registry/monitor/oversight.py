"""Oversight watched live: review and override counts per group, their limits, automation shares.

Each observation of a batch that reports reviews (see :mod:`.reviews`) falls in one of six cells
per group, kept by a :class:`~.windows.Window` like the fairness counts::

    0 automated, 1 reviewed and kept, 2 overridden            (decision not adverse)
    3 automated, 4 reviewed and kept, 5 overridden            (decision adverse to the person)

The policy's oversight limits (:class:`fairgate.audit.policy.OversightLimit`) are judged on
those counts with the fairness rules' guard: only groups with at least ``min_samples`` decisions
in the limit's denominator are judged, and a limit **trips** only when it is broken and a test
is significant at ``alpha``:

``min_review_share``
    reviewed / decisions, in every group, at least the threshold (one-sided exact binomial test
    that the group's share is below it);
``max_automated_adverse_share``
    adverse decisions nobody reviewed / adverse decisions, at most the threshold (binomial test,
    above it);
``max_override_rate``
    overridden / reviewed, at most the threshold (binomial test, above it);
``max_override_gap``
    the override rates of the groups compared with the audit's ``difference`` or ``ratio``,
    and the lowest against the highest group with the audit's two-proportion test
    (:func:`fairgate.audit.core.uncertainty.group_significance`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairgate.errors import ValidationError
from fairgate.registry.monitor.live_kind import (
    BINARY,
    LiveKind,
    decision_values,
    model_decisions,
)
from fairgate.registry.monitor.observations import Batch, ObservationStore
from fairgate.routing import decision_key

__all__ = [
    "AutomationShares",
    "Judged",
    "automation_shares",
    "evaluate_limit",
    "is_adverse",
    "review_cells",
]


def is_adverse(prediction: np.ndarray, oversight: Any) -> np.ndarray:
    """Which decisions are adverse under the policy's oversight section (bool per decision).

    A decision is adverse when it is one of ``adverse_decisions`` (compared as
    :func:`fairgate.routing.decision_key` does, like ``StatusClient.route``) or a number below
    ``adverse_below``.

    Parameters
    ----------
    prediction : numpy.ndarray
        The model's decisions: 0/1, class labels or numbers (see
        :func:`.live_kind.decision_values`).
    oversight : Oversight
        The policy's oversight section.

    Returns
    -------
    numpy.ndarray of bool
    """
    values = np.asarray(prediction)
    keys = {decision_key(v) for v in oversight.adverse_decisions}
    levels, inverse = np.unique(values, return_inverse=True)
    hit = np.asarray([decision_key(v) in keys for v in levels.tolist()], dtype=bool)
    out = hit[inverse.reshape(-1)] if len(levels) else np.zeros(values.shape[0], dtype=bool)
    if oversight.adverse_below is not None and values.dtype.kind in "biuf":
        out |= values.astype(np.float64) < oversight.adverse_below
    return out


def review_cells(batch: Batch, oversight: Any, live: LiveKind = BINARY) -> np.ndarray:
    """The cell (0-5, see the module docstring) of each decision of a batch with reviews.

    Parameters
    ----------
    batch : Batch
        A validated batch.
    oversight : Oversight
        The policy's oversight section (which decisions are adverse).
    live : LiveKind, optional
        The model's kind: a score model's decision is taken at the filing's threshold, a
        multiclass model's is its class label.

    Returns
    -------
    numpy.ndarray of int64

    Raises
    ------
    ValidationError
        The batch does not say which decisions people reviewed.
    """
    if batch.reviews is None:
        raise ValidationError(
            f"the oversight rules of {batch.model}:{batch.version} watch reviews; send "
            "'reviewed' (and 'overridden' or 'final_decision') with every observation.",
            details={"missing": ["reviewed"]},
        )
    state = batch.reviews.reviewed.astype(np.int64) + batch.reviews.overridden.astype(np.int64)
    decided = decision_values(live, model_decisions(live, batch.prediction))
    return is_adverse(decided, oversight).astype(np.int64) * 3 + state


def _parts(kind: str, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(numerator, denominator) per group of a limit's share."""
    c = np.asarray(counts, dtype=np.int64)
    reviewed = c[:, [1, 2, 4, 5]].sum(axis=1)
    if kind == "min_review_share":
        return reviewed, c.sum(axis=1)
    if kind == "max_automated_adverse_share":
        return c[:, 3], c[:, 3:].sum(axis=1)
    return c[:, [2, 5]].sum(axis=1), reviewed  # override rate (and its gap)


def _binomial(k: int, n: int, p: float, alternative: str) -> float:
    from scipy import stats

    return float(stats.binomtest(int(k), int(n), p, alternative=alternative).pvalue)


Judged = tuple[str, float | None, float | None, dict[str, Any]]


def evaluate_limit(limit: Any, window: Any, counts: np.ndarray) -> Judged:
    """Judge one oversight limit on a window's ``(groups, 6)`` review counts.

    Parameters
    ----------
    limit : OversightLimit
        The limit (kind, threshold, min_samples, alpha).
    window : Window
        For the group keys and the batch ids.
    counts : numpy.ndarray
        The review counts per group.

    Returns
    -------
    (status, statistic, p_value, evidence) : tuple
        ``status`` is ``insufficient``, ``ok``, ``breach`` (broken, not significant) or
        ``trip`` (the breaker's :class:`~.breaker.Evaluation` fields).
    """
    from fairgate.audit.core.metrics import difference, ratio
    from fairgate.audit.core.uncertainty import group_significance

    num, den = _parts(limit.kind, counts)
    keys = window.key_list()
    eligible = den >= max(int(limit.min_samples), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(den > 0, num / np.maximum(den, 1), np.nan)
    evidence: dict[str, Any] = {
        "rule": limit.id,
        "oversight": limit.kind,
        "threshold": float(limit.threshold),
        "alpha": float(limit.alpha),
        "min_samples": int(limit.min_samples),
        "attributes": list(limit.attributes),
        "window": {"kind": window.kind, "size": window.size, "observations": int(counts.sum())},
        "batches": [window.first_batch, window.last_batch],
        "groups": [list(k) for k in keys],
        "counts": {
            "automated_kept_overridden_by_adverse": np.asarray(counts).tolist(),
            "numerator": num.tolist(),
            "denominator": den.tolist(),
        },
        "values": [None if np.isnan(v) else float(v) for v in values],
        "eligible": eligible.tolist(),
    }
    idx = np.flatnonzero(eligible)
    needed = 2 if limit.kind == "max_override_gap" else 1
    if idx.size < needed:
        return "insufficient", None, None, evidence
    if limit.kind == "max_override_gap":
        cells = np.column_stack([num, np.zeros_like(num), den - num, np.zeros_like(num)])
        fn = difference if limit.gap_kind == "difference" else ratio
        stat = float(fn(values, include=eligible))
        breach = (
            stat > limit.threshold if limit.gap_kind == "difference" else stat < limit.threshold
        )
        hi, lo = int(idx[np.argmax(values[idx])]), int(idx[np.argmin(values[idx])])
        sig = group_significance(cells[[lo, hi]], "selection_rate", reference=1)
        p = float(sig.p_values[0])
        evidence.update(test=str(sig.tests[0]), compared=[list(keys[lo]), list(keys[hi])])
    else:
        below = limit.kind == "min_review_share"
        worst = int(idx[np.argmin(values[idx])] if below else idx[np.argmax(values[idx])])
        stat = float(values[worst])
        breach = stat < limit.threshold if below else stat > limit.threshold
        alternative = "less" if below else "greater"
        p = _binomial(num[worst], den[worst], limit.threshold, alternative)
        evidence.update(test=f"exact binomial ({alternative})", compared=[list(keys[worst])])
    status = "trip" if breach and p < limit.alpha else ("breach" if breach else "ok")
    evidence.update(statistic=stat, p_value=p)
    return status, stat, p, evidence


@dataclass(frozen=True)
class AutomationShares:
    """How a model's decisions of a period were made.

    Attributes
    ----------
    decisions : int
        Observations received in the period.
    reported : int
        Of those, decisions whose review was reported (the shares below are of these).
    reviewed, overridden : int
    automation_share, review_share, override_rate : float or None
        ``None`` when nothing was reported (override rate: when nothing was reviewed).
    days : float
    """

    decisions: int
    reported: int
    reviewed: int
    overridden: int
    automation_share: float | None
    review_share: float | None
    override_rate: float | None
    days: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dict(self.__dict__)


def automation_shares(
    store: ObservationStore, name: str, version: str, days: float = 30
) -> AutomationShares:
    """Automation and review shares of a model version's live decisions over the last ``days``.

    Parameters
    ----------
    store : ObservationStore
        The service's observation store.
    name, version : str
        The model version.
    days : float, default 30
        The period, ending now (by the time each batch was received).

    Returns
    -------
    AutomationShares
    """
    if not days > 0:
        raise ValidationError(f"days: expected a positive number of days, received {days!r}.")
    since = time.time() - float(days) * 86400.0
    decisions = reported = reviewed = overridden = 0
    for batch in store.batches(str(name), str(version), since=since):
        decisions += batch.n
        if batch.reviews is None:
            continue
        reported += batch.n
        reviewed += int(batch.reviews.reviewed.sum())
        overridden += int(batch.reviews.overridden.sum())
    return AutomationShares(
        decisions=decisions,
        reported=reported,
        reviewed=reviewed,
        overridden=overridden,
        automation_share=(reported - reviewed) / reported if reported else None,
        review_share=reviewed / reported if reported else None,
        override_rate=overridden / reviewed if reviewed else None,
        days=float(days),
    )
