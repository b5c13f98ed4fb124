"""Over REST: names are owned by the first vendor to file them, an admin transfers them, and a
hostile artifact uploaded and filed over REST is a 4xx with a message (never a 5xx)."""

from __future__ import annotations

import pickle

import pytest


def _events(env, kind: str) -> list:
    return [e for e in env.registry.events() if e.kind == kind]


def test_another_vendor_cannot_file_or_read_an_owned_name(env):
    with env.client("acme") as c:
        r = c.post("/v1/models", json={"filing": env.filing("shared", "1")})
        assert r.status_code == 201
        # a declared input the policy prohibits is reported to the vendor at filing
        assert any("'sex'" in f and "prohibited" in f for f in r.json()["findings"])
    with env.client("other") as c:
        r = c.post("/v1/models", json={"filing": env.filing("shared", "2")})
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
        assert "belongs to another vendor" in r.json()["message"]
        assert "acme" not in r.json()["message"]  # the owner is not disclosed
        assert c.get("/v1/models/shared/1").status_code == 403
        assert "shared" not in [m["name"] for m in c.get("/v1/models").json()["models"]]
    public = [m for m in env.registry.public_listing() if m["name"] == "shared"]
    assert [(m["version"], m["vendor"]) for m in public] == [("1", "acme")]
    with env.client("other") as c:  # a vendor cannot take the name either
        r = c.post("/v1/names/shared/owner", json={"vendor": "other", "rationale": "mine now"})
        assert r.status_code == 403
    with env.client("committee") as c:
        assert c.get("/v1/names/shared").json() == {"name": "shared", "owner": "acme"}
        assert c.get("/v1/names/never-filed").status_code == 404


def test_admin_transfers_a_name_and_it_is_ledgered(env):
    with env.client("acme") as c:
        assert c.post("/v1/models", json={"filing": env.filing("handover", "1")}).status_code == 201
    with env.client("admin") as c:
        r = c.post(
            "/v1/names/handover/owner",
            json={"vendor": "other", "rationale": "the service moved to department B"},
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"name": "handover", "owner": "other", "previous": "acme"}
        assert (
            c.post(
                "/v1/names/nope/owner", json={"vendor": "x", "rationale": "moving an unknown name"}
            ).status_code
            == 404
        )
    with env.client("other") as c:
        assert c.get("/v1/models/handover/1").status_code == 200
        assert c.post("/v1/models", json={"filing": env.filing("handover", "2")}).status_code == 201
    with env.client("acme") as c:
        assert c.get("/v1/models/handover/1").status_code == 403
        assert c.post("/v1/models", json={"filing": env.filing("handover", "3")}).status_code == 403
    (event,) = [e for e in _events(env, "transfer_name") if e.name == "handover"]
    assert event.payload["from"] == "acme" and event.payload["to"] == "other"
    assert event.actor.startswith("admin")
    assert env.registry.verify_ledger().ok


@pytest.mark.parametrize("kind", ["pickle", "corrupt"])
def test_hostile_upload_refused_at_filing_with_a_message(env, tmp_path, kind):
    marker = tmp_path / "marker.txt"
    if kind == "pickle":

        class Payload:
            def __reduce__(self):
                return (exec, (f"open({str(marker)!r}, 'w').write('ran')",))

        body = pickle.dumps(Payload())
    else:
        body = b"PK\x03\x04" + b"\x00" * 200
    name = f"hostile-{kind}"
    with env.client("acme") as c:
        r = c.post("/v1/artifacts", params={"filename": "model.skops"}, content=body)
        assert r.status_code == 201, r.text
        r = c.post(
            "/v1/models",
            json={"filing": env.filing(name, "1"), "upload_id": r.json()["upload_id"]},
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "model_load_error" and "model.skops" in r.json()["message"]
        assert c.get(f"/v1/models/{name}/1").status_code == 404
    assert not marker.exists()
