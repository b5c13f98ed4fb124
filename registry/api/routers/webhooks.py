"""Webhook subscriptions for operations systems (admin only): create, list, delete, deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import Path as FastPath
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from fairgate.registry.api.auth import Principal
from fairgate.registry.api.deps import ServiceDep, require_role

__all__ = ["router"]

router = APIRouter()
AdminP = Annotated[Principal, Depends(require_role())]
HookId = Annotated[str, FastPath(pattern=r"^[0-9a-f]{16}$", description="The webhook's id.")]


class WebhookRequest(BaseModel):
    """Body of ``POST /v1/webhooks``."""

    url: str = Field(
        min_length=1,
        max_length=2000,
        description="An http(s) URL that receives each state change as a signed JSON POST.",
    )
    model: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Only this model's state changes (every version); leave out for all models.",
    )


@router.post("/v1/webhooks", tags=["webhooks"], status_code=201, summary="Subscribe a webhook")
def create_webhook(body: WebhookRequest, service: ServiceDep, principal: AdminP) -> JSONResponse:
    """Subscribe a URL to state changes from now on; the answer holds the secret, once.

    Each delivery is a POST of JSON signed with ``X-Fairgate-Signature: sha256=<HMAC-SHA256 of
    the body with the secret>`` plus ``X-Fairgate-Timestamp``; a URL that is not http(s) is
    refused with 422, and redirects are never followed.
    """
    store = service.webhooks
    hook, secret = store.create(body.url, model=body.model, actor=principal.actor)
    return JSONResponse({**hook.to_dict(), "secret": secret}, status_code=201)


@router.get("/v1/webhooks", tags=["webhooks"], summary="Webhook subscriptions")
def list_webhooks(service: ServiceDep, principal: AdminP) -> JSONResponse:
    """Every subscription, without secrets (deleted ones show ``deleted_at``)."""
    hooks = service.webhooks.list()
    return JSONResponse({"webhooks": [h.to_dict() for h in hooks]})


@router.delete("/v1/webhooks/{hook_id}", tags=["webhooks"], summary="Delete a webhook")
def delete_webhook(hook_id: HookId, service: ServiceDep, principal: AdminP) -> JSONResponse:
    """Stop the subscription; its pending deliveries are marked failed, the history is kept."""
    return JSONResponse(service.webhooks.delete(hook_id).to_dict())


@router.get(
    "/v1/webhooks/{hook_id}/deliveries", tags=["webhooks"], summary="Deliveries of a webhook"
)
def deliveries(
    hook_id: HookId,
    service: ServiceDep,
    principal: AdminP,
    limit: int = Query(default=100, ge=1, le=1000),
) -> JSONResponse:
    """The newest deliveries: status (pending, delivered, failed), attempts and last error."""
    rows = service.webhooks.deliveries(hook_id, limit=limit)
    return JSONResponse({"deliveries": [d.to_dict() for d in rows]})
