"""Model names are owned: the first vendor to file a name owns it.

Revision ID: 0004
Revises: 0002_service
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002_service"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_names",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("vendor", sa.String(500), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    # every name already filed belongs to the vendor of its first filing
    op.execute(
        "INSERT INTO model_names (name, vendor, created_at, updated_at) "
        "SELECT mv.name, COALESCE(mv.vendor, ''), mv.created_at, mv.created_at "
        "FROM model_versions mv WHERE mv.id = "
        "(SELECT MIN(first.id) FROM model_versions first WHERE first.name = mv.name)"
    )


def downgrade() -> None:
    op.drop_table("model_names")
