"""fairgate's HTTP service: the app factory, authentication and error handling.

``create_app(settings)`` builds a FastAPI app (OpenAPI at ``/docs``) around one
:class:`~fairgate.registry.store.Registry`. Routes live in :mod:`.routers.models`
(filings, artifacts, audits, reports, decisions, ledger, tokens, the public listing) and
:mod:`fairgate.registry.api.routers.ops` (status, push stream, observations, health).

Every route but the public listing, ``/health``, ``/ready`` and the documentation needs
``Authorization: Bearer fg_<id>_<secret>``; each checks its role (:mod:`.auth`).
Every :class:`~fairgate.errors.FairgateError` becomes its HTTP status with a JSON body
``{"error": code, "message": ...}``; request validation errors become 422 with the offending
fields; anything unexpected becomes a generic 500 body (the trace goes to the server log only).

The status endpoint is the hot path: a small ASGI layer (:class:`StatusFastPath`) answers
``GET /v1/status/{name}/{version}`` from the in-memory status cache before FastAPI's routing and
dependency injection run; the FastAPI route with the same path documents it and gives the same
answers.

Run it with ``fairgate serve`` (127.0.0.1:8000 by default) as **one** worker process per
database: the breaker's windows live in that process's memory.

Which breaker rules govern a model: the ``policy`` given to :func:`create_app`; else the policy
file named by the environment variable ``FAIRGATE_BREAKER_POLICY`` (for every model); else the
policy named by the model's filing, if the registry records one; else
``fairgate.audit.policy.default_policy()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from fairgate.errors import AuthenticationError, FairgateError
from fairgate.registry.api.auth import Principal, TokenStore, require_role
from fairgate.registry.api.events import StatusHub
from fairgate.settings import Settings

__all__ = [
    "POLICY_ENV",
    "PUBLIC_PATHS",
    "Service",
    "StatusFastPath",
    "create_app",
    "load_breaker_policy",
]

POLICY_ENV = "FAIRGATE_BREAKER_POLICY"
"""Environment variable naming a policy file whose breaker rules then govern every model."""

PUBLIC_PATHS: frozenset[str] = frozenset(
    {
        "/v1/public/models",
        "/health",
        "/ready",
        "/docs",
        "/docs/oauth2-redirect",
        "/openapi.json",
        "/redoc",
    }
)
"""Paths that need no token."""

_log = logging.getLogger("fairgate.service")


def _error_json(exc: FairgateError) -> bytes:
    return json.dumps(exc.to_dict(), default=str).encode()


class Service:
    """Everything the routes share: settings, registry, tokens, observations, breaker, hub.

    Parameters
    ----------
    settings : Settings
    registry : Registry
    policy : Policy or callable, optional
        The breaker policy for every model, or ``policy(name, version) -> Policy``. Default: the
        policy named by the model's filing if the registry knows it, else
        ``fairgate.audit.policy.default_policy()``.
    """

    def __init__(self, settings: Settings, registry: Any, policy: Any = None) -> None:
        from fairgate.registry.monitor.breaker import Breaker
        from fairgate.registry.monitor.observations import ObservationStore

        self.settings = settings
        self.registry = registry
        self.tokens = TokenStore(registry.engine)
        self.observations = ObservationStore(registry.engine)
        self._policy = policy
        self._policies: dict[tuple[str, str], Any] = {}
        self.breaker = Breaker(registry, self.observations, self.policy_for)
        self.hub = StatusHub(registry, on_state_change=self._state_changed)

    def _state_changed(self, name: str, version: str, old: str | None, new: str) -> None:
        self.breaker.forget(name, version)
        self._policies.pop((name, version), None)

    def policy_for(self, name: str, version: str) -> Any:
        """The policy whose breaker rules govern a model version."""
        key = (name, version)
        if key in self._policies:
            return self._policies[key]
        policy = self._policy
        if callable(policy) and not hasattr(policy, "breaker"):
            policy = policy(name, version)
        if policy is None:
            policy = _policy_from_registry(self.registry, name, version)
        elif hasattr(policy, "bind"):
            policy = policy.bind(_sensitive_of(self.registry, name, version))
        self._policies[key] = policy
        return policy

    def principal(self, authorization: str | None) -> Principal:
        """Verify an ``Authorization`` header value.

        Raises
        ------
        AuthenticationError
        """
        if not authorization:
            raise AuthenticationError(
                "this endpoint needs a token: send 'Authorization: Bearer fg_<id>_<secret>' "
                "(create one with 'fairgate token create --role ROLE')."
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(
                "the Authorization header must read 'Bearer fg_<id>_<secret>'."
            )
        return self.tokens.verify(token.strip())

    def status_entry(self, name: str, version: str) -> tuple[dict[str, Any], bytes, str]:
        """The cached status answer of a model version (blocking on a cache miss)."""
        entry = self.hub.get(name, version)
        return entry if entry is not None else self.hub.load(name, version)


def load_breaker_policy(path: str | os.PathLike[str]) -> Any:
    """Load a policy file for the breaker with :func:`fairgate.audit.policy.load_policy`.

    Parameters
    ----------
    path : str or path-like
        A YAML or JSON policy file.

    Returns
    -------
    Policy
    """
    try:
        from fairgate.audit.policy import load_policy
    except ImportError:  # the policy engine is not installed: read the rules directly
        import yaml

        from fairgate.registry.monitor.breaker import policy_from_mapping

        return policy_from_mapping(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    return load_policy(path)


def _policy_from_registry(registry: Any, name: str, version: str) -> Any:
    """The filing's policy if it names one, else the default policy, bound to its attributes."""
    try:
        from fairgate.audit import policy as policy_mod
    except ImportError:
        return None
    policy = None
    with contextlib.suppress(Exception):
        ref = registry.filing(name, version).get("policy")
        if ref:
            policy = policy_mod.load_policy(ref)
    if policy is None:
        policy = policy_mod.default_policy()
    return policy.bind(_sensitive_of(registry, name, version))


def _sensitive_of(registry: Any, name: str, version: str) -> list[str]:
    """The sensitive variables a model version's filing declares."""
    filing: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        filing = dict(registry.filing(name, version))
    return list(filing.get("sensitive_variables") or []) or [
        f["name"] for f in filing.get("features", []) if f.get("sensitive")
    ]


def role_dependency(*roles: str) -> Callable[[Request], Principal]:
    """A FastAPI dependency that authenticates and requires one of ``roles`` (admin always)."""

    def dependency(request: Request) -> Principal:
        service: Service = request.app.state.service
        principal = service.principal(request.headers.get("authorization"))
        return require_role(principal, *roles)

    dependency.__name__ = f"require_{'_'.join(roles) or 'admin'}"
    return dependency


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
            await self.app(scope, receive, send)
            return
        _, _, _, name, version = path.split("/")
        if not name or not version:
            await self.app(scope, receive, send)
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
            await _send(send, exc.status_code, _error_json(exc), [])
            return
        except Exception:
            _log.exception("status fast path failed")
            await _send(send, 500, b'{"error":"internal","message":"internal error"}', [])
            return
        _, body, etag = entry
        extra = [(b"etag", etag.encode()), (b"cache-control", b"no-cache")]
        if headers.get(b"if-none-match", b"").decode("latin-1").strip() == etag:
            await _send(send, 304, b"", extra, content_type=False)
            return
        await _send(send, 200, body, extra)


async def _send(
    send: Any, status: int, body: bytes, extra: list[tuple[bytes, bytes]], content_type: bool = True
) -> None:
    headers = [(b"content-length", str(len(body)).encode()), *extra]
    if content_type:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FairgateError)
    async def _fairgate_error(request: Request, exc: FairgateError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg")}
            for err in exc.errors()
        ]
        fields = ", ".join(p["field"] for p in problems) or "the request"
        body = {
            "error": "validation_error",
            "message": f"the request is invalid; check {fields}.",
            "details": {"problems": problems},
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            {"error": "internal", "message": "internal error; the server log has the details."},
            status_code=500,
        )


def create_app(
    settings: Settings | None = None, *, registry: Any = None, policy: Any = None
) -> FastAPI:
    """Build the fairgate service.

    Parameters
    ----------
    settings : Settings, optional
        Default: read from the environment.
    registry : Registry, optional
        Default: ``Registry(settings)`` (which migrates the database to the newest schema).
    policy : Policy or callable, optional
        Breaker policy override (see :class:`Service`).

    Returns
    -------
    fastapi.FastAPI
    """
    from fairgate.registry.api.routers import models as routes_models
    from fairgate.registry.api.routers import names as routes_names
    from fairgate.registry.api.routers import ops as routes_ops

    settings = settings or Settings()
    if policy is None and os.environ.get(POLICY_ENV):
        policy = load_breaker_policy(os.environ[POLICY_ENV])
    if registry is None:
        from fairgate.registry.store import Registry

        settings.ensure_home()
        registry = Registry(settings)
    service = Service(settings, registry, policy)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.hub.attach(asyncio.get_running_loop())
        await asyncio.to_thread(service.hub.skip_history)
        poller = asyncio.create_task(service.hub.poll_ledger())
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    app = FastAPI(
        title="fairgate",
        version="0.1.0",
        summary="Algorithm registry, fairness audit and circuit breaker.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.ready = False
    _install_error_handlers(app)
    app.include_router(routes_models.router)
    app.include_router(routes_names.router)
    app.include_router(routes_ops.router)
    app.add_middleware(StatusFastPath)
    fast = _find_fast_path(app)
    app.state.fast_path = fast
    return app


def _find_fast_path(app: FastAPI) -> None:
    """Give the :class:`StatusFastPath` layer the service once Starlette builds the stack."""
    original = app.build_middleware_stack

    def build() -> Any:
        stack = original()
        layer = stack
        while layer is not None:
            if isinstance(layer, StatusFastPath):
                layer.service = app.state.service
                break
            layer = getattr(layer, "app", None)
        return stack

    app.build_middleware_stack = build  # type: ignore[method-assign]
