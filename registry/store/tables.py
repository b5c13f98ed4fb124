"""Every table of fairgate in one MetaData (SQLAlchemy Core); the migrations must match it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = [
    "audits",
    "decisions",
    "ledger_events",
    "metadata",
    "model_names",
    "model_versions",
    "observation_batches",
    "policies",
    "policy_assignments",
    "service_tokens",
    "votes",
    "web_sessions",
    "webhook_deliveries",
    "webhooks",
]

metadata = sa.MetaData()


def _required(**types: Any) -> list[sa.Column[Any]]:
    """NOT NULL columns, in the order given (name=type)."""
    return [sa.Column(name, type_, nullable=False) for name, type_ in types.items()]


def _optional(**types: Any) -> list[sa.Column[Any]]:
    """Nullable columns, in the order given (name=type)."""
    return [sa.Column(name, type_, nullable=True) for name, type_ in types.items()]


def _serial_id() -> sa.Column[Any]:
    """The auto-incremented integer primary key ``id``."""
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _authored() -> list[sa.Column[Any]]:
    """``actor`` and ``created_at``: who wrote a row and when (seconds since the epoch)."""
    return _required(actor=sa.String(500), created_at=sa.Float)


def _model_ref() -> sa.Column[Any]:
    """``model_id``: the model version a row belongs to."""
    return sa.Column("model_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False)


model_versions = sa.Table(
    "model_versions",
    metadata,
    _serial_id(),
    *_required(name=sa.String(128), version=sa.String(64)),
    *_optional(vendor=sa.String(500)),
    *_required(state=sa.String(16), reason=sa.Text, revision=sa.Integer),
    *_required(filing=sa.Text, filing_sha256=sa.String(64)),
    *_optional(artifact=sa.Text, artifact_sha256=sa.String(64), suspended_at=sa.Float),
    *_required(created_at=sa.Float, updated_at=sa.Float),
    sa.UniqueConstraint("name", "version", name="uq_model_versions_name_version"),
    sa.Index("ix_model_versions_vendor", "vendor"),
)

audits = sa.Table(
    "audits",
    metadata,
    _serial_id(),
    _model_ref(),
    *_optional(artifact_sha256=sa.String(64)),
    *_required(
        passed=sa.Boolean, verdict=sa.String(16), result=sa.Text, result_sha256=sa.String(64)
    ),
    *_optional(report_path=sa.Text),
    *_authored(),
    sa.Column("status", sa.String(16), nullable=False, server_default="completed"),
    *_optional(error=sa.Text),
    sa.Index("ix_audits_model_id", "model_id", "id"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    _serial_id(),
    _model_ref(),
    *_required(action=sa.String(32), from_state=sa.String(16), to_state=sa.String(16)),
    *_required(rationale=sa.Text, actor=sa.String(500)),
    *_optional(evidence=sa.Text),
    *_required(created_at=sa.Float),
)

ledger_events = sa.Table(
    "ledger_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    *_required(kind=sa.String(32)),
    *_optional(name=sa.String(128), version=sa.String(64)),
    *_required(
        actor=sa.String(500),
        payload=sa.Text,
        created_at=sa.String(40),
        prev_hash=sa.String(64),
        hash=sa.String(64),
    ),
)

service_tokens = sa.Table(
    "service_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    *_required(role=sa.String(32)),
    *_optional(vendor=sa.String(200), label=sa.String(200)),
    *_required(
        salt=sa.String(64),
        hash=sa.String(128),
        iterations=sa.Integer,
        created_at=sa.DateTime(timezone=True),
    ),
    *_optional(
        expires_at=sa.DateTime(timezone=True),
        revoked_at=sa.DateTime(timezone=True),
        member=sa.String(200),
    ),
)
"""The ``service_tokens`` table (created by migration ``0002_service``)."""

observation_batches = sa.Table(
    "observation_batches",
    metadata,
    _serial_id(),
    *_required(model=sa.String(200), version=sa.String(100), received_at=sa.Float),
    *_required(n=sa.Integer, n_outcome=sa.Integer, has_ts=sa.Boolean),
    *_required(levels=sa.Text, payload=sa.LargeBinary),
    *_optional(client_batch_id=sa.String(64)),
    sa.Column("review", sa.LargeBinary, nullable=True),  # issue 16: reviewed/overridden/final
    # issue 13, model kinds live (migration 0012): what the payload's columns hold
    sa.Column("kind", sa.String(16), nullable=False, server_default="binary"),
    *_optional(classes=sa.Text),
    sa.Index("ix_observation_batches_model_version", "model", "version", "id"),
    sa.Index(
        "uq_observation_batches_client_id", "model", "version", "client_batch_id", unique=True
    ),
)
"""The ``observation_batches`` table (migration ``0002_service``; ``client_batch_id``: ``0005``;
``kind`` and ``classes``: ``0012``, after ``0013``)."""

policies = sa.Table(
    "policies",
    metadata,
    _serial_id(),
    *_required(name=sa.String(200), version=sa.Integer, sha256=sa.String(64), body=sa.Text),
    *_authored(),
    sa.UniqueConstraint("name", "version", name="uq_policies_name_version"),
)
"""Committee-published policies, one row per version (migration ``0005``)."""

policy_assignments = sa.Table(
    "policy_assignments",
    metadata,
    _serial_id(),
    *_required(model=sa.String(128), model_version=sa.String(64)),
    sa.Column("policy_id", sa.Integer, sa.ForeignKey("policies.id"), nullable=False),
    *_required(actor=sa.String(500), rationale=sa.Text, created_at=sa.Float),
    sa.Index("ix_policy_assignments_model", "model", "model_version", "id"),
)
"""Which published policy governs a model version; the newest row wins (migration ``0005``)."""

model_names = sa.Table(
    "model_names",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    *_required(vendor=sa.String(500), created_at=sa.Float, updated_at=sa.Float),
)
"""Who owns each model name: the first vendor to file it, until an admin transfers it."""

votes = sa.Table(
    "votes",
    metadata,
    _serial_id(),
    _model_ref(),
    *_required(question=sa.String(16), state=sa.String(16), member=sa.String(500)),
    *_required(vote=sa.String(16), rationale=sa.Text, event_id=sa.Integer, created_at=sa.Float),
    *_optional(closed_at=sa.Float),
    sa.Index("ix_votes_model_open", "model_id", "closed_at"),
)
"""Committee votes on a pending question (approve / reinstate); closed when the state changes
(migration ``0010``)."""

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    *_required(url=sa.Text),
    *_optional(model=sa.String(128)),
    *_required(secret=sa.String(128), actor=sa.String(500), created_at=sa.Float),
    *_optional(deleted_at=sa.Float),
    *_required(last_event_id=sa.Integer),
)
"""Webhook subscriptions of operations systems: one model (``model``) or all (migration
``0010``); ``last_event_id`` is the newest ledger event already queued for it."""

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    _serial_id(),
    sa.Column("webhook_id", sa.String(32), sa.ForeignKey("webhooks.id"), nullable=False),
    *_required(
        event_id=sa.Integer,
        kind=sa.String(32),
        body=sa.Text,
        status=sa.String(16),
        attempts=sa.Integer,
        next_attempt_at=sa.Float,
    ),
    *_optional(lease_until=sa.Float, last_error=sa.Text, last_status=sa.Integer),
    *_required(created_at=sa.Float),
    *_optional(delivered_at=sa.Float),
    sa.UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)
"""One row per (subscription, ledger event): pending, delivered or failed, with its attempts and
last error (migration ``0010``)."""
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    *_required(token_id=sa.String(32), role=sa.String(32)),
    *_optional(vendor=sa.String(200)),
    *_required(member=sa.String(500), csrf=sa.String(64), created_at=sa.Float, last_seen=sa.Float),
)
"""Web page sign-in sessions: the SHA-256 of the cookie's secret, never the secret (``0013``)."""
