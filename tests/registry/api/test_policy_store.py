"""The policy store: the committee publishes and assigns policies; a vendor cannot steer them."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import yaml

from fairgate.errors import NotFoundError, PolicyError, ValidationError
from fairgate.registry.store import Registry, ledger
from fairgate.registry.store.policies import PolicyStore, parse_policy_ref
from fairgate.registry.store.tables import policies
from fairgate.settings import Settings

LAX = """\
name: lax
breaker:
  - id: never
    metric: selection_rate
    kind: difference
    threshold: 1.0
    window: {kind: sliding, size: 100000}
    min_samples: 100000
"""


@pytest.fixture
def store(tmp_path):
    registry = Registry(Settings(home=tmp_path / "home"))
    return registry, PolicyStore(registry.engine)


def test_publish_versions_hashes_and_ledger(store):
    registry, policies = store
    first, created = policies.publish(LAX, actor="committee:a")
    assert created and first.ref == "lax@1"
    canonical = ledger.canonical_json(first.body)
    assert first.sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    again, created = policies.publish(LAX, actor="committee:a")
    assert not created and again.ref == "lax@1"  # same content: no new version
    second, created = policies.publish(LAX.replace("1.0", "0.9"), actor="committee:b")
    assert created and second.ref == "lax@2" and second.sha256 != first.sha256
    assert policies.get("lax").version == 2 and policies.get("lax@1").sha256 == first.sha256
    events = [e for e in registry.events() if e.kind == "policy_publish"]
    assert [(e.payload["policy"], e.payload["policy_version"]) for e in events] == [
        ("lax", 1),
        ("lax", 2),
    ]
    assert events[-1].payload["sha256"] == second.sha256 and events[-1].actor == "committee:b"
    assert registry.verify_ledger().ok


def test_invalid_policies_and_references_are_refused(store):
    _, policies = store
    with pytest.raises(PolicyError, match="threshold"):
        policies.publish(LAX.replace("threshold: 1.0", "threshold: lots"), actor="c")
    with pytest.raises(PolicyError, match="name"):
        policies.publish(LAX.replace("name: lax", "name: ../etc/passwd"), actor="c")
    for ref in ("/tmp/lax.yaml", "../lax.yaml", "lax.yaml/..", "Lax", "lax@0", "lax@x", "", "a b"):
        with pytest.raises(ValidationError):
            parse_policy_ref(ref)
    with pytest.raises(NotFoundError, match="not published"):
        policies.get("nobody-published-this")


def test_builtins_are_published_once_at_first_start(store):
    registry, policies = store
    first = policies.publish_builtins()
    assert {r.name for r in first} >= {"default", "city-example"}
    assert policies.publish_builtins() == []
    actors = {e.actor for e in registry.events() if e.kind == "policy_publish"}
    assert actors == {"fairgate"}


def test_assignment_is_ledgered_and_the_newest_wins(store, service_filing):
    registry, policies = store
    policies.publish_builtins()
    policies.publish(LAX, actor="committee:a")
    body = service_filing("assigned", "1")
    registry.file(body, actor="vendor:acme", vendor="acme")
    pinned = policies.governing("assigned", "1", body["policy"])
    assert pinned.name == "default"
    assigned = policies.assign(
        "assigned", "1", "city-example@1", actor="committee:b", rationale="stricter rules"
    )
    assert policies.assigned("assigned", "1") == assigned.policy
    event = [e for e in registry.events() if e.kind == "policy_assign"][-1]
    assert event.payload["policy"]["name"] == "city-example"
    assert event.payload["previous"]["name"] == "default"
    assert event.payload["rationale"] == "stricter rules"
    with pytest.raises(ValidationError, match="rationale"):
        policies.assign("assigned", "1", "lax", actor="committee:b", rationale=" ")


# ----------------------------------------------------------------------------- over HTTP
def _file(env, who, body):
    with env.client(who) as c:
        return c.post("/v1/models", json={"filing": body})


def test_only_the_committee_publishes_and_assigns(plain_env, service_filing):
    env = plain_env
    lax = yaml.safe_load(LAX)
    for who in ("acme", "operations", "public"):
        with env.client(who) as c:
            r = c.post("/v1/policies", json={"policy": lax})
            assert r.status_code == 403, r.text
            assert "committee" in r.json()["message"] and "admin" in r.json()["message"]
    with env.client("committee") as c:
        listed = c.get("/v1/policies").json()["policies"]
        assert {p["name"] for p in listed} >= {"default", "city-example", "service-test"}
        r = c.post("/v1/policies", json={"policy": {**lax, "name": "committee-lax"}})
        assert r.status_code == 201 and r.json()["version"] == 1, r.text
        r = c.post("/v1/policies", json={"policy": {**lax, "name": "committee-lax"}})
        assert r.status_code == 200 and r.json()["created"] is False
    assert _file(env, "acme", service_filing("assignable", "1")).status_code == 201
    with env.client("acme") as c:
        r = c.put(
            "/v1/models/assignable/1/policy",
            json={"policy": "committee-lax", "rationale": "I prefer this one"},
        )
        assert r.status_code == 403
        assert c.get("/v1/models/assignable/1/policy").json()["policy"]["name"] == "default"
    with env.client("committee") as c:
        r = c.put(
            "/v1/models/assignable/1/policy",
            json={"policy": "city-example", "rationale": "the city's own rules apply"},
        )
        assert r.status_code == 200, r.text
        got = c.get("/v1/models/assignable/1/policy").json()["policy"]
        assert got["name"] == "city-example" and got["version"] == 1 and len(got["sha256"]) == 64
        events = c.get("/v1/ledger", params={"limit": 1000}).json()["events"]
        assert any(
            e["kind"] == "policy_assign" and e["actor"].startswith("committee") for e in events
        )


def test_policy_bypass_is_refused_and_the_breaker_still_trips(plain_env, service_filing):
    env = plain_env
    # the vendor uploads a lax policy as an "artifact" ...
    with env.client("acme") as c:
        r = c.post(
            "/v1/artifacts",
            params={"filename": "policy.yaml"},
            content=LAX.encode(),
            headers={"Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 201, r.text
        assert str(env.server.home) not in r.text  # ... and learns no server path from it
        upload_id = r.json()["upload_id"]
    # ... and points its filing at that file, by any path it can think of: refused, nothing stored
    guesses = [
        str(env.server.home / "artifacts" / "uploads" / upload_id / "policy.yaml"),
        f"artifacts/uploads/{upload_id}/policy.yaml",
        "../policy.yaml",
        "lax",  # a name nobody published
    ]
    before = env.registry.events()
    for guess in guesses:
        body = service_filing("bypass", "1")
        body["policy"] = guess
        r = _file(env, "acme", body)
        assert r.status_code == 422, (guess, r.text)
        assert "policy" in r.text and str(env.server.home) not in r.text
    assert env.registry.events() == before
    with pytest.raises(NotFoundError):
        env.registry.get("bypass", "1")

    # filed with no policy: the default (committee-published) one governs it
    name, version = "bypass", "1"
    assert _file(env, "acme", service_filing(name, version)).status_code == 201
    env.record_audit(name, version)
    env.decide(name, version, "approve", "audit passed")
    with env.client("committee") as c:
        governing = c.get(f"/v1/models/{name}/{version}/policy").json()["policy"]
    assert governing["name"] == "default"
    # 0.95 vs 0.05 selection rates: the committee's breaker trips
    rng = np.random.default_rng(3)
    tripped = None
    with env.client("operations") as c:
        for _ in range(6):
            sex = ["F"] * 500 + ["M"] * 500
            pred = (rng.random(1000) < np.where(np.array(sex) == "F", 0.05, 0.95)).astype(int)
            r = c.post(
                "/v1/observations",
                json={
                    "model": name,
                    "version": version,
                    "prediction": pred.tolist(),
                    "sensitive": {"sex": sex},
                },
            )
            if r.status_code == 409:
                break
            assert r.status_code == 201, r.text
            if r.json()["tripped"]:
                tripped = r.json()
                break
        assert tripped is not None and tripped["state"] == "SUSPENDED"
        assert c.get(f"/v1/status/{name}/{version}").json()["may_serve"] is False
    with env.client("committee") as c:
        events = c.get("/v1/ledger", params={"limit": 1000}).json()["events"]
    trip = [e for e in events if e["kind"] == "breaker_trip" and e["name"] == name][-1]
    assert trip["payload"]["evidence"]["policy"] == governing  # name, version and hash recorded


def test_a_published_policy_name_can_govern_every_breaker(tmp_path, service_filing):
    registry = Registry(Settings(home=tmp_path / "home"))
    from fairgate.registry.api.app import Service

    with pytest.raises(ValidationError):  # a path is not a policy name
        Service(Settings(home=tmp_path / "home"), registry, breaker_policy="/etc/policy.yaml")
    with pytest.raises(NotFoundError):  # nor is a name nobody published
        Service(Settings(home=tmp_path / "home"), registry, breaker_policy="unpublished")
    service = Service(Settings(home=tmp_path / "home"), registry, breaker_policy="city-example")
    registry.file(service_filing("every", "1"), actor="vendor:acme", vendor="acme")
    assert service.policy_summary("every", "1")["name"] == "city-example"
    assert service.policy_for("every", "1").breaker[0].id.endswith(".sex")


def test_filing_schema_refuses_a_path(tmp_path, service_filing):
    registry = Registry(Settings(home=tmp_path / "home"))
    body = service_filing("pathy", "1")
    body["policy"] = "/etc/fairgate/lax.yaml"
    with pytest.raises(ValidationError, match="policy"):
        registry.file(body, actor="vendor:acme")


def test_cli_publishes_lists_and_assigns(tmp_path, monkeypatch, service_filing):
    from click.testing import CliRunner

    from fairgate.cli import main

    monkeypatch.setenv("FAIRGATE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FAIRGATE_DATABASE_URL", raising=False)
    policy = tmp_path / "lax.yaml"
    policy.write_text(LAX)
    runner = CliRunner()
    r = runner.invoke(main, ["policy", "publish", str(policy), "--by", "A. Member"])
    assert r.exit_code == 0 and "published lax@1" in r.output, r.output
    r = runner.invoke(main, ["policy", "list"])
    assert "lax@1" in r.output and "default@1" in r.output
    registry = Registry(Settings(home=tmp_path / "home"))
    registry.file(service_filing("cli-model", "1"), actor="vendor:acme", vendor="acme")
    r = runner.invoke(
        main,
        ["policy", "assign", "cli-model@1", "lax", "--rationale", "pilot", "--by", "B. Member"],
    )
    assert r.exit_code == 0 and "governed by lax@1" in r.output, r.output
    assert PolicyStore(registry.engine).assigned("cli-model", "1").ref == "lax@1"
    r = runner.invoke(main, ["policy", "show", str(policy)])  # a path is not a policy
    assert r.exit_code == 2 and "not a published policy" in r.output


def test_filing_reports_what_the_assigned_published_policy_prohibits(plain_env, service_filing):
    """Attack: the committee's policy prohibits age, the built-in policies do not. A vendor that
    files age as an input under that policy is told at filing, under that policy's name, not
    waved through because the built-ins allow it."""
    env = plain_env
    strict = {
        "name": "age-rules",
        "prohibited": ["age"],
        "sensitive_names": {"region": ["precinct"]},
        "rules": [{"id": "no_age", "kind": "prohibited"}],
    }
    with env.client("committee") as c:
        assert c.post("/v1/policies", json={"policy": strict}).status_code == 201
    body = service_filing("aged", "1")
    body["policy"] = "age-rules"
    r = _file(env, "acme", body)
    assert r.status_code == 201, r.text
    findings = r.json()["findings"]
    assert any("'age'" in f and "'age-rules@1'" in f for f in findings), findings
    assert not any("'sex'" in f for f in findings)  # sex is prohibited by the built-ins only
    filed = [e for e in env.registry.events() if e.kind == "file" and e.name == "aged"][-1]
    reported = filed.payload["checks"]["prohibited_inputs"]
    assert [(p["feature"], p["policy"]) for p in reported] == [("age", "age-rules@1")]
    # under the built-in default the same inputs report sex, not age
    r = _file(env, "acme", service_filing("aged", "2"))
    assert r.status_code == 201
    findings = r.json()["findings"]
    assert any("'sex'" in f and "'default@1'" in f for f in findings)
    assert not any("'age'" in f for f in findings)
    with env.client("committee") as c:
        governing = c.get("/v1/models/aged/1/policy").json()["policy"]
    assert governing["name"] == "age-rules"  # the policy checked at filing is the one assigned


def test_a_policy_published_before_descriptions_were_bilingual_still_loads(store):
    """An upgrade never makes a published policy unloadable; new ones need both languages."""
    _, store = store
    old = {
        "name": "legacy-rules",
        "rules": [
            {
                "id": "dp",
                "metric": "selection_rate",
                "kind": "ratio",
                "min": 0.8,
                "description": "selection rates within four fifths",
            }
        ],
    }
    with pytest.raises(PolicyError, match="both languages"):
        store.publish(old, actor="committee:test")
    body = json.dumps(old, sort_keys=True)
    with store.engine.begin() as conn:  # as an earlier release stored it
        conn.execute(
            policies.insert().values(
                name="legacy-rules",
                version=1,
                sha256=hashlib.sha256(body.encode()).hexdigest(),
                body=body,
                actor="committee:test",
                created_at=0.0,
            )
        )
    policy = store.get("legacy-rules@1").policy()
    rule = policy.rules[0]
    assert rule.description.en == rule.description.zh == "selection rates within four fifths"
