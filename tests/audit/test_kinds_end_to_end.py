"""Every kind through the loop: filed, audited (report in en and zh), judged, decided.

``load_abalone`` (regression, sex) and ``load_penguins`` (multiclass species; island as a region,
sex with 11 missing values) from scikit-lego, real models trained here, a real SQLite registry.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairgate.audit import run_audit
from fairgate.registry.store import Registry
from fairgate.registry.store.filing import parse_filing
from fairgate.settings import Settings

PENGUIN_FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


@pytest.fixture
def registry(tmp_path):
    return Registry(Settings(home=tmp_path / "home"))


@pytest.fixture(scope="module")
def example():
    import yaml

    from fairgate.registry.store.filing import example_filing_path

    return yaml.safe_load(example_filing_path().read_text(encoding="utf-8"))


def _filing(example, name, algorithm_type, features, target, sensitive):
    body = copy.deepcopy(example)
    body.update(
        name=name,
        version="1",
        algorithm_type=algorithm_type,
        features=[{"name": f, "description": f, "type": "numeric"} for f in features],
        target=target,
        sensitive_variables=sensitive,
        prohibited_variables=[],
    )
    return body


def _audit_and_decide(registry, tmp_path, body, model, data, policy):
    path = tmp_path / f"{body['name']}.skops"
    sio.dump(model, path)
    mv = registry.file(body, path, actor="vendor")
    filing = parse_filing(body)
    results = {}
    for lang in ("en", "zh"):
        out = tmp_path / f"{body['name']}-{lang}"
        results[lang] = run_audit(path, data, filing, policy, out_dir=out, lang=lang)
        html = (out / "report.html").read_text(encoding="utf-8")
        assert body["name"] in html and len(html) > 1000
    result = results["en"]
    assert json.loads(json.dumps(result.to_dict()))["verdict"]["outcome"] == results["zh"].outcome
    registry.record_result(mv.name, mv.version, result, report_path=None, actor="auditor")
    action = "approve" if result.outcome != "fail" else "reject"
    decided = registry.decide(
        mv.name, mv.version, action, rationale=f"audit outcome {result.outcome}", actor="member"
    )
    return result, decided


@pytest.mark.slow
def test_abalone_regression_filed_audited_and_rejected_for_a_group_error_ceiling(
    registry, tmp_path, example
):
    from sklego.datasets import load_abalone

    df = load_abalone(as_frame=True)
    features = [c for c in df.columns if c not in ("sex", "rings")]
    model = make_pipeline(StandardScaler(), LinearRegression()).fit(df[features], df["rings"])
    body = _filing(
        example,
        "abalone-age",
        "regression",
        features,
        {"name": "rings", "favourable_outcome": "an accurate age estimate"},
        ["sex"],
    )
    policy = {
        "name": "abalone",
        "rules": [
            {"id": "mae_ceiling", "kind": "maximum", "metric": "mae", "max": 1.5},
            {"id": "bias_gap", "kind": "difference", "metric": "mean_error", "max": 3},
        ],
    }
    result, decided = _audit_and_decide(registry, tmp_path, body, model, df, policy)
    report = result.reports["sex"]
    assert report["kind"] == "regression"
    assert set(report["metrics"]) >= {"mean_absolute_error", "r2_score", "mean_error"}
    mae = {g["group"]["sex"]: g["metrics"]["mean_absolute_error"] for g in report["groups"]}
    expected = {
        s: float(
            np.mean(
                np.abs(model.predict(df[features])[df["sex"] == s] - df["rings"][df["sex"] == s])
            )
        )
        for s in mae
    }
    assert mae == pytest.approx(expected, rel=1e-9)
    by_id = {r["rule_id"]: r for r in result.verdict["rules"]}
    failing = sorted(s for s, v in mae.items() if v > 1.5)
    assert by_id["mae_ceiling"]["outcome"] == "fail"
    assert sorted(by_id["mae_ceiling"]["groups_involved"]) == failing
    assert result.outcome == "fail" and decided.state == "REJECTED"


@pytest.mark.slow
def test_penguins_multiclass_with_island_and_missing_sex_filed_audited_and_approved(
    registry, tmp_path, example
):
    from sklego.datasets import load_penguins

    df = load_penguins(as_frame=True).dropna(subset=PENGUIN_FEATURES).reset_index(drop=True)
    assert df["sex"].isna().sum() == 9  # 11 missing in the data, 2 of them without measurements
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(df[PENGUIN_FEATURES], df["species"])
    classes = sorted(df["species"].unique())
    body = _filing(
        example,
        "penguin-species",
        "classification",
        PENGUIN_FEATURES,
        {"name": "species", "favourable_outcome": "the right species", "classes": classes},
        ["island", "sex"],
    )
    policy = {
        "name": "penguins",
        "min_group_size": 5,
        # body measurements carry species, hence island and sex: a warning for the committee
        "explainability": {"severity": "warn"},
        "rules": [
            {"id": "accuracy_floor", "kind": "minimum", "metric": "accuracy", "min": 0.6},
            {"id": "recall_gap", "kind": "difference", "metric": "equal_opportunity", "max": 0.5},
        ],
    }
    result, decided = _audit_and_decide(
        registry, tmp_path, body, model, df[[*PENGUIN_FEATURES, "species", "island", "sex"]], policy
    )
    report = result.reports["island x sex"]
    assert report["kind"] == "multiclass"
    groups = {tuple(g["group"].values()): g for g in report["groups"]}
    assert ("Biscoe", "(missing)") in groups  # missing sex is its own group, never dropped
    assert "true_positive_rate[Gentoo]" in report["metrics"]
    by_id = {r["rule_id"]: r for r in result.verdict["rules"]}
    assert by_id["accuracy_floor"]["outcome"] == "pass"
    failed = {k: r["why"] for k, r in by_id.items() if r["outcome"] == "fail"}
    assert not failed
    assert result.outcome != "fail" and decided.state == "ACTIVE"
