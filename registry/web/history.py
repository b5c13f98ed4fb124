"""Read the ledger for the pages: a model's events, its state changes, the head, live volumes."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fairgate.registry.store import LedgerEvent, iter_events
from fairgate.registry.store.db import read_connection
from fairgate.registry.store.ledger import event_from_row
from fairgate.registry.store.records import AUDIT_COMPLETED
from fairgate.registry.store.tables import (
    audits,
    ledger_events,
    model_versions,
    observation_batches,
)

__all__ = [
    "LedgerHead",
    "StateChange",
    "all_events",
    "decisions_since",
    "latest_verdicts",
    "ledger_head",
    "model_events",
    "state_changes",
]

_STATE_OF_KIND = {"file": "FILED", "breaker_trip": "SUSPENDED"}


@dataclass(frozen=True)
class LedgerHead:
    """The newest event's id (the chain's length) and hash."""

    length: int
    hash: str


@dataclass(frozen=True)
class StateChange:
    """One change of a model version's state, read from the ledger.

    Attributes
    ----------
    event_id : int
    name, version : str
    kind : str
        The ledger event that changed it (``file``, ``audit``, ``approve``, ``breaker_trip``, ...).
    from_state : str or None
        ``None`` for the filing.
    to_state : str
    at : str
        ISO 8601 UTC time.
    rationale : str
        The committee's written rationale (empty for filings, audits and the breaker).
    rule : str
        The breaker rule that tripped (empty otherwise).
    """

    event_id: int
    name: str
    version: str
    kind: str
    from_state: str | None
    to_state: str
    at: str
    rationale: str = ""
    rule: str = ""

    @property
    def by(self) -> str:
        """Who made the change, as the public sees it: ``breaker`` or ``committee``."""
        return "breaker" if self.kind == "breaker_trip" else "committee"

    @property
    def reason(self) -> str:
        """Why: the breaker's rule, or the committee's written rationale."""
        return self.rule if self.kind == "breaker_trip" else self.rationale


def model_events(engine: Engine, name: str) -> list[LedgerEvent]:
    """Every ledger event of a model name (all its versions), oldest first.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database.
    name : str
        The model name.

    Returns
    -------
    list of LedgerEvent
    """
    query = (
        sa.select(ledger_events).where(ledger_events.c.name == name).order_by(ledger_events.c.id)
    )
    with read_connection(engine) as conn:
        return [event_from_row(row) for row in conn.execute(query)]


def all_events(engine: Engine) -> list[LedgerEvent]:
    """Every event of the ledger that concerns a model version, oldest first."""
    return [e for e in iter_events(engine) if e.name is not None and e.version is not None]


def state_changes(events: Iterable[LedgerEvent]) -> list[StateChange]:
    """The state changes of every model version in ``events`` (events in ledger order).

    A filing starts a version in FILED; an audit of a FILED version makes it AUDITED; a
    breaker trip suspends it; every other event that records ``from`` and ``to`` states (the
    committee's decisions) moves it when the two differ.

    Parameters
    ----------
    events : iterable of LedgerEvent
        In ledger order.

    Returns
    -------
    list of StateChange
        In ledger order.
    """
    current: dict[tuple[str, str], str] = {}
    out: list[StateChange] = []
    for event in events:
        if event.name is None or event.version is None:
            continue
        key = (event.name, event.version)
        before = current.get(key)
        payload = event.payload if isinstance(event.payload, dict) else {}
        if event.kind in _STATE_OF_KIND:
            after = _STATE_OF_KIND[event.kind]
        elif event.kind == "audit" and before == "FILED":
            after = "AUDITED"
        elif isinstance(payload.get("to"), str) and payload.get("from") != payload.get("to"):
            after = str(payload["to"])
        else:
            continue
        if after == before:
            continue
        current[key] = after
        why = {k: str(payload.get(k) or "") for k in ("rationale", "rule")}
        change = (event.id, event.name, event.version, event.kind, before, after, event.created_at)
        out.append(StateChange(*change, **why))
    return out


def ledger_head(engine: Engine) -> LedgerHead:
    """The chain's length (the newest event's id) and its newest hash."""
    query = (
        sa.select(ledger_events.c.id, ledger_events.c.hash)
        .order_by(ledger_events.c.id.desc())
        .limit(1)
    )
    with read_connection(engine) as conn:
        row = conn.execute(query).first()
    if row is None:
        return LedgerHead(0, "0" * 64)
    return LedgerHead(int(row.id), str(row.hash))


def decisions_since(engine: Engine, days: float = 30.0) -> dict[tuple[str, str], int]:
    """Decisions reported to fairgate (observations) per model version in the last ``days``.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database.
    days : float
        How far back.

    Returns
    -------
    dict
        ``(name, version) -> number of decisions``; versions with none are left out.
    """
    since = time.time() - days * 86400.0
    query = (
        sa.select(
            observation_batches.c.model,
            observation_batches.c.version,
            sa.func.sum(observation_batches.c.n).label("n"),
        )
        .where(observation_batches.c.received_at >= since)
        .group_by(observation_batches.c.model, observation_batches.c.version)
    )
    with read_connection(engine) as conn:
        return {(r.model, r.version): int(r.n or 0) for r in conn.execute(query)}


def latest_verdicts(engine: Engine) -> dict[tuple[str, str], str]:
    """The verdict of each version's latest completed audit (versions never audited left out).

    One query over the audits' verdict column: the audits' results are not read.
    """
    newest = (
        sa.select(audits.c.model_id, sa.func.max(audits.c.id).label("id"))
        .where(audits.c.status == AUDIT_COMPLETED)
        .group_by(audits.c.model_id)
        .subquery()
    )
    query = (
        sa.select(model_versions.c.name, model_versions.c.version, audits.c.verdict)
        .join(newest, newest.c.model_id == model_versions.c.id)
        .join(audits, audits.c.id == newest.c.id)
    )
    with read_connection(engine) as conn:
        return {(r.name, r.version): str(r.verdict) for r in conn.execute(query)}
