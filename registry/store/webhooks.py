"""Webhook subscriptions and their deliveries: rows that survive a restart.

An administrator subscribes a URL to one model's state changes or to all of them; the secret is
returned once and signs every delivery (HMAC-SHA256). Deliveries are queued from the ledger, not
by the code that decides: :meth:`WebhookStore.enqueue` reads the ledger events after each
subscription's ``last_event_id`` and inserts one ``pending`` row per state change, moving the
cursor in the same transaction, so a decision or a breaker trip never waits for a receiver and a
restart loses nothing. A sender claims due rows with a lease (:meth:`WebhookStore.claim_due`) and
records each attempt (:meth:`WebhookStore.record_attempt`): ``delivered``, or ``pending`` again
after an exponential backoff, or ``failed`` after the last attempt, with the last error.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fairgate.errors import NotFoundError, ValidationError
from fairgate.registry.store.db import read_connection
from fairgate.registry.store.ledger import canonical_json
from fairgate.registry.store.records import utc
from fairgate.registry.store.tables import ledger_events, webhook_deliveries, webhooks

__all__ = [
    "DELIVERED",
    "FAILED",
    "PENDING",
    "STATE_OF_KIND",
    "Delivery",
    "DueDelivery",
    "Webhook",
    "WebhookStore",
    "check_webhook_url",
]

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
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

MAX_URL = 2000
LEASE_SECONDS = 60.0
"""How long a claimed delivery is reserved for its sender (then another may retry it)."""


def check_webhook_url(url: str) -> str:
    """The URL, stripped, if it is an absolute http(s) URL.

    Raises
    ------
    ValidationError
        Another scheme, no host, credentials in the URL, or over :data:`MAX_URL` characters.
    """
    text = (url or "").strip()
    if len(text) > MAX_URL or any(c.isspace() for c in text):
        raise ValidationError(
            f"url: give an http(s) URL of at most {MAX_URL} characters without spaces."
        )
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise ValidationError(
            f"url={text!r} is not a valid URL ({exc}); give e.g. https://ops.example.org/hook.",
            details={"url": text},
        ) from None
    if parts.scheme not in ("http", "https") or not host or port == 0:
        raise ValidationError(
            f"url={text!r}: a webhook URL must be an absolute http:// or https:// URL with a "
            "host, e.g. https://ops.example.org/fairgate-hook.",
            details={"url": text},
        )
    if parts.username or parts.password:
        raise ValidationError(
            "url: credentials in the URL are refused (they would be shown to every admin); the "
            "receiver checks the X-Fairgate-Signature header instead."
        )
    return text


@dataclass(frozen=True)
class Webhook:
    """A subscription, without its secret."""

    id: str
    url: str
    model: str | None
    actor: str
    created_at: str
    deleted_at: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Delivery:
    """One state change queued for one subscription, and how its delivery went."""

    id: int
    webhook_id: str
    event_id: int
    kind: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: str
    next_attempt_at: str | None
    delivered_at: str | None
    body: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DueDelivery:
    """A claimed delivery: where to send which bytes, signed with which secret."""

    id: int
    url: str
    secret: str
    body: bytes
    attempts: int
    event_id: int
    kind: str


def _iso(ts: float | None) -> str | None:
    return None if ts is None else utc(ts).isoformat(timespec="seconds")


def _webhook(row: Any) -> Webhook:
    return Webhook(
        row.id, row.url, row.model, row.actor, _iso(row.created_at), _iso(row.deleted_at)
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event_id=row.event_id,
        kind=row.kind,
        status=row.status,
        attempts=row.attempts,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=_iso(row.created_at) or "",
        next_attempt_at=_iso(row.next_attempt_at) if row.status == PENDING else None,
        delivered_at=_iso(row.delivered_at),
        body=json.loads(row.body),
    )


class WebhookStore:
    """Subscriptions and deliveries in the registry's database.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database (schema ``0010``).
    max_attempts : int
        Attempts per delivery before it is ``failed``.
    backoff : float
        Seconds before the first retry; each further retry waits twice as long.
    """

    def __init__(self, engine: Engine, *, max_attempts: int = 8, backoff: float = 2.0) -> None:
        self.engine = engine
        self.max_attempts = max_attempts
        self.backoff = backoff

    # ------------------------------------------------------------------ subscriptions
    def create(self, url: str, *, model: str | None, actor: str) -> tuple[Webhook, str]:
        """Subscribe ``url`` to the state changes of ``model`` (None: every model) from now on.

        Returns
        -------
        (Webhook, str)
            The subscription and its secret (the only time it is returned).

        Raises
        ------
        ValidationError
            A URL that is not http(s), or an empty model name.
        """
        url = check_webhook_url(url)
        if model is not None and not model.strip():
            raise ValidationError("model: give a model name, or leave it out for every model.")
        secret = "whsec_" + secrets.token_urlsafe(32)
        hook_id = secrets.token_hex(8)
        now = time.time()
        with self.engine.begin() as conn:
            head = conn.execute(sa.select(sa.func.max(ledger_events.c.id))).scalar() or 0
            conn.execute(
                webhooks.insert().values(
                    id=hook_id,
                    url=url,
                    model=model.strip() if model else None,
                    secret=secret,
                    actor=actor,
                    created_at=now,
                    deleted_at=None,
                    last_event_id=int(head),
                )
            )
            row = conn.execute(sa.select(webhooks).where(webhooks.c.id == hook_id)).one()
        return _webhook(row), secret

    def list(self) -> list[Webhook]:
        """Every subscription (deleted ones too, with ``deleted_at``), oldest first."""
        with read_connection(self.engine) as conn:
            rows = conn.execute(sa.select(webhooks).order_by(webhooks.c.created_at)).all()
        return [_webhook(r) for r in rows]

    def get(self, hook_id: str) -> Webhook:
        """One subscription.

        Raises
        ------
        NotFoundError
        """
        with read_connection(self.engine) as conn:
            row = conn.execute(sa.select(webhooks).where(webhooks.c.id == hook_id)).first()
        if row is None:
            raise NotFoundError(f"webhook {hook_id!r} does not exist; list them: GET /v1/webhooks.")
        return _webhook(row)

    def delete(self, hook_id: str) -> Webhook:
        """Stop a subscription; its pending deliveries fail with that reason (history is kept).

        Raises
        ------
        NotFoundError
        """
        self.get(hook_id)
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(
                webhooks.update()
                .where(webhooks.c.id == hook_id, webhooks.c.deleted_at.is_(None))
                .values(deleted_at=now)
            )
            conn.execute(
                webhook_deliveries.update()
                .where(
                    webhook_deliveries.c.webhook_id == hook_id,
                    webhook_deliveries.c.status == PENDING,
                )
                .values(status=FAILED, last_error="the subscription was deleted")
            )
        return self.get(hook_id)

    def deliveries(self, hook_id: str, *, limit: int = 100) -> list[Delivery]:
        """The newest ``limit`` deliveries of a subscription, newest first.

        Raises
        ------
        NotFoundError
        """
        self.get(hook_id)
        with read_connection(self.engine) as conn:
            rows = conn.execute(
                sa.select(webhook_deliveries)
                .where(webhook_deliveries.c.webhook_id == hook_id)
                .order_by(webhook_deliveries.c.id.desc())
                .limit(limit)
            ).all()
        return [_delivery(r) for r in rows]

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
        """Reserve up to ``limit`` pending deliveries whose time has come (oldest first)."""
        now = time.time()
        free = sa.or_(
            webhook_deliveries.c.lease_until.is_(None), webhook_deliveries.c.lease_until < now
        )
        with read_connection(self.engine) as conn:
            candidates = conn.execute(
                sa.select(webhook_deliveries.c.id)
                .where(
                    webhook_deliveries.c.status == PENDING,
                    webhook_deliveries.c.next_attempt_at <= now,
                    free,
                )
                .order_by(webhook_deliveries.c.id)
                .limit(limit)
            ).all()
        claimed: list[DueDelivery] = []
        for (delivery_id,) in candidates:
            with self.engine.begin() as conn:
                got = conn.execute(
                    webhook_deliveries.update()
                    .where(
                        webhook_deliveries.c.id == delivery_id,
                        webhook_deliveries.c.status == PENDING,
                        free,
                    )
                    .values(lease_until=now + lease)
                )
                if got.rowcount != 1:
                    continue
                row = conn.execute(
                    sa.select(webhook_deliveries, webhooks.c.url, webhooks.c.secret)
                    .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
                    .where(webhook_deliveries.c.id == delivery_id)
                ).one()
            claimed.append(
                DueDelivery(
                    row.id,
                    row.url,
                    row.secret,
                    row.body.encode("utf-8"),
                    row.attempts,
                    row.event_id,
                    row.kind,
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
