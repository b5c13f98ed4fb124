"""The registry's use cases (file, audit a filed model, decide) that CLI, REST and demo all call.

Each use case takes a frozen request and returns a frozen result, validates once, and records
what happened in the registry (and so in the ledger). Auditing a filed model is split in two so
the service can refuse a bad request at once and run the audit in the background:
:func:`prepare_audit` checks everything that can be checked before the run (the version is filed
and may be audited, its artifact is on file and its SHA-256 matches, the policy loads), and
:func:`run_prepared_audit` runs it and records it, as a failed audit with its error message when
the run stops. :func:`audit_filed_model` does both.
"""

from __future__ import annotations

from fairgate.registry.usecases.audit import (
    AuditOutcome,
    AuditRequest,
    PreparedAudit,
    audit_filed_model,
    check_auditable,
    prepare_audit,
    previous_audit,
    run_prepared_audit,
)
from fairgate.registry.usecases.decisions import DecisionRequest, decide
from fairgate.registry.usecases.filing import FileRequest, file_model

__all__ = [
    "AuditOutcome",
    "AuditRequest",
    "DecisionRequest",
    "FileRequest",
    "PreparedAudit",
    "audit_filed_model",
    "check_auditable",
    "decide",
    "file_model",
    "prepare_audit",
    "previous_audit",
    "run_prepared_audit",
]
