"""FastAPI dependencies of the routers: the shared :class:`Service` and role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from fairgate.registry.api.auth import Principal
from fairgate.registry.api.auth import require_role as check_role
from fairgate.registry.api.service import Service

__all__ = [
    "AdminP",
    "CommitteeP",
    "ReaderP",
    "ServiceDep",
    "VendorP",
    "get_service",
    "json_answer",
    "require_role",
]


def get_service(request: Request) -> Service:
    """The app's :class:`Service` (set by :func:`fairgate.registry.api.app.create_app`)."""
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]
"""A route parameter annotated with this receives the app's :class:`Service`."""


def require_role(*roles: str) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and requires one of ``roles`` (admin always).

    Parameters
    ----------
    *roles : str
        Roles allowed besides admin (none: admin only).

    Returns
    -------
    callable
        For ``Annotated[Principal, Depends(require_role("vendor"))]``.
    """

    def dependency(request: Request, service: ServiceDep) -> Principal:
        principal = service.principal(request.headers.get("authorization"))
        return check_role(principal, *roles)

    dependency.__name__ = f"require_{'_'.join(roles) or 'admin'}"
    return dependency


VendorP = Annotated[Principal, Depends(require_role("vendor"))]
"""A vendor (or admin) caller."""
ReaderP = Annotated[Principal, Depends(require_role("vendor", "committee"))]
"""A vendor or committee (or admin) caller."""
CommitteeP = Annotated[Principal, Depends(require_role("committee"))]
"""A committee (or admin) caller."""
AdminP = Annotated[Principal, Depends(require_role())]
"""An admin caller."""


def json_answer(service: Service, value: Any, status_code: int = 200) -> JSONResponse:
    """A JSON answer with the server's own paths redacted.

    Parameters
    ----------
    service : Service
        Whose settings name the server's folders.
    value : object
        Anything FastAPI can encode.
    status_code : int, default 200
        The HTTP status.

    Returns
    -------
    JSONResponse
    """
    from fastapi.encoders import jsonable_encoder

    from fairgate.registry.api.redact import redact, server_roots

    roots = server_roots(service.settings)
    return JSONResponse(redact(jsonable_encoder(value), roots), status_code=status_code)
