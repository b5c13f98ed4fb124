"""Alembic environment: runs on the connection fairgate passes in (see ``registry.store.db``)."""

from __future__ import annotations

from alembic import context

from fairgate.registry.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - fairgate always passes its connection
    raise RuntimeError("run fairgate's migrations through fairgate.registry.store.db.init_db")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
