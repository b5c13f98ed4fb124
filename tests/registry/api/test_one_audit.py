"""One audit use case: the REST audit, the CLI audit and the demo's audit of the same filed model
give the same audit.json under the filing's policy; a swapped artifact is refused by all three;
a failing audit started over REST is visible over REST with its error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fairgate.errors import ArtifactIntegrityError

FEATURES = ["year", "age", "employed", "citizen", "checks"]


@pytest.fixture(scope="module")
def arrests(tmp_path_factory):
    """A logistic regression trained here on the Toronto arrests data, and its audit data."""
    import skops.io as sio
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from fairgate.demo.data import load_arrests_frame

    folder = tmp_path_factory.mktemp("one-audit")
    data = load_arrests_frame(0)
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["employed", "citizen"]),
            ("num", "passthrough", ["year", "age", "checks"]),
        ]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))])
    model.fit(data.train[FEATURES], data.train["released"])
    sio.dump(model, folder / "model.skops")
    other = Pipeline([("pre", pre), ("clf", LogisticRegression(C=0.01, max_iter=500))])
    sio.dump(other.fit(data.train[FEATURES], data.train["released"]), folder / "other.skops")
    data.audit.to_parquet(folder / "eval.parquet", index=False)
    data.audit.drop(columns=["released"]).to_parquet(folder / "no-target.parquet", index=False)
    return folder


def _filing(env, name: str) -> dict:
    body = env.filing(name, "1")
    keep = set(FEATURES)
    body["features"] = [f for f in body["features"] if f["name"] in keep]
    body["sensitive_variables"] = ["colour", "sex"]
    body["policy"] = "city-example"  # not the default: every path must use the filing's
    return body


def _file(env, name: str, model: Path) -> dict:
    up = env.upload("acme", model)
    with env.client("acme") as vendor:
        r = vendor.post(
            "/v1/models", json={"filing": _filing(env, name), "upload_id": up["upload_id"]}
        )
        assert r.status_code == 201, r.text
        return r.json()


def _wait_audits(client, name: str, count: int, timeout: float = 300.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    audits: list[dict] = []
    while time.monotonic() < deadline:
        audits = client.get(f"/v1/models/{name}/1/audits").json()["audits"]
        if len(audits) >= count:
            return audits
        time.sleep(0.25)
    raise AssertionError(f"no audit {count} of {name} within {timeout} s: {audits}")


def _cli(home: Path, *args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAIRGATE_HOME": str(home), "COLUMNS": "150"}
    env.pop("FAIRGATE_BREAKER_POLICY", None)
    cmd = [sys.executable, "-c", "from fairgate.cli import main; main()", *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def _comparable(audit_json: Path) -> dict:
    """audit.json without what differs between runs by design: times, timings, file paths."""

    def strip(value):
        if isinstance(value, dict):
            return {
                k: strip(v)
                for k, v in value.items()
                if k not in {"created_at", "timings", "path", "report_path"}
            }
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(audit_json.read_text(encoding="utf-8")))


@pytest.mark.slow
def test_rest_cli_and_demo_audits_agree_and_refuse_a_swapped_artifact(env, arrests, tmp_path):
    from fairgate.demo import audit_version
    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    name = "arrests-one"
    filed = _file(env, name, arrests / "model.skops")
    home = env.server.home
    registry = Registry(Settings(home=home))

    # REST: the committee starts the audit on uploaded evaluation data
    data_up = env.upload("acme", arrests / "eval.parquet")
    with env.client("committee") as c:
        r = c.post(f"/v1/models/{name}/1/audits", json={"data_upload_id": data_up["upload_id"]})
        assert r.status_code == 202, r.text
        assert r.json()["policy"] == "city-example@1"  # the published version assigned
        rest = _wait_audits(c, name, 1)[-1]
    assert rest["status"] == "completed" and rest["error"] is None, rest
    assert "report_path" not in rest  # no server path leaves the service

    # CLI: the same filed version, audited from the command line
    run = _cli(
        home, "audit", f"{name}@1", arrests / "eval.parquet", "--out", tmp_path / "cli", "--quiet"
    )
    assert run.returncode == 0, run.stderr
    assert "policy: city-example" in run.stdout

    # the demo's path: the function `fairgate demo` audits each filed version with
    demo = audit_version(registry, name, "1", arrests / "eval.parquet", out_dir=tmp_path / "demo")

    records = registry.audits(name, "1")
    assert [a.status for a in records] == ["completed"] * 3
    rest_json = Path(records[0].report_path).parent / "audit.json"  # the server's own record
    assert {a.artifact_sha256 for a in records} == {filed["artifact_sha256"]}
    assert [a.actor for a in records][1:] == [
        "fairgate audit (CLI)",
        "fairgate audit runner (demo)",
    ]
    results = [_comparable(rest_json), _comparable(tmp_path / "cli" / "audit.json")]
    results.append(_comparable(demo.out_dir / "audit.json"))
    assert results[0]["policy"]["name"] == "city-example"
    assert results[0]["model"]["sha256"] == filed["artifact_sha256"]
    assert results[0]["filing"]["sensitive"] == ["colour", "sex"]
    assert results[0] == results[1] == results[2]

    # swap the stored artifact for another model: every path refuses it and records nothing
    stored = registry.artifact_path(name, "1")
    stored.write_bytes((arrests / "other.skops").read_bytes())
    with env.client("committee") as c:
        r = c.post(f"/v1/models/{name}/1/audits", json={"data_upload_id": data_up["upload_id"]})
        assert r.status_code == 409, r.text
        assert (
            r.json()["error"] == "artifact_integrity" and "changed on disk" in r.json()["message"]
        )
    run = _cli(home, "audit", f"{name}@1", arrests / "eval.parquet", "--out", tmp_path / "cli2")
    assert run.returncode == 2 and "changed on disk" in run.stderr, run.stderr
    with pytest.raises(ArtifactIntegrityError, match="changed on disk"):
        audit_version(registry, name, "1", arrests / "eval.parquet", out_dir=tmp_path / "demo2")
    assert len(registry.audits(name, "1")) == 3
    assert not (tmp_path / "cli2").exists() and not (tmp_path / "demo2").exists()


def test_a_failing_rest_audit_is_visible_over_rest_with_its_error(env, arrests):
    name = "arrests-failing"
    _file(env, name, arrests / "model.skops")
    data_up = env.upload("acme", arrests / "no-target.parquet")
    with env.client("committee") as c:
        r = c.post(f"/v1/models/{name}/1/audits", json={"data_upload_id": data_up["upload_id"]})
        assert r.status_code == 202, r.text
        failed = _wait_audits(c, name, 1)[-1]
        assert failed["status"] == "failed" and failed["passed"] is False
        assert failed["verdict"] == "error" and "released" in failed["error"], failed
        one = c.get(f"/v1/models/{name}/1/audits/{failed['id']}")
        assert one.status_code == 200 and one.json()["error"] == failed["error"]
        shown = c.get(f"/v1/models/{name}/1").json()
        assert shown["model"]["state"] == "FILED"  # a failed audit is no audit of the model
        assert shown["latest_audit"]["status"] == "failed"
        assert shown["latest_audit"]["error"] == failed["error"]
        report = c.get(f"/v1/models/{name}/1/report")
        assert report.status_code == 404 and "released" in report.json()["message"]
        r = c.post(
            f"/v1/models/{name}/1/decisions",
            json={"action": "approve", "rationale": "the audit ran, so approve it"},
        )
        assert r.status_code == 409, r.text
        events = c.get("/v1/ledger", params={"limit": 1000}).json()["events"]
        mine = [e for e in events if e["name"] == name]
        assert [e["kind"] for e in mine] == ["file", "policy_assign", "audit_failed"]
        assert mine[-1]["payload"]["error"] == failed["error"]
    with env.client("other") as other:  # another vendor sees none of it
        assert other.get(f"/v1/models/{name}/1/audits/{failed['id']}").status_code == 403
