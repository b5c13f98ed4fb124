"""Cross-process coordination: the change feed every worker watches, and per-model locks.

Several service workers (``fairgate serve --workers N``, or several hosts on one PostgreSQL
database) each keep caches: the status of every model version, verified tokens, breaker windows.

* **Change feed.** Every ledger event and every token revocation signals a change: on PostgreSQL
  with ``NOTIFY fairgate_changes`` (delivered at commit to every listening worker, within
  milliseconds); on SQLite through a shared change counter — the ledger's newest id and the number
  of revoked tokens — that each worker reads every :data:`SQLITE_POLL_SECONDS`.
  :meth:`ChangeFeed.wait` blocks until a change (or a timeout) and says what changed.
* **Model locks.** :func:`model_lock` gives one process at a time, on any host, the breaker windows
  of one model version: a transaction-scoped advisory lock on PostgreSQL, an ``flock`` on a file
  next to the SQLite database. Both are released by the operating system or the database when
  the holder dies, so ownership passes to the next worker at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fairgate.registry.store.db import read_connection

__all__ = [
    "CHANNEL",
    "SQLITE_POLL_SECONDS",
    "ChangeFeed",
    "Changes",
    "model_lock",
    "notify_change",
]

CHANNEL = "fairgate_changes"
"""PostgreSQL notification channel of the change feed."""

SQLITE_POLL_SECONDS = 0.01
"""How often a worker on SQLite reads the shared change counter."""

_COUNTER = sa.text(
    "SELECT (SELECT coalesce(max(id), 0) FROM ledger_events), "
    "(SELECT count(*) FROM service_tokens WHERE revoked_at IS NOT NULL)"
)
_REVOKED = sa.text("SELECT id FROM service_tokens WHERE revoked_at IS NOT NULL")


def notify_change(conn: Connection, what: str) -> None:
    """Signal a change to every worker when ``conn``'s transaction commits (PostgreSQL).

    On SQLite the change counter moves by itself (the ledger grows, a token is revoked).

    Parameters
    ----------
    conn : sqlalchemy.Connection
        The writing transaction.
    what : str
        ``"ledger"`` or ``"token"``.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_notify(:channel, :what)"), {"channel": CHANNEL, "what": what}
        )


@dataclass
class Changes:
    """What :meth:`ChangeFeed.wait` saw.

    Attributes
    ----------
    ledger : bool
        New ledger events exist (read them after your cursor).
    revoked : set of str
        Ids of every revoked token, when a revocation happened (else empty).
    """

    ledger: bool = False
    revoked: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return self.ledger or bool(self.revoked)


class ChangeFeed:
    """Wait for changes written by any process (see the module docstring).

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's engine.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._listener = None
        self._counter = self._read_counter()

    def _read_counter(self) -> tuple[int, int]:
        with read_connection(self.engine) as conn:
            row = conn.execute(_COUNTER).one()
        return int(row[0]), int(row[1])

    def _listen(self):
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
        conn.execute(f"LISTEN {CHANNEL}")
        return conn

    def wait(self, timeout: float) -> Changes:
        """Block until something changed or ``timeout`` seconds passed.

        Parameters
        ----------
        timeout : float
            Seconds to wait at most (the counter is re-read then, whatever the database).

        Returns
        -------
        Changes
        """
        if self.engine.dialect.name == "postgresql":
            if self._listener is None:
                self._listener = self._listen()
            for _ in self._listener.notifies(timeout=timeout, stop_after=1):
                break
        else:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._read_counter() == self._counter:
                time.sleep(SQLITE_POLL_SECONDS)
        return self._diff()

    def _diff(self) -> Changes:
        counter = self._read_counter()
        old, self._counter = self._counter, counter
        changes = Changes(ledger=counter[0] != old[0])
        if counter[1] != old[1]:
            with read_connection(self.engine) as conn:
                changes.revoked = {str(r[0]) for r in conn.execute(_REVOKED)}
        return changes

    def close(self) -> None:
        """Close the listening connection (PostgreSQL)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None


_THREAD_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def _key(name: str, version: str) -> tuple[str, int]:
    digest = hashlib.sha256(f"{name}\0{version}".encode()).digest()
    return digest.hex()[:32], int.from_bytes(digest[:8], "big") >> 1


@contextlib.contextmanager
def model_lock(engine: Engine, name: str, version: str) -> Iterator[None]:
    """Hold the breaker lock of one model version across every process and host.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's engine.
    name, version : str
        The model version.
    """
    label, number = _key(name, version)
    if engine.dialect.name == "postgresql":
        with read_connection(engine) as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": number})
            yield
            conn.rollback()
        return
    import fcntl

    folder = Path(f"{engine.url.database}-locks")
    folder.mkdir(parents=True, exist_ok=True)
    with _GUARD:
        local = _THREAD_LOCKS.setdefault(label, threading.Lock())
    with local, open(folder / f"{label}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
