"""Observations of every model kind: what a batch's columns hold, and a multiclass model's classes.

Revision ID: 0012
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("observation_batches") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="binary"))
        batch.add_column(sa.Column("classes", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("observation_batches") as batch:
        batch.drop_column("classes")
        batch.drop_column("kind")
