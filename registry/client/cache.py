"""The status cache of :class:`~fairgate.registry.client.StatusClient`: answers, freshness, refresh.

Each cached answer is *fresh* as of the last time the server confirmed it; :meth:`may_serve`
answers from memory, and a background thread refreshes answers (with their ETag) that serving
code asked about, at most every ``retry_interval`` seconds per model version. The push stream
(:mod:`.stream`) keeps answers current while it is connected.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from fairgate.errors import FairgateError, ServiceUnavailableError
from fairgate.registry.client.stream import PushStream
from fairgate.registry.client.wire import ERRORS, response_body

__all__ = ["StatusCache"]

_log = logging.getLogger("fairgate.client")


class StatusCache:
    """Cached status answers of the model versions serving code asks about.

    Parameters are those of :class:`~fairgate.registry.client.StatusClient` of the same names.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        grace_period: float,
        fail_open: bool,
        timeout: float,
        retry_interval: float,
        on_change: Callable[[dict[str, Any]], None] | None,
        budget: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.budget = float(budget)
        self._clock = clock
        self.grace_period = float(grace_period)
        self.fail_open = bool(fail_open)
        self.retry_interval = float(retry_interval)
        self.on_change = on_change
        headers = {"Authorization": f"Bearer {token}"}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        self._cache: dict[tuple[str, str], tuple[dict[str, Any], str | None]] = {}
        self._asked: dict[tuple[str, str], float] = {}
        self._fresh: dict[tuple[str, str], float] = {}
        self._refused: dict[tuple[str, str], str] = {}
        self._wanted: dict[tuple[str, str], threading.Event] = {}
        self._in_flight: set[tuple[str, str]] = set()
        self._refresh_wake = threading.Event()
        self._last_ok = clock()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self.last_error: str | None = None
        """The last failure, in one line (``None`` until one happens)."""
        self._stream = PushStream(
            httpx.Client(
                base_url=self.base_url,
                headers={**headers, "Accept": "text/event-stream"},
                timeout=httpx.Timeout(timeout, read=max(3.0, 3 * timeout)),
            ),
            closed=self._closed,
            clock=clock,
            on_line=self._contact,
            on_hello=self._caught_up,
            on_status=self._pushed,
            on_error=self._error,
        )

    @property
    def stream_live(self) -> bool:
        """Whether the push stream is connected (cached answers are then current)."""
        return self._stream.live

    @property
    def in_flight(self) -> frozenset[tuple[str, str]]:
        """Model versions whose status the refresh thread is asking the server about right now."""
        return frozenset(self._in_flight)

    def _contact(self) -> None:
        self._last_ok = self._clock()

    def _error(self, message: str) -> None:
        self.last_error = message

    def _forget(self, name: str, version: str) -> None:
        """Drop a cached answer (the server said it changed), so the next question asks anew."""
        with self._lock:
            self._cache.pop((name, version), None)
            self._fresh.pop((name, version), None)

    def freshness(self, name: str, version: str) -> float | None:
        """When (on ``clock``) the server last confirmed the cached answer; ``None``: no answer.

        Parameters
        ----------
        name, version : str
            Which model version's cached answer.

        Returns
        -------
        float or None
        """
        key = (str(name), str(version))
        fresh = self._fresh.get(key)
        if fresh is None:
            return None
        stream = self._stream
        if stream.live and fresh >= stream.since:
            return max(fresh, stream.contact)  # current since the stream (re)connected
        return fresh

    def _store(self, key: tuple[str, str], data: dict[str, Any], etag: str | None) -> None:
        with self._lock:
            self._cache[key] = (data, etag)
            self._fresh[key] = self._clock()
            self._refused.pop(key, None)

    def _fetch(self, key: tuple[str, str]) -> dict[str, Any]:
        cached = self._cache.get(key)
        headers = {"If-None-Match": cached[1]} if cached and cached[1] else {}
        self._asked[key] = self._clock()
        response = self._http.get(f"/v1/status/{key[0]}/{key[1]}", headers=headers)
        if response.status_code >= 500:
            raise ServiceUnavailableError(f"fairgate answered {response.status_code}")
        self._contact()
        if response.status_code == 304 and cached is not None:
            self._store(key, cached[0], cached[1])
            return cached[0]
        if response.status_code != 200:
            body = response_body(response)
            with self._lock:
                self._refused[key] = str(body.get("message", response.text))[:500]
                self._cache.pop(key, None)
                self._fresh.pop(key, None)
            cls = ERRORS.get(response.status_code, FairgateError)
            raise cls(str(body.get("message", response.text)), details=body)
        data = response.json()
        self._store(key, data, response.headers.get("etag"))
        return data

    def status(self, name: str, version: str, *, refresh: bool = False) -> dict[str, Any]:
        """The status of a model version, asking the server when the cached answer is not current.

        Unlike :meth:`may_serve`, this may wait for the server (up to ``timeout``).

        Parameters
        ----------
        name, version : str
            The model version.
        refresh : bool
            Ask the server even when a current cached answer exists.

        Returns
        -------
        dict
            ``name``, ``version``, ``state``, ``may_serve``, ``decision``, ``reason``,
            ``revision``, ``updated_at``.

        Raises
        ------
        ServiceUnavailableError
            fairgate cannot be reached and no cached answer is within the grace period.
        NotFoundError, AuthenticationError, PermissionDeniedError
            As answered by the server.
        """
        key = (str(name), str(version))
        cached = self._cache.get(key)
        fresh = self.freshness(*key)
        current = fresh is not None and self._clock() - fresh <= self.retry_interval
        if cached is not None and current and not refresh:
            return cached[0]
        try:
            return self._fetch(key)
        except (httpx.TransportError, ServiceUnavailableError) as exc:
            self.last_error = f"status: {exc}"
        fresh = self.freshness(*key)
        cached = self._cache.get(key)
        if cached is not None and fresh is not None and self._clock() - fresh <= self.grace_period:
            return cached[0]
        raise ServiceUnavailableError(
            f"fairgate at {self.base_url} has not confirmed {name}:{version} for more than "
            f"{self.grace_period:g} s."
        )

    def may_serve(self, name: str, version: str) -> bool:
        """Whether the model version may serve now; never waits longer than ``budget``.

        Parameters
        ----------
        name, version : str
            The model version asked about.

        Returns
        -------
        bool
            The cached answer while it is fresh (within ``grace_period``); "no" for a refused or
            unknown model; after the grace period, ``fail_open``.
        """
        key = (str(name), str(version))
        entry = self._cache.get(key)
        fresh = self.freshness(*key)
        now = self._clock()
        if entry is None or fresh is None or now - fresh > self.retry_interval:
            event = self._request(key)
            if entry is None and key not in self._refused:
                event.wait(self.budget)
                entry, fresh = self._cache.get(key), self.freshness(*key)
                now = self._clock()
        if key in self._refused:
            self.last_error = f"status: {self._refused[key]}"
            return False
        if entry is not None and fresh is not None and now - fresh <= self.grace_period:
            return bool(entry[0]["may_serve"])
        return self.fail_open

    def _request(self, key: tuple[str, str]) -> threading.Event:
        """Ask the refresh thread for a fresh answer (at most every ``retry_interval``)."""
        with self._lock:
            event = self._wanted.get(key)
            if event is None:
                event = self._wanted[key] = threading.Event()
        self._refresh_wake.set()
        return event

    def _refresh_loop(self) -> None:
        while not self._closed.is_set():
            self._refresh_wake.wait(self.retry_interval)
            self._refresh_wake.clear()
            with self._lock:
                wanted = list(self._wanted.items())
            for key, event in wanted:
                if self._closed.is_set():
                    return
                last = self._asked.get(key)
                if last is not None and self._clock() - last < self.retry_interval:
                    continue  # asked a moment ago: wait for the next round
                self._in_flight.add(key)
                try:
                    self._fetch(key)
                except (httpx.TransportError, ServiceUnavailableError) as exc:
                    self.last_error = f"status: {exc}"
                except FairgateError as exc:
                    self.last_error = f"status: {exc.message}"
                finally:
                    self._in_flight.discard(key)
                with self._lock:
                    if self._wanted.get(key) is event:
                        del self._wanted[key]
                event.set()

    def _caught_up(self) -> None:
        """The stream (re)connected: ask again about every cached model (what changed meanwhile)."""
        for key in list(self._cache):
            try:
                self._fetch(key)
            except FairgateError as exc:
                self.last_error = f"status: {exc.message}"

    def _pushed(self, message: dict[str, Any]) -> None:
        key = (str(message["name"]), str(message["version"]))
        self._store(key, message, f'"{message["revision"]}"')
        if self.on_change is not None:
            try:
                self.on_change(message)
            except Exception:
                _log.exception("on_change callback failed")
