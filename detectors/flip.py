"""Counterfactual flip test: decisions that change when only the sensitive attribute changes.

On a bounded sample, for every ordered pair of observed levels (a -> b), the rows whose attribute
is ``a`` are scored again with it set to ``b`` (and any declared proxy recomputed); the share of
decisions that change is reported with a Wilson interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.core.uncertainty import wilson_interval
from fairgate.errors import MissingColumnError, ValidationError

__all__ = ["FlipPair", "FlipResult", "flip_test"]


@dataclass(frozen=True)
class FlipPair:
    """Decisions of group ``from_group`` re-scored as ``to_group``."""

    from_group: str
    to_group: str
    n: int
    flips: int
    rate: float
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class FlipResult:
    """The flip test of one attribute."""

    attribute: str
    pairs: tuple[FlipPair, ...]
    rate: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "attribute": self.attribute,
            "rate": self.rate,
            "n": self.n,
            "pairs": [p.__dict__.copy() for p in self.pairs],
        }


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
    rng = np.random.default_rng(seed)
    levels = [v for v in pd.unique(X[attribute]) if not pd.isna(v)]
    pairs = []
    total_n = total_flips = 0
    for a in levels:
        rows = np.flatnonzero((X[attribute] == a).to_numpy())
        if len(rows) > sample_size:
            rows = np.sort(rng.choice(rows, size=sample_size, replace=False))
        base = X.iloc[rows]
        before = np.asarray(model.predict(base))
        for b in levels:
            if b == a:
                continue
            swapped = base.copy()
            swapped[attribute] = pd.Series([b] * len(swapped), index=swapped.index).astype(
                X[attribute].dtype
            )
            for column, fn in (proxies or {}).items():
                swapped[column] = fn(b)
            after = np.asarray(model.predict(swapped))
            flips = int(np.sum(before != after))
            n = len(rows)
            low, high = _interval(flips, n, confidence)
            pairs.append(FlipPair(str(a), str(b), n, flips, flips / n if n else 0.0, low, high))
            total_n += n
            total_flips += flips
    rate = total_flips / total_n if total_n else 0.0
    return FlipResult(str(attribute), tuple(pairs), float(rate), int(total_n))
