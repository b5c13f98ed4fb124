"""Routes for serving systems: status, the push stream, observations, health and readiness."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from fairgate.errors import (
    ConflictError,
    ServiceUnavailableError,
)
from fairgate.registry.api.auth import Principal
from fairgate.registry.api.deps import ServiceDep, require_role
from fairgate.registry.api.limits import check_body_size

__all__ = ["HEARTBEAT_SECONDS", "ingest_batch", "read_body", "router"]

HEARTBEAT_SECONDS = 1.0
"""The push stream sends a comment line this often, so clients notice a dead server quickly."""

router = APIRouter()
_ops = require_role("operations", "committee")
_observer = require_role("operations")
OpsP = Annotated[Principal, Depends(_ops)]
ObserverP = Annotated[Principal, Depends(_observer)]


async def read_body(request: Request, limit: int) -> bytes:
    """Read a request body, refusing it (413) as soon as it exceeds ``limit`` bytes.

    The ``Content-Length`` header is checked first, so an announced oversize body is refused
    before any of it is read.
    """
    advice = "send smaller batches (FAIRGATE_MAX_BODY_BYTES sets the limit)."
    check_body_size(request.headers.get("content-length"), limit, advice)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        check_body_size(size, limit, advice)
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/health", tags=["health"], summary="Liveness: the process answers")
def health() -> dict[str, str]:
    """Always ``{"status": "ok"}`` while the process runs."""
    return {"status": "ok"}


@router.get("/ready", tags=["health"], summary="Readiness: the database answers")
def ready(request: Request, service: ServiceDep) -> JSONResponse:
    """200 when the service is started and its database answers, else 503."""
    try:
        if not request.app.state.ready:
            raise ServiceUnavailableError("the service is starting")
        service.registry.events(after_id=service.hub.last_event_id, limit=1)
    except Exception as exc:  # report, never raise
        err = ServiceUnavailableError(f"not ready: {type(exc).__name__}")
        return JSONResponse(err.to_dict(), status_code=503)
    return JSONResponse({"status": "ready", "subscribers": service.hub.subscribers})


@router.get(
    "/v1/status/{name}/{version}",
    tags=["status"],
    summary="May I serve this model version right now?",
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}},
)
async def status(
    principal: OpsP,
    name: str,
    version: str,
    service: ServiceDep,
    if_none_match: str | None = Header(default=None),
) -> Response:
    """Serve / do-not-serve with the state, the reason and the revision as ETag.

    Answered from an in-memory cache kept current by state-change events.
    """
    entry = service.hub.get(name, version)
    if entry is None:
        entry = await run_in_threadpool(service.hub.load, name, version)
    _, body, etag = entry
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match is not None and if_none_match.strip() == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _sse(event: str, data: dict[str, Any], event_id: Any = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=str)}\n\n".encode()


@router.get(
    "/v1/status/stream",
    tags=["status"],
    summary="Push stream (Server-Sent Events) of status changes",
    response_class=StreamingResponse,
)
async def stream(
    principal: OpsP,
    service: ServiceDep,
    model: str | None = Query(default=None, description="Only this model's changes."),
) -> StreamingResponse:
    """``event: status`` with the new status of each change; ``: ping`` every second.

    The first event, ``hello``, tells the client the stream is live; a client should re-read the
    status of the models it caches after every (re)connection.
    """
    hub = service.hub
    queue = hub.subscribe()

    async def events() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 500\n" + _sse("hello", {"last_event_id": hub.last_event_id})
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield b": ping\n\n"
                    continue
                if model is None or message.get("name") == model:
                    yield _sse("status", message, message.get("revision"))
        finally:
            hub.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def ingest_batch(service: Any, body: bytes) -> tuple[int, dict[str, Any]]:
    """Parse a batch, store it and run the breaker on it; the answer's status code and body.

    Parameters
    ----------
    service : Service
        The service (its observations store, breaker and status hub).
    body : bytes
        The JSON body of ``POST /v1/observations``.

    Returns
    -------
    (status_code, answer) : tuple of int and dict
        201 for a stored batch, 200 for a retry of a stored ``client_batch_id``.
    """
    from fairgate.registry.monitor.observations import batch_target, decode_body, parse_batch_dict

    started = time.perf_counter()
    data = decode_body(body)
    batch = parse_batch_dict(data, service.breaker.live_kind(*batch_target(data)))
    if batch.client_batch_id is not None:
        known = service.observations.find(batch.model, batch.version, batch.client_batch_id)
        if known is not None:  # a retry whose first answer was lost
            return 200, _duplicate(service, known, started)
    data, _, _ = service.status_entry(batch.model, batch.version)
    if data["state"] != "ACTIVE":
        raise ConflictError(
            f"{batch.model}:{batch.version} is {data['state']}, not ACTIVE; observations are "
            "only taken for a model in service.",
            details={"state": data["state"]},
        )
    done = service.breaker.record(batch)
    if done.duplicate:
        return 200, _duplicate(service, done.stored, started)
    out: dict[str, Any] = {
        "accepted": done.stored.n,
        "batch_id": done.stored.id,
        "client_batch_id": done.stored.client_batch_id,
        "duplicate": False,
        "state": data["state"],
        "tripped": done.status is not None,
        "evaluations": [e.to_dict() for e in done.evaluations],
    }
    if done.status is not None:
        new = service.hub.changed(batch.model, batch.version)
        out["state"] = (new or service.status_entry(batch.model, batch.version)[0])["state"]
    out["ingest_ms"] = round((time.perf_counter() - started) * 1000, 3)
    out["worker"] = os.getpid()  # which worker process evaluated it (``serve --workers N``)
    return 201, out


def _duplicate(service: Any, known: Any, started: float) -> dict[str, Any]:
    data, _, _ = service.status_entry(known.model, known.version)
    return {
        "accepted": known.n,
        "batch_id": known.id,
        "client_batch_id": known.client_batch_id,
        "duplicate": True,
        "state": data["state"],
        "tripped": False,
        "evaluations": [],
        "ingest_ms": round((time.perf_counter() - started) * 1000, 3),
    }


@router.post(
    "/v1/observations",
    tags=["observations"],
    status_code=201,
    summary="Report a batch of live decisions of an ACTIVE model",
)
async def observations(request: Request, service: ServiceDep, principal: ObserverP) -> JSONResponse:
    """Store a batch (all or nothing) and evaluate the breaker rules on it, in one commit.

    Body: ``{"model", "version", "observations": [...]}`` or the columnar form
    ``{"model", "version", "prediction": [...], "outcome": [...], "sensitive": {attr: [...]}}``,
    optionally with what people did: ``reviewed``, ``overridden``, ``final_decision`` (required
    for a model whose policy has oversight limits; for every kind). Predictions are what the
    filing declares: 0/1 decisions, scores (a ranking model, decided at the filing's threshold),
    class labels (a classifier with more than two classes) or numbers (a regression model);
    outcomes likewise, ``null`` until known.
    Answers 201 only after the batch is committed; ``tripped`` tells whether it suspended the
    model (the suspension is committed with the batch). With ``client_batch_id`` a retried batch
    is stored once: the retry answers 200 with ``duplicate: true`` and the first batch's id.
    ``ingest_ms`` is the server's time from the received body to the answer. 404 for an unknown
    model, 409 for a model not ACTIVE, 413 over the size limit, 422 for anything malformed.
    """
    body = await read_body(request, service.settings.max_body_bytes)
    code, answer = await run_in_threadpool(ingest_batch, service, body)
    return JSONResponse(answer, status_code=code)
