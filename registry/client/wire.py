"""What the client's parts share about the wire: JSON-friendly values and error bodies."""

from __future__ import annotations

import math
from typing import Any

import httpx

from fairgate.errors import (
    AuthenticationError,
    FairgateError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

__all__ = ["ERRORS", "observed_value", "plain", "response_body"]

ERRORS: dict[int, type[FairgateError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}
"""The exception raised for each refusal status the server answers with."""


def plain(value: Any) -> Any:
    """Turn numpy scalars and other odd values into JSON-friendly ones.

    Parameters
    ----------
    value : Any
        A value from serving code.

    Returns
    -------
    Any
        ``None``, a ``str``, ``int`` or ``float``.
    """
    if value is None or isinstance(value, str | int | float):
        return value
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


def observed_value(value: Any, name: str, *, nullable: bool) -> Any:
    """A prediction or outcome as sent: 0/1, a class label, a score or a number.

    Booleans become 0/1 and whole floats integers (so ``1.0`` is the decision 1); which values
    a model may send is the service's to check against its filing.

    Raises
    ------
    ValidationError
        For ``None`` where a value is required, NaN or infinity, or anything but a number or a
        string.
    """
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():  # a numpy scalar
        value = item()
    if value is None and nullable:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and math.isfinite(value):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, int | str):
        return value
    raise ValidationError(
        f"{name}={value!r}: expected 0/1, a class label, a score or a finite number"
        f"{' (or None when not known)' if nullable else ''}."
    )


def response_body(response: httpx.Response) -> dict[str, Any]:
    """The JSON object the server answered with, or its text as ``{"message": ...}``.

    Parameters
    ----------
    response : httpx.Response
        Any answer of the service.

    Returns
    -------
    dict
    """
    try:
        data = response.json()
    except ValueError:
        return {"message": response.text[:200]}
    return data if isinstance(data, dict) else {"message": str(data)}
