"""Ordered levels (a verdict's outcome, a piece of evidence's strength): the highest of several."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

__all__ = ["highest"]

L = TypeVar("L", bound=str)


def highest(levels: tuple[L, ...], values: Iterable[L], default: L) -> L:
    """The value that stands highest in ``levels`` (ordered lowest first).

    Parameters
    ----------
    levels : tuple of str
        Every level, lowest first (``typing.get_args`` of a ``Literal`` type).
    values : iterable of str
        Levels to compare; each must be one of ``levels``.
    default : str
        The answer when ``values`` is empty.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        A value that is not one of ``levels``.
    """
    return max(values, key=levels.index, default=default)
