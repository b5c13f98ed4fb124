"""Bounds on every request body: one size limit and one JSON nesting limit for all JSON routes.

:class:`BodyLimits` is an ASGI layer in front of the whole app. For every request that carries a
body (``POST``, ``PUT``, ``PATCH``), except the artifact upload (streamed to disk under its own
``FAIRGATE_MAX_UPLOAD_BYTES`` limit), it

* refuses a body whose announced ``Content-Length`` is over ``FAIRGATE_MAX_BODY_BYTES`` with 413
  before reading any of it, and a body sent without a length (chunked) as soon as the bytes read
  pass the limit;
* refuses JSON nested deeper than :data:`MAX_JSON_DEPTH` with 422 (the depth is measured on the
  raw bytes, before any parser recurses into it);
* hands the body it read to the app unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from fairgate.errors import FairgateError, PayloadTooLargeError, ValidationError

__all__ = ["MAX_JSON_DEPTH", "UNBOUNDED_PATHS", "BodyLimits", "check_body_size", "json_depth"]

MAX_JSON_DEPTH = 32
"""Deepest nesting of JSON arrays and objects any route accepts."""

UNBOUNDED_PATHS: frozenset[str] = frozenset({"/v1/artifacts"})
"""Paths whose body is not JSON and has its own (upload) limit."""

_ADVICE = "send less (the operator sets FAIRGATE_MAX_BODY_BYTES)."
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def check_body_size(size: int | str | None, limit: int, advice: str) -> None:
    """Refuse (413) a body over ``limit`` bytes: its announced length, or the bytes read so far.

    Parameters
    ----------
    size : int, str or None
        Bytes read so far, or the ``Content-Length`` header as sent (ignored unless a number).
    limit : int
        The largest body allowed.
    advice : str
        What the sender should do instead.

    Raises
    ------
    PayloadTooLargeError
    """
    if isinstance(size, str):
        size = int(size.strip()) if size.strip().isdigit() else None
    if size is not None and size > limit:
        raise PayloadTooLargeError(
            f"the body is over the limit of {limit} bytes ({size:,} bytes or more); {advice}",
            details={"limit": limit},
        )


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings are skipped).

    Parameters
    ----------
    body : bytes
        The raw JSON text (need not be valid JSON).

    Returns
    -------
    int
        0 for a scalar, 1 for ``[1, 2]``, 2 for ``{"a": [1]}``, ...
    """
    bare = _STRING.sub(b'""', body) if b'"' in body else body
    steps = _OPEN[np.frombuffer(bare, dtype=np.uint8)].astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def _check_depth(body: bytes) -> None:
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return  # fewer brackets than the limit: no need to measure
    depth = json_depth(body)
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(
            f"the JSON body is nested {depth} levels deep; at most {MAX_JSON_DEPTH} levels are "
            "accepted. Send flat objects and lists.",
            details={"depth": depth, "max_depth": MAX_JSON_DEPTH},
        )


class BodyLimits:
    """ASGI layer bounding the size and nesting of every request body (see the module docstring).

    Parameters
    ----------
    app : ASGI app
        The app behind this layer.
    max_body_bytes : int
        The largest body accepted.
    """

    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = int(max_body_bytes)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Read and check the body, then pass the request on (or refuse it)."""
        if (
            scope["type"] != "http"
            or scope["method"] not in ("POST", "PUT", "PATCH")
            or scope.get("path", "") in UNBOUNDED_PATHS
        ):
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(scope, receive)
            _check_depth(body)
        except FairgateError as exc:
            payload = json.dumps(exc.to_dict(), default=str).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": exc.status_code,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(payload)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, scope: dict[str, Any], receive: Any) -> bytes:
        limit = self.max_body_bytes
        headers = dict(scope.get("headers") or [])
        announced = headers.get(b"content-length", b"").decode("latin-1")
        check_body_size(announced, limit, _ADVICE)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            check_body_size(size, limit, _ADVICE)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)
