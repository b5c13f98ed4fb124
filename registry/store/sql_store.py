"""The registry store: filings, artifacts, audits, decisions and the ledger, in one database.

Every write is one transaction (``BEGIN IMMEDIATE`` on SQLite) that changes the rows *and*
appends the ledger event, so a crash leaves either both or neither, and concurrent writers from
several processes queue instead of interleaving. Methods return frozen dataclasses, never rows.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fairgate.errors import ConflictError, ValidationError
from fairgate.registry.store import ledger, names
from fairgate.registry.store import votes as ballots
from fairgate.registry.store.artifact_checks import (
    FilingCheck,
    check_and_store,
    prohibited_inputs,
)
from fairgate.registry.store.artifacts import ArtifactRef
from fairgate.registry.store.audit_writes import AuditWriter
from fairgate.registry.store.db import read_connection
from fairgate.registry.store.filing import Filing, parse_filing
from fairgate.registry.store.lifecycle import (
    COMMITTEE_ACTIONS,
    DISSENT,
    QUORUM_ACTIONS,
    State,
    check_rationale,
    check_transition,
)
from fairgate.registry.store.policies import PolicyRecord, PolicyStore
from fairgate.registry.store.records import (
    AUDIT_COMPLETED,
    BREAKER_ACTOR,
    REASONS,
    AuditRecord,
    ModelVersion,
    StatusRecord,
)
from fairgate.registry.store.tables import audits, decisions, model_versions

__all__ = ["AuditRecord", "ModelVersion", "Registry", "StatusRecord"]

_log = logging.getLogger(__name__)


class Registry(AuditWriter):
    """The algorithm registry over a SQLAlchemy database.

    Parameters
    ----------
    settings : Settings, optional
        Where the database and artifacts live (default: from the environment).
    url : str, optional
        A SQLAlchemy URL overriding ``settings.db_url``.

    Examples
    --------
    >>> reg = Registry()  # doctest: +SKIP
    >>> reg.file("filing.yaml", "model.skops", actor="vendor")  # doctest: +SKIP
    """

    # ------------------------------------------------------------------------ writing
    def file(
        self,
        filing: Filing | Mapping[str, Any] | str | Path,
        artifact: str | Path | ArtifactRef | None = None,
        *,
        actor: str,
        vendor: str | None = None,
        policy: PolicyRecord | None = None,
    ) -> ModelVersion:
        """File a model version with its documentation and (optionally) its artifact.

        Parameters
        ----------
        filing : Filing, mapping, str or Path
            The filing (see :func:`fairgate.registry.store.filing.parse_filing`).
        artifact : str, Path or ArtifactRef, optional
            A model file or MLflow model folder, or a ``models:/`` / ``runs:/`` URI.
        actor : str
            Who files (recorded in the ledger).
        vendor : str, optional
            The owning vendor (default: the filing's vendor name).
        policy : PolicyRecord, optional
            The published policy the version will be assigned (its audits apply it); the
            declared inputs it prohibits are reported in ``findings`` and the ledger. Default:
            the published policy the filing names (:meth:`PolicyStore.for_filing`).

        Raises
        ------
        FilingError
            A malformed filing, an artifact whose inputs differ from the declared features, or
            a policy reference nobody published.
        ModelLoadError, UnsafeModelError
            An artifact refused by the sandbox (corrupt, over a bound, outside the allowlist,
            pickle while not allowed).
        PermissionDeniedError
            The name belongs to another vendor.
        ConflictError
            The version is already filed.
        """
        parsed = parse_filing(filing)
        if not (actor or "").strip():
            raise ValidationError("actor: say who files the model.")
        owner = vendor or parsed.vendor.name
        with read_connection(self.engine) as conn:
            names.check_owner(conn, parsed.name, owner)
        ref, info = check_and_store(self.artifacts, artifact, parsed)
        if policy is None:
            policy = PolicyStore(self.engine).for_filing(parsed.policy)
        check = FilingCheck(info, prohibited_inputs(parsed, policy.policy(), policy.ref))
        now = time.time()
        with self.engine.begin() as conn:
            names.claim(conn, parsed.name, owner, now)
            exists = conn.execute(
                sa.select(model_versions.c.state).where(
                    model_versions.c.name == parsed.name,
                    model_versions.c.version == parsed.version,
                )
            ).first()
            if exists is not None:
                raise ConflictError(
                    f"{parsed.name}@{parsed.version} is already filed ({exists.state}); file "
                    "a new version instead.",
                    details={"name": parsed.name, "version": parsed.version},
                )
            conn.execute(
                model_versions.insert().values(
                    name=parsed.name,
                    version=parsed.version,
                    vendor=owner,
                    state=State.FILED.value,
                    reason=REASONS[State.FILED],
                    revision=1,
                    filing=parsed.canonical_json(),
                    filing_sha256=parsed.sha256(),
                    artifact=json.dumps(ref.to_dict()) if ref else None,
                    artifact_sha256=ref.sha256 if ref else None,
                    created_at=now,
                    updated_at=now,
                )
            )
            ledger.append(
                conn,
                "file",
                actor=actor,
                name=parsed.name,
                version=parsed.version,
                payload={
                    "vendor": owner,
                    "filing_sha256": parsed.sha256(),
                    "artifact": ref.to_dict() if ref else None,
                    "checks": check.to_dict(),
                },
            )
            row = self._row(conn, parsed.name, parsed.version)
            findings = tuple(p.message() for p in check.prohibited)
            return replace(self._model(row), findings=findings)

    def name_owner(self, name: str) -> str | None:
        """The vendor that owns a model name (None when the name was never filed)."""
        with read_connection(self.engine) as conn:
            return names.owner_of(conn, name)

    def transfer_name(self, name: str, to_vendor: str, *, rationale: str, actor: str) -> str:
        """Give a model name, and every version filed under it, to another vendor (admin).

        Parameters
        ----------
        name : str
            The model name.
        to_vendor : str
            The new owner.
        rationale : str
            Why; recorded in the ledger.
        actor : str
            The administrator.

        Returns
        -------
        str
            The previous owner.

        Raises
        ------
        NotFoundError
            The name was never filed.
        ValidationError
            An empty vendor, rationale or actor.
        """
        text, who = check_rationale(rationale, actor)
        with self.engine.begin() as conn:
            return names.transfer(conn, name, to_vendor, rationale=text, actor=who)

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
            event = ledger.append(
                conn,
                action,
                actor=who,
                name=row.name,
                version=row.version,
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

    def suspend_by_breaker(
        self,
        name: str,
        version: str,
        *,
        rule: str,
        evidence: Mapping[str, Any],
        conn: Connection | None = None,
    ) -> ModelVersion:
        """Suspend an ACTIVE version for the circuit breaker, recording its evidence.

        A version that is already SUSPENDED is returned as it is.

        Parameters
        ----------
        name, version : str
            The model version.
        rule : str
            The breaker rule that tripped.
        evidence : mapping
            Written to the ledger event.
        conn : sqlalchemy.Connection, optional
            Suspend inside this open write transaction (the breaker stores the tripping batch
            in the same one), instead of committing a new one; the caller then calls
            :meth:`mirror` after its commit.

        Raises
        ------
        TransitionError
            When the version is not ACTIVE (nor already SUSPENDED).
        """
        if conn is not None:
            return self._suspend(conn, name, version, rule, evidence)
        with self.engine.begin() as own:
            record = self._suspend(own, name, version, rule, evidence)
        self._mirror(record)
        return record

    def _suspend(
        self, conn: Connection, name: str, version: str, rule: str, evidence: Mapping[str, Any]
    ) -> ModelVersion:
        now = time.time()
        row = self._row(conn, name, version)
        if row.state == State.SUSPENDED:
            return self._model(row)
        target = check_transition(row.state, "breaker_trip")
        self._move(
            conn,
            row,
            target,
            reason=f"suspended by the circuit breaker: rule {rule}",
            now=now,
            suspended=True,
        )
        ledger.append(
            conn,
            "breaker_trip",
            actor=BREAKER_ACTOR,
            name=row.name,
            version=row.version,
            payload={"rule": rule, "evidence": dict(evidence)},
        )
        return self._model(self._row(conn, name, version))

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
