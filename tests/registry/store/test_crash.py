"""A process killed in the middle of a write transaction loses nothing committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import sqlalchemy as sa

SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import sqlalchemy as sa
    from fairgate.registry.store import Registry
    from fairgate.registry.store import ledger
    from fairgate.registry.store.tables import model_versions
    from fairgate.settings import Settings

    filing = json.loads(sys.argv[2])
    reg = Registry(Settings(home=Path(sys.argv[1])))
    for i in range(3):
        reg.file({**filing, "version": str(i)}, actor="vendor")
    conn = reg.engine.connect()
    tx = conn.begin()  # BEGIN IMMEDIATE: holds the write lock
    conn.execute(model_versions.insert().values(
        name="half", version="1", vendor="v", state="FILED", reason="x", revision=1,
        filing="{}", filing_sha256="0" * 64, created_at=0.0, updated_at=0.0))
    ledger.append(conn, "file", actor="vendor", name="half", version="1")
    print("ready", flush=True)
    time.sleep(60)
    """
)


def test_kill_mid_transaction(tmp_path, example_filing):
    import json

    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    home = tmp_path / "home"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(home), json.dumps(example_filing, default=str)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    reg = Registry(Settings(home=home))
    names = [(m.name, m.version) for m in reg.list_versions()]
    assert names == [(example_filing["name"], str(i)) for i in range(3)]
    check = reg.verify_ledger()
    # three filings, after the two built-in policies published at the first filing
    assert check.ok and check.count == 3 + 2
    with reg.engine.connect() as c:
        assert (
            c.execute(sa.text("select count(*) from model_versions where name='half'")).scalar()
            == 0
        )
    # the database takes new writes at once
    reg.file({**example_filing, "version": "9"}, actor="vendor")
    assert reg.verify_ledger().count == 4 + 2
