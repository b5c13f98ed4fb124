"""The status hot path: an ASGI layer answering ``GET /v1/status/{name}/{version}`` from cache.

It runs before FastAPI's routing and dependency injection; the FastAPI route with the same path
documents it and gives the same answers.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from starlette.concurrency import run_in_threadpool

from fairgate.errors import FairgateError
from fairgate.registry.api.auth import require_role
from fairgate.registry.api.service import Service

__all__ = ["StatusFastPath"]

_log = logging.getLogger("fairgate.service")
_WORKER = (b"x-fairgate-worker", str(os.getpid()).encode())  # which of N workers answered


def _error_json(exc: FairgateError) -> bytes:
    return json.dumps(exc.to_dict(), default=str).encode()


class StatusFastPath:
    """ASGI layer answering ``GET /v1/status/{name}/{version}`` straight from the cache.

    Parameters
    ----------
    app : ASGI app
        The FastAPI app (everything else goes there).
    """

    _ROLES = ("operations", "committee")

    def __init__(self, app: Any) -> None:
        self.app = app
        self.service: Service | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Answer a status request, or pass anything else on to the app."""
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.startswith("/v1/status/")
            or path.count("/") != 4
            or self.service is None
        ):
            await self.app(scope, receive, _named(send) if scope["type"] == "http" else send)
            return
        _, _, _, name, version = path.split("/")
        if not name or not version:
            await self.app(scope, receive, _named(send))
            return
        headers = dict(scope["headers"])
        try:
            raw = headers.get(b"authorization")
            auth = raw.decode("latin-1") if raw else None
            principal = None
            if auth and auth[:7].lower() == "bearer ":
                principal = self.service.tokens.cached(auth[7:].strip())
            if principal is None:  # cache miss: the KDF and the database, off the event loop
                principal = await run_in_threadpool(self.service.principal, auth)
            require_role(principal, *self._ROLES)
            entry = self.service.hub.get(name, version)
            if entry is None:
                entry = await run_in_threadpool(self.service.hub.load, name, version)
        except FairgateError as exc:
            await _send(send, exc.status_code, _error_json(exc), [_WORKER])
            return
        except Exception:
            _log.exception("status fast path failed")
            await _send(send, 500, b'{"error":"internal","message":"internal error"}', [_WORKER])
            return
        _, body, etag = entry
        extra = [(b"etag", etag.encode()), (b"cache-control", b"no-cache"), _WORKER]
        if headers.get(b"if-none-match", b"").decode("latin-1").strip() == etag:
            await _send(send, 304, b"", extra, content_type=False)
            return
        await _send(send, 200, body, extra)


def _named(send: Any) -> Any:
    """``send`` that adds ``X-Fairgate-Worker`` to the app's answers (which worker answered)."""

    async def named(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), _WORKER]}
        await send(message)

    return named


async def _send(
    send: Any, status: int, body: bytes, extra: list[tuple[bytes, bytes]], content_type: bool = True
) -> None:
    headers = [(b"content-length", str(len(body)).encode()), *extra]
    if content_type:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
