"""The HTTP service: ``create_app``, the shared service, dependencies, routers, auth, events."""

from fairgate.registry.api.app import PUBLIC_PATHS, create_app
from fairgate.registry.api.fast_path import StatusFastPath
from fairgate.registry.api.service import POLICY_ENV, Service, load_breaker_policy

__all__ = [
    "POLICY_ENV",
    "PUBLIC_PATHS",
    "Service",
    "StatusFastPath",
    "create_app",
    "load_breaker_policy",
]
