"""Every table of fairgate in one MetaData (SQLAlchemy Core); the migrations must match it."""

from __future__ import annotations

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

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("vendor", sa.String(500)),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("filing", sa.Text, nullable=False),
    sa.Column("filing_sha256", sa.String(64), nullable=False),
    sa.Column("artifact", sa.Text),
    sa.Column("artifact_sha256", sa.String(64)),
    sa.Column("suspended_at", sa.Float),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_model_versions_name_version"),
    sa.Index("ix_model_versions_vendor", "vendor"),
)

audits = sa.Table(
    "audits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("artifact_sha256", sa.String(64)),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("result_sha256", sa.String(64), nullable=False),
    sa.Column("report_path", sa.Text),
    sa.Column("actor", sa.String(500), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="completed"),
    sa.Column("error", sa.Text),
    sa.Index("ix_audits_model_id", "model_id", "id"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("from_state", sa.String(16), nullable=False),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("actor", sa.String(500), nullable=False),
    sa.Column("evidence", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
)

ledger_events = sa.Table(
    "ledger_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("name", sa.String(128)),
    sa.Column("version", sa.String(64)),
    sa.Column("actor", sa.String(500), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

service_tokens = sa.Table(
    "service_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("vendor", sa.String(200), nullable=True),
    sa.Column("label", sa.String(200), nullable=True),
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(128), nullable=False),
    sa.Column("iterations", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("member", sa.String(200), nullable=True),
)
"""The ``service_tokens`` table (created by migration ``0002_service``)."""

observation_batches = sa.Table(
    "observation_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("version", sa.String(100), nullable=False),
    sa.Column("received_at", sa.Float, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("n_outcome", sa.Integer, nullable=False),
    sa.Column("has_ts", sa.Boolean, nullable=False),
    sa.Column("levels", sa.Text, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("client_batch_id", sa.String(64), nullable=True),
    sa.Column("review", sa.LargeBinary, nullable=True),  # issue 16: reviewed/overridden/final
    # issue 13, model kinds live (migration 0012): what the payload's columns hold
    sa.Column("kind", sa.String(16), nullable=False, server_default="binary"),
    sa.Column("classes", sa.Text, nullable=True),
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
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("actor", sa.String(500), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_policies_name_version"),
)
"""Committee-published policies, one row per version (migration ``0005``)."""

policy_assignments = sa.Table(
    "policy_assignments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(128), nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("policy_id", sa.Integer, sa.ForeignKey("policies.id"), nullable=False),
    sa.Column("actor", sa.String(500), nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_policy_assignments_model", "model", "model_version", "id"),
)
"""Which published policy governs a model version; the newest row wins (migration ``0005``)."""

model_names = sa.Table(
    "model_names",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("vendor", sa.String(500), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
"""Who owns each model name: the first vendor to file it, until an admin transfers it."""

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("model_versions.id"), nullable=False),
    sa.Column("question", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("member", sa.String(500), nullable=False),
    sa.Column("vote", sa.String(16), nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("event_id", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("closed_at", sa.Float, nullable=True),
    sa.Index("ix_votes_model_open", "model_id", "closed_at"),
)
"""Committee votes on a pending question (approve / reinstate); closed when the state changes
(migration ``0010``)."""

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("model", sa.String(128), nullable=True),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("actor", sa.String(500), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("deleted_at", sa.Float, nullable=True),
    sa.Column("last_event_id", sa.Integer, nullable=False),
)
"""Webhook subscriptions of operations systems: one model (``model``) or all (migration
``0010``); ``last_event_id`` is the newest ledger event already queued for it."""

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("webhook_id", sa.String(32), sa.ForeignKey("webhooks.id"), nullable=False),
    sa.Column("event_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.Float, nullable=False),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("delivered_at", sa.Float, nullable=True),
    sa.UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)
"""One row per (subscription, ledger event): pending, delivered or failed, with its attempts and
last error (migration ``0010``)."""
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("token_id", sa.String(32), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("vendor", sa.String(200), nullable=True),
    sa.Column("member", sa.String(500), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False),
)
"""Web page sign-in sessions: the SHA-256 of the cookie's secret, never the secret (``0013``)."""
