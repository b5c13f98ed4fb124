"""Every registry test (store, monitor, service) runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _on_each_database(db_url: str | None) -> None:
    """Parametrise the test over ``db_kind`` (FAIRGATE_DATABASE_URL is set for PostgreSQL)."""
