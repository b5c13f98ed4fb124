"""Breaker windows for every kind: multiclass cells, regression sums, and the audit's counts.

A multiclass observation falls in one of ``K * (K + 1)`` cells per group: ``true * K + predicted``
when its outcome is known, ``K * K + predicted`` while it is not; :class:`~.windows.Window`
keeps them with ``ncells=K * (K + 1)``. A regression observation adds its row of sums (``n``,
``y``, ``y**2``, ``pred``, ``pred**2``, ``e``, ``|e|``, ``e**2``, ``e**4``) and its error bin:
:class:`SumWindow` keeps those per group, sliding (a ring of the last ``size`` rows) or tumbling.
Either window turns into the audit's counts (:func:`multiclass_window_counts`,
:meth:`SumWindow.counts`), so the breaker judges live traffic with the very functions of the audit.
:class:`KindWindow` is what the breaker keeps per rule: the window of the model's kind (a scores
model's observations are decided at the filing's threshold first) and its counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fairgate.audit.core.counts import GroupCounts
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.audit.core.multiclass import MulticlassCounts
from fairgate.audit.core.regression import ERROR_EDGES, STATS, RegressionCounts, error_bins
from fairgate.audit.core.vocabulary import needs_outcome
from fairgate.registry.monitor.batch import Batch
from fairgate.registry.monitor.live_kind import LiveKind
from fairgate.registry.monitor.windows import (
    NCELLS,
    Window,
    batch_cells,
    cells_for,
    combined_groups,
    decision_cells,
    global_groups,
    ordered_keys,
)

__all__ = [
    "KindWindow",
    "SumWindow",
    "empty_counts",
    "multiclass_cells",
    "multiclass_window_counts",
    "regression_rows",
]


def multiclass_cells(true_codes: np.ndarray, pred_codes: np.ndarray, k: int) -> np.ndarray:
    """The cell of each observation: ``true * k + pred``, or ``k * k + pred`` (outcome unknown).

    ``true_codes`` holds ``-1`` where the outcome is not (yet) known.
    """
    t = np.asarray(true_codes, dtype=np.int64)
    p = np.asarray(pred_codes, dtype=np.int64)
    return np.where(t >= 0, t * k + p, k * k + p)


def _grid(
    keys: Sequence[tuple], attributes: Sequence[str], rows: np.ndarray
) -> tuple[tuple, np.ndarray]:
    """Scatter per-key rows into the grid of each attribute's (sorted) levels."""
    levels = tuple(tuple(sorted({key[i] for key in keys}, key=str)) for i in range(len(attributes)))
    shape = tuple(len(lv) for lv in levels)
    out = np.zeros((*shape, *rows.shape[1:]), dtype=rows.dtype)
    for row, key in enumerate(keys):
        out[tuple(lv.index(v) for lv, v in zip(levels, key, strict=True))] += rows[row]
    return levels, out


def multiclass_window_counts(
    counts: np.ndarray,
    keys: Sequence[tuple],
    attributes: Sequence[str],
    classes: Sequence[Any],
    *,
    needs_outcome: bool,
) -> MulticlassCounts:
    """The audit's multiclass counts of a window's ``(groups, K * (K + 1))`` cells.

    Without ``needs_outcome`` (per-class selection rates), an observation whose outcome is not
    yet known counts on the diagonal of its predicted class, so column sums are exactly the
    predictions; otherwise only observations with a known outcome count.
    """
    k = len(classes)
    rows = np.asarray(counts, dtype=np.int64)
    known = rows[:, : k * k].reshape(-1, k, k).copy()
    if not needs_outcome:
        unknown = rows[:, k * k :]
        idx = np.arange(k)
        known[:, idx, idx] += unknown
    levels, grid = _grid(keys, attributes, known)
    return MulticlassCounts(tuple(attributes), levels, grid, classes=tuple(classes))


def regression_rows(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Each observation's row of sums, in the order of the regression ``STATS``."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    e = p - y
    sq = e * e
    return np.column_stack([np.ones_like(y), y, y * y, p, p * p, e, np.abs(e), sq, sq * sq])


class SumWindow:
    """Per-group regression sums of a tumbling or sliding window of ``size`` observations.

    Parameters
    ----------
    kind : {"tumbling", "sliding"}
    size : int
    attributes : sequence of str
        The attributes whose intersection forms the groups (the keys' order).
    edges : tuple of float, optional
        Error histogram edges (default :data:`~fairgate.audit.core.regression.ERROR_EDGES`).
    """

    def __init__(
        self,
        kind: str,
        size: int,
        attributes: Sequence[str],
        edges: tuple[float, ...] = ERROR_EDGES,
    ) -> None:
        if kind not in ("tumbling", "sliding") or size < 1:
            raise ValueError(f"window kind={kind!r} size={size!r}")
        self.kind, self.size, self.edges = kind, int(size), tuple(edges)
        self.attributes = tuple(attributes)
        self.width = len(self.edges) + 1
        self.keys: dict[tuple, int] = {}
        self.stats = np.zeros((0, len(STATS)))
        self.hist = np.zeros((0, self.width), dtype=np.int64)
        self.total = 0
        self._ring_group = np.zeros(self.size, dtype=np.int64)
        self._ring_rows = np.zeros((self.size, len(STATS)))
        self._ring_bin = np.zeros(self.size, dtype=np.int64)
        self._pos = 0

    def key_list(self) -> list[tuple]:
        """Group keys in row order of :attr:`stats`."""
        return ordered_keys(self.keys)

    def _groups(self, local: np.ndarray, keys: list[tuple]) -> np.ndarray:
        rows = global_groups(self.keys, local, keys)
        grow = len(self.keys) - len(self.stats)
        if grow > 0:
            self.stats = np.vstack([self.stats, np.zeros((grow, len(STATS)))])
            self.hist = np.vstack([self.hist, np.zeros((grow, self.width), dtype=np.int64)])
        return rows

    def _apply(self, groups: np.ndarray, rows: np.ndarray, bins: np.ndarray, sign: int) -> None:
        n = len(self.stats)
        for j in range(len(STATS)):
            self.stats[:, j] += sign * np.bincount(groups, weights=rows[:, j], minlength=n)
        flat = np.bincount(groups * self.width + bins, minlength=n * self.width)
        self.hist += sign * flat.reshape(n, self.width)
        self.total += sign * len(groups)

    def add(
        self, local: np.ndarray, keys: list[tuple], y_true: np.ndarray, y_pred: np.ndarray
    ) -> list[RegressionCounts]:
        """Add a batch; return the counts of every tumbling window that closed on the way.

        Parameters
        ----------
        local : numpy.ndarray
            Batch-local group code per observation (see ``combined_groups``).
        keys : list of tuple
            Group key per local code.
        y_true, y_pred : numpy.ndarray
            Outcomes and numeric predictions of the batch.
        """
        groups = self._groups(np.asarray(local, dtype=np.int64), keys)
        rows = regression_rows(y_true, y_pred)
        bins = error_bins(rows[:, 5], self.edges)
        if self.kind == "tumbling":
            closed, start = [], 0
            while start < len(groups):
                take = slice(start, start + self.size - self.total)
                self._apply(groups[take], rows[take], bins[take], 1)
                start = take.stop
                if self.total >= self.size:
                    closed.append(self.counts())
                    self.stats[:] = 0
                    self.hist[:] = 0
                    self.total = 0
            return closed
        if len(groups) >= self.size:
            groups, rows, bins = groups[-self.size :], rows[-self.size :], bins[-self.size :]
        evict = max(0, self.total + len(groups) - self.size)
        if evict:
            idx = (self._pos - self.total + np.arange(evict)) % self.size
            self._apply(self._ring_group[idx], self._ring_rows[idx], self._ring_bin[idx], -1)
        idx = (self._pos + np.arange(len(groups))) % self.size
        self._ring_group[idx], self._ring_rows[idx], self._ring_bin[idx] = groups, rows, bins
        self._pos = (self._pos + len(groups)) % self.size
        self._apply(groups, rows, bins, 1)
        return []

    def counts(self) -> RegressionCounts:
        """The window as the audit's :class:`RegressionCounts` over the attributes' levels."""
        keys = self.key_list()
        levels, stats = _grid(keys, self.attributes, self.stats)
        _, hist = _grid(keys, self.attributes, self.hist)
        return RegressionCounts(self.attributes, levels, stats, hist, self.edges)


def empty_counts(live: LiveKind) -> GroupedCounts:
    """Counts of the kind with one empty group (to ask which metrics the kind has)."""
    attrs, levels = ("group",), (("-",),)
    if live.kind == "regression":
        return RegressionCounts(
            attrs, levels, np.zeros((1, len(STATS))), np.zeros((1, len(ERROR_EDGES) + 1), int)
        )
    if live.kind == "multiclass":
        k = len(live.classes or ())
        return MulticlassCounts(attrs, levels, np.zeros((1, k, k), int), classes=live.classes)
    return GroupCounts(attrs, levels, np.zeros((1, 4), dtype=np.int64))


class KindWindow:
    """One breaker rule's window over a model's live observations, of the model's kind.

    Parameters
    ----------
    live : LiveKind
        The model's kind (classes, threshold).
    kind : {"tumbling", "sliding"}
    size : int
    attributes : sequence of str
        The rule's attributes (their intersection forms the groups).
    metric : str
        The rule's metric: whether observations without an outcome count.
    """

    def __init__(
        self, live: LiveKind, kind: str, size: int, attributes: Sequence[str], metric: str
    ) -> None:
        self.live = live
        self.attributes = tuple(attributes)
        self.needs_outcome = needs_outcome(metric)
        self.first_batch: int | None = None
        self.last_batch: int | None = None
        k = len(live.classes or ())
        self.sums: SumWindow | None = None
        self.cells: Window | None = None
        if live.kind == "regression":
            self.sums = SumWindow(kind, size, self.attributes)
        else:
            ncells = k * (k + 1) if live.kind == "multiclass" else NCELLS
            self.cells = Window(kind, size, ncells)
        self.kind, self.size = kind, int(size)

    @property
    def total(self) -> int:
        """Observations the window holds now."""
        return self.sums.total if self.sums is not None else self.cells.total

    def describe(self) -> dict[str, Any]:
        """What the window covers, as evidence."""
        return {
            "kind": self.kind,
            "size": self.size,
            "observations": int(self.total),
            "batches": [self.first_batch, self.last_batch],
        }

    def add(self, batch: Batch) -> list[GroupedCounts]:
        """Add a batch; return the counts of every tumbling window that closed on the way."""
        if self.first_batch is None or self.total == 0:
            self.first_batch = batch.id
        self.last_batch = batch.id
        local, keys = combined_groups(batch, list(self.attributes))
        if self.sums is not None:
            y, p = batch.outcome, batch.prediction
            if self.needs_outcome:
                keep = ~np.isnan(y)
                local, y, p = local[keep], y[keep], p[keep]
            else:  # a prediction alone: its error counts as 0
                y = p
            return self.sums.add(local, keys, y, p)
        assert self.cells is not None
        if self.live.kind == "multiclass":
            codes = multiclass_cells(batch.outcome, batch.prediction, len(self.live.classes or ()))
        elif self.live.kind == "scores":
            codes = decision_cells(batch, float(self.live.threshold or 0.0))
        else:
            codes = batch_cells(batch)
        return [self._counts(c) for c in self.cells.add(local, keys, codes, batch.id)]

    def counts(self) -> GroupedCounts:
        """The open window as the audit's counts of the kind."""
        if self.sums is not None:
            return self.sums.counts()
        assert self.cells is not None
        return self._counts(self.cells.counts)

    def _counts(self, raw: np.ndarray) -> GroupedCounts:
        assert self.cells is not None
        keys = self.cells.key_list()
        if self.live.kind == "multiclass":
            return multiclass_window_counts(
                raw,
                keys,
                self.attributes,
                self.live.classes or (),
                needs_outcome=self.needs_outcome,
            )
        levels, grid = _grid(keys, self.attributes, cells_for(raw, self.needs_outcome))
        return GroupCounts(self.attributes, levels, grid)
