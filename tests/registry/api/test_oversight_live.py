"""Oversight watched live, end to end: a real server, a committee policy, caseworkers' streams.

A benefits model denies about half of the applicants; every denial goes to a caseworker, who
overrides some. When caseworkers override denials for one group three times as often as for the
other, the override-gap rule suspends the model; when reviews stop, the review-share rule does;
a balanced stream trips nothing. Malformed review columns are refused and store nothing.
"""

from __future__ import annotations

import httpx
import numpy as np
import pytest
import sqlalchemy as sa

from fairgate.errors import ValidationError
from fairgate.registry.client import StatusClient
from fairgate.registry.monitor.observations import ObservationStore, batches_table
from fairgate.registry.monitor.oversight import automation_shares

POLICY = {
    "name": "oversight-test",
    "oversight": {
        "threshold": 0.5,
        "adverse_decisions": [0],
        "route_to_human": [{"id": "denials", "adverse": "all"}],
        "min_review_share": 0.2,
        "max_automated_adverse_share": 0.9,
        "max_override_rate": 0.6,
        "max_override_gap": {"kind": "difference", "threshold": 0.1},
        "window": {"kind": "sliding", "size": 2000},
        "min_samples": 100,
        "alpha": 0.001,
    },
}


@pytest.fixture(scope="module")
def policy(plain_env):
    with plain_env.client("committee") as c:
        r = c.post("/v1/policies", json={"policy": POLICY})
        assert r.status_code in (200, 201), r.text
    return POLICY["name"]


def _activate(env, name: str, policy: str) -> tuple[str, str]:
    return env.activate(name, "1", policy=policy)


def _batch(model, rng, n, override, *, reviews=True):
    """``n`` decisions; every denial reviewed, and overridden with ``override[sex]``."""
    sex = rng.choice(["F", "M"], size=n)
    prediction = (rng.random(n) < 0.5).astype(int)
    reviewed = (prediction == 0) | (rng.random(n) < 0.05)
    rate = np.where(sex == "F", override["F"], override["M"])
    overridden = reviewed & (prediction == 0) & (rng.random(n) < rate)
    if not reviews:
        reviewed[:] = overridden[:] = False
    final = np.where(overridden, 1 - prediction, prediction)
    return {
        "model": model[0],
        "version": model[1],
        "prediction": prediction.tolist(),
        "sensitive": {"sex": sex.tolist()},
        "reviewed": reviewed.tolist(),
        "overridden": overridden.tolist(),
        "final_decision": final.tolist(),
    }


def _stream(env, model, batches):
    """Post batches until one trips; the answer of each."""
    answers = []
    with env.client("operations") as c:
        for body in batches:
            r = c.post("/v1/observations", json=body)
            assert r.status_code == 201, r.text
            answers.append(r.json())
            if r.json()["tripped"]:
                break
    return answers


def _trip_event(env, model):
    events = [e for e in env.registry.events() if e.name == model[0] and e.kind == "breaker_trip"]
    return events[-1] if events else None


def test_the_status_answer_carries_the_oversight_rules(plain_env, policy):
    model = _activate(plain_env, "benefits-status", policy)
    with plain_env.client("operations") as c:
        first = c.get(f"/v1/status/{model[0]}/1")
        again = c.get(f"/v1/status/{model[0]}/1", headers={"If-None-Match": first.headers["etag"]})
    rules = first.json()["oversight"]
    assert rules["route_to_human"] == [{"id": "denials", "adverse": "all", "description": ""}]
    assert rules["adverse_decisions"] == [0] and rules["min_review_share"] == 0.2
    assert again.status_code == 304
    # the client routes from the rules it holds
    with StatusClient(plain_env.url, plain_env.tokens["operations"], follow=False) as fg:
        assert fg.route(*model, decision=0) == "human"
        assert fg.route(*model, decision=1) == "auto"
        assert fg.route(*model, score=0.4) == "human"  # below the threshold: a denial
        assert fg.route("no-such-model", "1", decision=1) == "human"  # no rules known
        with pytest.raises(ValidationError, match="needs decision"):
            fg.route(*model)
        with pytest.raises(ValidationError, match="overridden=True needs reviewed=True"):
            fg.observe(*model, 0, {"sex": "F"}, reviewed=False, overridden=True)
    # a model whose policy has no oversight section says so
    other = _activate(plain_env, "benefits-no-oversight", "default")
    with plain_env.client("operations") as c:
        assert c.get(f"/v1/status/{other[0]}/1").json()["oversight"] is None


def test_a_balanced_stream_does_not_trip(plain_env, policy):
    env = plain_env
    model = _activate(env, "benefits-balanced", policy)
    rng = np.random.default_rng(1)
    answers = _stream(
        env, model, [_batch(model, rng, 500, {"F": 0.1, "M": 0.1}) for _ in range(12)]
    )
    assert len(answers) == 12 and not any(a["tripped"] for a in answers)
    judged = {e["rule"]: e["status"] for e in answers[-1]["evaluations"]}
    assert judged == {
        "min_review_share.sex": "ok",
        "max_automated_adverse_share.sex": "ok",
        "max_override_rate.sex": "ok",
        "max_override_gap.sex": "ok",
    }
    shares = automation_shares(ObservationStore(env.registry.engine), *model)
    assert shares.decisions == shares.reported == 6000
    assert 0.45 < shares.review_share < 0.6
    assert shares.automation_share == pytest.approx(1 - shares.review_share)
    assert 0.03 < shares.override_rate < 0.15
    # the public register shows the same shares, with no token
    public = httpx.get(f"{env.url}/public/register.json").json()
    entry = next(a for a in public["algorithms"] if a["name"] == model[0])
    assert entry["review_share_30_days"] == pytest.approx(shares.review_share)
    assert entry["automation_share_30_days"] == pytest.approx(shares.automation_share)
    page = httpx.get(f"{env.url}/public/models/{model[0]}", params={"lang": "en"}).text
    assert f"{100 * shares.review_share:.1f}% reviewed by a person" in page


def test_overriding_one_group_three_times_as_often_trips_the_gap_rule(plain_env, policy):
    env = plain_env
    model = _activate(env, "benefits-gap", policy)
    rng = np.random.default_rng(2)
    answers = _stream(
        env, model, [_batch(model, rng, 500, {"F": 0.3, "M": 0.1}) for _ in range(12)]
    )
    assert answers[-1]["tripped"] and answers[-1]["state"] == "SUSPENDED"
    event = _trip_event(env, model)
    evidence = event.payload["evidence"]
    assert event.payload["rule"] == "max_override_gap.sex"
    assert evidence["oversight"] == "max_override_gap"
    assert evidence["compared"] == [["M"], ["F"]]
    assert evidence["statistic"] > 0.1 and evidence["p_value"] < 0.001
    assert evidence["policy"]["name"] == "oversight-test"
    with env.client("operations") as c:
        assert c.get(f"/v1/status/{model[0]}/1").json()["may_serve"] is False


def test_the_serving_side_routes_and_reports_with_the_client(plain_env, policy):
    """StatusClient.route sends denials to caseworkers; observe() reports what they did."""
    env = plain_env
    model = _activate(env, "benefits-client", policy)
    rng = np.random.default_rng(2)
    override = {"F": 0.3, "M": 0.1}
    routed = []
    with StatusClient(env.url, env.tokens["operations"], oversight_seed=5) as fg:
        for _ in range(6000):
            if not fg.may_serve(*model):
                break
            sex = str(rng.choice(["F", "M"]))
            score = float(rng.random())
            decision = int(score >= 0.5)
            route = fg.route(*model, score=score, decision=decision, groups={"sex": sex})
            routed.append((decision, route))
            reviewed = route == "human"
            final = 1 - decision if reviewed and rng.random() < override[sex] else decision
            fg.observe(*model, decision, {"sex": sex}, reviewed=reviewed, final_decision=final)
            if len(routed) % 500 == 0:
                fg.flush()
                fg.status(*model, refresh=True)
        fg.flush()
        assert fg.dropped == 0, fg.last_error
    # every denial, and only denials, went to a caseworker
    assert set(routed) == {(0, "human"), (1, "auto")}
    event = _trip_event(env, model)
    assert event is not None and event.payload["rule"] == "max_override_gap.sex"
    assert len(routed) < 6000  # serving stopped once the breaker tripped


def test_reviews_that_stop_trip_the_review_share_rule(plain_env, policy):
    env = plain_env
    model = _activate(env, "benefits-unreviewed", policy)
    rng = np.random.default_rng(3)
    even = {"F": 0.1, "M": 0.1}
    before = [_batch(model, rng, 500, even) for _ in range(4)]
    after = [_batch(model, rng, 500, even, reviews=False) for _ in range(8)]
    answers = _stream(env, model, before + after)
    assert not any(a["tripped"] for a in answers[:4])
    assert answers[-1]["tripped"]
    event = _trip_event(env, model)
    assert event.payload["rule"] == "min_review_share.sex"
    evidence = event.payload["evidence"]
    assert evidence["statistic"] < 0.2 and evidence["p_value"] < 0.001


def _count(env) -> int:
    with env.registry.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(batches_table)).scalar_one()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda b: b.pop("reviewed") and b.pop("overridden") and b.pop("final_decision"),
            "watch reviews; send 'reviewed'",
        ),
        (lambda b: b.pop("reviewed"), "sent without 'reviewed'"),
        (lambda b: b.update(reviewed=[False] * 10), "overridden without being reviewed"),
        (lambda b: b.update(overridden=[False] * 10), "but overridden is false"),
        (lambda b: b.update(reviewed=[1, 0]), "expected a list of 10 values"),
        (lambda b: b.update(reviewed=["yes"] * 10), "reviewed[0]: expected true/false"),
    ],
)
def test_bad_review_columns_are_refused_and_store_nothing(plain_env, policy, mutate, message):
    env = plain_env
    model = ("benefits-refusals", "1")
    body = {
        "model": model[0],
        "version": model[1],
        "prediction": [0] * 10,
        "sensitive": {"sex": ["F", "M"] * 5},
        "reviewed": [True] * 10,
        "overridden": [True] * 10,
        "final_decision": [1] * 10,
    }
    mutate(body)
    before = _count(env)
    with env.client("operations") as c:
        r = c.post("/v1/observations", json=body)
    assert r.status_code == 422, r.text
    assert message in r.json()["message"]
    assert _count(env) == before


@pytest.fixture(scope="module", autouse=True)
def _refusal_model(plain_env, policy):
    _activate(plain_env, "benefits-refusals", policy)
