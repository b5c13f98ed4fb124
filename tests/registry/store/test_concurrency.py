"""Several processes filing and deciding at once leave a consistent store and an intact ledger."""

from __future__ import annotations

import pytest

from tests.fixtures.writers import approved, run_writers, settled

WORKERS, EACH = 4, 15


def _work(home: str, worker: int, filing: dict) -> int:
    return sum(1 for _ in approved(home, worker, filing, EACH))


@pytest.mark.slow
def test_concurrent_writers(tmp_path, example_filing):
    home = tmp_path / "home"
    done = run_writers(_work, home, WORKERS, example_filing)
    assert done == [EACH] * WORKERS
    _, check = settled(home, WORKERS * EACH, "ACTIVE")
    # plus the two built-in policies, published at the first filing
    assert check.ok and check.count == 3 * WORKERS * EACH + 2
