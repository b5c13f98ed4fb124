"""The change feed every worker watches, and the per-model lock that passes on when its holder dies.

Both run on SQLite (shared change counter, ``flock``) and PostgreSQL (``LISTEN/NOTIFY``, advisory
locks); the writers and the lock holder are separate processes, as other workers would be.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

FAILURE_BOUND = 30.0
"""Seconds after which a change that never arrives fails the test (a bound, not a target)."""

_HOLDER = """
import sys, time
from pathlib import Path

import yaml
from fairgate.registry.store import Registry
from fairgate.registry.store.changes import model_lock
from fairgate.settings import Settings

reg = Registry(Settings(home=Path(sys.argv[1])))
with model_lock(reg.engine, "m", "1"):
    Path(sys.argv[2]).touch()
    time.sleep(600)
"""


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAIRGATE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", "from fairgate.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _wait_for(feed, what) -> object:
    deadline = time.monotonic() + FAILURE_BOUND
    while time.monotonic() < deadline:
        changes = feed.wait(0.5)
        if what(changes):
            return changes
    raise AssertionError("the change never reached the feed")


def test_the_feed_sees_other_processes_events_and_revocations(tmp_path, make_filing):
    from fairgate.registry.api.auth import TokenStore
    from fairgate.registry.store import Registry
    from fairgate.registry.store.changes import ChangeFeed
    from fairgate.settings import Settings

    home = tmp_path / "home"
    reg = Registry(Settings(home=home))
    tokens = TokenStore(reg.engine)
    _, info = tokens.create("operations")
    feed = ChangeFeed(reg.engine)
    try:
        assert not feed.wait(0.05)  # nothing happened yet
        filing = tmp_path / "f.yaml"
        filing.write_text(yaml.safe_dump(make_filing("feed", "1")), encoding="utf-8")
        done = _cli(home, "file", str(filing))
        assert done.returncode == 0, done.stderr
        changes = _wait_for(feed, lambda c: c.ledger)
        assert changes.revoked == set()

        done = _cli(home, "token", "revoke", info.id)
        assert done.returncode == 0, done.stderr
        changes = _wait_for(feed, lambda c: c.revoked)
        assert changes.revoked == {info.id}
        assert not changes.ledger
    finally:
        feed.close()


def test_a_model_lock_passes_to_the_next_worker_when_its_holder_dies(tmp_path):
    from fairgate.registry.store import Registry
    from fairgate.registry.store.changes import model_lock
    from fairgate.settings import Settings

    home = tmp_path / "home"
    reg = Registry(Settings(home=home))
    held = tmp_path / "held"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(home), str(held)])
    try:
        deadline = time.monotonic() + FAILURE_BOUND
        while not held.exists():
            assert holder.poll() is None, "the holder exited"
            assert time.monotonic() < deadline, "the holder never took the lock"
            time.sleep(0.02)
        acquired = threading.Event()
        other = threading.Event()

        def take(version: str, flag: threading.Event) -> None:
            with model_lock(reg.engine, "m", version):
                flag.set()

        waiter = threading.Thread(target=take, args=("1", acquired), daemon=True)
        waiter.start()
        # another model version is not blocked by it
        threading.Thread(target=take, args=("2", other), daemon=True).start()
        assert other.wait(FAILURE_BOUND)
        assert not acquired.wait(0.5), "two processes held one model's lock"
        holder.send_signal(signal.SIGKILL)  # no clean-up runs: the OS or the database frees it
        holder.wait(10)
        assert acquired.wait(FAILURE_BOUND), "the lock never passed on"
        waiter.join(FAILURE_BOUND)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)


def test_threads_of_one_worker_take_a_model_lock_in_turn(tmp_path):
    """Two threads of one worker take one model's lock in turn, never together."""
    from fairgate.registry.store import Registry
    from fairgate.registry.store.changes import model_lock
    from fairgate.settings import Settings

    reg = Registry(Settings(home=tmp_path / "home"))
    inside = 0
    most = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        for _ in range(20):
            with model_lock(reg.engine, "m", "1"):
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.001)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(FAILURE_BOUND)
    assert most == 1
