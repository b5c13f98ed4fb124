"""Windowed per-group counts for the circuit breaker (tumbling and sliding, by observation count).

Every observation falls in one of six cells per group::

    0 TP, 1 FP, 2 TN, 3 FN   outcome known (the audit's cell order)
    4 PU                     predicted positive, outcome not (yet) known
    5 NU                     predicted negative, outcome not (yet) known

Outcome-based metrics (TPR, FPR, ...) use cells 0-3 only. The selection rate needs only the
decision, so for it the unknown-outcome cells are folded in as ``TP += PU`` and ``TN += NU``
(:func:`cells_for`): ``(TP + FP) / all`` is then exactly the share of positive decisions.

A **tumbling** window of size ``N`` counts observations until it holds ``N``, is evaluated and then
starts empty; a batch that crosses the boundary is split there. A **sliding** window holds the last
``N`` observations exactly: a ring buffer of their ``group * 6 + cell`` codes lets a new batch evict
the oldest codes with one ``bincount``. Groups are created as new levels appear.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fairgate.registry.monitor.batch import Batch

__all__ = [
    "NCELLS",
    "Window",
    "batch_cells",
    "cells_for",
    "combined_groups",
    "decision_cells",
    "global_groups",
    "ordered_keys",
]

NCELLS = 6
_CELL_OF = np.array([2, 1, 3, 0], dtype=np.int64)  # indexed by 2*y_true + y_pred


def batch_cells(batch: Batch) -> np.ndarray:
    """The cell (0-5) of each observation of a batch."""
    pred = batch.prediction.astype(np.int64)
    out = batch.outcome.astype(np.int64)
    known = _CELL_OF[np.clip(2 * out + pred, 0, 3)]
    return np.where(out >= 0, known, 5 - pred)


def decision_cells(batch: Batch, threshold: float) -> np.ndarray:
    """The cell (0-5) of each observation of a scores batch, decided at ``score >= threshold``."""
    pred = (batch.prediction >= threshold).astype(np.int64)
    out = batch.outcome.astype(np.int64)
    known = _CELL_OF[np.clip(2 * out + pred, 0, 3)]
    return np.where(out >= 0, known, 5 - pred)


def cells_for(counts: np.ndarray, needs_outcome: bool) -> np.ndarray:
    """Map ``(G, 6)`` window counts to the audit's ``(G, 4)`` (TP, FP, TN, FN) cells."""
    cells = np.array(counts[:, :4], dtype=np.int64)
    if not needs_outcome:
        cells[:, 0] += counts[:, 4]
        cells[:, 2] += counts[:, 5]
    return cells


def combined_groups(batch: Batch, attributes: Sequence[str]) -> tuple[np.ndarray, list[tuple]]:
    """Batch-local group code per observation and the key (tuple of levels) of each code.

    Parameters
    ----------
    batch : Batch
        A parsed batch.
    attributes : sequence of str
        Attributes whose intersection forms the groups (all present in the batch).

    Returns
    -------
    (codes, keys) : numpy.ndarray of int64 and list of tuple
        ``keys[code]`` is the group of that code; only codes that occur are meaningful.
    """
    code = np.zeros(batch.n, dtype=np.int64)
    sizes = []
    for attr in attributes:
        size = len(batch.levels[attr])
        code = code * size + batch.codes[attr]
        sizes.append(size)
    keys: list[tuple] = []
    for flat in range(int(np.prod(sizes)) if sizes else 1):
        parts = []
        rest = flat
        for attr, size in zip(reversed(attributes), reversed(sizes), strict=True):
            parts.append(batch.levels[attr][rest % size])
            rest //= size
        keys.append(tuple(reversed(parts)))
    return code, keys


def ordered_keys(known: dict[tuple, int]) -> list[tuple]:
    """The group keys of a window in row order (``known`` maps each key to its row)."""
    out: list[tuple] = [()] * len(known)
    for key, idx in known.items():
        out[idx] = key
    return out


def global_groups(known: dict[tuple, int], local: np.ndarray, keys: list[tuple]) -> np.ndarray:
    """The window row of each observation, giving groups seen for the first time a new row.

    Parameters
    ----------
    known : dict
        The window's group keys and their rows (updated in place).
    local : numpy.ndarray of int
        Each observation's index into ``keys`` (see :func:`combined_groups`).
    keys : list of tuple
        The batch's group keys.

    Returns
    -------
    numpy.ndarray of int64
    """
    lut = np.zeros(len(keys), dtype=np.int64)
    for code in np.flatnonzero(np.bincount(local, minlength=len(keys))).tolist():
        lut[code] = known.setdefault(keys[code], len(known))
    return lut[local]


class Window:
    """Per-group counts of a tumbling or sliding window of ``size`` observations.

    Parameters
    ----------
    kind : {"tumbling", "sliding"}
    size : int
    ncells : int, default 6
        Cells per group: 6 for binary decisions (see the module docstring); ``K * (K + 1)``
        for a K-class model (see :mod:`fairgate.registry.monitor.kind_windows`).
    """

    def __init__(self, kind: str, size: int, ncells: int = NCELLS) -> None:
        if kind not in ("tumbling", "sliding") or size < 1 or ncells < 1:
            raise ValueError(f"window kind={kind!r} size={size!r} ncells={ncells!r}")
        self.kind = kind
        self.size = int(size)
        self.ncells = int(ncells)
        self.keys: dict[tuple, int] = {}
        self.counts = np.zeros((0, self.ncells), dtype=np.int64)
        self.total = 0
        self.first_batch: int | None = None
        self.last_batch: int | None = None
        if kind == "sliding":
            self._ring = np.zeros(self.size, dtype=np.int64)
            self._ring_batch = np.full(self.size, -1, dtype=np.int64)
            self._pos = 0

    def reset(self) -> None:
        """Empty the window (keeps the known groups)."""
        self.counts[:] = 0
        self.total = 0
        self.first_batch = self.last_batch = None
        if self.kind == "sliding":
            self._pos = 0

    def key_list(self) -> list[tuple]:
        """Group keys in row order of :attr:`counts`."""
        return ordered_keys(self.keys)

    def _global_codes(self, local: np.ndarray, keys: list[tuple], cells: np.ndarray) -> np.ndarray:
        rows = global_groups(self.keys, local, keys)
        if len(self.keys) > self.counts.shape[0]:
            grown = np.zeros((len(self.keys), self.ncells), dtype=np.int64)
            grown[: self.counts.shape[0]] = self.counts
            self.counts = grown
        return rows * self.ncells + cells

    def _add_codes(self, codes: np.ndarray) -> None:
        if codes.size:
            binned = np.bincount(codes, minlength=self.counts.size)
            self.counts += binned.reshape(self.counts.shape)
            self.total += int(codes.size)

    def add(
        self, local: np.ndarray, keys: list[tuple], cells: np.ndarray, batch_id: Any = None
    ) -> list[np.ndarray]:
        """Add a batch; return the counts of every tumbling window that closed on the way.

        Parameters
        ----------
        local : numpy.ndarray
            Batch-local group code per observation (see :func:`combined_groups`).
        keys : list of tuple
            Group key per local code.
        cells : numpy.ndarray
            Cell (0-5) per observation.
        batch_id : int, optional
            Stored batch id, kept as evidence of what the window covers.

        Returns
        -------
        list of numpy.ndarray
            Snapshots of closed tumbling windows (empty for a sliding window). The current,
            still open window is :attr:`counts`.
        """
        codes = self._global_codes(local, keys, cells)
        if self.first_batch is None:
            self.first_batch = batch_id
        self.last_batch = batch_id
        if self.kind == "sliding":
            self._slide(codes, -1 if batch_id is None else int(batch_id))
            start = (self._pos - self.total) % self.size
            oldest = int(self._ring_batch[start]) if self.total else -1
            self.first_batch = None if oldest < 0 else oldest
            return []
        closed: list[np.ndarray] = []
        start = 0
        while start < codes.size:
            room = self.size - self.total
            chunk = codes[start : start + room]
            self._add_codes(chunk)
            start += chunk.size
            if self.total >= self.size:
                closed.append(self.counts.copy())
                self.reset()
                self.first_batch = self.last_batch = batch_id
        return closed

    def _slide(self, codes: np.ndarray, batch_id: int) -> None:
        size = self.size
        if codes.size >= size:
            self.counts[:] = 0
            self.total = 0
            codes = codes[-size:]
            self._ring[:] = codes
            self._ring_batch[:] = batch_id
            self._pos = 0
            self._add_codes(codes)
            return
        evict = max(0, self.total + codes.size - size)
        if evict:
            start = (self._pos - self.total) % size
            idx = (start + np.arange(evict)) % size
            old = np.bincount(self._ring[idx], minlength=self.counts.size)
            self.counts -= old.reshape(self.counts.shape)
            self.total -= evict
        idx = (self._pos + np.arange(codes.size)) % size
        self._ring[idx] = codes
        self._ring_batch[idx] = batch_id
        self._pos = (self._pos + codes.size) % size
        self._add_codes(codes)
