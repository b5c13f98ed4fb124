"""The demo's live service: fairgate in-process on 127.0.0.1, and decisions reported to it.

:func:`local_service` starts the real service (``create_app`` under uvicorn, in a thread, on an
ephemeral port) and stops it again, so ``fairgate demo`` needs no server. :func:`serve_decisions`
plays the serving side: before each batch it asks :class:`~fairgate.registry.client.StatusClient`
whether it may serve, lets the approved model decide, and reports every decision; it stops once
fairgate says no.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from fairgate.settings import Settings

__all__ = ["LiveService", "LiveStream", "local_service", "records_fault", "serve_decisions"]

_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class LiveService:
    """A running in-process service.

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:<port>``.
    token : str
        An operations token created for the demo.
    """

    url: str
    token: str


@dataclass(frozen=True)
class LiveStream:
    """What the serving side saw.

    Attributes
    ----------
    served_fair, served_faulty : int
        Decisions served and reported before and after the records fault.
    refused : bool
        Whether fairgate said "do not serve" before the stream ran out.
    pushed_state : str or None
        The state the push stream delivered last (``"SUSPENDED"`` after a trip).
    seconds_to_refusal : float or None
        From the first faulty batch to the first refusal.
    """

    served_fair: int
    served_faulty: int
    refused: bool
    pushed_state: str | None
    seconds_to_refusal: float | None


@contextlib.contextmanager
def local_service(settings: Settings) -> Iterator[LiveService]:
    """Run fairgate's service in this process on 127.0.0.1 (an ephemeral port).

    Parameters
    ----------
    settings : Settings
        The same settings (and so the same database) as the registry the demo files into.

    Yields
    ------
    LiveService
        Stopped again when the block ends.
    """
    import uvicorn

    from fairgate.registry.api.app import create_app

    app = create_app(settings)
    token, _ = app.state.service.tokens.create("operations", label="fairgate demo")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fairgate-demo-service", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                from fairgate.errors import ServiceUnavailableError

                raise ServiceUnavailableError(
                    "the demo's in-process service did not start on 127.0.0.1; run "
                    "'fairgate serve' to see why."
                )
            time.sleep(0.02)
        yield LiveService(url=f"http://127.0.0.1:{port}", token=token)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def records_fault(frame: pd.DataFrame) -> pd.DataFrame:
    """The upstream fault of the demo: Black arrestees' records arrive corrupted.

    A faulty join in the records system counts each prior police-database entry three times
    over (``checks`` + 3, at most 6) and loses employment (``employed`` becomes "No") — for Black
    arrestees only. The model never sees colour, yet its decisions now differ by colour.

    Parameters
    ----------
    frame : pandas.DataFrame
        Arrests rows.

    Returns
    -------
    pandas.DataFrame
        A corrupted copy.
    """
    out = frame.copy()
    hit = out["colour"] == "Black"
    out.loc[hit, "checks"] = np.minimum(out.loc[hit, "checks"] + 3, 6)
    out.loc[hit, "employed"] = "No"
    return out


def serve_decisions(
    service: LiveService,
    name: str,
    version: str,
    model: Any,
    features: list[str],
    fair: pd.DataFrame,
    faulty: pd.DataFrame,
    *,
    sensitive: list[str],
    batch: int = 250,
    on_batch: Callable[[str, int, bool], None] | None = None,
    wait: float = 10.0,
) -> LiveStream:
    """Serve ``fair`` rows, then ``faulty`` rows, reporting each decision; stop when refused.

    Parameters
    ----------
    service : LiveService
        The running service.
    name, version : str
        The approved model version.
    model : estimator
        Its model (what the serving side runs).
    features : list of str
        Its inputs.
    fair, faulty : pandas.DataFrame
        Rows served before and after the upstream fault.
    sensitive : list of str
        Attributes reported with each decision.
    batch : int, default 250
        Decisions per batch; fairgate is asked before each batch.
    on_batch : callable, optional
        ``on_batch(phase, served_so_far, may_serve)`` after each batch.
    wait : float, default 10.0
        Seconds to wait for the push stream to deliver a suspension after a batch is refused.

    Returns
    -------
    LiveStream
    """
    from fairgate.registry.client import StatusClient

    pushed: list[str] = []
    suspended = threading.Event()

    def on_change(message: dict[str, Any]) -> None:
        if message.get("name") == name and message.get("version") == version:
            pushed.append(str(message.get("state")))
            if message.get("state") != "ACTIVE":
                suspended.set()

    served = {"fair": 0, "faulty": 0}
    refused_at: float | None = None
    started: float | None = None
    with StatusClient(
        service.url, service.token, batch_size=batch, flush_interval=0.1, on_change=on_change
    ) as client:
        # A serving system warms the client's cache once at start (this may wait for the
        # server); from then on may_serve() answers from memory within its budget.
        client.status(name, version)
        for phase, rows in (("fair", fair), ("faulty", faulty)):
            if phase == "faulty":
                started = time.monotonic()
            for lo in range(0, len(rows), batch):
                if not client.may_serve(name, version):
                    break
                chunk = rows.iloc[lo : lo + batch]
                decisions = model.predict(chunk[features])
                groups = chunk[sensitive].astype(str).to_dict("records")
                for decision, group in zip(decisions.tolist(), groups, strict=True):
                    client.observe(name, version, int(decision), group)
                client.flush()
                served[phase] += len(chunk)
                if on_batch is not None:
                    on_batch(phase, served[phase], client.may_serve(name, version))
            if not client.may_serve(name, version):
                refused_at = time.monotonic()
                break
        if refused_at is not None:
            suspended.wait(wait)
    return LiveStream(
        served_fair=served["fair"],
        served_faulty=served["faulty"],
        refused=refused_at is not None,
        pushed_state=pushed[-1] if pushed else None,
        seconds_to_refusal=None if refused_at is None or started is None else refused_at - started,
    )
