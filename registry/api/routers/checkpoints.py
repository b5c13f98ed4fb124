"""Public ledger checkpoints: a fresh signed checkpoint and the key that signs them (no token)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from fairgate.registry.api.deps import ServiceDep
from fairgate.registry.store.checkpoints import make_checkpoint, public_key_info

__all__ = ["router"]

router = APIRouter()


@router.get(
    "/v1/public/checkpoint", tags=["public"], summary="A fresh signed checkpoint of the ledger"
)
async def checkpoint(service: ServiceDep) -> JSONResponse:
    """The ledger's length and head hash now, signed with the deployment's Ed25519 key.

    Keep the answer: ``fairgate ledger verify --checkpoint FILE_OR_URL`` later proves that no
    event up to it was edited, deleted or reordered.
    """
    key = await run_in_threadpool(service.checkpoint_key)
    made = await run_in_threadpool(make_checkpoint, service.registry.engine, key)
    return JSONResponse(made.to_dict(), headers={"Cache-Control": "no-store"})


@router.get("/v1/public/key", tags=["public"], summary="The key that signs ledger checkpoints")
async def key(service: ServiceDep) -> JSONResponse:
    """The deployment's Ed25519 public key: algorithm, key id, raw key (base64) and PEM."""
    return JSONResponse(public_key_info(await run_in_threadpool(service.checkpoint_key)))
