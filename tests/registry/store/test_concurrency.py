"""Several processes filing and deciding at once leave a consistent store and an intact ledger."""

from __future__ import annotations

import pytest

from tests.fixtures.writers import file_audited, run_writers, settled

WORKERS, EACH = 4, 15


def _work(home: str, worker: int, filing: dict) -> int:
    from pathlib import Path

    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    reg = Registry(Settings(home=Path(home)))
    for i in range(EACH):
        name, version = file_audited(reg, filing, worker, i, result={"i": i})
        reg.decide(name, version, "approve", rationale="audit passed", actor="c")
    return EACH


@pytest.mark.slow
def test_concurrent_writers(tmp_path, example_filing):
    home = tmp_path / "home"
    done = run_writers(_work, home, WORKERS, example_filing)
    assert done == [EACH] * WORKERS
    _, check = settled(home, WORKERS * EACH, "ACTIVE")
    # plus the two built-in policies, published at the first filing
    assert check.ok and check.count == 3 * WORKERS * EACH + 2
