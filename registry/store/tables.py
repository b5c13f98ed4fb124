"""The registry's tables (SQLAlchemy Core); the schema itself is made by the migrations."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "audits",
    "decisions",
    "ledger_events",
    "metadata",
    "model_names",
    "model_versions",
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

model_names = sa.Table(
    "model_names",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("vendor", sa.String(500), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
"""Who owns each model name: the first vendor to file it, until an admin transfers it."""
