"""The ledger: an append-only, hash-chained table of every filing and state change.

Each event's hash is ``sha256(prev_hash + canonical_json(body))`` where the body holds the
event's id, kind, model name and version, actor, time and payload; the first event's
``prev_hash`` is 64 zeros. Editing a row changes its hash; deleting one breaks the chain of ids
and hashes; reordering rows breaks both. Deleting the newest events is caught against an
exported head (:func:`export`, ``fairgate ledger verify --anchor``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fairgate.registry.store.changes import notify_change
from fairgate.registry.store.db import read_connection, write_lock
from fairgate.registry.store.tables import ledger_events

__all__ = [
    "GENESIS",
    "LedgerEvent",
    "VerifyResult",
    "append",
    "append_about",
    "canonical_json",
    "event_from_row",
    "event_hash",
    "export",
    "iter_events",
    "verify",
]

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted keys, compact separators, UTF-8 text: one byte string per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class LedgerEvent:
    """One ledger event.

    Attributes
    ----------
    id : int
    kind : str
        ``file``, ``audit``, ``audit_failed``, ``approve``, ``reject``, ``suspend``,
        ``breaker_trip``, ``reinstate`` or ``withdraw``.
    name, version : str or None
    actor : str
    payload : dict
    created_at : str
        ISO 8601, UTC.
    prev_hash, hash : str
    """

    id: int
    kind: str
    name: str | None
    version: str | None
    actor: str
    payload: dict[str, Any]
    created_at: str
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        """The hashed part of the event."""
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
            "actor": self.actor,
            "created_at": self.created_at,
            "payload": self.payload,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (body plus both hashes)."""
        return {**self.body(), "prev_hash": self.prev_hash, "hash": self.hash}


def event_hash(prev_hash: str, body: dict[str, Any]) -> str:
    """The hash of an event given its predecessor's hash."""
    return hashlib.sha256((prev_hash + canonical_json(body)).encode("utf-8")).hexdigest()


def append(
    conn: Connection,
    kind: str,
    *,
    actor: str,
    name: str | None = None,
    version: str | None = None,
    payload: dict[str, Any] | None = None,
) -> LedgerEvent:
    """Append one event inside the caller's (write) transaction.

    The previous hash is read in the same transaction, which holds the registry's write lock
    (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL: see
    :mod:`fairgate.registry.store.db`), so concurrent writers wait for each other and can never
    chain onto the same predecessor.
    """
    write_lock(conn)
    last = conn.execute(
        sa.select(ledger_events.c.id, ledger_events.c.hash)
        .order_by(ledger_events.c.id.desc())
        .limit(1)
    ).first()
    event_id, prev = (1, GENESIS) if last is None else (last.id + 1, last.hash)
    created = _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")
    clean = json.loads(canonical_json(payload or {}))
    body = {
        "id": event_id,
        "kind": kind,
        "name": name,
        "version": version,
        "actor": actor,
        "created_at": created,
        "payload": clean,
    }
    digest = event_hash(prev, body)
    conn.execute(
        ledger_events.insert().values(
            {**body, "payload": canonical_json(clean), "prev_hash": prev, "hash": digest}
        )
    )
    notify_change(conn, "ledger")  # every worker refreshes its status cache at commit
    return LedgerEvent(event_id, kind, name, version, actor, clean, created, prev, digest)


def append_about(
    conn: Connection, kind: str, subject: Any, *, actor: str, payload: dict[str, Any] | None = None
) -> LedgerEvent:
    """:func:`append` an event about one model version (``subject.name``, ``subject.version``).

    Parameters
    ----------
    conn : Connection
        The caller's write transaction.
    kind : str
        The event kind.
    subject : object
        Anything with the version's ``name`` and ``version`` (a row, a filing, a record).
    actor : str
        Who acted.
    payload : dict, optional
        The event's evidence.

    Returns
    -------
    LedgerEvent
    """
    return append(
        conn, kind, actor=actor, name=subject.name, version=subject.version, payload=payload
    )


def event_from_row(row: Any) -> LedgerEvent:
    """The :class:`LedgerEvent` of a ``ledger_events`` row.

    Parameters
    ----------
    row : sqlalchemy.Row
        A row of the ``ledger_events`` table.

    Returns
    -------
    LedgerEvent
    """
    columns = {f.name: getattr(row, f.name) for f in fields(LedgerEvent)}
    return LedgerEvent(**{**columns, "payload": json.loads(row.payload)})


def iter_events(
    engine: Engine, after_id: int = 0, limit: int | None = None, batch: int = 5000
) -> Iterator[LedgerEvent]:
    """Events with ``id > after_id`` in id order, read in batches."""
    left = limit
    cursor = after_id
    while left is None or left > 0:
        size = batch if left is None else min(batch, left)
        with read_connection(engine) as conn:
            rows = conn.execute(
                sa.select(ledger_events)
                .where(ledger_events.c.id > cursor)
                .order_by(ledger_events.c.id)
                .limit(size)
            ).all()
        if not rows:
            return
        for row in rows:
            yield event_from_row(row)
        cursor = rows[-1].id
        if left is not None:
            left -= len(rows)
        if len(rows) < size:
            return


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify`.

    Attributes
    ----------
    ok : bool
    count : int
        Events checked.
    first_bad_id : int or None
        The first event that fails, when not ``ok``.
    problem : str
        What is wrong, in plain words ("" when ok).
    head_hash : str
        Hash of the last event (the value to anchor externally).
    """

    ok: bool
    count: int
    first_bad_id: int | None
    problem: str
    head_hash: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "ok": self.ok,
            "count": self.count,
            "first_bad_id": self.first_bad_id,
            "problem": self.problem,
            "head_hash": self.head_hash,
        }


def _check(events: Iterable[LedgerEvent]) -> VerifyResult:
    prev, expected_id, count = GENESIS, 1, 0
    for event in events:
        count += 1
        if event.id != expected_id:
            return VerifyResult(
                False,
                count,
                event.id,
                f"event {event.id} follows event {expected_id - 1}: event(s) "
                f"{expected_id}..{event.id - 1} were deleted or the rows reordered",
                prev,
            )
        if event.prev_hash != prev:
            return VerifyResult(
                False,
                count,
                event.id,
                f"event {event.id} does not chain onto its predecessor (prev_hash differs): "
                "an earlier event was edited, deleted or reordered",
                prev,
            )
        if event_hash(prev, event.body()) != event.hash:
            return VerifyResult(
                False,
                count,
                event.id,
                f"event {event.id} ({event.kind}) was edited: its content no longer matches "
                "its hash",
                prev,
            )
        prev, expected_id = event.hash, expected_id + 1
    return VerifyResult(True, count, None, "", prev)


def verify(engine: Engine, anchor: dict[str, Any] | None = None) -> VerifyResult:
    """Check the whole chain in id order.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database.
    anchor : dict, optional
        ``{"id": int, "hash": str}``: a head recorded earlier (the last line of
        :func:`export`); the chain must still reach it with that hash.

    Returns
    -------
    VerifyResult
    """
    if anchor is None:
        return _check(iter_events(engine))
    hashes: dict[int, str] = {}

    def remember(events: Iterable[LedgerEvent]) -> Iterator[LedgerEvent]:
        for event in events:
            if event.id == int(anchor["id"]):
                hashes[event.id] = event.hash
            yield event

    result = _check(remember(iter_events(engine)))
    if not result.ok:
        return result
    want_id, want_hash = int(anchor["id"]), str(anchor["hash"])
    if result.count < want_id:
        return VerifyResult(
            False,
            result.count,
            result.count + 1,
            f"the anchor records {want_id} events but only {result.count} remain: the newest "
            "events were deleted",
            result.head_hash,
        )
    if hashes.get(want_id) != want_hash:
        return VerifyResult(
            False,
            result.count,
            want_id,
            f"event {want_id} no longer has the anchored hash: the chain was rewritten",
            result.head_hash,
        )
    return result


def export(engine: Engine, fp: IO[str]) -> VerifyResult:
    """Write every event as JSON Lines, then a head record ``{"head": {...}}`` to anchor.

    Returns
    -------
    VerifyResult
        Of the exported chain.
    """
    last: LedgerEvent | None = None
    for event in iter_events(engine):
        fp.write(canonical_json(event.to_dict()) + "\n")
        last = event
    result = verify(engine)
    head = {"id": last.id if last else 0, "hash": last.hash if last else GENESIS}
    fp.write(canonical_json({"head": {**head, "ok": result.ok, "count": result.count}}) + "\n")
    return result
