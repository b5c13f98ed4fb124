"""The policy store: committee-published, versioned policies and their assignment to models.

A policy is published (by the committee or an administrator) under a name; each publish of new
content gets the next version number and a ledger event ``policy_publish`` carrying the policy's
SHA-256 (of its canonical JSON). A filing names a published policy (``name`` or
``name@version``), never a file: :func:`parse_policy_ref` refuses anything else. The policy that
governs a model version is its newest **assignment**: the one pinned when it was filed (the
filing's reference resolved to a version), or a later re-assignment by the committee (ledger
event ``policy_assign``). The audit and the breaker use that assignment's name, version and hash.
The built-in policies are published at first start (:meth:`PolicyStore.publish_builtins`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from fairgate.audit.report.catalog import refusal
from fairgate.errors import FilingError, NotFoundError, PolicyError, ValidationError
from fairgate.registry.store import ledger
from fairgate.registry.store.db import read_connection
from fairgate.registry.store.policy_records import (
    DEFAULT_POLICY,
    SYSTEM_ACTOR,
    PolicyAssignment,
    PolicyRecord,
    parse_policy_ref,
    record_from_row,
)
from fairgate.registry.store.policy_records import (
    POLICY_NAME_PATTERN as POLICY_NAME_PATTERN,
)
from fairgate.registry.store.tables import policies, policy_assignments

__all__ = ["PolicyStore"]


class PolicyStore:
    """Publish, read and assign policies in the registry database.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's engine (schema at migration ``0005`` or later).
    """

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    # ---------------------------------------------------------------------------- publish
    def publish(self, source: Any, *, actor: str) -> tuple[PolicyRecord, bool]:
        """Publish a policy; new content under a name becomes its next version.

        Parameters
        ----------
        source : mapping, Policy, or str
            A decoded policy, a :class:`~fairgate.audit.policy.Policy`, or the YAML/JSON text.
            The policy's ``name`` field is the name it is published under.
        actor : str
            Who publishes (a committee member or an administrator).

        Returns
        -------
        (record, created) : tuple of PolicyRecord and bool
            ``created`` is False when the newest version already has this exact content.

        Raises
        ------
        PolicyError
            The policy is invalid (every problem named) or its name is not a valid reference.
        """
        from fairgate.audit.policy import load_policy

        if isinstance(source, str):
            import yaml

            try:
                source = yaml.safe_load(source)
            except yaml.YAMLError as exc:
                raise refusal(
                    PolicyError, "policy_not_yaml", format="YAML/JSON", problem=str(exc)
                ) from None
        if not isinstance(source, Mapping) and not hasattr(source, "to_dict"):
            raise refusal(PolicyError, "policy_not_mapping", received=type(source).__name__)
        try:
            policy = load_policy(source)
        except PolicyError as exc:
            raise refusal(
                PolicyError, "policy_invalid", details=exc.details, problems=exc.message
            ) from None
        try:
            name, version = parse_policy_ref(policy.name)
        except ValidationError as exc:  # published under a name an audit can refer to
            raise PolicyError(
                exc.message, details=exc.details, message_key=exc.message_key, params=exc.params
            ) from None
        if version is not None:
            raise refusal(PolicyError, "policy_name_versioned", name=repr(policy.name))
        body = policy.to_dict()
        text = ledger.canonical_json(body)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self.engine.begin() as conn:
            latest = self._latest(conn, name)
            if latest is not None and latest.sha256 == digest:
                return record_from_row(latest), False
            number = 1 if latest is None else int(latest.version) + 1
            now = time.time()
            conn.execute(
                policies.insert().values(
                    name=name,
                    version=number,
                    sha256=digest,
                    body=text,
                    actor=actor,
                    created_at=now,
                )
            )
            ledger.append(
                conn,
                "policy_publish",
                actor=actor,
                payload={"policy": name, "policy_version": number, "sha256": digest},
            )
        return PolicyRecord(name, number, digest, json.loads(text), actor, now), True

    def publish_builtins(self) -> list[PolicyRecord]:
        """Publish each built-in policy whose name has no published version yet.

        Returns
        -------
        list of PolicyRecord
            The versions published now (empty once they all exist).
        """
        from fairgate.audit.policy import builtin_policies, load_policy

        with read_connection(self.engine) as conn:
            known = set(conn.execute(sa.select(policies.c.name).distinct()).scalars())
        out = []
        for builtin in builtin_policies():
            policy = load_policy(builtin)
            if policy.name in known:
                continue
            record, created = self.publish(policy, actor=SYSTEM_ACTOR)
            if created:
                out.append(record)
        return out

    # ---------------------------------------------------------------------------- read
    @staticmethod
    def _latest(conn: sa.Connection, name: str) -> Any:
        return conn.execute(
            sa.select(policies)
            .where(policies.c.name == name)
            .order_by(policies.c.version.desc())
            .limit(1)
        ).first()

    def _resolve(self, conn: sa.Connection, ref: str) -> Any:
        name, version = parse_policy_ref(ref)
        if version is None:
            row = self._latest(conn, name)
        else:
            row = conn.execute(
                sa.select(policies).where(policies.c.name == name, policies.c.version == version)
            ).first()
        if row is None:
            names = sorted(set(conn.execute(sa.select(policies.c.name).distinct()).scalars()))
            raise refusal(
                NotFoundError,
                "policy_not_published",
                details={"policy": ref, "published": names},
                ref=repr(ref),
                published=", ".join(names) or "-",
            )
        return row

    def get(self, ref: str) -> PolicyRecord:
        """A published policy by ``name`` (the newest version) or ``name@version``.

        Raises
        ------
        ValidationError
            ``ref`` is not a policy reference.
        NotFoundError
            No such published policy (the published names are listed).
        """
        with read_connection(self.engine) as conn:
            return record_from_row(self._resolve(conn, ref))

    def for_filing(self, ref: str | None) -> PolicyRecord:
        """The published policy a filing names (``default`` when it names none).

        The built-in policies are published first if they are not yet.

        Parameters
        ----------
        ref : str or None
            The filing's ``policy`` field.

        Returns
        -------
        PolicyRecord

        Raises
        ------
        FilingError
            Nobody published that policy (the published names are listed).
        """
        self.publish_builtins()
        try:
            return self.get(ref or DEFAULT_POLICY)
        except NotFoundError as exc:
            raise FilingError(
                f"policy: {exc.message}",
                details=exc.details,
                message_key=exc.message_key,
                params=exc.params,
            ) from None

    def list(self, name: str | None = None) -> list[PolicyRecord]:
        """Every published version (of one name), by name then version."""
        query = sa.select(policies).order_by(policies.c.name, policies.c.version)
        if name is not None:
            query = query.where(policies.c.name == name)
        with read_connection(self.engine) as conn:
            return [record_from_row(r) for r in conn.execute(query)]

    # ---------------------------------------------------------------------------- assign
    def assign(
        self, model: str, version: str, ref: str, *, actor: str, rationale: str
    ) -> PolicyAssignment:
        """Make a published policy govern a model version (ledger event ``policy_assign``).

        Parameters
        ----------
        model, version : str
            The model version (must be filed; the caller checks).
        ref : str
            ``name`` (pinned to its newest version now) or ``name@version``.
        actor : str
            Who assigns.
        rationale : str
            Why (recorded in the ledger).

        Raises
        ------
        ValidationError, NotFoundError
        """
        if not (rationale or "").strip():
            raise refusal(ValidationError, "policy_assign_rationale")
        now = time.time()
        with self.engine.begin() as conn:
            row = self._resolve(conn, ref)
            previous = self._assigned(conn, model, version)
            conn.execute(
                policy_assignments.insert().values(
                    model=model,
                    model_version=str(version),
                    policy_id=row.id,
                    actor=actor,
                    rationale=rationale.strip(),
                    created_at=now,
                )
            )
            record = record_from_row(row)
            ledger.append(
                conn,
                "policy_assign",
                actor=actor,
                name=model,
                version=str(version),
                payload={
                    "policy": record.summary(),
                    "previous": record_from_row(previous).summary()
                    if previous is not None
                    else None,
                    "rationale": rationale.strip(),
                },
            )
        return PolicyAssignment(model, str(version), record, actor, rationale.strip(), now)

    @staticmethod
    def _assigned(conn: sa.Connection, model: str, version: str) -> Any:
        a = policy_assignments
        return conn.execute(
            sa.select(policies)
            .join(a, a.c.policy_id == policies.c.id)
            .where(a.c.model == model, a.c.model_version == str(version))
            .order_by(a.c.id.desc())
            .limit(1)
        ).first()

    def assigned(self, model: str, version: str) -> PolicyRecord | None:
        """The policy assigned to a model version, or ``None`` if none was assigned yet."""
        with read_connection(self.engine) as conn:
            row = self._assigned(conn, model, version)
        return None if row is None else record_from_row(row)

    def governing(self, model: str, version: str, filing_ref: str | None) -> PolicyRecord:
        """The assigned policy, pinning the filing's reference (or ``default``) if none yet.

        Parameters
        ----------
        model, version : str
            The model version.
        filing_ref : str or None
            The filing's ``policy`` field.

        Returns
        -------
        PolicyRecord
        """
        record = self.assigned(model, version)
        if record is not None:
            return record
        return self.assign(
            model,
            version,
            filing_ref or DEFAULT_POLICY,
            actor=SYSTEM_ACTOR,
            rationale="pinned from the filing's policy reference",
        ).policy
