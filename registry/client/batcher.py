"""Observation batching for :class:`~fairgate.registry.client.StatusClient`: buffer, post, retry."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from fairgate.errors import ValidationError
from fairgate.registry.client.wire import observed_value, plain, response_body

__all__ = ["ObservationBatcher", "review_of"]

BufferKey = tuple[str, str, tuple[str, ...], bool]
Review = tuple[bool, bool | None, Any]


def review_of(
    reviewed: bool | None,
    overridden: bool | None,
    final_decision: Any,
) -> Review | None:
    """One decision's ``(reviewed, overridden, final_decision)``, checked (``None``: not sent).

    The final decision is of the model's kind (0/1, a class label or a number); whether it
    fits the filing, and whether ``overridden`` agrees with it, the service checks (a score
    model's decision is taken at the filing's threshold, which the client does not hold).
    ``overridden=None`` is sent as ``null``: the service derives it from the final decision.

    Parameters
    ----------
    reviewed : bool or None
        Whether a person reviewed the decision (``None``: nothing is reported).
    overridden : bool or None
        Whether the person overrode the model.
    final_decision : optional
        The decision that took effect.

    Returns
    -------
    tuple or None

    Raises
    ------
    ValidationError
        ``overridden`` or ``final_decision`` without ``reviewed``, ``overridden=True`` with
        ``reviewed=False``, or a final decision that is neither a number nor a string.
    """
    if reviewed is None:
        if overridden is not None or final_decision is not None:
            raise ValidationError(
                "observe(): overridden/final_decision given without reviewed; pass reviewed=True "
                "when a person looked at the decision."
            )
        return None
    over = None if overridden is None else bool(overridden)
    if over and not reviewed:
        raise ValidationError("observe(): overridden=True needs reviewed=True.")
    return bool(reviewed), over, observed_value(final_decision, "final_decision", nullable=True)


class _Buffer:
    """Columnar buffer of one model version and attribute set."""

    __slots__ = ("outcome", "prediction", "review", "sensitive")

    def __init__(self, attributes: tuple[str, ...]) -> None:
        self.prediction: list[Any] = []
        self.outcome: list[Any] = []
        self.sensitive: dict[str, list[Any]] = {a: [] for a in attributes}
        self.review: list[Review] = []

    def __len__(self) -> int:
        return len(self.prediction)


class ObservationBatcher:
    """Columnar buffers of live decisions, posted in batches by a background thread.

    Parameters
    ----------
    http : httpx.Client
        The client's authenticated connection to the service.
    batch_size : int
        Post once this many observations wait.
    flush_interval : float
        Post waiting observations at least this often (seconds).
    max_buffer : int
        Most observations kept waiting; beyond that the oldest are dropped (and counted).
    closed : threading.Event
        Set when the owning client closes.
    on_contact : callable
        Called whenever the server answered.
    on_error : callable
        Called with a one-line description of each failure.
    on_tripped : callable
        Called with ``(name, version)`` when the server says a batch tripped the breaker.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        batch_size: int,
        flush_interval: float,
        max_buffer: int,
        closed: threading.Event,
        on_contact: Callable[[], None],
        on_error: Callable[[str], None],
        on_tripped: Callable[[str, str], None],
    ) -> None:
        self._http = http
        self.batch_size = int(batch_size)
        self.flush_interval = float(flush_interval)
        self.max_buffer = int(max_buffer)
        self._closed = closed
        self._on_contact = on_contact
        self._on_error = on_error
        self._on_tripped = on_tripped
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._buffers: dict[BufferKey, _Buffer] = {}
        self._retry: list[tuple[BufferKey, _Buffer, str]] = []
        self._buffered = 0
        self._wake = threading.Event()
        self.sent = 0
        """Observations acknowledged by the server."""
        self.dropped = 0
        """Observations dropped (rejected by the server, or over ``max_buffer``)."""

    def add(
        self,
        name: str,
        version: str,
        prediction: Any,
        sensitive: dict[str, Any],
        outcome: Any,
        review: Review | None = None,
    ) -> None:
        """Queue one live decision; wake the sender once ``batch_size`` wait.

        ``name``, ``version``, ``prediction``, ``sensitive`` and ``outcome`` are as
        :meth:`StatusClient.observe <fairgate.registry.client.StatusClient.observe>` takes them;
        ``review`` is :func:`review_of`'s answer (decisions with and without one are sent in
        separate batches).

        Raises
        ------
        ValidationError
            For a missing prediction, NaN or infinity, or a value that is not a number or a
            string (nothing is queued).
        """
        pred = observed_value(prediction, "prediction", nullable=False)
        out = observed_value(outcome, "outcome", nullable=True)
        attrs = tuple(sorted(sensitive))
        key = (str(name), str(version), attrs, review is not None)
        with self._lock:
            buf = self._buffers.get(key)
            if buf is None:
                buf = self._buffers[key] = _Buffer(attrs)
            buf.prediction.append(pred)
            buf.outcome.append(out)
            for a in attrs:
                buf.sensitive[a].append(plain(sensitive[a]))
            if review is not None:
                buf.review.append(review)
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
                if buf.review:
                    buf.review.pop(0)
                self._buffered -= 1
                self.dropped += 1
                return

    def flush(self) -> int:
        """Send every waiting observation now; return how many the server acknowledged.

        Batches that could not be delivered (fairgate unreachable) stay queued, unchanged and
        with their ``client_batch_id``, and are retried first next time.

        Returns
        -------
        int
        """
        with self._send_lock:
            with self._lock:
                retry, self._retry = self._retry, []
                fresh, self._buffers, self._buffered = self._buffers, {}, 0
            batches = retry + [
                (key, buf, uuid.uuid4().hex) for key, buf in fresh.items() if len(buf)
            ]
            acked = 0
            failed = []
            for key, buf, batch_id in batches:
                if failed or not self._post(key, buf, batch_id):
                    failed.append((key, buf, batch_id))  # keep the order: stop at the first
                else:
                    acked += len(buf)
            if failed:
                with self._lock:
                    self._retry = failed + self._retry
            return acked

    def _post(self, key: BufferKey, buf: _Buffer, batch_id: str) -> bool:
        body = {
            "model": key[0],
            "version": key[1],
            "client_batch_id": batch_id,
            "prediction": buf.prediction,
            "outcome": buf.outcome,
            "sensitive": buf.sensitive,
        }
        if key[3]:
            reviewed, overridden, final = zip(*buf.review, strict=True)
            body.update(reviewed=reviewed, overridden=overridden, final_decision=final)
        try:
            response = self._http.post("/v1/observations", json=body)
        except httpx.TransportError as exc:
            self._on_error(f"observations: {exc}")
            return False
        if response.status_code >= 500:
            self._on_error(f"observations: server answered {response.status_code}")
            return False
        self._on_contact()
        if response.status_code >= 400:
            self.dropped += len(buf)
            self._on_error(f"observations rejected: {response_body(response).get('message')}")
            return True
        self.sent += len(buf)
        if response.json().get("tripped"):
            self._on_tripped(key[0], key[1])
        return True

    @property
    def pending(self) -> int:
        """Observations waiting to be sent (new ones and batches waiting for a retry)."""
        return self._buffered + sum(len(buf) for _, buf, _ in list(self._retry))

    def wake(self) -> None:
        """Wake the sending thread (to send now, or to notice the client closed)."""
        self._wake.set()

    def run(self) -> None:
        """The sending thread's loop: post what waits every ``flush_interval`` until closed."""
        while not self._closed.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            if self.pending:
                try:
                    self.flush()
                except Exception as exc:
                    self._on_error(f"flush: {exc}")
                if self._retry:  # undelivered: back off before retrying
                    self._closed.wait(min(self.flush_interval, 0.5))
