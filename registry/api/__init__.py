"""The HTTP service: ``create_app``, the shared service, dependencies, routers, auth, events."""

from fairgate.registry.api.app import PUBLIC_PATHS, create_app
from fairgate.registry.api.fast_path import StatusFastPath
from fairgate.registry.api.service import POLICY_ENV, Service

__all__ = [
    "POLICY_ENV",
    "PUBLIC_PATHS",
    "Service",
    "StatusFastPath",
    "create_app",
]
