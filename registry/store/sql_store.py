"""The registry store: filings, artifacts, audits, decisions and the ledger, in one database.

Every write is one transaction (``BEGIN IMMEDIATE`` on SQLite) that changes the rows *and*
appends the ledger event, so a crash leaves either both or neither, and concurrent writers from
several processes queue instead of interleaving. Methods return frozen dataclasses, never rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fairgate.errors import ConflictError, ValidationError
from fairgate.registry.store import ledger, names
from fairgate.registry.store.artifact_checks import (
    FilingCheck,
    check_and_store,
    prohibited_inputs,
)
from fairgate.registry.store.artifacts import ArtifactRef
from fairgate.registry.store.db import read_connection
from fairgate.registry.store.decision_writes import DecisionWriter
from fairgate.registry.store.filing import parse_filing
from fairgate.registry.store.filing_schema import Filing
from fairgate.registry.store.lifecycle import (
    State,
    check_rationale,
    check_transition,
)
from fairgate.registry.store.policies import PolicyRecord, PolicyStore
from fairgate.registry.store.records import (
    BREAKER_ACTOR,
    REASONS,
    AuditRecord,
    ModelVersion,
    StatusRecord,
)
from fairgate.registry.store.tables import model_versions

__all__ = ["AuditRecord", "ModelVersion", "Registry", "StatusRecord"]


class Registry(DecisionWriter):
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
            ledger.append_about(
                conn,
                "file",
                parsed,
                actor=actor,
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

        The rationale and the administrator are checked, then :func:`.names.transfer` moves
        the name in one transaction with its ledger event and returns the previous owner (its
        parameters, return value and refusals are this method's).
        """
        text, who = check_rationale(rationale, actor)
        with self.engine.begin() as conn:
            return names.transfer(conn, name, to_vendor, rationale=text, actor=who)

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
        trip = {"rule": rule, "evidence": dict(evidence)}
        ledger.append_about(conn, "breaker_trip", row, actor=BREAKER_ACTOR, payload=trip)
        return self._model(self._row(conn, name, version))
