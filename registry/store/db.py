"""The database: engine set-up (SQLite by default, PostgreSQL in production) and migrations.

Every write transaction holds the registry's one write lock, so concurrent writers from several
processes or hosts queue instead of failing half-way (the ledger reads its last event and appends
the next one inside that lock):

* on SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (the SQLAlchemy recipe for
  pysqlite); WAL journaling lets readers proceed meanwhile, foreign keys are enforced, and a busy
  writer is waited for up to 30 s;
* on PostgreSQL every write transaction first takes a transaction-scoped advisory lock
  (``pg_advisory_xact_lock``), released at commit or rollback, waited for up to 30 s
  (``lock_timeout``).

Reads that must not take the write lock use :func:`read_connection`. The schema is created and
upgraded by Alembic from the migrations that ship inside the package (no ``alembic.ini`` is
needed at run time), inside a write transaction: when several workers start at once on an empty
database, one migrates and the others wait and then find the schema current.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fairgate.errors import ConfigurationError

__all__ = [
    "WRITE_LOCK_KEY",
    "current_revision",
    "head_revision",
    "init_db",
    "make_engine",
    "normalise_url",
    "read_connection",
    "write_lock",
]

_BUSY_TIMEOUT_MS = 30_000
WRITE_LOCK_KEY = 0x6661_6972_6761_7465  # "fairgate" in ASCII, a positive bigint
"""PostgreSQL advisory-lock key of the registry's write lock."""

_READ = "fairgate_read"


def normalise_url(url: str) -> str:
    """Spell a PostgreSQL URL with the psycopg 3 driver (``postgresql+psycopg://``).

    ``postgres://`` and ``postgresql://`` (which SQLAlchemy maps to psycopg2) become
    ``postgresql+psycopg://``; any other URL is returned unchanged.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL.

    Returns
    -------
    str
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _check_driver(url: str) -> None:
    if not url.startswith("postgresql+psycopg:"):
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "FAIRGATE_DATABASE_URL names a PostgreSQL database but its driver (psycopg) is not "
            "installed; install it with: pip install 'fairgate[postgres]'."
        ) from None


def make_engine(url: str) -> Engine:
    """An engine for ``url`` whose write transactions hold the registry's write lock.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL; ``sqlite:///path`` is the embedded default, PostgreSQL
        (``postgresql://...``, driven by psycopg 3) the production choice.

    Returns
    -------
    sqlalchemy.engine.Engine

    Raises
    ------
    ConfigurationError
        A PostgreSQL URL without the ``fairgate[postgres]`` extra installed.
    """
    url = normalise_url(url)
    _check_driver(url)
    if url.startswith("postgresql"):
        return _postgres_engine(url)
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "DEFERRED" if conn.get_execution_options().get(_READ) else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _postgres_engine(url: str) -> Engine:
    engine = sa.create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"options": f"-c lock_timeout={_BUSY_TIMEOUT_MS}"},
    )

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if not conn.get_execution_options().get(_READ):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")

    return engine


def write_lock(conn: Connection) -> None:
    """Make sure ``conn``'s transaction holds the registry's write lock (idempotent).

    Write transactions already hold it (see the module docstring); the ledger calls this before
    it reads the last event, so an append can never chain onto a stale head.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


@contextlib.contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose transaction does not take the write lock (SQLite ``BEGIN DEFERRED``)."""
    with engine.connect() as conn:
        conn.execution_options(**{_READ: True})
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

    Safe when several processes start at once: the upgrade runs inside one write transaction
    (``BEGIN IMMEDIATE`` on SQLite, the advisory write lock on PostgreSQL, whose DDL is
    transactional too), so the others wait and then find the schema current.
    """
    head = head_revision()
    if current_revision(engine) == head:
        return
    from alembic import command

    with engine.begin() as conn:
        write_lock(conn)
        command.upgrade(_alembic_config(conn), "head")
