"""Service tokens over REST: an administrator creates, lists and revokes them."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi import Path as FastPath
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from fairgate.registry.api.auth import MAX_EXPIRES_DAYS, ROLES
from fairgate.registry.api.deps import AdminP, ServiceDep, json_answer

__all__ = ["router"]

router = APIRouter()


class TokenRequest(BaseModel):
    """Body of ``POST /v1/tokens``."""

    role: Literal[ROLES]  # type: ignore[valid-type]
    vendor: str | None = Field(default=None, min_length=1, max_length=200)
    expires_days: float | None = Field(default=None, gt=0, le=MAX_EXPIRES_DAYS)
    label: str | None = Field(default=None, max_length=200)
    member: str | None = Field(
        default=None, min_length=1, max_length=200, description="A committee token's member."
    )


@router.post("/v1/tokens", tags=["tokens"], status_code=201, summary="Create a token (admin)")
def create_token(body: TokenRequest, service: ServiceDep, principal: AdminP) -> JSONResponse:
    """The token is in this answer only; the server keeps its salted hash."""
    tokens = service.tokens
    token, info = tokens.create(
        body.role,
        vendor=body.vendor,
        expires_days=body.expires_days,
        label=body.label,
        member=body.member,
    )
    return json_answer(service, {"token": token, **info.to_dict()}, 201)


@router.get("/v1/tokens", tags=["tokens"], summary="List tokens (admin)")
def list_tokens(service: ServiceDep, principal: AdminP) -> JSONResponse:
    """Every token without its secret."""
    return json_answer(service, {"tokens": [t.to_dict() for t in service.tokens.list()]})


@router.delete("/v1/tokens/{token_id}", tags=["tokens"], summary="Revoke a token (admin)")
def revoke_token(
    service: ServiceDep, principal: AdminP, token_id: str = FastPath(max_length=32)
) -> JSONResponse:
    """Revoke at once in this process (other processes: within the token cache lifetime)."""
    return json_answer(service, service.tokens.revoke(token_id).to_dict())
