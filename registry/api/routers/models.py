"""Routes for vendors, the committee and administrators, and the public listing.

An artifact is uploaded first (``POST /v1/artifacts``, the raw bytes streamed to disk with a size
limit and its SHA-256 checked against ``X-Content-SHA256`` when sent), then filed with its
``upload_id`` (``POST /v1/models``). A vendor token sees and changes only its own filings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request
from fastapi import Path as FastPath
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from fairgate.errors import (
    ArtifactIntegrityError,
    FairgateError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ValidationError,
)
from fairgate.registry import usecases
from fairgate.registry.api.auth import Principal
from fairgate.registry.api.deps import (
    CommitteeP,
    ReaderP,
    ServiceDep,
    VendorP,
    json_answer,
)
from fairgate.registry.api.service import Service
from fairgate.registry.store import AuditRecord

__all__ = ["router"]

_log = logging.getLogger("fairgate.service")

router = APIRouter()
_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_MAX_ID = 2**62
"""Largest id a query accepts (ids are 64-bit integers)."""


def _private_dir(folder: Path) -> None:
    """Create a folder (and its parents) readable by the service's user only."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def _vendor_of(record: Any) -> str | None:
    if isinstance(record, dict):
        return record.get("vendor")
    return getattr(record, "vendor", None)


def _own(principal: Principal, record: Any, what: str) -> None:
    """Vendors may only touch their own filings."""
    if principal.role == "vendor" and _vendor_of(record) != principal.vendor:
        raise PermissionDeniedError(
            f"{what} belongs to another vendor; a vendor token reads and changes only its own "
            "filings.",
            details={"vendor": principal.vendor},
        )


def _owned_version(service: Service, principal: Principal, name: str, version: str) -> Any:
    registry = service.registry
    record = registry.get(name, version)
    _own(principal, record, f"{name}:{version}")
    return record


# ------------------------------------------------------------------------------- public
@router.get("/v1/public/models", tags=["public"], summary="Public list of registered algorithms")
def public_models(service: ServiceDep) -> JSONResponse:
    """Name, purpose, department and state of every registered model version; no token."""
    registry = service.registry
    out = []
    for mv in registry.list_versions():
        data = jsonable_encoder(mv)
        filing = data.get("filing") if isinstance(data.get("filing"), dict) else {}
        out.append(
            {
                "name": data.get("name"),
                "version": data.get("version"),
                "purpose": data.get("purpose", filing.get("purpose")),
                "department": data.get("department", filing.get("department")),
                "state": data.get("state"),
            }
        )
    return json_answer(service, {"models": out})


# ------------------------------------------------------------------------------- artifacts
@router.post("/v1/artifacts", tags=["filings"], status_code=201, summary="Upload an artifact")
async def upload_artifact(
    principal: VendorP,
    request: Request,
    service: ServiceDep,
    filename: str = Query(
        ...,
        max_length=200,
        description="File name with its extension, e.g. model.skops (letters, digits, '.', '_', "
        "'-').",
    ),
    x_content_sha256: str | None = Header(default=None),
) -> JSONResponse:
    """Stream the raw body to disk (size limit, SHA-256 computed on the way).

    Send the bytes as ``application/octet-stream``; with ``X-Content-SHA256`` the upload is
    refused (409) when the bytes do not match. Returns the ``upload_id`` to file it with.
    """
    limit = service.settings.max_upload_bytes
    if not _FILENAME.match(filename):
        raise ValidationError(
            f"filename={filename[:80]!r}: give a plain file name like model.skops (letters, "
            "digits, '.', '_' and '-', starting with a letter or digit; no folders, no control "
            "characters).",
            details={"field": "filename"},
        )
    safe = filename
    announced = request.headers.get("content-length")
    if announced and announced.isdigit() and int(announced) > limit:
        raise PayloadTooLargeError(f"the artifact is over the upload limit of {limit} bytes.")
    upload_id = secrets.token_hex(8)
    folder = service.settings.artifacts_dir / "uploads" / upload_id
    await run_in_threadpool(_private_dir, folder)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(os.open(folder / safe, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600), "wb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLargeError(
                        f"the artifact is over the upload limit of {limit} bytes "
                        "(FAIRGATE_MAX_UPLOAD_BYTES)."
                    )
                digest.update(chunk)
                await run_in_threadpool(fh.write, chunk)
        sha = digest.hexdigest()
        if x_content_sha256 and x_content_sha256.strip().lower() != sha:
            raise ArtifactIntegrityError(
                f"the uploaded bytes hash to {sha}, not {x_content_sha256}; upload again.",
                details={"sha256": sha},
            )
        if size == 0:
            raise ValidationError("the artifact is empty; send the model file as the body.")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    meta = {"vendor": principal.vendor, "sha256": sha, "size": size, "filename": safe}
    with open(os.open(folder / "upload.json", os.O_CREAT | os.O_WRONLY, 0o600), "w") as fh:
        fh.write(json.dumps(meta))
    return json_answer(service, {"upload_id": upload_id, **meta}, 201)


def _upload_path(service: Any, principal: Principal, upload_id: str) -> Path:
    if not upload_id.isascii() or not upload_id.isalnum():
        raise ValidationError(f"upload_id={upload_id!r} is malformed.")
    folder = service.settings.artifacts_dir / "uploads" / upload_id
    meta_file = folder / "upload.json"
    if not meta_file.exists():
        raise NotFoundError(f"upload {upload_id!r} does not exist; upload the artifact first.")
    meta = json.loads(meta_file.read_text())
    if principal.role == "vendor" and meta["vendor"] != principal.vendor:
        raise PermissionDeniedError(f"upload {upload_id!r} belongs to another vendor.")
    return folder / meta["filename"]


# ------------------------------------------------------------------------------- filings
class FileRequest(BaseModel):
    """Body of ``POST /v1/models``."""

    filing: dict[str, Any] = Field(description="The filing (technical documentation).")
    upload_id: str | None = Field(
        default=None, max_length=64, description="From POST /v1/artifacts."
    )
    vendor: str | None = Field(
        default=None, max_length=200, description="Admin only: file for this vendor."
    )


@router.post("/v1/models", tags=["filings"], status_code=201, summary="File a model version")
def file_model(body: FileRequest, service: ServiceDep, principal: VendorP) -> JSONResponse:
    """File a model version with its documentation and (optionally) an uploaded artifact."""
    vendor = principal.vendor if principal.role == "vendor" else body.vendor
    artifact = _upload_path(service, principal, body.upload_id) if body.upload_id else None
    filing = usecases.FileRequest(body.filing, artifact, actor=principal.actor, vendor=vendor)
    record = usecases.file_model(service.registry, filing)
    data = jsonable_encoder(record)
    if data.get("name") is not None and data.get("version") is not None:
        service.hub.changed(str(data["name"]), str(data["version"]))
    return json_answer(service, record, 201)


@router.get("/v1/models", tags=["filings"], summary="List model versions")
def list_models(principal: ReaderP, service: ServiceDep, name: str | None = None) -> JSONResponse:
    """Every model version (a vendor sees only its own)."""
    registry = service.registry
    vendor = principal.vendor if principal.role == "vendor" else None
    return json_answer(service, {"models": registry.list_versions(vendor=vendor, name=name)})


@router.get("/v1/models/{name}/{version}", tags=["filings"], summary="A model version")
def get_model(name: str, version: str, service: ServiceDep, principal: ReaderP) -> JSONResponse:
    """The model version's record and its filing."""
    record = _owned_version(service, principal, name, version)
    registry = service.registry
    audits = registry.audits(name, version)
    latest = _audit_summary(audits[-1]) if audits else None
    filing = registry.filing(name, version)
    return json_answer(service, {"model": record, "filing": filing, "latest_audit": latest})


def _audit_summary(audit: AuditRecord) -> dict[str, Any]:
    """An audit without its full result: id, status, verdict, error, report, who and when."""
    return {
        "id": audit.id,
        "status": audit.status,
        "passed": audit.passed,
        "verdict": audit.verdict,
        "error": audit.error,
        "artifact_sha256": audit.artifact_sha256,
        "report_path": audit.report_path,
        "actor": audit.actor,
        "created_at": audit.created_at,
    }


@router.get("/v1/models/{name}/{version}/audits", tags=["audits"], summary="Audits of a version")
def list_audits(name: str, version: str, service: ServiceDep, principal: ReaderP) -> JSONResponse:
    """Every recorded audit of the model version, oldest first."""
    _owned_version(service, principal, name, version)
    return json_answer(service, {"audits": service.registry.audits(name, version)})


@router.get("/v1/models/{name}/{version}/audits/{audit_id}", tags=["audits"], summary="One audit")
def get_audit(
    name: str,
    version: str,
    audit_id: Annotated[int, FastPath(ge=1, le=_MAX_ID)],
    service: ServiceDep,
    principal: ReaderP,
) -> JSONResponse:
    """One recorded audit: ``status`` "completed" with its result, or "failed" with its error."""
    _owned_version(service, principal, name, version)
    for audit in service.registry.audits(name, version):
        if audit.id == audit_id:
            return json_answer(service, audit)
    raise NotFoundError(
        f"{name}:{version} has no audit {audit_id}; list them at "
        f"/v1/models/{name}/{version}/audits."
    )


class AuditRequest(BaseModel):
    """Body of ``POST /v1/models/{name}/{version}/audits``."""

    data_upload_id: str = Field(
        max_length=64, description="Evaluation data (Parquet/CSV) from POST /v1/artifacts."
    )
    lang: Literal["en", "zh"] = "en"


def _run_audit_task(service: Any, prepared: usecases.PreparedAudit) -> None:
    """Run a prepared audit in the background; a failure is recorded with its message."""
    request = prepared.request
    try:
        usecases.run_prepared_audit(service.registry, prepared)
    except FairgateError as exc:
        _log.warning("audit of %s:%s failed: %s", request.name, request.version, exc.message)
    except Exception:
        _log.exception("audit of %s:%s failed", request.name, request.version)
    finally:
        service.hub.changed(request.name, request.version)


@router.post(
    "/v1/models/{name}/{version}/audits",
    tags=["audits"],
    status_code=202,
    summary="Start an audit (runs in the background)",
)
def start_audit(
    principal: CommitteeP,
    name: str,
    version: str,
    body: AuditRequest,
    service: ServiceDep,
    background: BackgroundTasks,
) -> JSONResponse:
    """Audit the filed artifact on the uploaded evaluation data, then record the audit.

    The filing gives the target, the sensitive attributes and the features; the policy is the
    published one assigned to the version (``PUT .../policy`` re-assigns it), and its name,
    version and SHA-256 are recorded with the audit. The stored artifact's SHA-256 is checked
    first. Answers 202 at once;
    the audit appears in ``GET .../audits`` when done, with ``status`` "completed", or "failed"
    and its ``error``. Refused before it starts: 404 for an unknown version, 409 when it has no
    artifact on file, when its artifact changed since filing or when its state allows no audit,
    422 when the policy cannot be loaded.
    """
    usecases.check_auditable(service.registry, name, version)
    data = _upload_path(service, principal, body.data_upload_id)
    prepared = usecases.prepare_audit(
        service.registry,
        usecases.AuditRequest(
            name=name,
            version=version,
            data=data,
            actor=principal.actor,
            lang=body.lang,
        ),
    )
    background.add_task(_run_audit_task, service, prepared)
    return json_answer(
        service,
        {"started": True, "name": name, "version": version, "policy": prepared.policy_ref},
        202,
    )


@router.get(
    "/v1/models/{name}/{version}/report",
    tags=["audits"],
    summary="Download the HTML audit report",
    response_class=FileResponse,
)
def report(
    principal: ReaderP,
    name: str,
    version: str,
    service: ServiceDep,
    audit_id: int | None = Query(
        default=None, ge=1, le=_MAX_ID, description="Default: the latest audit."
    ),
) -> FileResponse:
    """The HTML report of the latest (or the given) audit."""
    _owned_version(service, principal, name, version)
    audits = list(service.registry.audits(name, version))
    if audit_id is not None:
        audits = [a for a in audits if a.id == audit_id]
    if not audits:
        raise NotFoundError(f"{name}:{version} has no audit{f' {audit_id}' if audit_id else ''}.")
    if audits[-1].error is not None:
        raise NotFoundError(
            f"audit {audits[-1].id} of {name}:{version} failed and has no report: "
            f"{audits[-1].error} An earlier audit's report: add ?audit_id=N."
        )
    path = audits[-1].report_path
    if not path or not Path(path).is_file():
        raise NotFoundError(f"the report of {name}:{version}'s audit is not on disk.")
    return FileResponse(path, media_type="text/html", filename=Path(path).name)
