"""Human oversight (issue 16): what people did with each live decision, per observation batch.

Revision ID: 0011
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("observation_batches") as batch:
        batch.add_column(sa.Column("review", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("observation_batches") as batch:
        batch.drop_column("review")
