"""Records built from table rows: same-named columns copied, times as ISO 8601 text, JSON-ready."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from fairgate.registry.store.records import utc

__all__ = ["Record", "from_row", "iso_time"]

R = TypeVar("R")


def iso_time(ts: float | None) -> str | None:
    """A UNIX time as ISO 8601 UTC text to the second (None stays None)."""
    return None if ts is None else utc(ts).isoformat(timespec="seconds")


def from_row(cls: type[R], row: Any, **given: Any) -> R:
    """An instance of the dataclass ``cls``: ``given`` fields, the rest from ``row``'s columns.

    Parameters
    ----------
    cls : type
        A dataclass whose fields not in ``given`` are columns of ``row`` with the same names.
    row : sqlalchemy.engine.Row
        The table row.
    **given
        Fields computed by the caller (converted times, parsed JSON, flags).

    Returns
    -------
    cls
    """
    names = [f.name for f in dataclasses.fields(cls) if f.name not in given]  # type: ignore[arg-type]
    return cls(**{name: getattr(row, name) for name in names}, **given)


class Record:
    """Mixin of frozen dataclasses the store returns: :meth:`to_dict` for JSON answers."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields."""
        return dict(self.__dict__)
