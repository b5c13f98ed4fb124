"""The HTTP service: ``create_app``, routers, auth, push events."""

from fairgate.registry.api.app import (
    POLICY_ENV,
    PUBLIC_PATHS,
    Service,
    StatusFastPath,
    create_app,
)

__all__ = [
    "POLICY_ENV",
    "PUBLIC_PATHS",
    "Service",
    "StatusFastPath",
    "create_app",
]
