"""Every model kind served live: the filing decides what a batch holds, the breaker trips per kind.

A real ``fairgate serve`` on 127.0.0.1 with a real SQLite file; one published policy holds breaker
rules of every kind (a rule whose metric a model's kind lacks is left out for that model). Each
model is filed, audited, approved, fed a fair stream (no trip) and then a constructed biased
stream, which trips its kind's rule with the significance guard; malformed batches get 422s and
change nothing.
"""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from fairgate.registry.monitor.observations import batches_table
from tests.fixtures.service import filing, make_env

KINDS_POLICY = """\
name: kinds-live
breaker:
  - id: live_accuracy_floor
    metric: accuracy
    kind: minimum
    threshold: 0.6
    attributes: [district]
    window: {kind: sliding, size: 3000}
    min_samples: 100
    alpha: 0.001
  - id: live_mode_parity
    metric: demographic_parity
    kind: difference
    threshold: 0.4
    attributes: [district]
    window: {kind: sliding, size: 3000}
    min_samples: 100
    alpha: 0.001
  - id: live_mae_gap
    metric: mean_absolute_error
    kind: difference
    threshold: 2.0
    attributes: [district]
    window: {kind: sliding, size: 3000}
    min_samples: 100
    alpha: 0.001
  - id: live_selection_gap
    metric: selection_rate
    kind: difference
    threshold: 0.2
    attributes: [district]
    window: {kind: sliding, size: 3000}
    min_samples: 100
    alpha: 0.001
"""

CLASSES = ["bike", "bus", "car", "walk"]
DISTRICTS = np.array(["east", "north", "south", "west"])


@pytest.fixture(scope="module")
def kenv(tmp_path_factory, module_db_url):
    env = make_env(tmp_path_factory.mktemp("kinds"), module_db_url, policy_yaml=KINDS_POLICY)
    yield env
    env.server.stop()


def _activate(env, name, **changes):
    target = {**filing(name, "1")["target"], **changes.pop("target", {})}
    env.activate(name, "1", sensitive_variables=["district"], target=target, **changes)


def _post(env, name, prediction, outcome, district):
    body = {
        "model": name,
        "version": "1",
        "prediction": prediction,
        "outcome": outcome,
        "sensitive": {"district": list(district)},
    }
    with env.client("operations") as c:
        return c.post("/v1/observations", json=body)


def _stored(env, name) -> int:
    t = batches_table
    with env.registry.engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(t).where(t.c.model == name)
        return conn.execute(query).scalar_one()


def _trip_evidence(env, name):
    with env.client("committee") as c:
        events = c.get("/v1/ledger", params={"limit": 1000}).json()["events"]
    trips = [e for e in events if e.get("name") == name and "breaker" in str(e).lower()]
    assert trips, events[-3:]
    return str(trips[-1])


def _state(env, name):
    with env.client("operations") as c:
        return c.get(f"/v1/status/{name}/1").json()["state"]


def test_multiclass_labels_trip_the_live_accuracy_floor_of_one_district(kenv):
    _activate(kenv, "travel-mode", target={"name": "mode", "classes": CLASSES})
    rng = np.random.default_rng(0)

    def stream(n, biased):
        district = DISTRICTS[rng.integers(0, 4, n)]
        truth = rng.integers(0, 4, n)
        wrong = np.where(district == biased, 0.85, 0.1)
        pred = np.where(rng.random(n) < wrong, rng.integers(0, 4, n), truth)
        labels = np.array(CLASSES)
        return labels[pred].tolist(), labels[truth].tolist(), district

    before = _stored(kenv, "travel-mode")
    for bad in (["plane"] * 4, [0.5] * 4, [None] * 4, [True] * 4):
        r = _post(kenv, "travel-mode", bad, None, ["east"] * 4)
        assert r.status_code == 422, r.text
        assert "classes" in r.json()["message"] or "class" in r.text
    r = _post(kenv, "travel-mode", ["bus"] * 4, ["ferry"] * 4, ["east"] * 4)
    assert r.status_code == 422 and "outcome" in r.text
    assert _stored(kenv, "travel-mode") == before

    for _ in range(3):  # a fair stream, then predictions whose outcome is not known yet
        pred, truth, district = stream(1000, None)
        r = _post(kenv, "travel-mode", pred, truth, district)
        assert r.status_code == 201 and r.json()["tripped"] is False, r.text
    r = _post(kenv, "travel-mode", ["walk", "bus"], [None, None], ["east", "west"])
    assert r.status_code == 201 and r.json()["tripped"] is False
    rules = {e["rule"] for e in r.json()["evaluations"]}
    assert rules == {"live_accuracy_floor", "live_mode_parity"}  # MAE / binary rules left out

    tripped = False
    for _ in range(4):  # the east district's trips are now recognised badly
        pred, truth, district = stream(1000, "east")
        r = _post(kenv, "travel-mode", pred, truth, district)
        assert r.status_code == 201, r.text
        if r.json()["tripped"]:
            tripped = True
            break
    assert tripped and _state(kenv, "travel-mode") == "SUSPENDED"
    evidence = _trip_evidence(kenv, "travel-mode")
    assert "live_accuracy_floor" in evidence and "'east'" in evidence
    assert "binomial_one_sided" in evidence


def test_regression_numbers_trip_the_live_mae_gap(kenv):
    _activate(kenv, "trip-minutes", algorithm_type="regression", target={"name": "minutes"})
    rng = np.random.default_rng(1)

    def stream(n, bias):
        district = DISTRICTS[rng.integers(0, 4, n)]
        y = rng.normal(30, 8, n)
        pred = y + np.where(district == "west", bias, 0.0) + rng.normal(0, 1.5, n)
        return pred.round(3).tolist(), y.round(3).tolist(), district

    before = _stored(kenv, "trip-minutes")
    for bad in (["soon"] * 3, [1e13] * 3, [None] * 3, [True] * 3):
        r = _post(kenv, "trip-minutes", bad, None, ["east"] * 3)
        assert r.status_code == 422, r.text
        assert "numeric predictions" in r.json()["message"]
    r = _post(kenv, "trip-minutes", [1.0] * 3, ["late"] * 3, ["east"] * 3)
    assert r.status_code == 422 and "outcome" in r.text
    assert _stored(kenv, "trip-minutes") == before

    for _ in range(3):
        pred, y, district = stream(1000, 0.0)
        r = _post(kenv, "trip-minutes", pred, y, district)
        assert r.status_code == 201 and r.json()["tripped"] is False, r.text
    assert {e["rule"] for e in r.json()["evaluations"]} == {"live_mae_gap"}
    tripped = False
    for _ in range(4):  # predictions for the west district run 6 minutes late
        pred, y, district = stream(1000, 6.0)
        r = _post(kenv, "trip-minutes", pred, y, district)
        assert r.status_code == 201, r.text
        if r.json()["tripped"]:
            tripped = True
            break
    assert tripped and _state(kenv, "trip-minutes") == "SUSPENDED"
    evidence = _trip_evidence(kenv, "trip-minutes")
    assert "live_mae_gap" in evidence and "'west'" in evidence and "welch" in evidence


def test_raw_scores_are_decided_at_the_filings_threshold_and_trip_a_selection_gap(kenv):
    _activate(
        kenv,
        "risk-rank",
        algorithm_type="ranking",
        target={"name": "risk", "threshold": 0.0},
    )
    rng = np.random.default_rng(2)

    def stream(n, shift):
        district = DISTRICTS[rng.integers(0, 4, n)]
        score = rng.normal(0, 2, n) + np.where(district == "south", shift, 0.0)  # raw scores
        outcome = (score + rng.normal(0, 0.5, n) > 0).astype(int)
        return score.round(4).tolist(), outcome.tolist(), district

    before = _stored(kenv, "risk-rank")
    r = _post(kenv, "risk-rank", ["high"] * 3, None, ["east"] * 3)
    assert r.status_code == 422 and "scores" in r.json()["message"]
    r = _post(kenv, "risk-rank", [0.3] * 3, [2, 0, 1], ["east"] * 3)
    assert r.status_code == 422 and "0/1" in r.json()["message"]
    assert _stored(kenv, "risk-rank") == before

    for _ in range(3):
        score, outcome, district = stream(1000, 0.0)
        r = _post(kenv, "risk-rank", score, outcome, district)
        assert r.status_code == 201 and r.json()["tripped"] is False, r.text
    assert {e["rule"] for e in r.json()["evaluations"]} == {
        "live_accuracy_floor",
        "live_mode_parity",
        "live_selection_gap",
    }  # the rates of a classifier at its threshold; no MAE
    tripped = False
    for _ in range(4):  # the south district's scores drift up: far more pass the threshold
        score, outcome, district = stream(1000, 3.0)
        r = _post(kenv, "risk-rank", score, outcome, district)
        assert r.status_code == 201, r.text
        if r.json()["tripped"]:
            tripped = True
            break
    assert tripped and _state(kenv, "risk-rank") == "SUSPENDED"
    assert "'south'" in _trip_evidence(kenv, "risk-rank")


def test_stored_batches_of_every_kind_decode_to_what_was_sent(tmp_path):
    from fairgate.registry.monitor.live_kind import LiveKind
    from fairgate.registry.monitor.observations import ObservationStore, parse_batch_dict
    from fairgate.registry.store.db import init_db, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'obs.db'}")
    init_db(engine)
    store = ObservationStore(engine)
    cases = [
        (LiveKind("regression"), [1.5, -2.0, 3.25], [1.0, None, 3.0]),
        (LiveKind("scores", threshold=0.0), [-3.5, 0.0, 12.0], [1, None, 0]),
        (LiveKind("multiclass", classes=("a", "b", "c")), ["c", "a", "b"], ["c", None, "a"]),
    ]
    for live, pred, out in cases:
        body = {
            "model": "m",
            "version": live.kind,
            "prediction": pred,
            "outcome": out,
            "sensitive": {"district": ["x", "y", None]},
        }
        sent = store.append(parse_batch_dict(body, live))
        (back,) = list(store.batches("m", live.kind))
        assert back.kind == live.kind and back.classes == live.classes and back.id == sent.id
        np.testing.assert_array_equal(back.prediction, sent.prediction)
        np.testing.assert_array_equal(back.outcome, sent.outcome)
        assert back.known_outcome.tolist() == [True, False, True]
        assert back.values("district").tolist() == ["x", "y", "(missing)"]


def test_status_client_sends_labels_and_numbers_and_refuses_nan_at_the_call(kenv):
    from fairgate.errors import ValidationError
    from fairgate.registry.client import StatusClient

    _activate(kenv, "mode-client", target={"name": "mode", "classes": CLASSES})
    _activate(kenv, "minutes-client", algorithm_type="regression", target={"name": "minutes"})
    with StatusClient(kenv.url, kenv.tokens["operations"], flush_interval=60) as client:
        client.observe("mode-client", "1", "bus", {"district": "east"}, outcome="car")
        client.observe("mode-client", "1", np.str_("walk"), {"district": "west"})
        client.observe("minutes-client", "1", np.float64(31.5), {"district": "east"}, 29.0)
        client.observe("minutes-client", "1", 12, {"district": "north"})
        with pytest.raises(ValidationError, match="prediction"):
            client.observe("minutes-client", "1", float("nan"), {"district": "east"})
        with pytest.raises(ValidationError, match="outcome"):
            client.observe("minutes-client", "1", 3.0, {"district": "east"}, [1])
        assert client.flush() == 4 and client.dropped == 0
        client.observe("mode-client", "1", "plane", {"district": "east"})  # not a filed class
        client.flush()
        assert client.sent == 4 and client.dropped == 1  # refused by the service: dropped
        assert "plane" in str(client.last_error)
    assert _stored(kenv, "mode-client") == 1 and _stored(kenv, "minutes-client") == 1
