"""fairgate's HTTP service: ``create_app(settings)`` builds the FastAPI app (OpenAPI at ``/docs``).

Routes live in :mod:`.routers.models` (filings, artifacts, audits, reports, the public listing),
:mod:`.routers.votes` (decisions and votes), :mod:`.routers.ledger`, :mod:`.routers.tokens` and
:mod:`.routers.ops` (status, push stream, observations, health), among others;
they reach the shared :class:`~.service.Service` and check roles through :mod:`.deps`.

Every route but the public listing, ``/health``, ``/ready`` and the documentation needs
``Authorization: Bearer fg_<id>_<secret>``; each checks its role (:mod:`.auth`). Errors are
answered by :mod:`.handlers`; ``GET /v1/status/{name}/{version}`` by :mod:`.fast_path` first.

Run it with ``fairgate serve`` (127.0.0.1:8000 by default), with ``--workers N`` for several
processes (or on several hosts sharing one PostgreSQL database): state changes reach every
worker's cache through the change feed, and each model version's breaker windows have one owner
at a time (:mod:`fairgate.registry.store.changes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from fairgate.registry.api.fast_path import StatusFastPath
from fairgate.registry.api.handlers import install_error_handlers
from fairgate.registry.api.limits import BodyLimits
from fairgate.registry.api.routers import checkpoints as routes_checkpoints
from fairgate.registry.api.routers import ledger as routes_ledger
from fairgate.registry.api.routers import models as routes_models
from fairgate.registry.api.routers import names as routes_names
from fairgate.registry.api.routers import ops as routes_ops
from fairgate.registry.api.routers import policies as routes_policies
from fairgate.registry.api.routers import tokens as routes_tokens
from fairgate.registry.api.routers import votes as routes_votes
from fairgate.registry.api.routers import webhooks as routes_webhooks
from fairgate.registry.api.service import POLICY_ENV, PolicySource, Service
from fairgate.registry.api.webhook_worker import WebhookWorker
from fairgate.registry.web import PUBLIC_PATHS as WEB_PUBLIC_PATHS
from fairgate.registry.web import web_router
from fairgate.settings import Settings

__all__ = ["PUBLIC_PATHS", "create_app"]

PUBLIC_PATHS: frozenset[str] = frozenset(
    {
        "/v1/public/models",
        "/v1/public/checkpoint",
        "/v1/public/key",
        "/health",
        "/ready",
        "/docs",
        "/docs/oauth2-redirect",
        "/openapi.json",
        "/redoc",
    }
    | WEB_PUBLIC_PATHS
)
"""Paths that need no token."""


def create_app(
    settings: Settings | None = None, *, registry: Any = None, policy: PolicySource = None
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
    settings = settings or Settings()
    if registry is None:
        from fairgate.registry.store import Registry

        settings.ensure_home()
        registry = Registry(settings)
    service = Service(settings, registry, policy, breaker_policy=os.environ.get(POLICY_ENV) or None)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.hub.attach(asyncio.get_running_loop())
        await asyncio.to_thread(service.hub.skip_history)
        poller = asyncio.create_task(service.hub.poll_ledger())
        webhooks = WebhookWorker(service.webhooks.queue)
        webhooks.start()
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            await asyncio.to_thread(webhooks.stop)
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
    install_error_handlers(app)
    app.include_router(routes_models.router)
    app.include_router(routes_ledger.router)
    app.include_router(routes_tokens.router)
    app.include_router(routes_names.router)
    app.include_router(routes_ops.router)
    app.include_router(routes_policies.router)
    app.include_router(routes_checkpoints.router)
    app.include_router(routes_webhooks.router)
    app.include_router(routes_votes.router)
    app.include_router(web_router())
    app.add_middleware(StatusFastPath)
    app.add_middleware(BodyLimits, max_body_bytes=settings.max_body_bytes)
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
