"""Read the registry: model versions, filings, audits, status, the ledger and artifacts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fairgate.errors import ConflictError, NotFoundError
from fairgate.registry.store import ledger
from fairgate.registry.store.artifacts import ArtifactRef, ArtifactStore
from fairgate.registry.store.db import init_db, make_engine, read_connection
from fairgate.registry.store.filing import parse_filing
from fairgate.registry.store.filing_schema import Filing
from fairgate.registry.store.lifecycle import State
from fairgate.registry.store.records import (
    AUDIT_COMPLETED,
    AuditRecord,
    ModelVersion,
    StatusRecord,
    utc,
)
from fairgate.registry.store.tables import audits, model_versions
from fairgate.registry.store.votes import VoteTally, quorum_for, tally
from fairgate.settings import Settings, get_settings

__all__ = ["RegistryReader"]


class RegistryReader:
    """The read side of :class:`~fairgate.registry.store.sql_store.Registry` (same parameters)."""

    def __init__(self, settings: Settings | None = None, *, url: str | None = None) -> None:
        self.settings = settings or get_settings()
        if url is None:
            self.settings.ensure_home()
        self.engine = make_engine(url or self.settings.db_url)
        init_db(self.engine)
        self.artifacts = ArtifactStore(
            self.settings.artifacts_dir, allow_pickle=self.settings.allow_pickle
        )

    # ------------------------------------------------------------------------ reading
    def _row(self, conn: Connection, name: str, version: str | None) -> Any:
        query = sa.select(model_versions).where(model_versions.c.name == name)
        if version is None:
            query = query.order_by(model_versions.c.id.desc()).limit(1)
        else:
            query = query.where(model_versions.c.version == str(version))
        row = conn.execute(query).first()
        if row is None:
            what = name if version is None else f"{name}@{version}"
            raise NotFoundError(f"model {what} is not filed; list them with 'fairgate models'.")
        return row

    def _model(self, row: Any) -> ModelVersion:
        filing = json.loads(row.filing)
        ref = ArtifactRef.from_dict(json.loads(row.artifact)) if row.artifact else None
        stored = ("name", "version", "vendor", "state", "reason", "revision")
        hashes = {"filing_sha256": row.filing_sha256, "artifact_sha256": row.artifact_sha256}
        described = {k: filing.get(k, "") for k in ("purpose", "department", "risk_level")}
        return ModelVersion(
            **{k: getattr(row, k) for k in stored},
            **described,
            **hashes,
            artifact_kind=ref.kind if ref else None,
            artifact_path=str(self.artifacts.path_of(ref)) if ref else None,
            created_at=utc(row.created_at),
            updated_at=utc(row.updated_at),
        )

    def get(self, name: str, version: str | None = None) -> ModelVersion:
        """A model version (the newest filed when ``version`` is None).

        Raises
        ------
        NotFoundError
        """
        with read_connection(self.engine) as conn:
            return self._model(self._row(conn, name, version))

    def list_versions(
        self, *, vendor: str | None = None, name: str | None = None, state: str | None = None
    ) -> list[ModelVersion]:
        """Every model version, optionally of one vendor, name or state, in filing order."""
        query = sa.select(model_versions).order_by(model_versions.c.id)
        if vendor is not None:
            query = query.where(model_versions.c.vendor == vendor)
        if name is not None:
            query = query.where(model_versions.c.name == name)
        if state is not None:
            query = query.where(model_versions.c.state == State(state.upper()).value)
        with read_connection(self.engine) as conn:
            return [self._model(row) for row in conn.execute(query)]

    def filing(self, name: str, version: str) -> dict[str, Any]:
        """The filing of a model version, as a JSON-ready dict."""
        with read_connection(self.engine) as conn:
            return json.loads(self._row(conn, name, version).filing)

    def filing_object(self, name: str, version: str) -> Filing:
        """The filing of a model version, validated."""
        return parse_filing(self.filing(name, version))

    def public_listing(self) -> list[dict[str, Any]]:
        """What the public may see: name, version, purpose, department, vendor, state."""
        out = []
        for mv in self.list_versions():
            out.append(
                {
                    "name": mv.name,
                    "version": mv.version,
                    "purpose": mv.purpose,
                    "department": mv.department,
                    "vendor": mv.vendor,
                    "risk_level": mv.risk_level,
                    "state": mv.state,
                }
            )
        return out

    def previous_audit(self, name: str, version: str, schema_version: str) -> AuditRecord | None:
        """The latest completed audit of the version filed before ``version`` that has one.

        Versions count in filing order; audits that stopped with an error, and audits of
        another result ``schema_version`` (which cannot be compared), are passed over.
        """
        earlier = []
        for record in self.list_versions(name=name):
            if record.version == version:
                break
            earlier.append(record.version)
        for other in reversed(earlier):
            done = [
                a
                for a in self.audits(name, other)
                if a.status == AUDIT_COMPLETED and a.result.get("schema_version") == schema_version
            ]
            if done:
                return done[-1]
        return None

    def audits(self, name: str, version: str) -> list[AuditRecord]:
        """The audits of a model version, oldest first."""
        with read_connection(self.engine) as conn:
            row = self._row(conn, name, version)
            rows = conn.execute(
                sa.select(audits).where(audits.c.model_id == row.id).order_by(audits.c.id)
            ).all()
        return [self._audit(r, row) for r in rows]

    @staticmethod
    def _audit(r: Any, model: Any) -> AuditRecord:
        return AuditRecord(
            id=r.id,
            name=model.name,
            version=model.version,
            artifact_sha256=r.artifact_sha256,
            passed=bool(r.passed),
            verdict=r.verdict,
            result=json.loads(r.result),
            result_sha256=r.result_sha256,
            report_path=r.report_path,
            actor=r.actor,
            created_at=utc(r.created_at),
            status=r.status,
            error=r.error,
        )

    def status(self, name: str, version: str) -> StatusRecord:
        """Serve or do not serve, with the state, the reason and a revision for ETags."""
        with read_connection(self.engine) as conn:
            row = self._row(conn, name, version)
        return StatusRecord(
            name=row.name,
            version=row.version,
            state=row.state,
            may_serve=row.state == State.ACTIVE,
            reason=row.reason,
            revision=row.revision,
            updated_at=utc(row.updated_at),
        )

    def quorum(self, name: str, version: str) -> int:
        """Distinct committee members who must approve or reinstate this version.

        The assigned policy's ``quorum``, else the deployment's ``FAIRGATE_QUORUM``.
        """
        return quorum_for(self.engine, self.settings.quorum, name, version)

    def votes(self, name: str, version: str) -> VoteTally:
        """The version's pending question, its quorum, the open votes and every earlier vote.

        Raises
        ------
        NotFoundError
        """
        quorum = self.quorum(name, version)
        with read_connection(self.engine) as conn:
            return tally(conn, self._row(conn, name, version), quorum)

    def events(self, after_id: int = 0, limit: int | None = None) -> list[ledger.LedgerEvent]:
        """Ledger events after ``after_id``, in order."""
        return list(ledger.iter_events(self.engine, after_id=after_id, limit=limit))

    def verify_ledger(self, anchor: Mapping[str, Any] | None = None) -> ledger.VerifyResult:
        """Check the hash chain (optionally against an exported head)."""
        return ledger.verify(self.engine, dict(anchor) if anchor else None)

    def export_ledger(self, fp: IO[str]) -> ledger.VerifyResult:
        """Write the chain as JSON Lines with a final head record."""
        return ledger.export(self.engine, fp)

    # ----------------------------------------------------------------------- artifacts
    def _ref(self, name: str, version: str) -> ArtifactRef:
        with read_connection(self.engine) as conn:
            row = self._row(conn, name, version)
        if not row.artifact:
            raise ConflictError(f"{name}@{version} was filed without an artifact.")
        return ArtifactRef.from_dict(json.loads(row.artifact))

    def artifact_path(self, name: str, version: str) -> Path:
        """Where the stored artifact of a model version is (not verified)."""
        return self.artifacts.path_of(self._ref(name, version))

    def verify_artifact(self, name: str, version: str) -> Path:
        """Check the stored artifact's hash and return its path.

        Raises
        ------
        ArtifactIntegrityError
        """
        ref = self._ref(name, version)
        self.artifacts.verify(ref)
        return self.artifacts.path_of(ref)

    def load_model(self, name: str, version: str) -> Any:
        """Verify the artifact's hash, then open it in a sandbox worker (close it after use)."""
        return self.artifacts.load(self._ref(name, version))
