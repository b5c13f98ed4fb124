"""Service tables: API tokens and raw observation batches.

Revision ID: 0002_service
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_service"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_tokens",
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
    )
    op.create_table(
        "observation_batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("n_outcome", sa.Integer, nullable=False),
        sa.Column("has_ts", sa.Boolean, nullable=False),
        sa.Column("levels", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
    )
    op.create_index(
        "ix_observation_batches_model_version",
        "observation_batches",
        ["model", "version", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_observation_batches_model_version", table_name="observation_batches")
    op.drop_table("observation_batches")
    op.drop_table("service_tokens")
