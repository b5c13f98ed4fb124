"""Malformed observation batches get 4xx and change nothing."""

from __future__ import annotations

import json

import httpx
import pytest
import sqlalchemy as sa

from fairgate.registry.monitor.observations import batches_table


def _stored(env) -> int:
    with env.registry.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(batches_table)).scalar_one()


@pytest.fixture(scope="module")
def model(env):
    env.activate("obs-model", "1")
    return "obs-model", "1"


def _good(model, n=10):
    return {
        "model": model[0],
        "version": model[1],
        "prediction": [1, 0] * (n // 2),
        "outcome": [1, None] * (n // 2),
        "sensitive": {"sex": ["F", "M"] * (n // 2)},
    }


def test_good_batches_are_acknowledged_after_storing(env, model):
    before = _stored(env)
    with env.client("operations") as c:
        r = c.post("/v1/observations", json=_good(model))
        assert r.status_code == 201, r.text
        assert r.json()["accepted"] == 10 and r.json()["tripped"] is False
        rows = {
            "model": model[0],
            "version": model[1],
            "observations": [{"prediction": 1, "outcome": 0, "sensitive": {"sex": "F"}}] * 3,
        }
        assert c.post("/v1/observations", json=rows).status_code == 201
    assert _stored(env) == before + 2


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda b: b.update(prediction=["1"] * 10), 422),
        (lambda b: b.update(prediction=[0.5] * 10), 422),
        (lambda b: b.update(outcome=[2] * 10), 422),
        (lambda b: b.update(sensitive={"sex": [1.5] * 10}), 422),
        (lambda b: b.update(sensitive={"sex": ["F"] * 9}), 422),
        (lambda b: b.update(sensitive={"age": ["30"] * 10}), 422),  # rules monitor sex
        (lambda b: b.update(model="no-such-model"), 404),
        (lambda b: b.pop("version"), 422),
    ],
)
def test_malformed_batches_change_nothing(env, model, mutate, status):
    before = _stored(env)
    body = _good(model)
    mutate(body)
    with env.client("operations") as c:
        r = c.post("/v1/observations", json=body)
        assert r.status_code == status, r.text
        assert "error" in r.json() and "Traceback" not in r.text
        assert c.get(f"/v1/status/{model[0]}/{model[1]}").json()["state"] == "ACTIVE"
    assert _stored(env) == before


def test_nan_and_broken_json_are_rejected(env, model):
    before = _stored(env)
    text = json.dumps(_good(model)).replace('"outcome": [1', '"outcome": [NaN', 1)
    assert "NaN" in text
    with env.client("operations") as c:
        r = c.post("/v1/observations", content=text, headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and "NaN" in r.json()["message"]
        r = c.post(
            "/v1/observations", content=b'{"model": ', headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 422
    assert _stored(env) == before


def test_100_mb_body_is_refused_with_413(env, model):
    before = _stored(env)
    big = b'{"model": "obs-model", "version": "1", "prediction": [' + b"1," * (50 * 1024**2)
    try:
        r = httpx.post(
            f"{env.url}/v1/observations",
            content=big,
            headers={**env.headers("operations"), "Content-Type": "application/json"},
            timeout=60,
        )
        assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    except httpx.WriteError:
        pass  # the server answered 413 and closed before the client finished sending

    # a chunked body (no Content-Length) is cut off while streaming
    def chunks():
        yield b'{"model": "obs-model", "version": "1", "prediction": ['
        for _ in range(200):
            yield b"1," * (512 * 1024)

    try:
        r = httpx.post(
            f"{env.url}/v1/observations",
            content=chunks(),
            headers={**env.headers("operations"), "Content-Type": "application/json"},
            timeout=60,
        )
        assert r.status_code == 413
    except httpx.WriteError:
        pass
    assert _stored(env) == before
    with env.client("operations") as c:
        assert c.get("/v1/status/obs-model/1").json()["state"] == "ACTIVE"


def test_observations_for_a_model_not_active_get_409(env):
    with env.client("acme") as c:
        assert (
            c.post("/v1/models", json={"filing": env.filing("filed-only", "1")}).status_code == 201
        )
    before = _stored(env)
    body = {"model": "filed-only", "version": "1", "prediction": [1], "sensitive": {"sex": ["F"]}}
    with env.client("operations") as c:
        r = c.post("/v1/observations", json=body)
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    assert _stored(env) == before


def test_only_operations_may_post_observations(env, model):
    for who in ("acme", "committee", "public"):
        with env.client(who) as c:
            assert c.post("/v1/observations", json=_good(model)).status_code == 403
