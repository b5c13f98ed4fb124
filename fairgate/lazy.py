"""Lazy re-exports: a package names where each public attribute lives and loads it on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(
    package: str, sources: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """Build a module ``__getattr__`` (PEP 562) that imports a name from its module on first use.

    Parameters
    ----------
    package : str
        The dotted name of the package that re-exports (used in the error message).
    sources : Mapping[str, str]
        Each lazily exported name and the dotted module that defines it.
    namespace : dict[str, Any]
        The package's ``globals()``: a loaded name is cached there, so it loads once.

    Returns
    -------
    Callable[[str], Any]
        The function to bind as the package's ``__getattr__``.
    """

    def load(name: str) -> Any:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return load
