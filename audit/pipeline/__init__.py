"""The audit run: spec, model loading, prediction, steps and ``run_audit``."""

from fairgate.audit.pipeline.run import (
    AuditSpec,
    run_audit,
)

__all__ = [
    "AuditSpec",
    "run_audit",
]
