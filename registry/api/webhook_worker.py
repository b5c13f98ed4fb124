"""The webhook sender: a background thread that queues and delivers state changes.

Every :data:`POLL_SECONDS` it queues new state changes from the ledger
(:meth:`~fairgate.registry.store.webhook_queue.DeliveryQueue.enqueue`) and POSTs each
subscription's oldest due delivery as JSON with the Standard Webhooks headers ``webhook-id``
(the ledger event's hash, the same on every retry, so a receiver can drop duplicates),
``webhook-timestamp`` and ``webhook-signature``
(:func:`~fairgate.registry.store.webhook_signing.signed_headers`), and ``X-Fairgate-Event``:
the event's kind. While something was sent it goes on at once; otherwise it waits a poll.

A 2xx answer delivers it; anything else (a redirect is never followed) is retried with
exponential backoff up to the configured attempts, and the subscription's newer events wait
until it is delivered or failed. The thread runs apart from the request handlers, so a decision
or a breaker trip never waits for a receiver.
"""

from __future__ import annotations

import logging
import threading
import time

import httpx

from fairgate.registry.store.webhook_queue import DELIVERED, DeliveryQueue, DueDelivery
from fairgate.registry.store.webhook_signing import signed_headers

__all__ = ["POLL_SECONDS", "SEND_TIMEOUT", "WebhookWorker"]

POLL_SECONDS = 0.5
SEND_TIMEOUT = 10.0
_log = logging.getLogger("fairgate.webhooks")


class WebhookWorker:
    """Queue and send webhook deliveries in a daemon thread.

    Parameters
    ----------
    queue : DeliveryQueue
        The deliveries (``WebhookStore.queue``).
    poll : float
        Seconds between rounds.
    """

    def __init__(self, queue: DeliveryQueue, *, poll: float = POLL_SECONDS) -> None:
        self.queue = queue
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
                    sent = self.run_once(client)
                except Exception:  # the database was busy or gone: log it, try next round
                    _log.exception("webhook round failed; retrying in %.1f s", self.poll)
                    sent = 0
                if not sent:
                    self._stop.wait(self.poll)

    def run_once(self, client: httpx.Client) -> int:
        """Queue new state changes and attempt each subscription's due head; the number sent."""
        self.queue.enqueue()
        due = self.queue.claim_due()
        for delivery in due:
            if self._stop.is_set():
                break
            self._send(client, delivery)
        return len(due)

    def _send(self, client: httpx.Client, delivery: DueDelivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "fairgate-webhooks",
            "X-Fairgate-Event": delivery.kind,
            **signed_headers(delivery.secret, delivery.message_id, int(time.time()), delivery.body),
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
        outcome = self.queue.record_attempt(delivery.id, ok=ok, status=status, error=error)
        if outcome != DELIVERED:
            _log.warning("webhook delivery %s (%s): %s", delivery.id, outcome, error)
