"""Counterfactual flip test: decisions that change when only the sensitive attribute changes.

On a bounded sample, for every ordered pair of observed levels (a -> b), the rows whose attribute
is ``a`` are scored again with it set to ``b`` (and any declared proxy recomputed); the share of
decisions that change is reported per pair with a Wilson interval. Every flipped copy of every
pair is scored in one batch (one call of the model). The pair with the highest rate among those
with at least ``min_n`` rows is the worst pair, which a policy judges; the pooled rate is kept
for reference only, because it hides a pair that flips often.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.core.records import Record
from fairgate.audit.core.uncertainty import wilson_interval
from fairgate.errors import MissingColumnError, ValidationError

__all__ = ["FlipPair", "FlipResult", "flip_test"]


@dataclass(frozen=True)
class FlipPair(Record):
    """Decisions of group ``from_group`` re-scored as ``to_group``, with a Wilson interval."""

    from_group: str
    to_group: str
    n: int
    flips: int
    rate: float
    ci_low: float | None
    ci_high: float | None
    ci_method: str = "wilson"


@dataclass(frozen=True)
class FlipResult(Record):
    """The flip test of one attribute: every ordered pair, the worst pair, the pooled rate.

    Attributes
    ----------
    attribute : str
    pairs : tuple of FlipPair
    rate : float
        Pooled over every pair (for reference; policies judge ``worst``).
    n : int
        Rows re-scored over every pair.
    min_n : int
        Pairs with fewer source rows are shown but cannot be the worst pair.
    confidence : float
        Level of the Wilson intervals.
    """

    attribute: str
    pairs: tuple[FlipPair, ...]
    rate: float
    n: int
    min_n: int = 1
    confidence: float = 0.95

    @property
    def worst(self) -> FlipPair | None:
        """The pair with the highest flip rate among those with at least ``min_n`` rows."""
        judged = [p for p in self.pairs if p.n >= self.min_n]
        return max(judged, key=lambda p: (p.rate, p.n), default=None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields and ``worst``, the judged pair (or None)."""
        worst = self.worst
        return {**super().to_dict(), "worst": None if worst is None else worst.to_dict()}


def _interval(flips: int, n: int, confidence: float) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    low, high = wilson_interval(np.array([flips]), np.array([n]), alpha=1 - confidence)
    return float(np.ravel(low)[0]), float(np.ravel(high)[0])


def flip_test(
    model: Any,
    X: pd.DataFrame,
    attribute: str,
    *,
    proxies: Mapping[str, Callable[[Any], Any]] | None = None,
    sample_size: int = 2000,
    min_n: int = 1,
    confidence: float = 0.95,
    seed: int = 0,
) -> FlipResult:
    """Share of decisions that flip when only ``attribute`` is swapped, per pair of groups.

    Parameters
    ----------
    model : estimator
        Anything with ``predict`` taking ``X``'s columns.
    X : pandas.DataFrame
        The model's inputs, including ``attribute``.
    attribute : str
        The sensitive input to swap.
    proxies : mapping of str to callable, optional
        Declared proxies: ``{column: f}`` where ``f(new_level)`` gives the proxy's value for a
        person of that level (e.g. a title derived from sex); set alongside the swap.
    sample_size : int, default 2000
        Rows per source group at most (seeded sample).
    min_n : int, default 1
        Pairs whose source group has fewer sampled rows cannot be the worst pair (the policy
        passes its ``min_group_size``).
    confidence : float, default 0.95
        Level of the Wilson intervals.
    seed : int, default 0
        Seed of the sample.

    Returns
    -------
    FlipResult
    """
    if attribute not in X.columns:
        raise MissingColumnError(
            f"attribute={attribute!r} is not an input of the model (columns: "
            f"{', '.join(map(str, X.columns))}); the flip test needs the attribute as an input."
        )
    if not hasattr(model, "predict"):
        raise ValidationError("model: expected an object with a predict method.")
    if not 0 < confidence < 1:
        raise ValidationError(f"confidence={confidence!r}: expected a number in (0, 1).")
    rng = np.random.default_rng(seed)
    levels = [v for v in pd.unique(X[attribute]) if not pd.isna(v)]
    bases, copies, plan = [], [], []
    for a in levels:
        rows = np.flatnonzero((X[attribute] == a).to_numpy())
        if len(rows) > sample_size:
            rows = np.sort(rng.choice(rows, size=sample_size, replace=False))
        base = X.iloc[rows]
        bases.append(base)
        for b in levels:
            if b == a:
                continue
            swapped = base.copy()
            swapped[attribute] = pd.Series([b] * len(swapped), index=swapped.index).astype(
                X[attribute].dtype
            )
            for column, fn in (proxies or {}).items():
                swapped[column] = fn(b)
            copies.append(swapped)
            plan.append((a, b, len(bases) - 1))
    if not copies:
        return FlipResult(str(attribute), (), 0.0, 0, int(min_n), float(confidence))
    batch = pd.concat(bases + copies, ignore_index=True)
    scored = np.asarray(model.predict(batch))
    sizes = [len(f) for f in bases + copies]
    parts = np.split(scored, np.cumsum(sizes)[:-1])
    before, after = parts[: len(bases)], parts[len(bases) :]
    pairs = []
    for (a, b, i), changed in zip(plan, after, strict=True):
        n = len(changed)
        flips = int(np.sum(before[i] != changed))
        low, high = _interval(flips, n, confidence)
        pairs.append(FlipPair(str(a), str(b), n, flips, flips / n if n else 0.0, low, high))
    total_n = sum(p.n for p in pairs)
    rate = sum(p.flips for p in pairs) / total_n if total_n else 0.0
    return FlipResult(
        str(attribute), tuple(pairs), float(rate), int(total_n), int(min_n), float(confidence)
    )
