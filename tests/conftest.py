"""Shared test set-up: every test gets its own FAIRGATE_HOME, and a database of its own.

The registry and service suites run on both databases fairgate supports: their conftests make
the ``db_url`` fixture autouse, which is parametrised over ``sqlite`` (the embedded default under
FAIRGATE_HOME) and ``postgresql`` (a fresh database on a real PostgreSQL server that this
session starts itself with Debian's binaries; see ``pg_server.py``). The URL is exported as
``FAIRGATE_DATABASE_URL``, so the CLI, subprocesses and ``Settings()`` all use it.
"""

from __future__ import annotations

import pytest
from pg_server import PgServer, find_bin_dir

TEMPLATE = "fairgate_template"


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for this test session (each xdist worker starts its own).

    A template database holds the migrated schema, so each test's database is a quick copy;
    the migrations themselves run on PostgreSQL in the template and in the start-up tests.
    """
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries not found; install Debian's postgresql (.ci/run does)")
    pytest.importorskip("psycopg", reason="install fairgate[postgres] to test on PostgreSQL")
    server = PgServer(bin_dir).start()
    try:
        from fairgate.registry.store.db import init_db, make_engine

        url = server.create_database(TEMPLATE)
        engine = make_engine(url)
        init_db(engine)
        engine.dispose()
        server.template = url.rsplit("/", 1)[1]
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    """Which database the module's tests run on."""
    return request.param


@pytest.fixture(scope="module")
def module_db_url(db_kind: str, request: pytest.FixtureRequest) -> str | None:
    """A database shared by one module's tests (``None``: SQLite under FAIRGATE_HOME)."""
    if db_kind == "sqlite":
        return None
    server = request.getfixturevalue("pg_server")
    return server.create_database("m", template=server.template)


@pytest.fixture
def db_url(db_kind: str, request: pytest.FixtureRequest) -> str | None:
    """A database of the test's own (``None``: SQLite under FAIRGATE_HOME)."""
    if db_kind == "sqlite":
        return None
    server = request.getfixturevalue("pg_server")
    return server.create_database("f", template=server.template)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
):
    """Point FAIRGATE_HOME at a fresh folder so no test touches the user's ~/.fairgate.

    FAIRGATE_DATABASE_URL is the test's ``db_url`` when it uses one, else unset.
    """
    home = tmp_path_factory.mktemp("fairgate_home")
    monkeypatch.setenv("FAIRGATE_HOME", str(home))
    monkeypatch.delenv("FAIRGATE_DATABASE_URL", raising=False)
    if "db_url" in request.fixturenames:
        url = request.getfixturevalue("db_url")
        if url is not None:
            monkeypatch.setenv("FAIRGATE_DATABASE_URL", url)
    return home
