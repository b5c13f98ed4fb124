"""The committee's votes on a model version: the pending question, its quorum, the votes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from fairgate.errors import PermissionDeniedError
from fairgate.registry.api.auth import Principal
from fairgate.registry.api.deps import ServiceDep, require_role

__all__ = ["router"]

router = APIRouter()
ReaderP = Annotated[Principal, Depends(require_role("vendor", "committee"))]


@router.get(
    "/v1/models/{name}/{version}/votes",
    tags=["decisions"],
    summary="Votes on a model version (quorum, votes in favour, dissents)",
)
def votes(
    name: str,
    version: str,
    service: ServiceDep,
    principal: ReaderP,
    lang: Annotated[str, Query(pattern="^(en|zh)$")] = "en",
) -> JSONResponse:
    """The pending question (approve or reinstate), its quorum and the votes on it.

    Each open vote carries its member and rationale, ``history`` holds every earlier vote, and
    ``summary`` says where the vote stands in English and Chinese (``text``: in ``lang``). A
    vendor reads only its own versions.
    """
    registry = service.registry
    record = registry.get(name, version)
    if principal.role == "vendor" and record.vendor != principal.vendor:
        raise PermissionDeniedError(
            f"{name}@{version} belongs to another vendor; a vendor token reads only its own "
            "filings."
        )
    tally = registry.votes(name, version)
    return JSONResponse({**tally.to_dict(), "text": tally.summary(lang)})
