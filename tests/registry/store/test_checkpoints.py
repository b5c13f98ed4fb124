"""Signed ledger checkpoints: a deleted tail, an edited event or a forged signature fails."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import httpx
import sqlalchemy as sa

from fairgate.registry.store.checkpoints import (
    Checkpoint,
    load_key,
    make_checkpoint,
    public_key_info,
    verify_checkpoint,
)


def _file(registry, make_filing, *versions):
    for v in versions:
        registry.file(make_filing("cp", str(v)), None, actor="vendor")


def _delete_newest(engine, n):
    """Delete the newest ``n`` ledger events behind fairgate's back (SQLite or PostgreSQL)."""
    with engine.begin() as conn:
        newest = conn.execute(sa.text("SELECT MAX(id) FROM ledger_events")).scalar_one()
        conn.execute(sa.text("DELETE FROM ledger_events WHERE id > :cut"), {"cut": newest - n})


def test_key_is_created_private_and_stable(tmp_path):
    path = tmp_path / "k" / "checkpoint-key.pem"
    key = load_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = load_key(path)
    assert again.key_id == key.key_id and again.public_raw == key.public_raw
    info = public_key_info(key)
    assert info["algorithm"] == "Ed25519" and "BEGIN PUBLIC KEY" in info["pem"]


def test_intact_ledger_passes_and_keeps_passing_as_it_grows(registry, make_filing, tmp_path):
    key = load_key(tmp_path / "key.pem")
    _file(registry, make_filing, 1, 2)
    made = make_checkpoint(registry.engine, key).to_dict()
    held = Checkpoint.from_dict(json.loads(json.dumps(made)))
    assert held.ledger_length == len(registry.events())
    assert verify_checkpoint(registry.engine, held, key.public_raw).ok
    _file(registry, make_filing, 3)
    check = verify_checkpoint(registry.engine, held, key.public_raw)
    assert check.ok and check.count == held.ledger_length + 1


def test_deleting_the_newest_events_is_caught_and_named(registry, make_filing, tmp_path):
    key = load_key(tmp_path / "key.pem")
    _file(registry, make_filing, 1, 2, 3)
    held = make_checkpoint(registry.engine, key)
    n = held.ledger_length
    assert registry.verify_ledger(None).ok
    _delete_newest(registry.engine, 2)
    assert registry.verify_ledger(None).ok  # the chain alone cannot see a deleted tail
    check = verify_checkpoint(registry.engine, held, key.public_raw)
    assert not check.ok
    assert check.missing == (n - 1, n)
    assert f"events {n - 1} to {n} were deleted" in check.problem


def test_a_rewritten_tail_is_caught(registry, make_filing, tmp_path):
    key = load_key(tmp_path / "key.pem")
    _file(registry, make_filing, 1, 2)
    held = make_checkpoint(registry.engine, key)
    _delete_newest(registry.engine, 1)
    _file(registry, make_filing, 9)  # a new event takes the deleted one's id
    check = verify_checkpoint(registry.engine, held, key.public_raw)
    assert not check.ok and check.first_bad_id == held.ledger_length
    assert "rewritten" in check.problem


def test_an_edited_event_is_caught(registry, make_filing, tmp_path):
    key = load_key(tmp_path / "key.pem")
    _file(registry, make_filing, 1, 2)
    held = make_checkpoint(registry.engine, key)
    with registry.engine.begin() as conn:
        conn.execute(sa.text("UPDATE ledger_events SET actor = 'someone else' WHERE id = 1"))
    check = verify_checkpoint(registry.engine, held, key.public_raw)
    assert not check.ok and check.first_bad_id == 1 and "edited" in check.problem


def test_forged_signature_and_foreign_key_fail(registry, make_filing, tmp_path):
    key = load_key(tmp_path / "key.pem")
    _file(registry, make_filing, 1, 2)
    body = make_checkpoint(registry.engine, key).to_dict()
    forged = Checkpoint.from_dict({**body, "ledger_length": body["ledger_length"] - 1})
    check = verify_checkpoint(registry.engine, forged, key.public_raw)
    assert not check.ok and "forged or altered" in check.problem
    other = load_key(tmp_path / "other.pem")
    check = verify_checkpoint(registry.engine, Checkpoint.from_dict(body), other.public_raw)
    assert not check.ok and key.key_id in check.problem


def _cli(home, *args):
    env = {**os.environ, "FAIRGATE_HOME": str(home)}
    cmd = [sys.executable, "-c", "from fairgate.cli import main; main()", *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_cli_checkpoint_then_verify_catches_a_deleted_tail(tmp_path, make_filing):
    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    home = tmp_path / "home"
    registry = Registry(Settings(home=home))
    _file(registry, make_filing, 1, 2, 3)
    r = _cli(home, "ledger", "checkpoint")
    assert r.returncode == 0, r.stderr
    held = tmp_path / "held.json"
    held.write_text(r.stdout)
    n = json.loads(r.stdout)["ledger_length"]
    r = _cli(home, "ledger", "verify", "--checkpoint", held)
    assert r.returncode == 0 and "intact up to the checkpoint" in r.stdout, r.stderr
    assert f"{n:,} events" in r.stdout
    _delete_newest(registry.engine, 1)
    r = _cli(home, "ledger", "verify", "--checkpoint", held)
    assert r.returncode == 1
    assert f"events {n} to {n} were deleted" in r.stderr


def test_public_checkpoint_and_key_over_http(env, tmp_path):
    env.activate("cp-http", "1")
    cp = httpx.get(f"{env.url}/v1/public/checkpoint", timeout=30)  # no token
    key = httpx.get(f"{env.url}/v1/public/key", timeout=30)
    assert cp.status_code == 200 and key.status_code == 200
    assert cp.json()["key_id"] == key.json()["key_id"]
    assert cp.json()["ledger_length"] == len(env.registry.events())
    r = _cli(
        env.server.home,
        "ledger",
        "verify",
        "--checkpoint",
        f"{env.url}/v1/public/checkpoint",
        "--key",
        f"{env.url}/v1/public/key",
    )
    assert r.returncode == 0, r.stderr
    forged = {**cp.json(), "head_hash": "0" * 64}
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    r = _cli(env.server.home, "ledger", "verify", "--checkpoint", tmp_path / "forged.json")
    assert r.returncode == 1 and "forged or altered" in r.stderr
