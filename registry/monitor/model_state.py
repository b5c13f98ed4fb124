"""The breaker's state of one model version: its rules' windows, and a batch applied to them."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from fairgate.registry.monitor.batch import Batch
from fairgate.registry.monitor.drift import evaluate_drift
from fairgate.registry.monitor.evaluation import Evaluation
from fairgate.registry.monitor.fairness import evaluate_fairness, evaluate_kind
from fairgate.registry.monitor.kind_rules import applies
from fairgate.registry.monitor.kind_windows import KindWindow, empty_counts
from fairgate.registry.monitor.live_kind import BINARY, LiveKind
from fairgate.registry.monitor.oversight import evaluate_limit, review_cells
from fairgate.registry.monitor.windows import Window, batch_cells, combined_groups

__all__ = ["ModelState", "window_of"]


def window_of(rule: Any) -> tuple[str, int]:
    """The ``(kind, size)`` of a rule's window (default: sliding over 1000 observations)."""
    window = getattr(rule, "window", None)
    if window is None:
        return "sliding", 1000
    if isinstance(window, int):
        return "sliding", window
    if isinstance(window, dict):
        return str(window.get("kind", "sliding")), int(window.get("size", 1000))
    return str(getattr(window, "kind", "sliding")), int(getattr(window, "size", 1000))


def _legacy(rule: Any, live: LiveKind) -> bool:
    """A gap rule on 0/1 decisions: judged by :func:`evaluate_fairness` (its evidence format)."""
    return live.kind == "binary" and getattr(rule, "kind", "difference") in ("difference", "ratio")


class ModelState:
    """Windows of one model version (rules whose metric the model's kind lacks are left out).

    Parameters
    ----------
    rules, drift : list
        The policy's breaker and drift rules.
    live : LiveKind, optional
        What the model reports live.
    oversight : Oversight, optional
        The policy's oversight section (its limits get windows of review counts).
    """

    def __init__(
        self, rules: list[Any], drift: list[Any], live: LiveKind = BINARY, oversight: Any = None
    ) -> None:
        self.lock = threading.Lock()
        self.live = live
        probe = empty_counts(live)
        self.skipped = [r.id for r in rules if not applies(r.metric, probe)]
        self.rules = [r for r in rules if r.id not in self.skipped]
        self.drift = drift
        self.windows: list[Window | KindWindow] = [
            Window(*window_of(r))
            if _legacy(r, live)
            else KindWindow(live, *window_of(r), list(r.attributes), r.metric)
            for r in self.rules
        ]
        self.drift_windows = [Window(*window_of(r)) for r in drift]
        self.baselines: list[np.ndarray | None] = [None for _ in drift]
        self.oversight = oversight
        self.limits = [] if oversight is None else oversight.bound_limits()
        self.limit_windows = [Window(*window_of(r)) for r in self.limits]
        self.tripped = False
        self.last_id = 0  # newest stored batch applied to the windows
        self.since: float | None = None  # batches before this (the last state change) never count

    def attributes(self) -> set[str]:
        """The sensitive attributes the rules, limits and drift rules watch."""
        need = {a for r in [*self.rules, *self.limits] for a in getattr(r, "attributes", [])}
        return need | {r.attribute for r in self.drift}

    def apply(self, batch: Batch) -> list[Evaluation]:
        """Add a batch to every window and judge the rules on what the windows hold now.

        Parameters
        ----------
        batch : Batch
            A stored batch of this model version.

        Returns
        -------
        list of Evaluation
            Empty for a batch of another kind (stored before the filing's kind was checked).
        """
        if batch.kind != self.live.kind:  # stored before the filing's kind was checked
            return []
        cells = batch_cells(batch) if batch.kind == "binary" else None
        results: list[Evaluation] = []
        for rule, window in zip(self.rules, self.windows, strict=True):
            if isinstance(window, KindWindow):
                for closed in window.add(batch):
                    results.append(evaluate_kind(rule, window, closed))
                if window.total:
                    results.append(evaluate_kind(rule, window, window.counts()))
                continue
            local, keys = combined_groups(batch, list(rule.attributes))
            for closed in window.add(local, keys, cells, batch.id):
                results.append(evaluate_fairness(rule, window, closed))
            if window.total:
                results.append(evaluate_fairness(rule, window, window.counts))
        for i, (rule, window) in enumerate(zip(self.drift, self.drift_windows, strict=True)):
            local, keys = combined_groups(batch, [rule.attribute])
            window.add(local, keys, np.zeros(batch.n, dtype=np.int64), batch.id)
            if self.baselines[i] is None and window.total >= window.size:
                self.baselines[i] = window.counts.sum(axis=1).copy()
                continue
            results.append(evaluate_drift(rule, window, self.baselines[i]))
        if self.limits and batch.reviews is not None:
            reviews = review_cells(batch, self.oversight, self.live)
            for limit, window in zip(self.limits, self.limit_windows, strict=True):
                local, keys = combined_groups(batch, list(limit.attributes))
                for closed in window.add(local, keys, reviews, batch.id):
                    results.append(Evaluation(limit.id, *evaluate_limit(limit, window, closed)))
                if window.total:
                    counts = window.counts
                    results.append(Evaluation(limit.id, *evaluate_limit(limit, window, counts)))
        return results
