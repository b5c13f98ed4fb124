"""``StatusClient``: what serving code uses to ask fairgate before it serves, and to report.

::

    from fairgate.registry.client import StatusClient

    with StatusClient("http://127.0.0.1:8000", token) as fg:
        if fg.may_serve("benefits-triage", "1.2"):
            decision = model.predict(x)
            fg.observe("benefits-triage", "1.2", decision, {"sex": person.sex})

* **Cached, pushed.** Answers are cached; a background thread follows the push stream
  (``/v1/status/stream``), so a suspension reaches the cache within a second and
  :meth:`may_serve` answers from memory. While the stream is down, :meth:`may_serve` asks the
  server (at most every ``retry_interval`` seconds per model) and uses its ETag.
* **Fail-closed.** When fairgate cannot be reached, the last known answer is used for
  ``grace_period`` seconds after the last successful contact; after that :meth:`may_serve`
  returns ``False``. Pass ``fail_open=True`` to return ``True`` instead (only where not serving
  is worse than serving a model that may have been suspended). Unknown models, refused tokens
  and any other 4xx answer are always "no".
* **Batched observations.** :meth:`observe` only appends to a buffer; a background thread posts
  a columnar batch per model version every ``flush_interval`` seconds or once ``batch_size``
  observations are waiting. A batch that fails for a transient reason (connection refused,
  timeout, 5xx) is kept and retried, so delivery is *at least once*; a batch the server rejects
  (4xx, e.g. the model is no longer ACTIVE) is dropped and counted in :attr:`dropped`. At most
  ``max_buffer`` observations wait; beyond that the oldest are dropped (and counted).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from fairgate.errors import (
    AuthenticationError,
    FairgateError,
    NotFoundError,
    PermissionDeniedError,
    ServiceUnavailableError,
)

__all__ = ["StatusClient"]

_log = logging.getLogger("fairgate.client")
_ERRORS = {401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError}


class _Buffer:
    """Columnar buffer of one model version and attribute set."""

    __slots__ = ("outcome", "prediction", "sensitive")

    def __init__(self, attributes: tuple[str, ...]) -> None:
        self.prediction: list[int] = []
        self.outcome: list[int | None] = []
        self.sensitive: dict[str, list[Any]] = {a: [] for a in attributes}

    def __len__(self) -> int:
        return len(self.prediction)


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.grace_period = float(grace_period)
        self.fail_open = bool(fail_open)
        self.batch_size = int(batch_size)
        self.flush_interval = float(flush_interval)
        self.retry_interval = float(retry_interval)
        self.max_buffer = int(max_buffer)
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
        self._last_ok = time.monotonic()
        self._stream_live = False
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._buffers: dict[tuple[str, str, tuple[str, ...]], _Buffer] = {}
        self._buffered = 0
        self._wake = threading.Event()
        self.sent = 0
        """Observations acknowledged by the server."""
        self.dropped = 0
        """Observations dropped (rejected by the server, or over ``max_buffer``)."""
        self.last_error: str | None = None
        self._threads = [threading.Thread(target=self._flush_loop, daemon=True, name="fg-flush")]
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

    def _contact(self) -> None:
        self._last_ok = time.monotonic()

    def _fetch(self, key: tuple[str, str]) -> dict[str, Any]:
        cached = self._cache.get(key)
        headers = {"If-None-Match": cached[1]} if cached and cached[1] else {}
        self._asked[key] = time.monotonic()
        response = self._http.get(f"/v1/status/{key[0]}/{key[1]}", headers=headers)
        if response.status_code >= 500:
            raise ServiceUnavailableError(f"fairgate answered {response.status_code}")
        self._contact()
        if response.status_code == 304 and cached is not None:
            return cached[0]
        if response.status_code != 200:
            body = _body(response)
            cls = _ERRORS.get(response.status_code, FairgateError)
            raise cls(str(body.get("message", response.text)), details=body)
        data = response.json()
        with self._lock:
            self._cache[key] = (data, response.headers.get("etag"))
        return data

    def status(self, name: str, version: str, *, refresh: bool = False) -> dict[str, Any]:
        """The status of a model version (cached while the push stream is live).

        Parameters
        ----------
        name, version : str
            The model version.
        refresh : bool
            Ask the server even when a cached answer exists.

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
        if cached is not None and self._stream_live and not refresh:
            return cached[0]
        now = time.monotonic()
        recently = now - self._asked.get(key, -1e9) < self.retry_interval
        if cached is None or refresh or not recently:
            try:
                return self._fetch(key)
            except (httpx.TransportError, ServiceUnavailableError) as exc:
                self.last_error = f"status: {exc}"
        if cached is not None and time.monotonic() - self._last_ok <= self.grace_period:
            return cached[0]
        raise ServiceUnavailableError(
            f"fairgate at {self.base_url} has not answered for more than "
            f"{self.grace_period:g} s; no current status for {name}:{version}."
        )

    def may_serve(self, name: str, version: str) -> bool:
        """Whether the model version may serve now (see the module docstring for the rules).

        Parameters
        ----------
        name, version : str
            The model version.

        Returns
        -------
        bool
        """
        try:
            return bool(self.status(name, version)["may_serve"])
        except ServiceUnavailableError:
            return self.fail_open
        except FairgateError as exc:
            self.last_error = f"status: {exc.message}"
            return False

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
            for key in list(self._cache):
                try:  # catch up on what changed while disconnected
                    self._fetch(key)
                except FairgateError as exc:
                    self.last_error = f"status: {exc.message}"
                    with self._lock:
                        self._cache.pop(key, None)
            self._stream_live = True
            return
        if event != "status":
            return
        key = (str(message["name"]), str(message["version"]))
        with self._lock:
            self._cache[key] = (message, f'"{message["revision"]}"')
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
        prediction: int | bool,
        sensitive: dict[str, Any],
        outcome: int | bool | None = None,
    ) -> None:
        """Queue one live decision (sent in the background).

        Parameters
        ----------
        name, version : str
            The model version.
        prediction : int or bool
            The decision, 0/1.
        sensitive : dict
            Sensitive attribute values of the person, e.g. ``{"sex": "F"}``.
        outcome : int or bool, optional
            The true outcome when known.
        """
        attrs = tuple(sorted(sensitive))
        key = (str(name), str(version), attrs)
        with self._lock:
            buf = self._buffers.get(key)
            if buf is None:
                buf = self._buffers[key] = _Buffer(attrs)
            buf.prediction.append(int(prediction))
            buf.outcome.append(None if outcome is None else int(outcome))
            for a in attrs:
                buf.sensitive[a].append(_plain(sensitive[a]))
            self._buffered += 1
            full = self._buffered >= self.batch_size
            if self._buffered > self.max_buffer:
                self._drop_oldest()
        if full:
            self._wake.set()

    def _drop_oldest(self) -> None:
        for buf in self._buffers.values():
            if len(buf):
                buf.prediction.pop(0)
                buf.outcome.pop(0)
                for col in buf.sensitive.values():
                    col.pop(0)
                self._buffered -= 1
                self.dropped += 1
                return

    def flush(self) -> int:
        """Send every waiting observation now; return how many the server acknowledged.

        Observations that could not be delivered (fairgate unreachable) stay queued.
        """
        with self._send_lock:
            with self._lock:
                pending, self._buffers, self._buffered = self._buffers, {}, 0
            acked = 0
            for key, buf in pending.items():
                if not len(buf):
                    continue
                if self._post(key, buf):
                    acked += len(buf)
                else:
                    self._requeue(key, buf)
            return acked

    def _post(self, key: tuple[str, str, tuple[str, ...]], buf: _Buffer) -> bool:
        body = {
            "model": key[0],
            "version": key[1],
            "prediction": buf.prediction,
            "outcome": buf.outcome,
            "sensitive": buf.sensitive,
        }
        try:
            response = self._http.post("/v1/observations", json=body)
        except httpx.TransportError as exc:
            self.last_error = f"observations: {exc}"
            return False
        if response.status_code >= 500:
            self.last_error = f"observations: server answered {response.status_code}"
            return False
        self._contact()
        if response.status_code >= 400:
            self.dropped += len(buf)
            self.last_error = f"observations rejected: {_body(response).get('message')}"
            return True
        self.sent += len(buf)
        data = response.json()
        if data.get("tripped"):
            self._cache.pop((key[0], key[1]), None)
        return True

    def _requeue(self, key: tuple[str, str, tuple[str, ...]], buf: _Buffer) -> None:
        with self._lock:
            newer = self._buffers.get(key)
            if newer is not None:
                buf.prediction += newer.prediction
                buf.outcome += newer.outcome
                for a in buf.sensitive:
                    buf.sensitive[a] += newer.sensitive[a]
                self._buffered -= len(newer)
            self._buffers[key] = buf
            self._buffered += len(buf)

    @property
    def pending(self) -> int:
        """Observations waiting to be sent."""
        return self._buffered

    def _flush_loop(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            if self._buffered:
                try:
                    self.flush()
                except Exception as exc:
                    self.last_error = f"flush: {exc}"
                if self._buffered:  # undelivered: back off before retrying
                    self._closed.wait(min(self.flush_interval, 0.5))

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
        self._wake.set()
        self._stream_http.close()
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._http.close()

    def __enter__(self) -> StatusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _plain(value: Any) -> Any:
    """Numpy scalars and other odd values to JSON-friendly ones."""
    if value is None or isinstance(value, str | int | float):
        return value
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {"message": response.text[:200]}
    return data if isinstance(data, dict) else {"message": str(data)}
