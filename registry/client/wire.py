"""What the client's parts share about the wire: JSON-friendly values and error bodies."""

from __future__ import annotations

from typing import Any

import httpx

from fairgate.errors import (
    AuthenticationError,
    FairgateError,
    NotFoundError,
    PermissionDeniedError,
)

__all__ = ["ERRORS", "plain", "response_body"]

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
