"""Webhook subscriptions: an administrator subscribes a URL to one model's state changes or all.

The secret is returned once, at creation, and stored sealed with the deployment's webhook key
(:mod:`~fairgate.registry.store.webhook_signing`); no answer returns it again. Opening the store
checks that the key opens every live subscription's secret (a wrong or missing key is a
:class:`~fairgate.errors.ConfigurationError` at start-up, not a failure per delivery) and seals
the secrets stored in clear text by earlier versions. The deliveries themselves are
:class:`~fairgate.registry.store.webhook_queue.DeliveryQueue`'s job (:attr:`WebhookStore.queue`).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fairgate.errors import NotFoundError, ValidationError
from fairgate.registry.store.db import read_connection
from fairgate.registry.store.rows import Record, from_row, iso_time
from fairgate.registry.store.tables import ledger_events, webhook_deliveries, webhooks
from fairgate.registry.store.webhook_queue import (
    FAILED,
    PENDING,
    STATUSES,
    Delivery,
    DeliveryQueue,
)
from fairgate.registry.store.webhook_signing import (
    SEALED_PREFIX,
    load_webhook_key,
    new_secret,
)

__all__ = ["Webhook", "WebhookStore", "check_webhook_url"]
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
            "receiver checks the webhook-signature header instead."
        )
    return text


@dataclass(frozen=True)
class Webhook(Record):
    """A subscription, without its secret; ``deliveries`` counts them per status."""

    id: str
    url: str
    model: str | None
    actor: str
    created_at: str
    deleted_at: str | None
    deliveries: dict[str, int]


def _webhooks(conn: Any, *where: Any) -> list[Webhook]:
    """The subscriptions matching ``where``, oldest first, with their deliveries counted."""
    d = webhook_deliveries.c
    counted = sa.select(d.webhook_id, d.status, sa.func.count()).group_by(d.webhook_id, d.status)
    counts: dict[str, dict[str, int]] = {}
    for hook_id, status, n in conn.execute(counted).all():
        counts.setdefault(hook_id, dict.fromkeys(STATUSES, 0))[status] = n
    rows = conn.execute(sa.select(webhooks).where(*where).order_by(webhooks.c.created_at)).all()
    return [
        from_row(
            Webhook,
            row,
            created_at=iso_time(row.created_at),
            deleted_at=iso_time(row.deleted_at),
            deliveries=counts.get(row.id, dict.fromkeys(STATUSES, 0)),
        )
        for row in rows
    ]


class WebhookStore:
    """Subscriptions in the registry's database, and their delivery queue.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database (schema ``0010``).
    key_path : Path
        The deployment's webhook key file (``Settings.webhook_key_path``); created when missing
        and no sealed secret is stored yet.
    max_attempts, backoff : int, float
        Attempts per delivery, and seconds before its first retry: see :class:`DeliveryQueue`.

    Raises
    ------
    ConfigurationError
        The key is missing or malformed while sealed secrets exist, or does not open them.
    """

    def __init__(
        self, engine: Engine, *, key_path: Path, max_attempts: int = 8, backoff: float = 2.0
    ) -> None:
        self.engine = engine
        with read_connection(engine) as conn:
            stored = conn.execute(
                sa.select(webhooks.c.id, webhooks.c.secret, webhooks.c.deleted_at)
            ).all()
        sealed = [r for r in stored if r.secret.startswith(SEALED_PREFIX)]
        self.box = load_webhook_key(key_path, create=not sealed)
        for row in sealed:
            if row.deleted_at is None:  # a deleted subscription's secret is never used again
                self.box.open(row.secret, row.id)
        clear = [(r.id, r.secret) for r in stored if not r.secret.startswith(SEALED_PREFIX)]
        self.sealed_now = self._seal_clear(clear)
        """Secrets found in clear text and sealed as the store opened."""
        self.queue = DeliveryQueue(engine, self.box, max_attempts=max_attempts, backoff=backoff)

    def _seal_clear(self, clear: list[tuple[str, str]]) -> int:
        """Seal the secrets earlier versions stored in clear text; the number sealed."""
        sealed = 0
        with self.engine.begin() as conn:
            for hook_id, secret in clear:
                done = conn.execute(
                    webhooks.update()
                    .where(webhooks.c.id == hook_id, webhooks.c.secret == secret)
                    .values(secret=self.box.seal(secret, hook_id))
                )
                sealed += done.rowcount  # 0: another process sealed it first
        return sealed

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
        secret = new_secret()
        hook_id = secrets.token_hex(8)
        now = time.time()
        with self.engine.begin() as conn:
            head = conn.execute(sa.select(sa.func.max(ledger_events.c.id))).scalar() or 0
            conn.execute(
                webhooks.insert().values(
                    id=hook_id,
                    url=url,
                    model=model.strip() if model else None,
                    secret=self.box.seal(secret, hook_id),
                    actor=actor,
                    created_at=now,
                    deleted_at=None,
                    last_event_id=int(head),
                )
            )
            [hook] = _webhooks(conn, webhooks.c.id == hook_id)
        return hook, secret

    def list(self) -> list[Webhook]:
        """Every subscription (deleted ones too, with ``deleted_at``), oldest first."""
        with read_connection(self.engine) as conn:
            return _webhooks(conn)

    def get(self, hook_id: str) -> Webhook:
        """One subscription.

        Raises
        ------
        NotFoundError
        """
        with read_connection(self.engine) as conn:
            found = _webhooks(conn, webhooks.c.id == hook_id)
        if not found:
            raise NotFoundError(f"webhook {hook_id!r} does not exist; list them: GET /v1/webhooks.")
        return found[0]

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

    def deliveries(
        self, hook_id: str, *, limit: int = 100, status: str | None = None
    ) -> list[Delivery]:
        """The newest ``limit`` deliveries of a subscription, newest first.

        Parameters
        ----------
        hook_id : str
            The subscription.
        limit : int
            At most this many.
        status : {"pending", "delivered", "failed"} or None
            Only deliveries in this status (None: all).

        Raises
        ------
        NotFoundError
        """
        self.get(hook_id)
        return self.queue.deliveries(hook_id, limit=limit, status=status)
