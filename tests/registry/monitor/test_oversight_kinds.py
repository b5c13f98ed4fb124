"""Human review of every model kind, live: scores, class labels and numbers, on a real server.

Each kind is filed with a policy whose oversight section says which of its decisions are adverse
(a score below the threshold, the class ``deny``, an amount below 100). People review every
adverse decision and override some; when they override one group three times as often as the
other, the override-gap rule suspends the model with its evidence in the ledger, and a balanced
stream trips nothing. A final decision that does not fit the kind is refused with a 422 and
nothing is stored; ``StatusClient.observe`` reports class labels and numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
import yaml

from fairgate.audit.policy.oversight import LIMIT_KINDS
from fairgate.registry.client import StatusClient
from fairgate.registry.monitor.live_kind import LiveKind
from fairgate.registry.monitor.observations import ObservationStore, batches_table
from tests.fixtures.service import filing, record_passing_audit

TIERS = np.array(["deny", "partial", "full"], dtype=object)

LIMITS = yaml.safe_load(
    """
    min_review_share: 0.2               # people review a fifth of the decisions or more
    max_automated_adverse_share: 0.9
    max_override_rate: 0.6
    max_override_gap: {kind: difference, threshold: 0.1}
    window: {kind: sliding, size: 2000}
    min_samples: 100
    alpha: 0.001
    """
)

KINDS = {
    "scores": (
        {"algorithm_type": "ranking", "target": {"name": "risk", "threshold": 0.5}},
        {"threshold": 0.5, "adverse_decisions": [0]},
    ),
    "multiclass": (
        {"target": {"name": "tier", "classes": list(TIERS)}},
        {"adverse_decisions": ["deny"]},
    ),
    "regression": (
        {"algorithm_type": "regression", "target": {"name": "amount"}},
        {"adverse_below": 100},
    ),
}


@pytest.fixture(scope="module")
def policies(plain_env):
    with plain_env.client("committee") as c:
        for kind, (_, adverse) in KINDS.items():
            body = {"name": f"oversight-{kind}", "oversight": {**adverse, **LIMITS}}
            r = c.post("/v1/policies", json={"policy": body})
            assert r.status_code in (200, 201), r.text


def _serve(env, name: str, kind: str) -> tuple[str, str]:
    """File (with the kind's policy), audit and approve ``name`` version 1."""
    body = {**filing(name, "1"), **KINDS[kind][0], "policy": f"oversight-{kind}"}
    body["target"] = {**filing(name, "1")["target"], **KINDS[kind][0].get("target", {})}
    with env.client("acme") as c:
        assert c.post("/v1/models", json={"filing": body}).status_code == 201
    record_passing_audit(env, name, "1")
    decision = {"action": "approve", "rationale": "the audit passed"}
    with env.client("committee") as c:
        assert c.post(f"/v1/models/{name}/1/decisions", json=decision).status_code == 200
    return name, "1"


def _decisions(kind: str, rng: np.random.Generator, n: int) -> tuple[list, np.ndarray, list]:
    """Predictions, which are adverse, and the decision a person who overrides takes."""
    if kind == "scores":
        score = rng.random(n).round(4)
        return score.tolist(), score < 0.5, (score < 0.5).astype(int).tolist()
    if kind == "multiclass":
        code = rng.integers(0, 3, n)
        return TIERS[code].tolist(), code == 0, TIERS[(code + 1) % 3].tolist()
    amount = rng.uniform(0, 200, n).round(2)
    return amount.tolist(), amount < 100, (amount + 50).tolist()


def _model_decision(kind: str, prediction: list) -> list:
    return [int(p >= 0.5) for p in prediction] if kind == "scores" else prediction


def _batch(model, kind, rng, n, override):
    """Every adverse decision (and 5% of the others) reviewed; overridden at ``override[sex]``."""
    sex = rng.choice(["F", "M"], size=n)
    prediction, adverse, changed = _decisions(kind, rng, n)
    reviewed = adverse | (rng.random(n) < 0.05)
    rate = np.where(sex == "F", override["F"], override["M"])
    overridden = reviewed & adverse & (rng.random(n) < rate)
    decided = _model_decision(kind, prediction)
    final = [
        (changed[i] if overridden[i] else decided[i]) if reviewed[i] else None for i in range(n)
    ]
    body = {
        "model": model[0],
        "version": model[1],
        "prediction": prediction,
        "sensitive": {"sex": sex.tolist()},
        "reviewed": reviewed.tolist(),
        "final_decision": final,
    }
    if kind == "scores":  # sent; the other kinds let the service derive it
        body["overridden"] = overridden.tolist()
    return body


def _post_until_trip(env, bodies: list[dict]) -> list[dict]:
    """Post the batches in turn, stopping after the one that trips; the answer of each."""
    answers: list[dict] = []
    with env.client("operations") as c:
        while bodies and not (answers and answers[-1]["tripped"]):
            r = c.post("/v1/observations", json=bodies.pop(0))
            assert r.status_code == 201, r.text
            answers.append(r.json())
    return answers


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_balanced_stream_of_every_kind_does_not_trip(plain_env, policies, kind):
    model = _serve(plain_env, f"balanced-{kind}", kind)
    rng = np.random.default_rng(11)
    even = {"F": 0.1, "M": 0.1}
    answers = _post_until_trip(plain_env, [_batch(model, kind, rng, 500, even) for _ in range(8)])
    assert len(answers) == 8 and not any(a["tripped"] for a in answers)
    judged = {e["rule"]: e["status"] for e in answers[-1]["evaluations"]}
    assert judged == {f"{limit}.sex": "ok" for limit in LIMIT_KINDS}  # every limit judged: ok


@pytest.mark.parametrize("kind", list(KINDS))
def test_overriding_one_group_far_more_often_trips_the_gap_rule_of_every_kind(
    plain_env, policies, kind
):
    model = _serve(plain_env, f"gap-{kind}", kind)
    rng = np.random.default_rng(12)
    uneven = {"F": 0.3, "M": 0.1}
    bodies = [_batch(model, kind, rng, 500, uneven) for _ in range(8)]
    answers = _post_until_trip(plain_env, bodies)
    assert answers[-1]["tripped"] and answers[-1]["state"] == "SUSPENDED"
    trips = [e for e in plain_env.registry.events() if e.name == model[0]]
    trip = [e for e in trips if e.kind == "breaker_trip"][-1]
    evidence = trip.payload["evidence"]
    assert trip.payload["rule"] == "max_override_gap.sex"
    assert evidence["compared"] == [["M"], ["F"]]
    assert evidence["statistic"] > 0.1 and evidence["p_value"] < 0.001
    assert evidence["policy"]["name"] == f"oversight-{kind}"
    # the kind's adverse decisions were recognised as adverse, and every one was reviewed
    cells = np.asarray(evidence["counts"]["automated_kept_overridden_by_adverse"])
    assert cells[:, 3].sum() == 0 and cells[:, 4:].sum() > 0.25 * cells.sum()


def _stored(env, name: str) -> int:
    t = batches_table
    with env.registry.engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(t).where(t.c.model == name)
        return conn.execute(query).scalar_one()


REFUSALS = [
    ("scores", [0.7, 1, 0, 1], None, "final_decision"),
    ("scores", [1, 1, 0, 1], [False, False, False, False], "but overridden is false"),
    ("multiclass", ["plane", "deny", "full", "full"], None, "classes"),
    ("multiclass", ["full", "deny", "full", "full"], [False] * 4, "but overridden is false"),
    ("regression", ["lots", 1.0, 2.0, 3.0], None, "numeric decisions"),
    ("regression", [10.0, 20.0, 150.0, 190.0], [True] * 4, "equals the model's decision"),
]


@pytest.fixture(scope="module")
def refusal_models(plain_env, policies):
    return {kind: _serve(plain_env, f"refusals-{kind}", kind) for kind in KINDS}


@pytest.mark.parametrize(("kind", "final", "overridden", "message"), REFUSALS)
def test_a_final_decision_that_does_not_fit_the_kind_is_refused(
    plain_env, refusal_models, kind, final, overridden, message
):
    name = refusal_models[kind][0]
    prediction = {
        "scores": [0.2, 0.9, 0.1, 0.6],
        "multiclass": ["deny", "deny", "full", "full"],
        "regression": [10.0, 20.0, 150.0, 190.0],
    }[kind]
    body = {
        "model": name,
        "version": "1",
        "prediction": prediction,
        "sensitive": {"sex": ["F", "M", "F", "M"]},
        "reviewed": [True] * 4,
        "final_decision": final,
    }
    if overridden is not None:
        body["overridden"] = overridden
    with plain_env.client("operations") as c:
        r = c.post("/v1/observations", json=body)
    assert r.status_code == 422, r.text
    assert message in r.json()["message"]
    assert _stored(plain_env, name) == 0


def test_status_client_reports_reviews_of_labels_and_numbers(plain_env, policies):
    labels = _serve(plain_env, "client-tiers", "multiclass")
    amounts = _serve(plain_env, "client-amounts", "regression")
    with StatusClient(plain_env.url, plain_env.tokens["operations"], flush_interval=60) as fg:
        fg.observe(*labels, "deny", {"sex": "F"}, reviewed=True, final_decision="partial")
        fg.observe(*labels, "deny", {"sex": "M"}, reviewed=True, final_decision="deny")
        fg.observe(*labels, "full", {"sex": "M"}, reviewed=False)
        fg.observe(*amounts, 40.0, {"sex": "F"}, reviewed=True, final_decision=np.float64(90.5))
        fg.observe(*amounts, 60, {"sex": "M"}, reviewed=True, overridden=False, final_decision=60)
        fg.observe(*amounts, 150.0, {"sex": "M"}, reviewed=False)
        assert fg.flush() == 6 and fg.dropped == 0, fg.last_error
        fg.observe(*labels, "deny", {"sex": "F"}, reviewed=True, final_decision="plane")
        fg.flush()
        assert fg.dropped == 1 and "plane" in str(fg.last_error)  # the service refused it
    store = ObservationStore(plain_env.registry.engine)
    (tiers,) = list(store.batches(*labels))
    assert tiers.reviews.reviewed.tolist() == [True, True, False]
    assert tiers.reviews.overridden.tolist() == [True, False, False]
    assert tiers.reviews.final.tolist() == [1, 0, -1]  # codes of partial, deny; not given
    (money,) = list(store.batches(*amounts))
    assert money.reviews.overridden.tolist() == [True, False, False]
    np.testing.assert_array_equal(money.reviews.final, [90.5, 60.0, np.nan])
    assert money.reviews.given.tolist() == [True, True, False]


def test_stored_reviews_of_every_kind_decode_to_what_was_sent(tmp_path):
    from fairgate.registry.monitor.observations import parse_batch_dict
    from fairgate.registry.store.db import init_db, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'obs.db'}")
    init_db(engine)
    store = ObservationStore(engine)
    cases = [
        (LiveKind("scores", threshold=0.0), [-1.5, 2.0, 0.0], [1, None, 1], [1, 0, 0]),
        (
            LiveKind("multiclass", classes=tuple(TIERS)),
            ["deny", "full", "full"],
            ["full", None, "full"],
            [1, 0, 0],
        ),
        (LiveKind("regression"), [10.0, 20.0, 30.0], [15.0, None, 30.0], [1, 0, 0]),
    ]
    for live, prediction, final, overridden in cases:
        body = {
            "model": "m",
            "version": live.kind,
            "prediction": prediction,
            "sensitive": {"sex": ["F", "M", "F"]},
            "reviewed": [True, False, True],
            "final_decision": final,
        }
        sent = store.append(parse_batch_dict(body, live))
        (back,) = list(store.batches("m", live.kind))
        assert back.reviews.overridden.tolist() == [bool(o) for o in overridden]
        assert back.reviews.given.tolist() == [True, False, True]
        np.testing.assert_array_equal(back.reviews.final, sent.reviews.final)
        assert back.reviews.final.dtype == sent.reviews.final.dtype
