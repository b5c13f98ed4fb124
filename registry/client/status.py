"""``StatusClient``: what serving code asks before it serves, routes and reports decisions with."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fairgate.registry.client.batcher import ObservationBatcher, review_of
from fairgate.registry.client.cache import StatusCache
from fairgate.registry.client.oversight import Routes

__all__ = ["StatusClient"]


class StatusClient(StatusCache):
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
        super().__init__(
            base_url,
            token,
            grace_period=grace_period,
            fail_open=fail_open,
            timeout=timeout,
            retry_interval=retry_interval,
            on_change=on_change,
            budget=budget,
            clock=clock,
        )
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
                threading.Thread(target=self._stream.run, daemon=True, name="fg-stream")
            )
        for thread in self._threads:
            thread.start()

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
            ``"human"`` or ``"auto"``.

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
        """Post the queued observations at once (see :meth:`ObservationBatcher.flush`).

        Returns
        -------
        int
            How many the server acknowledged; undelivered batches stay queued for a retry.
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
        self._stream.close()
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._http.close()

    def __enter__(self) -> StatusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
