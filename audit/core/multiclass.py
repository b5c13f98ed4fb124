"""Multiclass counts: a K x K confusion matrix per group, and its reduction to the binary case.

``cells[..., i, j]`` counts the rows of a group whose true class is ``classes[i]`` and whose
predicted class is ``classes[j]``, computed with one ``np.bincount`` over
``(group_code * K + true) * K + pred``. Naming one class favourable
(:meth:`MulticlassCounts.binary`) gives the binary confusion counts of that class against all
others, so every binary metric and rule applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from fairgate.audit.core.binary_counts import GroupCounts
from fairgate.audit.core.grouped import GroupedCounts
from fairgate.errors import LabelError

__all__ = ["MulticlassCounts", "multiclass_counts_from_codes"]


@dataclass(frozen=True, eq=False)
class MulticlassCounts(GroupedCounts):
    """Per-group K x K confusion matrices.

    Attributes
    ----------
    attributes : tuple of str
    levels : tuple of tuple
    cells : numpy.ndarray
        Integer array ``(*levels, K, K)``: true class on the first trailing axis, predicted
        class on the second.
    classes : tuple
        The K class labels, in axis order.
    """

    cells: np.ndarray
    classes: tuple[Any, ...] = ()

    ARRAYS: ClassVar[tuple[str, ...]] = ("cells",)
    KIND: ClassVar[str] = "multiclass"

    def __post_init__(self) -> None:
        k = len(self.classes)
        if k < 2 or self.cells.shape != (*self.grid, k, k):
            raise ValueError(f"cells has shape {self.cells.shape} for {k} classes")
        self.check_layout()

    def settings(self) -> dict[str, Any]:
        """The class labels (kept by marginals)."""
        return {"classes": self.classes}

    def group_sizes(self) -> np.ndarray:
        """Rows per group, flat (row-major)."""
        k = len(self.classes)
        return self.cells.reshape(-1, k * k).sum(axis=1)

    @property
    def overall(self) -> np.ndarray:
        """The confusion matrix over all rows, shape ``(K, K)``."""
        k = len(self.classes)
        return self.cells.reshape(-1, k, k).sum(axis=0)

    def flat(self) -> tuple[list[tuple[Any, ...]], np.ndarray]:
        """Group keys and the matrices as a ``(groups, K, K)`` array."""
        k = len(self.classes)
        return self.keys(), self.cells.reshape(-1, k, k)

    def to_frame(self) -> pd.DataFrame:
        """One row per group, one column per ``(true, predicted)`` pair."""
        k = len(self.classes)
        columns = pd.MultiIndex.from_product(
            [list(self.classes), list(self.classes)], names=["true", "predicted"]
        )
        return pd.DataFrame(self.cells.reshape(-1, k * k), index=self.index(), columns=columns)

    def class_index(self, label: Any) -> int:
        """Axis position of a class label; a clear error for an unknown one."""
        if label not in self.classes:
            raise LabelError(
                f"class {label!r} is not among the classes {list(self.classes)}; name one of "
                "them (as it appears in the outcomes and predictions).",
                details={"classes": [str(c) for c in self.classes]},
            )
        return self.classes.index(label)

    def binary(self, favourable: Any) -> GroupCounts:
        """The binary confusion counts of ``favourable`` against every other class.

        Parameters
        ----------
        favourable : scalar
            A class label; it plays the positive (favourable) decision.

        Returns
        -------
        GroupCounts
        """
        c = self.class_index(favourable)
        m = self.cells
        tp = m[..., c, c]
        predicted = m[..., :, c].sum(axis=-1)
        actual = m[..., c, :].sum(axis=-1)
        total = m.sum(axis=(-2, -1))
        fp, fn = predicted - tp, actual - tp
        tn = total - tp - fp - fn
        return GroupCounts(self.attributes, self.levels, np.stack([tp, fp, tn, fn], axis=-1))


def multiclass_counts_from_codes(
    attributes: tuple[str, ...],
    levels: tuple[tuple[Any, ...], ...],
    code: np.ndarray,
    true_codes: np.ndarray,
    pred_codes: np.ndarray,
    classes: tuple[Any, ...],
    *,
    weights: np.ndarray | None = None,
) -> MulticlassCounts:
    """Per-group confusion matrices with one ``np.bincount``.

    Parameters
    ----------
    attributes, levels
        As in :class:`MulticlassCounts`.
    code : numpy.ndarray
        Combined group code per row.
    true_codes, pred_codes : numpy.ndarray
        Class positions (into ``classes``) of outcomes and predictions.
    classes : tuple
        Class labels.
    weights : numpy.ndarray, optional
        Rows each entry stands for (aggregated input, e.g. from a ``GROUP BY``).

    Returns
    -------
    MulticlassCounts
    """
    grid = tuple(len(lv) for lv in levels)
    k = len(classes)
    if k < 2:
        raise LabelError(
            f"y_true/y_pred: only one class {list(classes)} in the data; a multiclass audit "
            "needs at least two classes (pass classes= to name them all)."
        )
    flat = (code * k + true_codes) * k + pred_codes
    size = math.prod(grid) * k * k
    cells = np.bincount(flat, weights=weights, minlength=size)
    return MulticlassCounts(
        attributes, levels, cells.astype(np.int64).reshape(*grid, k, k), classes=classes
    )
