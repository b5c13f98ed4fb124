"""Policy store (published policies, assignments) and client batch ids of observation batches.

Revision ID: 0005
Revises: 0008 (chained after main's 0008_audit_status; originally 0002_service)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("actor", sa.String(500), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_policies_name_version"),
    )
    op.create_table(
        "policy_assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("policy_id", sa.Integer, sa.ForeignKey("policies.id"), nullable=False),
        sa.Column("actor", sa.String(500), nullable=False),
        sa.Column("rationale", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_policy_assignments_model", "policy_assignments", ["model", "model_version", "id"]
    )
    with op.batch_alter_table("observation_batches") as batch:
        batch.add_column(sa.Column("client_batch_id", sa.String(64), nullable=True))
    op.create_index(
        "uq_observation_batches_client_id",
        "observation_batches",
        ["model", "version", "client_batch_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_observation_batches_client_id", table_name="observation_batches")
    with op.batch_alter_table("observation_batches") as batch:
        batch.drop_column("client_batch_id")
    op.drop_index("ix_policy_assignments_model", table_name="policy_assignments")
    op.drop_table("policy_assignments")
    op.drop_table("policies")
