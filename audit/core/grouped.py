"""The layout every kind's counts share: additive statistics on a grid of group axes.

Each kind (binary decisions, regression, multiclass, rankings) keeps one or more arrays whose
leading axes are the sensitive attributes (one axis per attribute, one position per level) and
whose trailing axes hold that kind's sufficient statistics. Every statistic is a sum over rows,
so a marginal (one attribute, or any intersection) is a sum over the other group axes, and two
windows or two files merge by addition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from fairgate.errors import MissingColumnError

__all__ = ["GroupedCounts", "marginal_arrays"]


def marginal_arrays(
    attributes: tuple[str, ...],
    levels: tuple[tuple[Any, ...], ...],
    arrays: dict[str, np.ndarray],
    wanted: str | Sequence[str],
) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...], dict[str, np.ndarray]]:
    """Sum arrays over the group axes not wanted and order the kept axes as wanted.

    Parameters
    ----------
    attributes : tuple of str
        The counted attributes, one leading axis of every array each.
    levels : tuple of tuple
        The levels of each attribute.
    arrays : dict of str to numpy.ndarray
        Arrays whose leading axes are the group grid; trailing axes are kept as they are.
    wanted : str or sequence of str
        Attribute name(s), a non-empty subset of ``attributes``, in the order wanted.

    Returns
    -------
    tuple
        The wanted attributes, their levels, and each array summed and reordered.

    Raises
    ------
    MissingColumnError
        When ``wanted`` is empty or names an attribute that was not counted.
    """
    wanted = (wanted,) if isinstance(wanted, str) else tuple(wanted)
    unknown = [a for a in wanted if a not in attributes]
    if unknown or not wanted:
        raise MissingColumnError(
            f"attributes={list(wanted)!r}: {unknown or 'none given'} not among the counted "
            f"attributes {list(attributes)}; pass a non-empty subset of them."
        )
    axes = [attributes.index(a) for a in wanted]
    drop = tuple(i for i in range(len(attributes)) if i not in axes)
    kept = sorted(axes)
    out = {}
    for name, arr in arrays.items():
        summed = arr.sum(axis=drop) if drop else arr
        rest = list(range(len(kept), summed.ndim))
        perm = [kept.index(a) for a in axes] + rest
        out[name] = np.ascontiguousarray(np.transpose(summed, perm))
    return wanted, tuple(levels[a] for a in axes), out


@dataclass(frozen=True, eq=False)
class GroupedCounts:
    """Base of every kind's counts: attributes, their levels, and arrays over the group grid.

    Subclasses list the names of their array fields in ``ARRAYS``; each array's leading axes are
    ``tuple(len(lv) for lv in levels)``.
    """

    attributes: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...]

    ARRAYS: ClassVar[tuple[str, ...]] = ()
    KIND: ClassVar[str] = ""

    @property
    def kind(self) -> str:
        """``"binary"``, ``"regression"``, ``"multiclass"`` or ``"ranking"``."""
        return self.KIND

    @property
    def grid(self) -> tuple[int, ...]:
        """Number of levels of each attribute."""
        return tuple(len(lv) for lv in self.levels)

    def check_layout(self) -> None:
        """Raise ``ValueError`` when an array does not start with the group grid."""
        if len(self.attributes) != len(self.levels):
            raise ValueError("attributes and levels differ in length")
        for name in self.ARRAYS:
            shape = getattr(self, name).shape
            if shape[: len(self.grid)] != self.grid:
                raise ValueError(f"{name} has shape {shape}, expected leading axes {self.grid}")

    def arrays(self) -> dict[str, np.ndarray]:
        """The statistic arrays by field name."""
        return {name: getattr(self, name) for name in self.ARRAYS}

    def flat_arrays(self) -> dict[str, np.ndarray]:
        """Each array with the group axes flattened to one (row-major, like :meth:`keys`)."""
        k = len(self.grid)
        return {name: arr.reshape(-1, *arr.shape[k:]) for name, arr in self.arrays().items()}

    def overall_arrays(self) -> dict[str, np.ndarray]:
        """Each array summed over all groups, with a leading axis of length one."""
        return {name: arr.sum(axis=0, keepdims=True) for name, arr in self.flat_arrays().items()}

    def group_sizes(self) -> np.ndarray:
        """Rows per group, flat (row-major)."""
        raise NotImplementedError

    @property
    def n(self) -> int:
        """Total number of rows counted."""
        return int(self.group_sizes().sum())

    def rebuild(self, attributes: tuple[str, ...], levels: tuple, arrays: dict) -> Self:
        """A counts object of the same kind with other groups (and the same settings)."""
        return type(self)(attributes=attributes, levels=levels, **self.settings(), **arrays)

    def settings(self) -> dict[str, Any]:
        """Non-array fields a marginal keeps (classes, histogram edges, k, ...)."""
        return {}

    def marginal(self, attributes: str | Sequence[str]) -> Self:
        """Counts for one attribute or an intersection of several (summing the others).

        Parameters
        ----------
        attributes : str or sequence of str
            Attribute name(s), a subset of :attr:`attributes`, in the order wanted.
        """
        wanted, levels, arrays = marginal_arrays(
            self.attributes, self.levels, self.arrays(), attributes
        )
        return self.rebuild(wanted, levels, arrays)

    def keys(self) -> list[tuple[Any, ...]]:
        """One tuple of levels per group, row-major."""
        return list(product(*self.levels))

    def index(self) -> pd.Index:
        """A pandas index of the groups, shaped like fairlearn's ``MetricFrame.by_group``."""
        if len(self.attributes) == 1:
            return pd.Index(list(self.levels[0]), name=self.attributes[0])
        return pd.MultiIndex.from_product([list(lv) for lv in self.levels], names=self.attributes)

    def intersections(self, max_order: int | None = None) -> list[tuple[str, ...]]:
        """Every non-empty subset of the attributes (in attribute order), up to ``max_order``."""
        top = len(self.attributes) if max_order is None else min(max_order, len(self.attributes))
        out: list[tuple[str, ...]] = []
        for k in range(1, top + 1):
            out.extend(combinations(self.attributes, k))
        return out

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return (
            self.attributes == other.attributes
            and self.levels == other.levels
            and self.settings() == other.settings()
            and all(
                np.array_equal(a, b)
                for a, b in zip(self.arrays().values(), other.arrays().values(), strict=True)
            )
        )

    __hash__ = None  # type: ignore[assignment]
