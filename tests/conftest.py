"""Shared test set-up: every test gets its own FAIRGATE_HOME; shared fixtures from tests.fixtures.

Fixtures live in :mod:`tests.fixtures` (``registry`` and models, ``service`` and its server,
``audit`` cases); this one conftest makes them available to every test folder.
"""

from __future__ import annotations

import pytest

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
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point FAIRGATE_HOME at a fresh folder so no test touches the user's ~/.fairgate."""
    home = tmp_path_factory.mktemp("fairgate_home")
    monkeypatch.setenv("FAIRGATE_HOME", str(home))
    monkeypatch.delenv("FAIRGATE_DATABASE_URL", raising=False)
    return home
