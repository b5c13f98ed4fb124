"""The webhook sender: a background thread that queues and delivers state changes.

Every :data:`POLL_SECONDS` it queues new state changes from the ledger
(:meth:`~fairgate.registry.store.webhooks.WebhookStore.enqueue`) and POSTs each due delivery as
JSON with the headers

- ``X-Fairgate-Signature: sha256=<hex HMAC-SHA256 of the body with the subscription's secret>``,
- ``X-Fairgate-Timestamp``: the attempt's Unix time, ``X-Fairgate-Delivery``: the delivery's id
  (the same on every retry, so a receiver can drop duplicates), ``X-Fairgate-Event``: the kind.

A 2xx answer delivers it; anything else (a redirect is never followed) is retried with
exponential backoff up to the configured attempts. The thread runs apart from the request
handlers, so a decision or a breaker trip never waits for a receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time

import httpx

from fairgate.registry.store.webhooks import DueDelivery, WebhookStore

__all__ = ["POLL_SECONDS", "SEND_TIMEOUT", "WebhookWorker", "signature"]

POLL_SECONDS = 0.5
SEND_TIMEOUT = 10.0
_log = logging.getLogger("fairgate.webhooks")


def signature(secret: str, body: bytes) -> str:
    """The ``X-Fairgate-Signature`` value of ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookWorker:
    """Queue and send webhook deliveries in a daemon thread.

    Parameters
    ----------
    store : WebhookStore
        Subscriptions and deliveries.
    poll : float
        Seconds between rounds.
    """

    def __init__(self, store: WebhookStore, *, poll: float = POLL_SECONDS) -> None:
        self.store = store
        self.poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fairgate-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop and wait for it; a delivery in flight is retried later."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        with httpx.Client(follow_redirects=False, timeout=SEND_TIMEOUT) as client:
            while not self._stop.is_set():
                try:
                    self.run_once(client)
                except Exception:  # the database was busy or gone: log it, try next round
                    _log.exception("webhook round failed; retrying in %.1f s", self.poll)
                self._stop.wait(self.poll)

    def run_once(self, client: httpx.Client) -> int:
        """Queue new state changes and attempt every due delivery; the number attempted."""
        self.store.enqueue()
        due = self.store.claim_due()
        for delivery in due:
            if self._stop.is_set():
                break
            self._send(client, delivery)
        return len(due)

    def _send(self, client: httpx.Client, delivery: DueDelivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "fairgate-webhooks",
            "X-Fairgate-Signature": signature(delivery.secret, delivery.body),
            "X-Fairgate-Timestamp": str(int(time.time())),
            "X-Fairgate-Delivery": str(delivery.id),
            "X-Fairgate-Event": delivery.kind,
        }
        status: int | None = None
        try:
            answer = client.post(delivery.url, content=delivery.body, headers=headers)
            status = answer.status_code
            ok = 200 <= status < 300
            if ok:
                error = None
            elif answer.is_redirect:
                where = answer.headers.get("location", "?")
                error = f"HTTP {status}: redirect to {where} not followed; subscribe that URL"
            else:
                error = f"HTTP {status}: {answer.text[:200]}"
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"[:300]
        outcome = self.store.record_attempt(delivery.id, ok=ok, status=status, error=error)
        if outcome != "delivered":
            _log.warning("webhook delivery %s (%s): %s", delivery.id, outcome, error)
