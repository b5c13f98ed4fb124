"""Shared test set-up: every test gets its own FAIRGATE_HOME; shared fixtures from tests.fixtures.

Fixtures live in :mod:`tests.fixtures` (``registry`` and models, ``service`` and its server,
``audit`` cases, ``database``: SQLite and a real PostgreSQL); this one conftest makes them
available to every test folder. A test that uses a database fixture runs on both databases; its
URL is exported as ``FAIRGATE_DATABASE_URL``, so the CLI, subprocesses and ``Settings()`` use it.
"""

from __future__ import annotations

import pytest

from tests.fixtures.database import (  # noqa: F401 (fixtures)
    db_kind,
    db_url,
    module_db_url,
    pg_server,
)
from tests.fixtures.registry import (  # noqa: F401 (fixtures)
    arrests_model,
    example_filing,
    make_filing,
    registry,
    skops_model,
)
from tests.fixtures.service import (  # noqa: F401 (fixtures)
    env,
    fresh_env,
    plain_env,
    service_filing,
)


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
