"""Committee decisions in the registry: the evidence an approval needs, votes, the new state.

Each decision is one transaction with its ledger event (and its vote, see :mod:`.votes`); the
new state is then shown on the version's MLflow registry entry when the filing has one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fairgate.errors import ConflictError, ValidationError
from fairgate.registry.store import ledger
from fairgate.registry.store import votes as ballots
from fairgate.registry.store.audit_writes import AuditWriter
from fairgate.registry.store.lifecycle import (
    COMMITTEE_ACTIONS,
    DISSENT,
    QUORUM_ACTIONS,
    State,
    check_rationale,
    check_transition,
)
from fairgate.registry.store.records import AUDIT_COMPLETED, REASONS, ModelVersion
from fairgate.registry.store.tables import audits, decisions

__all__ = ["DecisionWriter"]

_log = logging.getLogger(__name__)


class DecisionWriter(AuditWriter):
    """The committee's writes of :class:`~fairgate.registry.store.sql_store.Registry`."""

    def _latest_audit(self, conn: Connection, model_id: int) -> Any:
        """The newest audit that reached a verdict (a failed run is no evidence)."""
        return conn.execute(
            sa.select(audits)
            .where(audits.c.model_id == model_id, audits.c.status == AUDIT_COMPLETED)
            .order_by(audits.c.id.desc())
            .limit(1)
        ).first()

    def _check_evidence(self, conn: Connection, row: Any, action: str) -> dict[str, Any]:
        what = f"{row.name}@{row.version}"
        latest = self._latest_audit(conn, row.id)
        if action == "approve":
            if latest is None or not latest.passed:
                raise ConflictError(
                    f"cannot approve {what}: its latest audit "
                    f"{'failed' if latest is not None else 'is missing'}; approval needs a "
                    "passing audit.",
                    details={"allowed": ["audit", "reject", "withdraw"]},
                )
            if row.artifact_sha256 and latest.artifact_sha256 != row.artifact_sha256:
                raise ConflictError(
                    f"cannot approve {what}: the passing audit {latest.id} was of artifact "
                    f"{latest.artifact_sha256 or '(not recorded)'}, but the artifact on file is "
                    f"{row.artifact_sha256}; audit the artifact on file."
                )
            return {"audit_id": latest.id}
        if action == "reinstate":
            since = row.suspended_at or 0.0
            if latest is None or not latest.passed or latest.created_at <= since:
                raise ConflictError(
                    f"cannot reinstate {what}: reinstatement needs a passing audit recorded "
                    "after the suspension; run a new audit first.",
                    details={"allowed": ["audit", "withdraw"]},
                )
            if row.artifact_sha256 and latest.artifact_sha256 not in (None, row.artifact_sha256):
                raise ConflictError(
                    f"cannot reinstate {what}: the passing audit was of another artifact."
                )
            return {"audit_id": latest.id}
        return {}

    def decide(
        self,
        name: str,
        version: str,
        action: str,
        *,
        rationale: str,
        actor: str,
        evidence: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        """A committee decision (approve, reject, suspend, reinstate, withdraw) or a dissent.

        Approve and reinstate are votes: the state changes at the vote that meets the version's
        quorum (:meth:`quorum`); before that each vote is a ``vote`` ledger event. A ``dissent``
        is recorded against the pending question and changes no state (see :mod:`.votes`).

        Raises
        ------
        ValidationError
            Unknown action, a missing rationale or actor.
        TransitionError
            The action is not allowed from the current state (the allowed ones are named).
        ConflictError
            Approval without a passing audit of the artifact on file; reinstatement without a
            passing audit after the suspension; a member's second vote on a pending question.
        """
        if action not in (*COMMITTEE_ACTIONS, DISSENT):
            raise ValidationError(
                f"action={action!r}: a committee decides one of {', '.join(COMMITTEE_ACTIONS)}, "
                f"or records a {DISSENT}."
            )
        text, who = check_rationale(rationale, actor)
        quorum = self.quorum(name, version) if action in QUORUM_ACTIONS else 1
        extra = dict(evidence) if evidence else None
        now = time.time()
        with self.engine.begin() as conn:
            row = self._row(conn, name, version)
            if action == DISSENT:
                ballots.dissent(conn, row, member=who, rationale=text, evidence=extra, now=now)
                return self._model(row)
            target = check_transition(row.state, action)
            basis = self._check_evidence(conn, row, action)
            ballot: dict[str, Any] | None = {}
            if action in QUORUM_ACTIONS:
                ballot = ballots.vote_for(
                    conn, row, action=action, member=who, rationale=text, evidence=extra,
                    basis=basis, quorum=quorum, now=now,
                )  # fmt: skip
                if ballot is None:  # recorded; the quorum is not met yet
                    return self._model(row)
            reason = {
                "approve": REASONS[State.ACTIVE],
                "reject": f"rejected by the committee: {text}",
                "suspend": f"suspended by the committee: {text}",
                "reinstate": f"reinstated by the committee: {text}",
                "withdraw": f"withdrawn: {text}",
            }[action]
            self._move(
                conn, row, target, reason=reason, now=now, suspended=target == State.SUSPENDED
            )
            decision_id = conn.execute(
                decisions.insert().values(
                    model_id=row.id,
                    action=action,
                    from_state=row.state,
                    to_state=target.value,
                    rationale=text,
                    actor=who,
                    evidence=ledger.canonical_json(dict(evidence)) if evidence else None,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            event = ledger.append_about(
                conn,
                action,
                row,
                actor=who,
                payload={
                    "decision_id": decision_id,
                    "from": row.state,
                    "to": target.value,
                    "rationale": text,
                    "evidence": extra,
                    **basis,
                    **ballot,
                },
            )
            ballots.conclude(
                conn, row, action=action, member=who, rationale=text, event_id=event.id, now=now
            )
            record = self._model(self._row(conn, name, version))
        self._mirror(record)
        return record

    def mirror(self, record: ModelVersion) -> None:
        """Show a model version's state on its MLflow registry entry, if the filing has one."""
        self._mirror(record)

    def _mirror(self, record: ModelVersion) -> None:
        """Show the new state on the MLflow registry entry, if the filing has one."""
        filing = self.filing(record.name, record.version)
        ref = filing.get("mlflow")
        if not ref or not ref.get("model_name"):
            return
        try:
            from fairgate.registry.store.mlflow_bridge import mirror_status

            mirror_status(ref, record.state)
        except Exception as exc:  # the decision stands; MLflow catches up next time
            _log.warning("could not mirror %s@%s to MLflow: %s", record.name, record.version, exc)
