"""The webhook delivery queue: state changes queued from the ledger, sent in ledger order.

:meth:`DeliveryQueue.enqueue` reads the ledger events after each live subscription's
``last_event_id`` and inserts one ``pending`` row per state change, moving the cursor in the same
transaction, so a decision or a breaker trip never waits for a receiver and a restart loses
nothing. :meth:`DeliveryQueue.claim_due` leases, per subscription, only its *oldest* pending
delivery (head of line): a newer state change is not sent while an older one awaits a retry, so a
receiver sees one subscription's events in ledger order; other subscriptions are not held up.
:meth:`DeliveryQueue.record_attempt` records each attempt: ``delivered``, or ``pending`` again
after an exponential backoff, or ``failed`` after the last attempt (the next event then goes).
Delivery is at least once: an attempt whose answer was lost is sent again with the same
``webhook-id``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fairgate.registry.store.db import read_connection
from fairgate.registry.store.ledger import canonical_json
from fairgate.registry.store.rows import Record, from_row, iso_time
from fairgate.registry.store.tables import ledger_events, webhook_deliveries, webhooks
from fairgate.registry.store.webhook_signing import SecretBox

__all__ = [
    "DELIVERED",
    "FAILED",
    "LEASE_SECONDS",
    "PENDING",
    "STATE_OF_KIND",
    "STATUSES",
    "Delivery",
    "DeliveryQueue",
    "DueDelivery",
]

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)
"""A delivery's statuses: pending (awaiting an attempt), delivered, failed (finally)."""
STATE_OF_KIND: dict[str, str] = {
    "file": "FILED",
    "audit": "AUDITED",
    "approve": "ACTIVE",
    "reject": "REJECTED",
    "suspend": "SUSPENDED",
    "breaker_trip": "SUSPENDED",
    "reinstate": "ACTIVE",
    "withdraw": "WITHDRAWN",
}
"""Ledger events that change a version's state, and the state they lead to (an ``audit`` event
only the first time: FILED becomes AUDITED)."""

LEASE_SECONDS = 60.0
"""How long a claimed delivery is reserved for its sender (then another may retry it)."""


@dataclass(frozen=True)
class Delivery(Record):
    """One state change queued for one subscription, and how its delivery went.

    ``message_id`` is the ``webhook-id`` header (the ledger event's hash); ``next_attempt_at``
    is set while the delivery is pending; ``waits_for_event`` names the older pending event of
    the same subscription that must be delivered (or fail) first.
    """

    id: int
    webhook_id: str
    event_id: int
    message_id: str
    kind: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: str
    next_attempt_at: str | None
    delivered_at: str | None
    waits_for_event: int | None
    body: dict[str, Any]


@dataclass(frozen=True)
class DueDelivery:
    """A claimed delivery: where to send which bytes, signed with which secret and id."""

    id: int
    url: str
    secret: str
    message_id: str
    body: bytes
    attempts: int
    event_id: int
    kind: str


class DeliveryQueue:
    """Deliveries of every subscription, in the registry's database.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database (schema ``0010``).
    box : SecretBox
        Opens the sealed secrets of the subscriptions.
    max_attempts : int
        Attempts per delivery before it is ``failed``.
    backoff : float
        Seconds before the first retry; each further retry waits twice as long.
    """

    def __init__(self, engine: Engine, box: SecretBox, *, max_attempts: int, backoff: float):
        self.engine = engine
        self.box = box
        self.max_attempts = max_attempts
        self.backoff = backoff

    def deliveries(self, hook_id: str, *, limit: int, status: str | None) -> list[Delivery]:
        """The newest ``limit`` deliveries of a subscription (only ``status`` ones if given)."""
        where = [webhook_deliveries.c.webhook_id == hook_id]
        if status is not None:
            where.append(webhook_deliveries.c.status == status)
        with read_connection(self.engine) as conn:
            rows = conn.execute(
                sa.select(webhook_deliveries)
                .where(*where)
                .order_by(webhook_deliveries.c.id.desc())
                .limit(limit)
            ).all()
            head = conn.execute(
                sa.select(sa.func.min(webhook_deliveries.c.event_id)).where(
                    webhook_deliveries.c.webhook_id == hook_id,
                    webhook_deliveries.c.status == PENDING,
                )
            ).scalar()
        return [self._delivery(r, head) for r in rows]

    @staticmethod
    def _delivery(row: Any, head: int | None) -> Delivery:
        pending = row.status == PENDING
        body = json.loads(row.body)
        return from_row(
            Delivery,
            row,
            message_id=body["ledger_hash"],
            created_at=iso_time(row.created_at) or "",
            next_attempt_at=iso_time(row.next_attempt_at) if pending else None,
            delivered_at=iso_time(row.delivered_at),
            waits_for_event=head if pending and head != row.event_id else None,
            body=body,
        )

    # ------------------------------------------------------------------ queueing
    def enqueue(self, *, batch: int = 1000) -> int:
        """Queue a delivery for every state change after each live subscription's cursor.

        Returns
        -------
        int
            Deliveries queued.
        """
        queued = 0
        with read_connection(self.engine) as conn:
            hooks = conn.execute(sa.select(webhooks).where(webhooks.c.deleted_at.is_(None))).all()
        for hook in hooks:
            queued += self._enqueue_one(hook, batch)
        return queued

    def _enqueue_one(self, hook: Any, batch: int) -> int:
        now = time.time()
        with read_connection(self.engine) as conn:  # no write lock while nothing is new
            events = conn.execute(
                sa.select(ledger_events)
                .where(ledger_events.c.id > hook.last_event_id)
                .order_by(ledger_events.c.id)
                .limit(batch)
            ).all()
        if not events:
            return 0
        with self.engine.begin() as conn:
            moved = conn.execute(
                webhooks.update()
                .where(webhooks.c.id == hook.id, webhooks.c.last_event_id == hook.last_event_id)
                .values(last_event_id=events[-1].id)
            )
            if moved.rowcount != 1:  # another worker queued these events first
                return 0
            rows = [
                self._row(conn, hook.id, event, now)
                for event in events
                if event.kind in STATE_OF_KIND and hook.model in (None, event.name)
            ]
            rows = [r for r in rows if r is not None]
            if rows:
                conn.execute(webhook_deliveries.insert(), rows)
        return len(rows)

    def _row(self, conn: Any, hook_id: str, event: Any, now: float) -> dict[str, Any] | None:
        payload = json.loads(event.payload)
        if event.kind == "audit":
            earlier = conn.execute(
                sa.select(ledger_events.c.id)
                .where(
                    ledger_events.c.kind == "audit",
                    ledger_events.c.name == event.name,
                    ledger_events.c.version == event.version,
                    ledger_events.c.id < event.id,
                )
                .limit(1)
            ).first()
            if earlier is not None:  # a re-audit changes no state
                return None
        from fairgate.audit.report.catalog import load_catalog

        state = payload.get("to") or STATE_OF_KIND[event.kind]
        said = {"model": event.name, "version": event.version, "state": state}
        body = {
            "summary": {
                lang: load_catalog(lang)["webhook_state_change"].format(**said)
                for lang in ("en", "zh")
            },
            "delivery": f"{hook_id}-{event.id}",
            "event_id": event.id,
            "kind": event.kind,
            "model": event.name,
            "version": event.version,
            "state": state,
            "from": payload.get("from"),
            "actor": event.actor,
            "time": event.created_at,
            "rationale": payload.get("rationale"),
            "rule": payload.get("rule"),
            "ledger_hash": event.hash,
        }
        return {
            "webhook_id": hook_id,
            "event_id": event.id,
            "kind": event.kind,
            "body": canonical_json(body),
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "lease_until": None,
            "last_error": None,
            "last_status": None,
            "created_at": now,
            "delivered_at": None,
        }

    # ------------------------------------------------------------------ sending
    def claim_due(self, *, limit: int = 50, lease: float = LEASE_SECONDS) -> list[DueDelivery]:
        """Lease each subscription's oldest pending delivery if its time has come.

        A subscription whose oldest pending delivery awaits a retry (or is leased by another
        sender) yields nothing, so its newer events wait: one subscription's deliveries leave in
        ledger order.
        """
        now = time.time()
        d = webhook_deliveries.c
        free = sa.or_(d.lease_until.is_(None), d.lease_until < now)
        head = (
            sa.select(d.webhook_id, sa.func.min(d.event_id).label("event_id"))
            .where(d.status == PENDING)
            .group_by(d.webhook_id)
            .subquery()
        )
        with read_connection(self.engine) as conn:
            candidates = conn.execute(
                sa.select(d.id)
                .join(
                    head, sa.and_(d.webhook_id == head.c.webhook_id, d.event_id == head.c.event_id)
                )
                .where(d.next_attempt_at <= now, free)
                .order_by(d.id)
                .limit(limit)
            ).all()
        claimed: list[DueDelivery] = []
        for (delivery_id,) in candidates:
            with self.engine.begin() as conn:
                got = conn.execute(
                    webhook_deliveries.update()
                    .where(d.id == delivery_id, d.status == PENDING, free)
                    .values(lease_until=now + lease)
                )
                if got.rowcount != 1:  # another sender took it, or it ended meanwhile
                    continue
                row = conn.execute(
                    sa.select(webhook_deliveries, webhooks.c.url, webhooks.c.secret)
                    .join(webhooks, webhooks.c.id == d.webhook_id)
                    .where(d.id == delivery_id)
                ).one()
            body = row.body.encode("utf-8")
            claimed.append(
                DueDelivery(
                    id=row.id,
                    url=row.url,
                    secret=self.box.open(row.secret, row.webhook_id),
                    message_id=json.loads(body)["ledger_hash"],
                    body=body,
                    attempts=row.attempts,
                    event_id=row.event_id,
                    kind=row.kind,
                )
            )
        return claimed

    def record_attempt(
        self, delivery_id: int, *, ok: bool, status: int | None, error: str | None
    ) -> str:
        """Record one attempt; returns the delivery's new status.

        A success is ``delivered``; a failure stays ``pending`` until the next attempt, due
        after ``backoff * 2 ** (attempts - 1)`` seconds, or becomes ``failed`` after
        ``max_attempts``.
        """
        now = time.time()
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
            ).one()
            if row.status != PENDING:  # the subscription was deleted meanwhile
                return str(row.status)
            attempts = row.attempts + 1
            values: dict[str, Any] = {
                "attempts": attempts,
                "last_status": status,
                "lease_until": None,
            }
            if ok:
                values.update(status=DELIVERED, delivered_at=now, last_error=None)
            elif attempts >= self.max_attempts:
                values.update(status=FAILED, last_error=error)
            else:
                wait = self.backoff * 2 ** (attempts - 1)
                values.update(status=PENDING, next_attempt_at=now + wait, last_error=error)
            conn.execute(
                webhook_deliveries.update()
                .where(webhook_deliveries.c.id == delivery_id)
                .values(**values)
            )
        return str(values["status"])
