"""The committee's decisions and votes on a model version (the pending question, its quorum)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from fairgate.errors import PermissionDeniedError
from fairgate.registry import usecases
from fairgate.registry.api.deps import CommitteeP, ReaderP, ServiceDep, json_answer

__all__ = ["router"]

router = APIRouter()
_VERSION = "/v1/models/{name}/{version}"
_DECIDE_SUMMARY = (
    "A committee decision or vote (approve, reject, suspend, reinstate, withdraw, dissent)"
)


@router.get(
    _VERSION + "/votes",
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


class DecisionRequest(BaseModel):
    """Body of ``POST /v1/models/{name}/{version}/decisions``."""

    action: Literal["approve", "reject", "suspend", "reinstate", "withdraw", "dissent"]
    rationale: str = Field(
        min_length=1, max_length=20_000, description="Why; recorded in the ledger."
    )
    evidence: dict[str, Any] | None = None


@router.post(_VERSION + "/decisions", tags=["decisions"], summary=_DECIDE_SUMMARY)
def decide(
    principal: CommitteeP,
    name: str,
    version: str,
    body: DecisionRequest,
    service: ServiceDep,
) -> JSONResponse:
    """Apply the decision; illegal transitions answer 409 naming the allowed ones.

    Approve and reinstate are votes: the state changes at the quorum of distinct members
    (``votes`` in the answer says where it stands); a member's second vote on the same pending
    question answers 409; ``dissent`` records a vote against it with its rationale.
    """
    decision = usecases.DecisionRequest(
        name,
        version,
        body.action,
        rationale=body.rationale,
        actor=principal.actor,
        evidence=body.evidence,
    )
    record = usecases.decide(service.registry, decision)
    service.hub.changed(name, version)
    votes = service.registry.votes(name, version).to_dict()
    return json_answer(service, {**jsonable_encoder(record), "votes": votes})
