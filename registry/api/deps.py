"""FastAPI dependencies of the routers: the shared :class:`Service` and role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from fairgate.registry.api.auth import Principal
from fairgate.registry.api.auth import require_role as check_role
from fairgate.registry.api.service import Service

__all__ = ["ServiceDep", "get_service", "require_role"]


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
