"""``StatusClient``: the status cache and push-stream follower that serving code asks."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from fairgate.errors import FairgateError, ServiceUnavailableError
from fairgate.registry.client.batcher import ObservationBatcher, review_of
from fairgate.registry.client.oversight import Routes
from fairgate.registry.client.wire import ERRORS, response_body

__all__ = ["StatusClient"]

_log = logging.getLogger("fairgate.client")


class StatusClient:
    """Status cache, push-stream follower and observation batcher for serving code.

    Parameters
    ----------
    base_url : str
        The fairgate service, e.g. ``http://127.0.0.1:8000``.
    token : str
        An ``operations`` token.
    grace_period : float, default 5.0
        Seconds after the last successful contact during which the last known answer is used.
    fail_open : bool, default False
        What :meth:`may_serve` answers once the grace period is over with fairgate unreachable.
    batch_size : int, default 1000
        Post observations once this many wait.
    flush_interval : float, default 0.5
        Post waiting observations at least this often (seconds).
    follow : bool, default True
        Follow the push stream in a background thread.
    timeout : float, default 2.0
        Timeout of each HTTP request (seconds).
    retry_interval : float, default 0.2
        While the stream is down, ask the server about a model at most this often.
    max_buffer : int, default 1_000_000
        Most observations kept waiting.
    on_change : callable, optional
        Called (from the stream thread) with each pushed status dict.
    budget : float, default 0.05
        Longest time (seconds) :meth:`may_serve` waits, only for a model it has no answer for.
    clock : callable, default time.monotonic
        The clock freshness is measured with (seconds).
    oversight_seed : int, optional
        Seed of the random audit sample of :meth:`route`; default: unpredictable draws
        (:class:`random.SystemRandom`), so a vendor cannot tell which decisions will be sampled.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        grace_period: float = 5.0,
        fail_open: bool = False,
        batch_size: int = 1000,
        flush_interval: float = 0.5,
        follow: bool = True,
        timeout: float = 2.0,
        retry_interval: float = 0.2,
        max_buffer: int = 1_000_000,
        on_change: Callable[[dict[str, Any]], None] | None = None,
        budget: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        oversight_seed: int | None = None,
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
        self._stream_http = httpx.Client(
            base_url=self.base_url,
            headers={**headers, "Accept": "text/event-stream"},
            timeout=httpx.Timeout(timeout, read=max(3.0, 3 * timeout)),
        )
        self._cache: dict[tuple[str, str], tuple[dict[str, Any], str | None]] = {}
        self._asked: dict[tuple[str, str], float] = {}
        self._fresh: dict[tuple[str, str], float] = {}
        self._refused: dict[tuple[str, str], str] = {}
        self._wanted: dict[tuple[str, str], threading.Event] = {}
        self._in_flight: set[tuple[str, str]] = set()
        self._refresh_wake = threading.Event()
        self._last_ok = clock()
        self._stream_since = float("inf")
        self._stream_contact = float("-inf")
        self._stream_live = False
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self.last_error: str | None = None
        """The last failure, in one line (``None`` until one happens)."""
        self._routes = Routes(oversight_seed)
        self._batcher = ObservationBatcher(
            self._http,
            batch_size=batch_size,
            flush_interval=flush_interval,
            max_buffer=max_buffer,
            closed=self._closed,
            on_contact=self._contact,
            on_error=self._error,
            on_tripped=self._forget,
        )
        self._threads = [
            threading.Thread(target=self._batcher.run, daemon=True, name="fg-flush"),
            threading.Thread(target=self._refresh_loop, daemon=True, name="fg-refresh"),
        ]
        if follow:
            self._threads.append(
                threading.Thread(target=self._follow_loop, daemon=True, name="fg-stream")
            )
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------ status
    @property
    def stream_live(self) -> bool:
        """Whether the push stream is connected (cached answers are then current)."""
        return self._stream_live

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
            The model version.

        Returns
        -------
        float or None
        """
        key = (str(name), str(version))
        fresh = self._fresh.get(key)
        if fresh is None:
            return None
        if self._stream_live and fresh >= self._stream_since:
            return max(fresh, self._stream_contact)  # current since the stream (re)connected
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
            The model version.

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

    def route(
        self,
        name: str,
        version: str,
        *,
        score: float | None = None,
        decision: Any = None,
        probabilities: Any = None,
        groups: dict[str, Any] | None = None,
    ) -> str:
        """``"human"`` when the policy's oversight sends this decision to a person, else ``"auto"``.

        Decided locally from the ``oversight`` rules of the last status answer (no network call;
        see :mod:`fairgate.registry.client.oversight`); with no rules known, a person decides.

        Parameters
        ----------
        name, version : str
            The model version.
        score, decision, probabilities, groups
            The model's score (or numeric prediction), its decision, its class probabilities
            and the person's sensitive attributes; each rule says which it needs.

        Returns
        -------
        str

        Raises
        ------
        ValidationError
            A rule needs an input that was not passed; the message names it.
        """
        key = (str(name), str(version))
        entry = self._cache.get(key)
        if entry is None:
            self.may_serve(*key)  # asks the server, waiting up to budget
            entry = self._cache.get(key)
            if entry is None:
                return "human"  # no rules known: not answered yet, or refused
        held = self._routes.held.get(key)  # compiled once per status answer
        rules = held[1] if held and held[0] is entry[0] else self._routes.router(key, entry[0])
        return rules.route(
            score=score, decision=decision, probabilities=probabilities, groups=groups
        )

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

    # ------------------------------------------------------------------ push stream
    def _follow_loop(self) -> None:
        backoff = 0.1
        while not self._closed.is_set():
            try:
                self._follow_once()
                backoff = 0.1
            except Exception as exc:
                self.last_error = f"stream: {exc}"
            self._stream_live = False
            self._stream_since = float("inf")
            self._closed.wait(backoff)
            backoff = min(backoff * 2, 1.0)

    def _follow_once(self) -> None:
        with self._stream_http.stream("GET", "/v1/status/stream") as response:
            if response.status_code != 200:
                raise ServiceUnavailableError(f"stream answered {response.status_code}")
            event, data = "message", []
            for line in response.iter_lines():
                if self._closed.is_set():
                    return
                self._contact()
                self._stream_contact = self._clock()
                if line == "":
                    if data:
                        self._dispatch(event, "\n".join(data))
                    event, data = "message", []
                elif line.startswith(":"):
                    continue
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())

    def _dispatch(self, event: str, payload: str) -> None:
        message = json.loads(payload)
        if event == "hello":
            self._stream_since = self._clock()
            for key in list(self._cache):
                try:  # catch up on what changed while disconnected
                    self._fetch(key)
                except FairgateError as exc:
                    self.last_error = f"status: {exc.message}"
            self._stream_live = True
            return
        if event != "status":
            return
        key = (str(message["name"]), str(message["version"]))
        self._store(key, message, f'"{message["revision"]}"')
        if self.on_change is not None:
            try:
                self.on_change(message)
            except Exception:
                _log.exception("on_change callback failed")

    # ------------------------------------------------------------------ observations
    def observe(
        self,
        name: str,
        version: str,
        prediction: int | bool | float | str,
        sensitive: dict[str, Any],
        outcome: int | bool | float | str | None = None,
        *,
        reviewed: bool | None = None,
        overridden: bool | None = None,
        final_decision: int | bool | float | str | None = None,
    ) -> None:
        """Queue one live decision (sent in the background).

        Parameters
        ----------
        name, version : str
            The model version.
        prediction : int, bool, float or str
            As filed: 0/1, a score (ranking), a class label or a number.
        sensitive : dict
            Sensitive attribute values of the person, e.g. ``{"sex": "F"}``.
        outcome : int, bool, float, str, optional
            The true outcome when known (0/1 for a ranking model), of the same kind.
        reviewed, overridden, final_decision : optional
            Whether a person reviewed the decision (needed by a model with oversight limits),
            overrode it (default: whether ``final_decision`` differs from the model's decision),
            and the decision that took effect, of the model's kind: 0/1 (a ranking model's
            decision at the filing's threshold), a class label of the filing, or a number.

        Raises
        ------
        ValidationError
            A missing prediction, NaN or infinity, neither a number nor a string; ``overridden``
            or ``final_decision`` without ``reviewed``, or ``overridden`` without review. The
            service refuses (and the client drops) a batch whose final decision does not fit
            the filing or contradicts ``overridden``.
        """
        review = review_of(reviewed, overridden, final_decision)
        self._batcher.add(name, version, prediction, sensitive, outcome, review)

    def flush(self) -> int:
        """Send every waiting observation now; return how many the server acknowledged.

        Batches that could not be delivered (fairgate unreachable) stay queued, unchanged and
        with their ``client_batch_id``, and are retried first next time.

        Returns
        -------
        int
        """
        return self._batcher.flush()

    @property
    def pending(self) -> int:
        """Observations waiting to be sent (new ones and batches waiting for a retry)."""
        return self._batcher.pending

    @property
    def sent(self) -> int:
        """Observations acknowledged by the server."""
        return self._batcher.sent

    @property
    def dropped(self) -> int:
        """Observations dropped (rejected by the server, or over ``max_buffer``)."""
        return self._batcher.dropped

    # ------------------------------------------------------------------ lifecycle
    def close(self, *, flush: bool = True) -> None:
        """Stop the threads (sending what waits first, unless ``flush=False``)."""
        if self._closed.is_set():
            return
        if flush:
            try:
                self.flush()
            except Exception as exc:
                self.last_error = f"flush: {exc}"
        self._closed.set()
        self._batcher.wake()
        self._refresh_wake.set()
        self._stream_http.close()
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._http.close()

    def __enter__(self) -> StatusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
