"""The hash-chained ledger detects edited, deleted and reordered rows."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

BUILTINS = 2
"""Events 1 and 2: the built-in policies, published at the first filing."""


@pytest.fixture
def filled(registry, make_filing):
    for i in range(5):
        mv = registry.file(make_filing(version=str(i)), actor="vendor")
        registry.decide(mv.name, mv.version, "reject", rationale="not documented", actor="c")
    assert registry.verify_ledger().ok and registry.verify_ledger().count == 10 + BUILTINS
    return registry


def _sql(reg, statement):
    with reg.engine.begin() as conn:
        conn.execute(sa.text(statement))


@pytest.mark.parametrize(
    ("statement", "bad_id"),
    [
        ("update ledger_events set actor = 'someone else' where id = 6", 6),
        ('update ledger_events set payload = \'{"rationale":"ok"}\' where id = 8', 8),
        ("update ledger_events set hash = '" + "a" * 64 + "' where id = 5", 5),
        ("delete from ledger_events where id = 7", 8),
        ("delete from ledger_events where id = 1", 2),
    ],
)
def test_tampering_is_detected_at_the_first_bad_event(filled, statement, bad_id):
    _sql(filled, statement)
    result = filled.verify_ledger()
    assert not result.ok and result.first_bad_id == bad_id, result


def test_reordered_rows_are_detected(filled):
    _sql(filled, "update ledger_events set id = 100 where id = 5")
    _sql(filled, "update ledger_events set id = 5 where id = 6")
    _sql(filled, "update ledger_events set id = 6 where id = 100")
    result = filled.verify_ledger()
    assert not result.ok and result.first_bad_id == 5


def test_deleted_tail_is_caught_against_an_exported_anchor(filled):
    buf = io.StringIO()
    filled.export_ledger(buf)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 11 + BUILTINS
    head = json.loads(lines[-1])["head"]
    assert filled.verify_ledger(head).ok
    _sql(filled, "delete from ledger_events where id = 12")
    assert filled.verify_ledger().ok  # a chain alone cannot see a cut tail...
    result = filled.verify_ledger(head)
    assert not result.ok and result.first_bad_id == 12  # ...the anchor can


def test_cli_verify_exits_1_naming_the_event(filled, tmp_path):
    env = {**os.environ, "FAIRGATE_HOME": str(filled.settings.home)}
    cmd = [sys.executable, "-c", "from fairgate.cli import main; main()", "ledger", "verify"]
    ok = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert ok.returncode == 0 and "ledger intact: 12 events" in ok.stdout
    _sql(filled, "update ledger_events set actor = 'x' where id = 9")
    bad = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "event 9" in bad.stderr
