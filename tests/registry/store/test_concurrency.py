"""Several processes filing and deciding at once leave a consistent store and an intact ledger."""

from __future__ import annotations

import multiprocessing as mp

import pytest

WORKERS, EACH = 4, 15


def _work(home: str, worker: int, filing: dict) -> int:
    from pathlib import Path

    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    reg = Registry(Settings(home=Path(home)))
    for i in range(EACH):
        body = {**filing, "name": f"w{worker}", "version": str(i)}
        reg.file(body, actor=f"vendor {worker}")
        reg.record_audit(
            f"w{worker}",
            str(i),
            artifact_sha256=None,
            passed=True,
            verdict="pass",
            result={"i": i},
            report_path=None,
            actor="auditor",
        )
        reg.decide(f"w{worker}", str(i), "approve", rationale="audit passed", actor="c")
    return EACH


@pytest.mark.slow
def test_concurrent_writers(tmp_path, example_filing):
    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    home = tmp_path / "home"
    ctx = mp.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        done = pool.starmap(_work, [(str(home), w, example_filing) for w in range(WORKERS)])
    assert done == [EACH] * WORKERS
    reg = Registry(Settings(home=home))
    versions = reg.list_versions()
    assert len(versions) == WORKERS * EACH
    assert {v.state for v in versions} == {"ACTIVE"}
    check = reg.verify_ledger()
    # plus the two built-in policies, published at the first filing
    assert check.ok and check.count == 3 * WORKERS * EACH + 2
