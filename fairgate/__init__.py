"""fairgate: algorithm registry, fairness audit and circuit breaker for public-sector AI.

The public API is re-exported here lazily, so ``import fairgate`` stays light: the heavy
numerical and web stacks load only when a name that needs them is first used.
"""

from __future__ import annotations

from fairgate.errors import FairgateError
from fairgate.lazy import lazy_getattr
from fairgate.settings import Settings, get_settings

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "group_counts": "fairgate.audit",
    "counts_from_file": "fairgate.audit",
    "GroupCounts": "fairgate.audit",
    "group_report": "fairgate.audit",
    "GroupReport": "fairgate.audit",
    "AuditResult": "fairgate.audit",
    "AuditSpec": "fairgate.audit",
    "run_audit": "fairgate.audit",
    "render_report": "fairgate.audit",
    "load_policy": "fairgate.audit.policy",
    "Policy": "fairgate.audit.policy",
    "Registry": "fairgate.registry.store",
    "parse_filing": "fairgate.registry.store.filing",
    "Filing": "fairgate.registry.store.filing_schema",
    "StatusClient": "fairgate.registry.client",
    "create_app": "fairgate.registry.api.app",
}

__all__ = ["FairgateError", "Settings", "__version__", "get_settings", *sorted(_LAZY)]


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
