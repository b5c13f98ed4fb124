"""The service's error handlers: every refusal a 4xx JSON body, anything unexpected a bare 500.

Every :class:`~fairgate.errors.FairgateError` becomes its HTTP status with a JSON body
``{"error": code, "message": ...}`` (a catalog message in the language the request's
``Accept-Language`` prefers, English or 简体中文); request validation errors become 422 with
the offending fields; anything unexpected becomes a generic 500 body (the trace goes to the
server log only).
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fairgate.audit.report.catalog import message_in
from fairgate.errors import FairgateError
from fairgate.registry.api.redact import redact, server_roots

__all__ = ["install_error_handlers"]

_log = logging.getLogger("fairgate.service")


def _language(request: Request) -> str:
    """``zh`` when the request's ``Accept-Language`` prefers Chinese, else ``en``."""
    first = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to its JSON answer on ``app``."""

    @app.exception_handler(FairgateError)
    async def _fairgate_error(request: Request, exc: FairgateError) -> JSONResponse:
        roots = server_roots(request.app.state.service.settings)
        answer = exc.to_dict()
        if exc.message_key is not None:  # a catalog message: say it in the reader's language
            answer["message"] = message_in(exc, _language(request))
        body = redact(json.loads(json.dumps(answer, default=str)), roots)
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg")}
            for err in exc.errors()
        ]
        fields = ", ".join(p["field"] for p in problems) or "the request"
        body = {
            "error": "validation_error",
            "message": f"the request is invalid; check {fields}.",
            "details": {"problems": problems},
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            {"error": "internal", "message": "internal error; the server log has the details."},
            status_code=500,
        )
