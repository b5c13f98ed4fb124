"""Shared test set-up: every test gets its own FAIRGATE_HOME."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point FAIRGATE_HOME at a fresh folder so no test touches the user's ~/.fairgate."""
    home = tmp_path_factory.mktemp("fairgate_home")
    monkeypatch.setenv("FAIRGATE_HOME", str(home))
    monkeypatch.delenv("FAIRGATE_DATABASE_URL", raising=False)
    return home
