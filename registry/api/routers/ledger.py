"""The ledger over REST: its events for the committee, and the check of its hash chain."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from fairgate.registry.api.deps import CommitteeP, ServiceDep, json_answer

__all__ = ["router"]

router = APIRouter()
_MAX_ID = 2**62
"""Largest id a query accepts (ids are 64-bit integers)."""


@router.get("/v1/ledger", tags=["ledger"], summary="Ledger events")
def ledger(
    principal: CommitteeP,
    service: ServiceDep,
    after_id: int = Query(default=0, ge=0, le=_MAX_ID),
    limit: int = Query(default=100, ge=1, le=1000),
) -> JSONResponse:
    """Events after ``after_id``, oldest first."""
    events = service.registry.events(after_id=after_id, limit=limit)
    return json_answer(service, {"events": events})


@router.get("/v1/ledger/verify", tags=["ledger"], summary="Verify the hash chain")
def verify_ledger(service: ServiceDep, principal: CommitteeP) -> JSONResponse:
    """Check the ledger's hash chain; 500 ``ledger_integrity`` when broken."""
    result = service.registry.verify_ledger()
    return json_answer(service, {"ok": True, "result": result})
