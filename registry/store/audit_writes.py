"""Recording audits in the registry: a verdict (FILED becomes AUDITED) or a run that failed.

Each record is one transaction with its ledger event, like every write of the registry.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fairgate.registry.store import ledger
from fairgate.registry.store.lifecycle import State, check_transition
from fairgate.registry.store.reader import RegistryReader
from fairgate.registry.store.records import AUDIT_COMPLETED, AUDIT_FAILED, AuditRecord
from fairgate.registry.store.tables import audits, model_versions

__all__ = ["AuditWriter"]


class AuditWriter(RegistryReader):
    """The audit-recording writes of :class:`~fairgate.registry.store.sql_store.Registry`."""

    def _move(
        self,
        conn: Connection,
        row: Any,
        target: State,
        *,
        reason: str | None,
        now: float,
        suspended: bool = False,
    ) -> None:
        values: dict[str, Any] = {
            "state": target.value,
            "revision": row.revision + 1,
            "updated_at": now,
        }
        if reason is not None:
            values["reason"] = reason
        if suspended:
            values["suspended_at"] = now
        conn.execute(model_versions.update().where(model_versions.c.id == row.id).values(values))

    def record_audit(
        self,
        name: str,
        version: str,
        *,
        artifact_sha256: str | None,
        passed: bool,
        verdict: str,
        result: Mapping[str, Any],
        report_path: str | None,
        actor: str,
    ) -> AuditRecord:
        """Record an audit of a model version (FILED becomes AUDITED).

        Raises
        ------
        NotFoundError, TransitionError
        """
        body = ledger.canonical_json(dict(result))
        result_sha = hashlib.sha256(body.encode("utf-8")).hexdigest()
        now = time.time()
        with self.engine.begin() as conn:
            row = self._row(conn, name, version)
            target = check_transition(row.state, "audit")
            reason = None
            if target == State.AUDITED:
                outcome = "passed" if passed else "failed"
                reason = f"audited ({outcome}, verdict {verdict}); awaiting the committee"
            self._move(conn, row, target, reason=reason, now=now)
            return self._insert_audit(
                conn,
                row,
                "audit",
                {
                    "artifact_sha256": artifact_sha256,
                    "passed": bool(passed),
                    "verdict": str(verdict),
                    "result": body,
                    "result_sha256": result_sha,
                    "report_path": report_path,
                    "actor": actor,
                    "created_at": now,
                    "status": AUDIT_COMPLETED,
                },
                {
                    "artifact_matches": artifact_sha256 == row.artifact_sha256
                    if row.artifact_sha256
                    else None,
                },
            )

    def record_result(
        self, name: str, version: str, result: Any, *, report_path: str | None, actor: str
    ) -> AuditRecord:
        """Record an :class:`~fairgate.audit.AuditResult` (a "fail" verdict does not pass)."""
        return self.record_audit(
            name,
            version,
            artifact_sha256=result.model.get("sha256"),
            passed=result.outcome != "fail",
            verdict=result.outcome,
            result=result.to_dict(),
            report_path=report_path,
            actor=actor,
        )

    def record_failed_audit(
        self, name: str, version: str, *, artifact_sha256: str | None, error: str, actor: str
    ) -> AuditRecord:
        """Record an audit that stopped with ``error``; the model's state does not change.

        The record has ``status`` "failed", the message as ``error``, ``passed`` false and
        verdict "error"; the ledger gets an ``audit_failed`` event with the message.

        Raises
        ------
        NotFoundError
        """
        message = (error or "").strip() or "the audit stopped without a message"
        body = ledger.canonical_json({"error": message})
        now = time.time()
        with self.engine.begin() as conn:
            row = self._row(conn, name, version)
            return self._insert_audit(
                conn,
                row,
                "audit_failed",
                {
                    "artifact_sha256": artifact_sha256,
                    "passed": False,
                    "verdict": "error",
                    "result": body,
                    "result_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
                    "report_path": None,
                    "actor": actor,
                    "created_at": now,
                    "status": AUDIT_FAILED,
                    "error": message,
                },
                {},
            )

    def _insert_audit(
        self,
        conn: Connection,
        row: Any,
        kind: str,
        values: dict[str, Any],
        extra: dict[str, Any],
    ) -> AuditRecord:
        """Insert an audit row and its ledger event (``kind``) in the caller's transaction."""
        audit_id = conn.execute(
            audits.insert().values(model_id=row.id, **values)
        ).inserted_primary_key[0]
        payload = {"audit_id": audit_id, **values, **extra}
        for key in ("result", "actor", "created_at", "status"):
            payload.pop(key)
        ledger.append(
            conn, kind, actor=values["actor"], name=row.name, version=row.version, payload=payload
        )
        record = conn.execute(sa.select(audits).where(audits.c.id == audit_id)).one()
        return self._audit(record, row)
