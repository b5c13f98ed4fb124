"""Confusion counts of binary decisions per group: :class:`GroupCounts` and :func:`binary_cells`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairgate.audit.core.grouped import GroupedCounts

__all__ = ["CELLS", "GroupCounts", "binary_cells"]

CELLS: tuple[str, str, str, str] = ("TP", "FP", "TN", "FN")
"""Order of the last axis of every binary counts array."""

# cell index from (y_true, y_pred): (1,1)->TP=0, (0,1)->FP=1, (0,0)->TN=2, (1,0)->FN=3
_CELL_OF = np.array([2, 1, 3, 0], dtype=np.int64)  # indexed by 2*y_true + y_pred


@dataclass(frozen=True, eq=False)
class GroupCounts(GroupedCounts):
    """Confusion counts of every intersection of one or more sensitive attributes.

    Parameters
    ----------
    attributes : tuple of str
        Names of the sensitive attributes, in axis order.
    levels : tuple of tuple
        The levels (group labels) of each attribute, sorted; the explicit missing group, if any,
        comes last.
    cells : numpy.ndarray
        Integer array of shape ``(len(levels[0]), ..., len(levels[k-1]), 4)``; the last axis is
        ``(TP, FP, TN, FN)``. Combinations that never occur hold zeros.
    """

    cells: np.ndarray

    ARRAYS: ClassVar[tuple[str, ...]] = ("cells",)
    KIND: ClassVar[str] = "binary"

    def __post_init__(self) -> None:
        shape = (*self.grid, 4)
        if self.cells.shape != shape:
            raise ValueError(f"cells has shape {self.cells.shape}, expected {shape}")
        self.check_layout()

    def group_sizes(self) -> np.ndarray:
        """Rows per group, flat (row-major)."""
        return self.cells.reshape(-1, 4).sum(axis=1)

    @property
    def overall(self) -> np.ndarray:
        """Counts over all rows, shape ``(4,)``."""
        return self.cells.reshape(-1, 4).sum(axis=0)

    def flat(self) -> tuple[list[tuple[Any, ...]], np.ndarray]:
        """Group keys (one tuple per intersection) and the counts as a ``(groups, 4)`` array."""
        return self.keys(), self.cells.reshape(-1, 4)

    def to_frame(self) -> pd.DataFrame:
        """The counts as a DataFrame with one row per group and columns TP, FP, TN, FN."""
        return pd.DataFrame(self.cells.reshape(-1, 4), index=self.index(), columns=list(CELLS))


def binary_cells(
    code: np.ndarray,
    grid: tuple[int, ...],
    t: np.ndarray,
    p: np.ndarray,
    *,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Confusion counts ``(*grid, 4)`` from group codes and 0/1 outcomes and decisions.

    ``weights`` gives the rows each entry stands for (aggregated input, e.g. a ``GROUP BY``).
    """
    cell = code * 4 + _CELL_OF[2 * t.astype(np.int64) + p]
    cells = np.bincount(cell, weights=weights, minlength=math.prod(grid) * 4)
    return cells.astype(np.int64, copy=False).reshape(*grid, 4)
