"""Routes for model-name ownership: who owns a name, and an admin's transfer of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from fairgate.errors import NotFoundError
from fairgate.registry.api.auth import Principal
from fairgate.registry.api.deps import ServiceDep, require_role

__all__ = ["router"]

router = APIRouter()
_committee = require_role("committee")
_admin = require_role()
CommitteeP = Annotated[Principal, Depends(_committee)]
AdminP = Annotated[Principal, Depends(_admin)]


@router.get("/v1/names/{name}", tags=["names"], summary="Who owns a model name")
def name_owner(name: str, service: ServiceDep, principal: CommitteeP) -> JSONResponse:
    """The vendor that owns ``name`` (committee and admin)."""
    owner = service.registry.name_owner(name)
    if owner is None:
        raise NotFoundError(f"the model name {name!r} was never filed.")
    return JSONResponse({"name": name, "owner": owner})


class TransferRequest(BaseModel):
    """Body of ``POST /v1/names/{name}/owner``."""

    vendor: str = Field(min_length=1, max_length=200, description="The new owner.")
    rationale: str = Field(min_length=1, max_length=4000, description="Why; ledgered.")


@router.post("/v1/names/{name}/owner", tags=["names"], summary="Transfer a model name (admin)")
def transfer_name(
    name: str, body: TransferRequest, service: ServiceDep, principal: AdminP
) -> JSONResponse:
    """Give ``name`` and every version filed under it to another vendor; a ledger event."""
    previous = service.registry.transfer_name(
        name, body.vendor, rationale=body.rationale, actor=principal.actor
    )
    for mv in service.registry.list_versions(name=name):
        service.hub.changed(mv.name, mv.version)
    return JSONResponse({"name": name, "owner": body.vendor.strip(), "previous": previous})
