"""The database: engine set-up (SQLite by default, any SQLAlchemy URL) and schema migrations.

On SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (the SQLAlchemy recipe for
pysqlite), so concurrent writers from several processes queue on the database lock instead of
failing half-way; WAL journaling lets readers proceed meanwhile, foreign keys are enforced, and a
busy writer is waited for up to 30 s. Reads that must not take the write lock use
:func:`read_connection`. The schema is created and upgraded by Alembic from the migrations that
ship inside the package, so no ``alembic.ini`` is needed at run time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

__all__ = ["current_revision", "head_revision", "init_db", "make_engine", "read_connection"]

_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with fairgate's SQLite settings.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL; ``sqlite:///path`` is the embedded default, PostgreSQL
        (``postgresql+psycopg://...``) the documented production choice.

    Returns
    -------
    sqlalchemy.engine.Engine
    """
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextlib.contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose transaction does not take SQLite's write lock (``BEGIN DEFERRED``)."""
    with engine.connect() as conn:
        conn.execution_options(sqlite_begin="DEFERRED")
        yield conn


def _alembic_config(conn: Connection):
    from alembic.config import Config

    from fairgate.registry import migrations

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    """The newest migration that ships with this fairgate."""
    from alembic.script import ScriptDirectory

    from fairgate.registry import migrations

    script = ScriptDirectory(str(Path(migrations.__file__).parent))
    return str(script.get_current_head())


def current_revision(engine: Engine) -> str | None:
    """The database's migration revision (``None`` for an empty database)."""
    with read_connection(engine) as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def init_db(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration.

    Safe when several processes start at once: on SQLite the upgrade runs inside one
    ``BEGIN IMMEDIATE`` transaction, so the others wait and then find the schema current.
    """
    head = head_revision()
    if current_revision(engine) == head:
        return
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
