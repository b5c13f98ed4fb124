"""Routes of the policy store: the committee publishes policies and assigns them to models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from fairgate.errors import PermissionDeniedError
from fairgate.registry.api.auth import Principal
from fairgate.registry.api.deps import ServiceDep, require_role
from fairgate.registry.api.service import Service
from fairgate.registry.store.policies import POLICY_NAME_PATTERN

__all__ = ["router"]

router = APIRouter()
_committee = require_role("committee")
_reader = require_role("vendor", "committee", "operations")
CommitteeP = Annotated[Principal, Depends(_committee)]
ReaderP = Annotated[Principal, Depends(_reader)]


class PublishRequest(BaseModel):
    """Body of ``POST /v1/policies``."""

    policy: dict[str, Any] = Field(
        description="The policy (the fields of a policy YAML file); its 'name' is the name it is "
        "published under."
    )


class AssignRequest(BaseModel):
    """Body of ``PUT /v1/models/{name}/{version}/policy``."""

    policy: str = Field(
        pattern=POLICY_NAME_PATTERN, description="A published policy: NAME or NAME@VERSION."
    )
    rationale: str = Field(
        min_length=1, max_length=20_000, description="Why; recorded in the ledger."
    )


@router.post("/v1/policies", tags=["policies"], status_code=201, summary="Publish a policy")
def publish(body: PublishRequest, service: ServiceDep, principal: CommitteeP) -> JSONResponse:
    """Publish a policy (committee or admin); new content under a name is its next version.

    Each new version is a ledger event ``policy_publish`` with the policy's SHA-256. Publishing
    the content of the newest version again changes nothing and answers 200.
    """
    record, created = service.policies.publish(body.policy, actor=principal.actor)
    return JSONResponse(
        {**record.to_dict(), "created": created}, status_code=201 if created else 200
    )


@router.get("/v1/policies", tags=["policies"], summary="Published policies")
def list_policies(service: ServiceDep, principal: ReaderP) -> JSONResponse:
    """Every published version: name, version, SHA-256, who published it and when."""
    records = service.policies.list()
    out = [{**r.summary(), "actor": r.actor, "created_at": r.created_at} for r in records]
    return JSONResponse({"policies": out})


@router.get("/v1/policies/{policy}", tags=["policies"], summary="A published policy")
def get_policy(
    service: ServiceDep,
    principal: ReaderP,
    policy: Annotated[str, Path(pattern=POLICY_NAME_PATTERN, description="NAME or NAME@VERSION")],
) -> JSONResponse:
    """The newest version of a policy (or ``NAME@VERSION``), with its content."""
    return JSONResponse(service.policies.get(policy).to_dict())


def _check_reader(service: Service, principal: Principal, name: str, version: str) -> None:
    record = service.registry.get(name, version)
    if principal.role == "vendor" and record.vendor != principal.vendor:
        raise PermissionDeniedError(
            f"{name}:{version} belongs to another vendor; a vendor token reads only its own "
            "filings.",
            details={"vendor": principal.vendor},
        )


@router.get(
    "/v1/models/{name}/{version}/policy",
    tags=["policies"],
    summary="The policy governing a model version",
)
def governing(name: str, version: str, service: ServiceDep, principal: ReaderP) -> JSONResponse:
    """The published policy (name, version, SHA-256) the audit and the breaker apply."""
    _check_reader(service, principal, name, version)
    record = service.policies.governing(
        name, version, service.registry.filing(name, version).get("policy")
    )
    return JSONResponse({"name": name, "version": version, "policy": record.summary()})


@router.put(
    "/v1/models/{name}/{version}/policy",
    tags=["policies"],
    summary="Assign a published policy to a model version (committee)",
)
def assign(
    name: str, version: str, body: AssignRequest, service: ServiceDep, principal: CommitteeP
) -> JSONResponse:
    """Make a published policy govern the model version's audits and breaker (ledgered)."""
    service.registry.get(name, version)
    assignment = service.policies.assign(
        name, version, body.policy, actor=principal.actor, rationale=body.rationale
    )
    service.policy_changed(name, version)
    return JSONResponse(assignment.to_dict())
