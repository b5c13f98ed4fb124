"""JSON-ready dicts of the frozen dataclasses that carry findings and results between layers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

__all__ = ["Record", "json_ready"]


def json_ready(value: Any) -> Any:
    """``value`` with every tuple a list and every mapping a dict, all the way down.

    Parameters
    ----------
    value : object
        What :func:`dataclasses.asdict` returned, or any nesting of lists, tuples and dicts.

    Returns
    -------
    object
    """
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value


class Record:
    """Base of a dataclass whose JSON form is its fields (nested dataclasses as dicts)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field, in field order (tuples become lists)."""
        return json_ready(asdict(self))  # type: ignore[call-overload]
