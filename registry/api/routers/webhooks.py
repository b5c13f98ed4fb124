"""Webhook subscriptions for operations systems (admin only): create, list, delete, deliveries."""

from __future__ import annotations

from typing import Annotated, Literal

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

    Each delivery is a POST of JSON with the Standard Webhooks headers ``webhook-id`` (the ledger
    event's hash, the same on every retry), ``webhook-timestamp`` and ``webhook-signature:
    v1,<base64 HMAC-SHA256 of "id.timestamp.body" keyed with the base64-decoded secret after
    whsec_>``. One subscription's deliveries arrive in ledger order, at least once. A URL that
    is not http(s) is refused with 422, and redirects are never followed.
    """
    store = service.webhooks
    hook, secret = store.create(body.url, model=body.model, actor=principal.actor)
    return JSONResponse({**hook.to_dict(), "secret": secret}, status_code=201)


@router.get("/v1/webhooks", tags=["webhooks"], summary="Webhook subscriptions")
def list_webhooks(service: ServiceDep, principal: AdminP) -> JSONResponse:
    """Every subscription, without secrets, with its deliveries counted per status.

    The counts are of pending, delivered and failed deliveries; deleted subscriptions show
    ``deleted_at``.
    """
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
    status: Literal["pending", "delivered", "failed"] | None = Query(
        default=None, description="Only deliveries in this status (e.g. failed)."
    ),
) -> JSONResponse:
    """The newest deliveries first: status, attempts, last HTTP status and error.

    A pending delivery shows its next attempt time, and the older event of the same subscription
    it waits for (one subscription's deliveries go in ledger order).
    """
    rows = service.webhooks.deliveries(hook_id, limit=limit, status=status)
    return JSONResponse({"deliveries": [d.to_dict() for d in rows]})
