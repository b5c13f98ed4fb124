"""The registry's records: frozen dataclasses the store returns, never ORM rows."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from fairgate.registry.store.lifecycle import State

__all__ = [
    "AUDIT_COMPLETED",
    "AUDIT_FAILED",
    "BREAKER_ACTOR",
    "REASONS",
    "AuditRecord",
    "ModelVersion",
    "StatusRecord",
    "utc",
]

BREAKER_ACTOR = "circuit breaker"
AUDIT_COMPLETED = "completed"
"""Status of an audit that ran to its verdict."""
AUDIT_FAILED = "failed"
"""Status of an audit that stopped with an error (recorded with its message)."""


def utc(ts: float) -> _dt.datetime:
    """A UNIX timestamp as an aware UTC datetime."""
    return _dt.datetime.fromtimestamp(ts, _dt.UTC)


@dataclass(frozen=True)
class ModelVersion:
    """A filed model version (what the registry knows about it)."""

    name: str
    version: str
    vendor: str | None
    state: str
    reason: str
    revision: int
    purpose: str
    department: str
    risk_level: str
    filing_sha256: str
    artifact_sha256: str | None
    artifact_kind: str | None
    artifact_path: str | None
    created_at: _dt.datetime
    updated_at: _dt.datetime
    findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditRecord:
    """An audit recorded for a model version.

    ``status`` is :data:`AUDIT_COMPLETED` for an audit that reached a verdict, or
    :data:`AUDIT_FAILED` for one that stopped with an error; ``error`` then holds its message
    (``passed`` is false and ``verdict`` is ``"error"``).
    """

    id: int
    name: str
    version: str
    artifact_sha256: str | None
    passed: bool
    verdict: str
    result: dict[str, Any]
    result_sha256: str
    report_path: str | None
    actor: str
    created_at: _dt.datetime
    status: str = AUDIT_COMPLETED
    error: str | None = None


@dataclass(frozen=True)
class StatusRecord:
    """May the model version serve right now, and why."""

    name: str
    version: str
    state: str
    may_serve: bool
    reason: str
    revision: int
    updated_at: _dt.datetime


REASONS: dict[Any, str] = {
    State.FILED: "filed; not audited yet",
    State.AUDITED: "audited; awaiting the committee's decision",
    State.ACTIVE: "approved by the committee",
}
