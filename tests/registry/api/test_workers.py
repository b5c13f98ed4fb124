"""Several workers (``fairgate serve --workers N``) behave as one: same trip, same answer.

Every batch goes over a new connection, so the operating system spreads them over the workers.
The biased stream is the same for 1 and 4 workers (fixed seeds); each batch is evaluated by the
worker that stored it, holding the model's lock, after catching up with the batches the others
stored, so the trip happens at exactly the same observation. After the trip, every worker
answers "do not serve"; the time until each did is printed (the change feed is measured, not
asserted: tests never assert on wall-clock time).
"""

from __future__ import annotations

import time

import httpx
import numpy as np
import pytest

from tests.fixtures.database import own_database
from tests.fixtures.service import activate, make_env

pytestmark = pytest.mark.slow

BATCH = 40


def _batch(i: int) -> dict:
    rng = np.random.default_rng(i)
    sex = np.where(np.arange(BATCH) % 2 == 0, "F", "M")
    pred = np.where(sex == "F", rng.random(BATCH) < 0.3, rng.random(BATCH) < 0.7).astype(int)
    outcome = rng.integers(0, 2, BATCH)
    return {
        "model": "bias",
        "version": "1",
        "prediction": pred.tolist(),
        "outcome": outcome.tolist(),
        "sensitive": {"sex": sex.tolist()},
    }


def _once(env, method: str, path: str, **kw) -> httpx.Response:
    """One request on a connection of its own (``Connection: close``)."""
    headers = {**env.headers("operations"), "Connection": "close"}
    with httpx.Client(base_url=env.url, headers=headers, timeout=30) as client:
        return client.request(method, path, **kw)


def _trip(env) -> tuple[int, set[int], float]:
    """Send biased batches until one trips; return observations sent, workers seen, trip time."""
    seen: set[int] = set()
    for i in range(200):
        r = _once(env, "POST", "/v1/observations", json=_batch(i))
        assert r.status_code == 201, r.text
        body = r.json()
        seen.add(body["worker"])
        if body["tripped"]:
            return (i + 1) * BATCH, seen, time.monotonic()
    raise AssertionError("the biased stream never tripped")


def _answers_after(env, tripped_at: float, workers: int) -> dict[int, list[tuple[float, str]]]:
    """Status answers per worker after the trip, until every worker said "do not serve"."""
    answers: dict[int, list[tuple[float, str]]] = {}
    for _ in range(400):
        r = _once(env, "GET", "/v1/status/bias/1")
        assert r.status_code == 200, r.text
        pid = int(r.headers["x-fairgate-worker"])
        answers.setdefault(pid, []).append((time.monotonic() - tripped_at, r.json()["decision"]))
        done = [p for p, a in answers.items() if a[-1][1] == "do-not-serve"]
        if len(done) >= workers:
            break
    return answers


def _run(tmp_path, request, workers: int) -> int:
    """Trip a model through ``workers`` workers; check every worker's answer; return the count."""
    env = make_env(tmp_path / f"home{workers}", own_database(request), workers=workers)
    try:
        activate(env, "bias", "1")
        observed, seen, tripped_at = _trip(env)
        answers = _answers_after(env, tripped_at, workers)
        first_no = sorted(
            next(t for t, d in a if d == "do-not-serve")
            for a in answers.values()
            if any(d == "do-not-serve" for _, d in a)
        )
        print(  # measured and reported in benchmarks/RESULTS.md, never asserted
            f"\n{workers} worker(s), {request.getfixturevalue('db_kind')}: tripped after "
            f"{observed} observations; batches evaluated by {len(seen)} worker(s); first "
            "'do not serve' of each worker after the trip (ms): "
            + ", ".join(f"{1000 * t:.1f}" for t in first_no)
        )
        # every worker answered, and none said "serve" again once it had said "do not serve"
        assert len(answers) == workers
        for series in answers.values():
            decisions = [d for _, d in series]
            assert decisions[-1] == "do-not-serve"
            first = decisions.index("do-not-serve")
            assert set(decisions[first:]) == {"do-not-serve"}
        if workers > 1:
            assert len(seen) > 1, "every batch went to one worker; the test proved nothing"
        trips = [e for e in env.registry.events() if e.kind == "breaker_trip"]
        assert len(trips) == 1
        assert env.registry.verify_ledger().ok
        return observed
    finally:
        env.server.stop()


def test_four_workers_trip_on_the_evidence_one_worker_trips_on(tmp_path, request):
    one = _run(tmp_path, request, 1)
    four = _run(tmp_path, request, 4)
    assert four == one
