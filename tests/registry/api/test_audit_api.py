"""A real audit over REST: the vendor uploads a model and its evaluation data, files it, the
committee starts the audit, reads the report, and approves on the strength of that audit."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def model_and_data(tmp_path_factory):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("audit-api")
    rng = np.random.default_rng(3)
    n = 3000
    frame = pd.DataFrame(
        {
            "income": rng.normal(50, 10, n),
            "debt": rng.normal(10, 3, n),
            "sex": rng.choice(["F", "M"], n),
        }
    )
    frame["approved"] = (frame["income"] - 2 * frame["debt"] + rng.normal(0, 5, n) > 30).astype(int)
    model = LogisticRegression().fit(frame[["income", "debt"]], frame["approved"])
    sio.dump(model, folder / "model.skops")
    frame.to_parquet(folder / "eval.parquet", index=False)
    return folder / "model.skops", folder / "eval.parquet"


def test_audit_over_rest_then_approve(env, model_and_data):
    model_path, data_path = model_and_data
    name, version = "lending-rest", "1"
    filing = env.filing(name, version)
    filing["features"] = [
        {"name": "income", "description": "yearly income (k)", "type": "numeric"},
        {"name": "debt", "description": "outstanding debt (k)", "type": "numeric"},
    ]
    filing["target"] = {
        "name": "approved",
        "positive_label": 1,
        "favourable_outcome": "loan approved",
    }
    filing["sensitive_variables"] = ["sex"]
    filing["prohibited_variables"] = ["sex"]
    model_up = env.upload("acme", model_path)
    data_up = env.upload("acme", data_path)
    with env.client("acme") as vendor:
        r = vendor.post("/v1/models", json={"filing": filing, "upload_id": model_up["upload_id"]})
        assert r.status_code == 201, r.text
    with env.client("committee") as c:
        # approving before any audit is refused, naming the allowed actions
        r = c.post(
            f"/v1/models/{name}/{version}/decisions",
            json={"action": "approve", "rationale": "looks fine to me"},
        )
        assert r.status_code == 409, r.text
        r = c.post(
            f"/v1/models/{name}/{version}/audits",
            json={"data_upload_id": data_up["upload_id"], "lang": "zh"},
        )
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 120
        audits = []
        while time.monotonic() < deadline and not audits:
            audits = c.get(f"/v1/models/{name}/{version}/audits").json()["audits"]
            time.sleep(0.2)
        assert audits, "the audit did not finish within 120 s"
        audit = audits[-1]
        assert audit["artifact_sha256"] == model_up["sha256"]
        assert audit["verdict"] in ("pass", "warn", "fail")
        report = c.get(f"/v1/models/{name}/{version}/report")
        assert report.status_code == 200
        assert "<html" in report.text and 'lang="zh' in report.text
        if audit["passed"]:
            r = c.post(
                f"/v1/models/{name}/{version}/decisions",
                json={"action": "approve", "rationale": "the REST audit passed every rule"},
            )
            assert r.status_code == 200, r.text
            assert r.json()["state"] == "ACTIVE"
    # another vendor may neither read the filing nor download its report
    with env.client("other") as other:
        assert other.get(f"/v1/models/{name}/{version}").status_code == 403
        assert other.get(f"/v1/models/{name}/{version}/report").status_code == 403
