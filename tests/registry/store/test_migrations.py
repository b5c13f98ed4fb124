"""The migrations build exactly the one MetaData: a table change needs a migration."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fairgate.registry.store.db import current_revision, head_revision, init_db, make_engine
from fairgate.registry.store.tables import metadata


def _diff(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_fresh_database_upgraded_to_head_matches_the_metadata(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    init_db(engine)
    assert current_revision(engine) == head_revision()
    assert _diff(engine) == []
    names = set(sa.inspect(engine).get_table_names())
    assert set(metadata.tables) <= names


def test_a_table_missing_from_the_migrations_is_found(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'drift.db'}")
    init_db(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE observation_batches")
        conn.exec_driver_sql("ALTER TABLE audits ADD COLUMN stray TEXT")
    kinds = {(d[0], getattr(d[1], "name", None)) for d in _diff(engine) if isinstance(d, tuple)}
    assert ("add_table", "observation_batches") in kinds
    removed = [d for d in _diff(engine) if isinstance(d, tuple) and d[0] == "remove_column"]
    assert [d[3].name for d in removed] == ["stray"]


def test_every_table_is_in_the_one_metadata():
    from fairgate.registry.api import auth
    from fairgate.registry.monitor import observations

    assert auth.tokens_table.metadata is metadata
    assert observations.batches_table.metadata is metadata
