"""StatusClient against a real server that hangs (SIGSTOP): answers from its cache at once, and
turns to "do not serve" exactly when the grace period has passed without a fresh answer."""

from __future__ import annotations

import os
import signal
import time
from functools import partial

import httpx

from fairgate.registry.client import StatusClient
from tests.fixtures.service import wait_until

_wait = partial(wait_until, timeout=30.0)


def test_may_serve_under_a_hung_server(fresh_env):
    env = fresh_env
    name, version = "hung", "1"
    env.activate(name, version)
    key = (name, version)
    now = [1000.0]  # the client's clock: moved by the test only
    grace = 5.0
    with StatusClient(
        env.url,
        env.tokens["operations"],
        grace_period=grace,
        timeout=20.0,
        retry_interval=0.2,
        clock=lambda: now[0],
    ) as client:
        assert _wait(lambda: client.stream_live)
        assert _wait(lambda: client.may_serve(name, version))
        os.kill(env.server.proc.pid, signal.SIGSTOP)
        try:
            time.sleep(0.3)  # lines already on their way are read; then nothing comes
            fresh = client.freshness(name, version)
            assert fresh is not None
            # just inside the grace period: the cached answer stands ...
            now[0] = fresh + grace - 0.001
            assert client.may_serve(name, version) is True
            # ... while the refresh it asked for hangs on the server in the background
            assert _wait(lambda: key in client.in_flight)
            latencies = []
            for _ in range(200):
                started = time.perf_counter()
                assert client.may_serve(name, version) is True
                latencies.append(time.perf_counter() - started)
            assert key in client.in_flight  # every answer came while the request was unanswered
            # a model never asked about gets "no" without waiting for the hung server
            assert client.may_serve("never-asked", "1") is False
            assert client.freshness("never-asked", "1") is None
            # the grace period has passed without a fresh answer: do not serve
            now[0] = fresh + grace + 0.001
            assert client.may_serve(name, version) is False
            assert client.may_serve(name, version) is False
            latencies.sort()
            print(
                f"may_serve under a hung server: median {latencies[100] * 1e6:.0f} us, "
                f"max {latencies[-1] * 1e6:.0f} us over 200 calls"
            )
        finally:
            os.kill(env.server.proc.pid, signal.SIGCONT)
        # the server answers again: the next fresh answer makes it "serve" again
        assert _wait(lambda: client.may_serve(name, version))
        assert client.freshness(name, version) == now[0]


def test_fail_open_is_the_documented_exception(fresh_env):
    env = fresh_env
    env.activate("open", "1")
    now = [0.0]
    with StatusClient(
        env.url, env.tokens["operations"], grace_period=1.0, fail_open=True, clock=lambda: now[0]
    ) as client:
        # fail-open answers "serve" before any answer too, so wait for a real one
        assert _wait(
            lambda: client.may_serve("open", "1") and client.freshness("open", "1") is not None
        )
        env.server.kill()
        now[0] = client.freshness("open", "1") + 1.001
        assert client.may_serve("open", "1") is True
        # refusals are never "serve", fail-open or not
        env.server.start()
        assert _wait(lambda: not client.may_serve("not-filed", "1"))
        r = httpx.get(f"{env.url}/v1/status/not-filed/1", headers=env.headers("operations"))
        assert r.status_code == 404
