"""File a model logged to a local MLflow store, and mirror fairgate's decisions onto it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.mark.slow
def test_file_from_mlflow_and_mirror_state(tmp_path, registry, make_filing):
    mlflow = pytest.importorskip("mlflow")
    from sklearn.linear_model import LogisticRegression

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    exp = mlflow.create_experiment("fg", artifact_location=(tmp_path / "mlruns").as_uri())
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"income": rng.normal(size=200), "debt": rng.normal(size=200)})
    y = (X.income > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    with mlflow.start_run(experiment_id=exp):
        mlflow.sklearn.log_model(
            model, name="model", input_example=X.head(3), registered_model_name="lending"
        )

    from fairgate.registry.store.mlflow_bridge import ACTIVE_ALIAS, STATE_TAG, filing_from_mlflow

    base = make_filing(name="ignored", version="0")
    del base["features"], base["name"], base["version"]
    base.update(target={"name": "approved", "positive_label": 1, "favourable_outcome": "loan"})
    body, folder = filing_from_mlflow("models:/lending/1", tracking_uri=uri, overrides=base)
    assert [f["name"] for f in body["features"]] == ["income", "debt"]
    assert body["name"] == "lending" and body["version"] == "1"
    assert (folder / "MLmodel").exists()
    mv = registry.file(body, folder, actor="vendor")
    assert mv.artifact_kind == "mlflow"
    loaded = registry.load_model("lending", "1")
    assert loaded.predict(X.head(5)).shape[0] == 5
    registry.record_audit(
        "lending",
        "1",
        artifact_sha256=mv.artifact_sha256,
        passed=True,
        verdict="pass",
        result={},
        report_path=None,
        actor="auditor",
    )
    registry.decide("lending", "1", "approve", rationale="the audit passed", actor="c")
    client = mlflow.MlflowClient(tracking_uri=uri)
    assert client.get_model_version("lending", "1").tags[STATE_TAG] == "ACTIVE"
    assert str(client.get_registered_model("lending").aliases[ACTIVE_ALIAS]) == "1"
    registry.suspend_by_breaker("lending", "1", rule="live_dp", evidence={"p": 0.0})
    assert client.get_model_version("lending", "1").tags[STATE_TAG] == "SUSPENDED"
    assert ACTIVE_ALIAS not in client.get_registered_model("lending").aliases
