"""Ordered levels (a verdict's outcome, a piece of evidence's strength): the highest of several."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, get_args

__all__ = ["highest"]

L = TypeVar("L", bound=str)


def highest(levels: Any, values: Iterable[L], default: L) -> L:
    """The value that stands highest among ``levels`` (a ``Literal`` type, lowest first).

    Parameters
    ----------
    levels : typing.Literal
        Every level, lowest first: ``Literal["pass", "warn", "fail"]``.
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
    return max(values, key=get_args(levels).index, default=default)
