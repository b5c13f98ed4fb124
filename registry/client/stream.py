"""The push-stream follower of :class:`~fairgate.registry.client.StatusClient`: status changes live.

``GET /v1/status/stream`` is a server-sent event stream: a ``hello`` event once connected, then a
``status`` event for every change of a model version's status, and comment lines as heartbeats.
:class:`PushStream` reads it in a background thread, reconnecting with a growing pause (up to a
second) when it drops, and hands each event to its owner.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from fairgate.errors import ServiceUnavailableError

__all__ = ["PushStream"]


class PushStream:
    """Follows the service's push stream until ``closed`` is set.

    Parameters
    ----------
    http : httpx.Client
        An authenticated client for the stream (``Accept: text/event-stream``).
    closed : threading.Event
        Set when the owning client closes.
    clock : callable
        The owner's clock (seconds).
    on_line : callable
        Called whenever a line arrives (the server is alive).
    on_hello : callable
        Called once (re)connected, before :attr:`live` turns true.
    on_status : callable
        Called with each pushed status dict.
    on_error : callable
        Called with a one-line description of each failure.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        closed: Any,
        clock: Callable[[], float],
        on_line: Callable[[], None],
        on_hello: Callable[[], None],
        on_status: Callable[[dict[str, Any]], None],
        on_error: Callable[[str], None],
    ) -> None:
        self._http = http
        self._closed = closed
        self._clock = clock
        self._on_line = on_line
        self._on_hello = on_hello
        self._on_status = on_status
        self._on_error = on_error
        self.live = False
        """Whether the stream is connected (after its ``hello``)."""
        self.since = float("inf")
        """When (on ``clock``) the stream last connected; infinity while it is down."""
        self.contact = float("-inf")
        """When (on ``clock``) the last line arrived."""

    def run(self) -> None:
        """The stream thread's loop: follow, and reconnect after a pause, until closed."""
        backoff = 0.1
        while not self._closed.is_set():
            try:
                self.follow_once()
                backoff = 0.1
            except Exception as exc:
                self._on_error(f"stream: {exc}")
            self.live = False
            self.since = float("inf")
            self._closed.wait(backoff)
            backoff = min(backoff * 2, 1.0)

    def follow_once(self) -> None:
        """Read one connection of the stream until it ends or the owner closes.

        Raises
        ------
        ServiceUnavailableError
            The stream answered other than 200.
        """
        with self._http.stream("GET", "/v1/status/stream") as response:
            if response.status_code != 200:
                raise ServiceUnavailableError(f"stream answered {response.status_code}")
            event, data = "message", []
            for line in response.iter_lines():
                if self._closed.is_set():
                    return
                self._on_line()
                self.contact = self._clock()
                if line == "":
                    if data:
                        self.dispatch(event, "\n".join(data))
                    event, data = "message", []
                elif line.startswith(":"):
                    continue
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())

    def dispatch(self, event: str, payload: str) -> None:
        """Hand one event to the owner: ``hello`` (connected) or ``status`` (a change)."""
        message = json.loads(payload)
        if event == "hello":
            self.since = self._clock()
            self._on_hello()
            self.live = True
        elif event == "status":
            self._on_status(message)

    def close(self) -> None:
        """Close the stream's connection (the thread then notices ``closed``)."""
        self._http.close()
