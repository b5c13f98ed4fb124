"""In-process publish/subscribe of status changes, and a cache of status answers.

The service keeps one :class:`StatusHub` per process. Every status answer is cached in memory
(``(name, version)`` → the record, its JSON body and its ETag), so the status hot path never
touches the database after the first request. The cache is kept right in two ways:

* the service calls :meth:`StatusHub.changed` right after it changes a state itself (a committee
  decision, a breaker trip, a filing), which refreshes the entry and publishes the new status to
  every push-stream subscriber at once;
* a background task (:meth:`StatusHub.poll_ledger`) reads the ledger every
  :data:`POLL_SECONDS` for events written by *other* processes (the CLI, another worker) and
  does the same for each model version they touch. A change made elsewhere is therefore seen
  within about :data:`POLL_SECONDS`.

A new status is published only when its revision differs from the last one published, so the
two paths never announce the same change twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["POLL_SECONDS", "StatusHub", "status_body"]

POLL_SECONDS = 0.2
"""Ledger poll interval for changes made by other processes."""

_log = logging.getLogger("fairgate.service")


def _record_dict(record: Any) -> dict[str, Any]:
    updated = getattr(record, "updated_at", None)
    state = getattr(record, "state", None)
    state = getattr(state, "value", state)
    return {
        "name": record.name,
        "version": str(record.version),
        "state": str(state),
        "may_serve": bool(record.may_serve),
        "decision": "serve" if record.may_serve else "do-not-serve",
        "reason": record.reason,
        "revision": record.revision,
        "updated_at": updated.isoformat() if hasattr(updated, "isoformat") else updated,
    }


def status_body(
    record: Any, extra: dict[str, Any] | None = None
) -> tuple[dict[str, Any], bytes, str]:
    """The JSON form, the encoded body and the ETag of a status record.

    ``extra`` fields (the model's oversight rules) are added to the answer; the ETag then also
    names their digest, so a changed rule is never answered with 304.
    """
    data = _record_dict(record)
    etag = f'"{record.revision}"'
    if extra:
        data.update(extra)
        digest = hashlib.sha256(json.dumps(extra, sort_keys=True).encode()).hexdigest()[:12]
        etag = f'"{record.revision}-{digest}"'
    return data, json.dumps(data, separators=(",", ":")).encode(), etag


class StatusHub:
    """Status cache plus push-stream fan-out for one service process.

    Parameters
    ----------
    registry : Registry
        Provides ``status(name, version)`` and ``events(after_id=..., limit=...)``.
    on_state_change : callable, optional
        Called with ``(name, version, old_state, new_state)`` when a cached state changes (the
        service uses it to reset the breaker's windows).
    extra : callable, optional
        ``extra(name, version)`` returns fields added to every status answer of the model
        version (the service adds its oversight rules).
    """

    def __init__(
        self,
        registry: Any,
        on_state_change: Callable[[str, str, str | None, str], None] | None = None,
        extra: Callable[[str, str], dict[str, Any]] | None = None,
    ) -> None:
        self.registry = registry
        self.on_state_change = on_state_change
        self.extra = extra
        self._cache: dict[tuple[str, str], tuple[dict[str, Any], bytes, str]] = {}
        self._published: dict[tuple[str, str], Any] = {}
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self.last_event_id = 0

    # ---------------------------------------------------------------- cache (the hot path)
    def get(self, name: str, version: str) -> tuple[dict[str, Any], bytes, str] | None:
        """The cached answer, or ``None`` (then call :meth:`load`)."""
        return self._cache.get((name, version))

    def load(self, name: str, version: str) -> tuple[dict[str, Any], bytes, str]:
        """Read the status from the registry and cache it (blocking: call from a thread)."""
        entry = self._entry(name, version)
        with self._lock:
            self._cache[(name, version)] = entry
            self._published.setdefault((name, version), entry[2])
        return entry

    def _entry(self, name: str, version: str) -> tuple[dict[str, Any], bytes, str]:
        record = self.registry.status(name, version)
        return status_body(record, self.extra(name, version) if self.extra else None)

    # ---------------------------------------------------------------- changes
    def changed(self, name: str, version: str) -> dict[str, Any] | None:
        """Refresh one model version and publish it if its revision moved (blocking).

        Returns
        -------
        dict or None
            The new status when it was published.
        """
        key = (name, str(version))
        old = self._cache.get(key)
        try:
            entry = self._entry(*key)
        except Exception:
            self._cache.pop(key, None)
            return None
        with self._lock:
            self._cache[key] = entry
            if self._published.get(key) == entry[2]:
                return None
            self._published[key] = entry[2]
        old_state = old[0]["state"] if old else None
        if self.on_state_change is not None and old_state != entry[0]["state"]:
            self.on_state_change(key[0], key[1], old_state, entry[0]["state"])
        self.publish(entry[0])
        return entry[0]

    # ---------------------------------------------------------------- pub/sub
    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the server's event loop (called at start-up)."""
        self._loop = loop

    def subscribe(self, maxsize: int = 1000) -> asyncio.Queue[dict[str, Any]]:
        """A new subscriber queue (call from the event loop)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Remove a subscriber."""
        self._subscribers.discard(queue)

    @property
    def subscribers(self) -> int:
        """Number of connected push-stream subscribers."""
        return len(self._subscribers)

    def publish(self, message: dict[str, Any]) -> None:
        """Send a message to every subscriber; safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._fan_out(message)
        else:
            loop.call_soon_threadsafe(self._fan_out, message)

    def _fan_out(self, message: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(message)

    # ---------------------------------------------------------------- cross-process changes
    def skip_history(self) -> None:
        """Move the ledger cursor to the end (blocking; called once at start-up)."""
        while True:
            events = self.registry.events(after_id=self.last_event_id, limit=1000)
            if not events:
                return
            self.last_event_id = max(_event_id(e) for e in events)

    def poll_once(self) -> int:
        """Apply ledger events newer than the cursor (blocking); return how many were read."""
        events = self.registry.events(after_id=self.last_event_id, limit=1000)
        touched: dict[tuple[str, str], None] = {}
        for event in events:
            self.last_event_id = max(self.last_event_id, _event_id(event))
            name = getattr(event, "name", None)
            version = getattr(event, "version", None)
            if name is not None and version is not None:
                touched[(name, str(version))] = None
        for name, version in touched:
            self.changed(name, version)
        return len(events)

    async def poll_ledger(self) -> None:
        """Run :meth:`poll_once` every :data:`POLL_SECONDS` until cancelled."""
        while True:
            try:
                await asyncio.to_thread(self.poll_once)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("ledger poll failed")
            await asyncio.sleep(POLL_SECONDS)


def _event_id(event: Any) -> int:
    value = getattr(event, "id", None)
    if value is None:
        value = getattr(event, "seq", 0)
    return int(value)
