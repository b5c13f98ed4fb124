"""The whole loop: file, audit, approve, serve, biased outcomes trip the breaker, the client sees
the suspension via the push stream within a second, the committee reinstates after a new audit."""

from __future__ import annotations

import threading
import time
from functools import partial

import numpy as np

from fairgate.registry.client import StatusClient
from tests.fixtures.service import wait_until

_wait = partial(wait_until, timeout=10.0)


def _feed(client, name, version, n, rng, rate_f, rate_m, tpr=None):
    sex = rng.choice(["F", "M"], n)
    outcome = rng.integers(0, 2, n)
    if tpr is None:
        pred = np.where(sex == "F", rng.random(n) < rate_f, rng.random(n) < rate_m)
    else:  # biased outcomes: among true positives, F are approved far less often
        p = np.where(outcome == 1, np.where(sex == "F", tpr[0], tpr[1]), 0.3)
        pred = rng.random(n) < p
    for s, y, o in zip(sex.tolist(), pred.astype(int).tolist(), outcome.tolist(), strict=True):
        client.observe(name, version, y, {"sex": s}, outcome=o)


def test_whole_loop(env):
    name, version = "triage", "1"
    env.activate(name, version)
    changes: list[tuple[float, dict]] = []
    suspended = threading.Event()

    def on_change(message):
        changes.append((time.monotonic(), message))
        if message["name"] == name and message["state"] == "SUSPENDED":
            suspended.set()

    rng = np.random.default_rng(7)
    with StatusClient(
        env.url, env.tokens["operations"], flush_interval=0.05, batch_size=500, on_change=on_change
    ) as client:
        assert _wait(lambda: client.stream_live)
        assert client.may_serve(name, version) is True
        # fair service: equal selection rates and TPRs; the breaker stays closed
        _fair = (0.5, 0.5)
        _feed(client, name, version, 3000, rng, *_fair)
        client.flush()
        assert client.sent == 3000 and client.dropped == 0
        assert client.may_serve(name, version) is True
        # outcomes become biased: true positives of group F are approved far less often
        _feed(client, name, version, 3000, rng, 0, 0, tpr=(0.2, 0.8))
        started = time.monotonic()
        client.flush()
        assert suspended.wait(5.0), client.last_error
        seen_at = next(t for t, m in changes if m["state"] == "SUSPENDED")
        assert seen_at >= started  # pushed to the client after the tripping batch was sent
        assert client.may_serve(name, version) is False
        status = client.status(name, version)
        assert status["decision"] == "do-not-serve" and status["state"] == "SUSPENDED"

        # the evidence is in the ledger, with the window's counts and the test
        with env.client("committee") as c:
            events = c.get("/v1/ledger", params={"limit": 1000}).json()["events"]
            trip = [e for e in events if "breaker" in str(e).lower() and e.get("name") == name]
            assert trip, events[-3:]
            text = str(trip[-1])
            assert "p_value" in text and "counts" in text and "live_" in text
            assert c.get("/v1/ledger/verify").status_code == 200

        # while suspended, further observations are refused (dropped by the client, counted);
        # the rest of the biased stream still queued at the trip may have been dropped already
        client.flush()
        dropped_at_trip = client.dropped
        _feed(client, name, version, 10, rng, 0.5, 0.5)
        client.flush()
        assert client.dropped == dropped_at_trip + 10

        # the committee reinstates only after a new, passing audit
        env.record_audit(name, version)
        env.decide(name, version, "reinstate", "fixed; re-audit passed")
        assert _wait(lambda: client.may_serve(name, version), timeout=5)
        assert changes[-1][1]["state"] == "ACTIVE"
        # the breaker starts from empty windows after reinstatement: fair data does not trip
        _feed(client, name, version, 1000, rng, 0.5, 0.5)
        client.flush()
        assert client.may_serve(name, version) is True


def _fair_decisions(c, name, version, share_f, rng, n=1000):
    """Post ``n`` fair coin-flip decisions, a share ``share_f`` of them about women."""
    sex = np.where(rng.random(n) < share_f, "F", "M").tolist()
    pred = rng.integers(0, 2, n).tolist()
    return c.post(
        "/v1/observations",
        json={"model": name, "version": version, "prediction": pred, "sensitive": {"sex": sex}},
    )


def test_drift_of_group_composition_trips_its_own_rule(env):
    name, version = "drifty", "1"
    env.activate(name, version)
    rng = np.random.default_rng(3)
    with env.client("operations") as c:
        for share_f in (0.5, 0.5, 0.5):  # 3000 observations: the first 2000 are the baseline
            r = _fair_decisions(c, name, version, share_f, rng)
            assert r.status_code == 201 and not r.json()["tripped"], r.text
        tripped = False
        for _ in range(4):  # the population shifts to 95% F, decisions stay fair
            r = _fair_decisions(c, name, version, 0.95, rng)
            if r.status_code == 409:
                break
            tripped = tripped or r.json()["tripped"]
            if tripped:
                break
        assert tripped
        assert c.get(f"/v1/status/{name}/{version}").json()["state"] == "SUSPENDED"
    with env.client("committee") as c:
        events = c.get("/v1/ledger", params={"limit": 1000}).json()["events"]
        assert "sex_drift" in str([e for e in events if e.get("name") == name][-1])
