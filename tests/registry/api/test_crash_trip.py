"""Crash safety of the breaker: SIGKILL while the tripping batch is processed, then restart.

Whenever the server acknowledged the tripping batch, the model is SUSPENDED after the restart
(the batch and the trip are one transaction). When the answer was lost, the client retries the
batch with the same ``client_batch_id``: it is stored once and the model ends SUSPENDED too.
"""

from __future__ import annotations

import threading
import time

import httpx
import numpy as np
import pytest
import sqlalchemy as sa

from fairgate.registry.monitor.observations import batches_table

pytestmark = pytest.mark.slow

KILL_POINTS = (0.05, 0.25, 0.5, 0.7, 0.85, 0.95, 1.05, 1.5)
"""When to kill, as fractions of the time one tripping batch takes to be acknowledged here."""


def _tripping_batch(name: str, batch_id: str) -> dict:
    rng = np.random.default_rng(1)
    sex = np.array(["F"] * 1500 + ["M"] * 1500)
    pred = (rng.random(sex.size) < np.where(sex == "F", 0.05, 0.95)).astype(int)
    return {
        "model": name,
        "version": "1",
        "client_batch_id": batch_id,
        "prediction": pred.tolist(),
        "outcome": pred.tolist(),
        "sensitive": {"sex": sex.tolist()},
    }


def _stored_copies(env, name: str, batch_id: str) -> int:
    t = batches_table
    with env.registry.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).where(t.c.model == name, t.c.client_batch_id == batch_id)
        ).scalar_one()


def test_an_acknowledged_trip_survives_sigkill_at_any_point(fresh_env):
    env = fresh_env
    names = [f"crash-{i}" for i in range(len(KILL_POINTS))]
    for name in [*names, "warm-up"]:
        env.activate(name, "1")
    # how long does the tripping batch take on this machine right now?
    with env.client("operations") as c:
        started = time.perf_counter()
        r = c.post("/v1/observations", json=_tripping_batch("warm-up", "warm-up"))
        full_ms = (time.perf_counter() - started) * 1000
        assert r.status_code == 201 and r.json()["tripped"], r.text
    outcomes = []
    for name, point in zip(names, KILL_POINTS, strict=True):
        delay_ms = point * full_ms
        body = _tripping_batch(name, f"trip-{name}")
        answer: dict = {}

        def send(body=body, answer=answer):
            try:
                r = httpx.post(
                    f"{env.url}/v1/observations",
                    json=body,
                    headers=env.headers("operations"),
                    timeout=30,
                )
                answer["status"] = r.status_code
                answer["body"] = r.json()
            except httpx.TransportError as exc:
                answer["error"] = type(exc).__name__

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(delay_ms / 1000)
        env.server.kill()
        sender.join(30)
        acked = answer.get("status") == 201
        env.server.start()
        with env.client("operations") as c:
            state = c.get(f"/v1/status/{name}/1").json()["state"]
            if acked:
                assert answer["body"]["tripped"] is True, answer
                assert state == "SUSPENDED", (name, delay_ms, answer)
            else:
                # the answer was lost: the client retries with the same batch id
                r = c.post("/v1/observations", json=body)
                assert r.status_code in (200, 201), r.text
                assert r.json()["duplicate"] or r.json()["tripped"], r.json()
                state = c.get(f"/v1/status/{name}/1").json()["state"]
                assert state == "SUSPENDED", (name, delay_ms, r.json())
        assert _stored_copies(env, name, f"trip-{name}") == 1
        outcomes.append((round(delay_ms, 1), "acked" if acked else answer.get("error", "lost")))
    print(f"one batch: {full_ms:.1f} ms; kill delay (ms) -> outcome:", outcomes)
    with env.client("committee") as c:
        assert c.get("/v1/ledger/verify").status_code == 200
        events = c.get("/v1/ledger", params={"limit": 1000}).json()["events"]
    trips = [e["name"] for e in events if e["kind"] == "breaker_trip"]
    assert sorted(trips) == sorted([*names, "warm-up"])  # one trip per model, none twice
