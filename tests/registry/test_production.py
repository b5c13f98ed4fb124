"""Production set-ups: many processes writing at once, workers migrating an empty database."""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.writers import file_audited, run_writers, settled

WRITERS, EACH = 8, 5


def _write(home: str, worker: int, filing: dict) -> int:
    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    reg = Registry(Settings(home=Path(home)))
    for i in range(EACH):
        name, version = file_audited(reg, filing, worker, i, result={"i": i})
        reg.decide(name, version, "approve", rationale="audit passed", actor="committee")
        reg.suspend_by_breaker(name, version, rule="live_dp", evidence={"worker": worker})
    return EACH


@pytest.mark.slow
def test_eight_processes_file_and_decide_at_once(tmp_path, example_filing):
    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    home = tmp_path / "home"
    Registry(Settings(home=home))  # the schema exists; the writers race on rows and the ledger
    done = run_writers(_write, home, WRITERS, example_filing)
    assert done == [EACH] * WRITERS
    reg, check = settled(home, WRITERS * EACH, "SUSPENDED")
    assert check.ok, check.problem
    events = reg.events()
    kinds = [e.kind for e in events]
    assert check.count == len(kinds)
    # each version: filed, audited, approved, tripped; and the built-in policies, published once
    assert len([k for k in kinds if not k.startswith("policy_")]) == 4 * WRITERS * EACH
    published = [
        (e.payload["policy"], e.payload["policy_version"])
        for e in events
        if e.kind == "policy_publish"
    ]
    assert published and len(published) == len(set(published))
    assert kinds.count("breaker_trip") == WRITERS * EACH


def _start_worker(url: str, home: str, go: str, worker: int) -> str:
    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    while not os.path.exists(go):
        time.sleep(0.001)
    reg = Registry(Settings(home=Path(home), database_url=url))
    from fairgate.registry.store.db import current_revision

    return str(current_revision(reg.engine))


@pytest.mark.slow
def test_four_workers_start_at_once_on_an_empty_database(tmp_path, db_kind, request):
    from fairgate.registry.store import Registry
    from fairgate.registry.store.db import head_revision
    from fairgate.settings import Settings

    if db_kind == "postgresql":
        url = request.getfixturevalue("pg_server").create_database("empty")  # no template
    else:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    go = tmp_path / "go"
    ctx = mp.get_context("spawn")
    with ctx.Pool(4) as pool:
        pending = pool.starmap_async(
            _start_worker, [(url, str(tmp_path / f"h{w}"), str(go), w) for w in range(4)]
        )
        time.sleep(0.5)  # let every worker import and wait at the line
        go.touch()
        revisions = pending.get(timeout=300)
    assert revisions == [head_revision()] * 4
    reg = Registry(Settings(home=tmp_path / "h0", database_url=url))
    assert reg.list_versions() == []
    assert reg.verify_ledger().ok


def test_postgresql_without_its_driver_is_one_clear_line(tmp_path):
    code = "import sys; sys.modules['psycopg'] = None; from fairgate.cli import main; main()"
    env = {
        **os.environ,
        "FAIRGATE_HOME": str(tmp_path),
        "FAIRGATE_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
    }
    done = subprocess.run(
        [sys.executable, "-c", code, "models"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "pip install 'fairgate[postgres]'" in lines[0]


def test_postgres_urls_use_psycopg_3():
    from fairgate.registry.store.db import normalise_url

    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
