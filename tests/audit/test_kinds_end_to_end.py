"""Every kind through the loop: filed, audited (report in en and zh), judged, decided, monitored.

``load_abalone`` (regression, sex) and ``load_penguins`` (multiclass species; island as a region,
sex with 11 missing values) from scikit-lego, real models trained here, a real SQLite registry.
Each approved model is then served: its real predictions on resampled rows go through the
breaker (parsed as the service parses them, stored, judged) without a trip, until a constructed
biased stream trips the kind's breaker rule and suspends the model, with the evidence recorded.
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
from fairgate.registry.store.filing import parse_filing

PENGUIN_FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def _filing(example_filing, name, algorithm_type, features, target, sensitive):
    body = copy.deepcopy(example_filing)
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


def _abalone(example_filing, name):
    """The abalone data, a linear model of rings from the shell measurements, and its filing."""
    from sklego.datasets import load_abalone

    df = load_abalone(as_frame=True)
    features = [c for c in df.columns if c not in ("sex", "rings")]
    model = make_pipeline(StandardScaler(), LinearRegression()).fit(df[features], df["rings"])
    body = _filing(
        example_filing,
        name,
        "regression",
        features,
        {"name": "rings", "favourable_outcome": "an accurate age estimate"},
        ["sex"],
    )
    return df, features, model, body


def _penguins(example_filing, name):
    """Penguins with every body measurement, a model of their species, and its filing."""
    from sklego.datasets import load_penguins

    df = load_penguins(as_frame=True).dropna(subset=PENGUIN_FEATURES).reset_index(drop=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(df[PENGUIN_FEATURES], df["species"])
    classes = sorted(df["species"].unique())
    body = _filing(
        example_filing,
        name,
        "classification",
        PENGUIN_FEATURES,
        {"name": "species", "favourable_outcome": "the right species", "classes": classes},
        ["island", "sex"],
    )
    return df, model, body


def _live_rule(rule_id, metric, kind, threshold, attribute, size, min_samples):
    """A breaker rule on one attribute over a sliding window, with the significance guard."""
    return {
        "id": rule_id,
        "metric": metric,
        "kind": kind,
        "threshold": threshold,
        "attributes": [attribute],
        "window": {"kind": "sliding", "size": size},
        "min_samples": min_samples,
        "alpha": 0.001,
    }


def _trip_text(registry, name, policy, fair, biased):
    """``fair`` trips nothing; ``fair[:2] + biased`` trips once the biased batches arrive.

    The model is then SUSPENDED; returns the trip event's payload as JSON text.
    """
    assert _monitor(registry, name, "1", policy, fair) is None
    assert registry.status(name, "1").state == "ACTIVE"
    tripped = _monitor(registry, name, "1", policy, fair[:2] + biased)
    assert tripped is not None and tripped >= 2  # only once the biased stream arrives
    assert registry.status(name, "1").state == "SUSPENDED"
    trip = [e for e in registry.events() if e.name == name][-1]
    return json.dumps(trip.payload, default=str)


def _monitor(registry, name, version, policy, stream):
    """Feed ``stream`` (batch dicts) through a breaker; the index of the tripping batch or None."""
    from fairgate.audit.policy import load_policy
    from fairgate.registry.monitor import Breaker, ObservationStore
    from fairgate.registry.monitor.observations import parse_batch_dict

    bound = load_policy(policy)
    breaker = Breaker(registry, ObservationStore(registry.engine), lambda n, v: bound)
    live = breaker.live_kind(name, version)
    for i, body in enumerate(stream):
        batch = parse_batch_dict({"model": name, "version": version, **body}, live)
        if breaker.record(batch).status is not None:
            return i
    return None


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
        assert 'id="kind"' in html  # the section of the model's kind, with its charts
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
    registry, tmp_path, example_filing
):
    df, features, model, body = _abalone(example_filing, "abalone-age")
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
    registry, tmp_path, example_filing
):
    df, model, body = _penguins(example_filing, "penguin-species")
    assert df["sex"].isna().sum() == 9  # 11 missing in the data, 2 of them without measurements
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


@pytest.mark.slow
def test_abalone_approved_then_suspended_by_a_live_mae_gap(registry, tmp_path, example_filing):
    df, features, model, body = _abalone(example_filing, "abalone-served")
    policy = {
        "name": "abalone-live",
        # shell weights carry sex (infants are small): a warning for the committee
        "explainability": {"severity": "warn"},
        "rules": [{"id": "mae_ceiling", "kind": "maximum", "metric": "mae", "max": 2.5}],
        "breaker": [
            _live_rule("live_mae_gap", "mean_absolute_error", "difference", 1.5, "sex", 1500, 100)
        ],
    }
    result, decided = _audit_and_decide(registry, tmp_path, body, model, df, policy)
    assert decided.state == "ACTIVE", result.verdict
    detail = result.kinds["by_attribute"]["sex"]
    assert {g["group"] for g in detail["groups"]} == {"F", "I", "M"}
    assert sum(sum(g["hist"]) for g in detail["groups"]) == len(df)

    rng = np.random.default_rng(0)
    pred = model.predict(df[features])

    def batch(rows, late):
        rows = np.asarray(rows)
        shift = np.where(df["sex"].to_numpy()[rows] == "I", late, 0.0)  # infants aged late
        return {
            "prediction": (pred[rows] + shift).round(4).tolist(),
            "outcome": df["rings"].to_numpy()[rows].astype(float).tolist(),
            "sensitive": {"sex": df["sex"].to_numpy()[rows].tolist()},
        }

    fair = [batch(rng.integers(0, len(df), 500), 0.0) for _ in range(4)]
    biased = [batch(rng.integers(0, len(df), 500), 4.0) for _ in range(4)]
    text = _trip_text(registry, "abalone-served", policy, fair, biased)
    assert "live_mae_gap" in text and "welch" in text and '"I"' in text


@pytest.mark.slow
def test_penguins_approved_then_suspended_by_a_live_accuracy_floor_on_one_island(
    registry, tmp_path, example_filing
):
    df, model, body = _penguins(example_filing, "penguins-served")
    classes = body["target"]["classes"]
    policy = {
        "name": "penguins-live",
        "min_group_size": 5,
        "explainability": {"severity": "warn"},
        "rules": [{"id": "accuracy_floor", "kind": "minimum", "metric": "accuracy", "min": 0.6}],
        "breaker": [
            _live_rule("live_accuracy_floor", "accuracy", "minimum", 0.6, "island", 600, 50)
        ],
    }
    data = df[[*PENGUIN_FEATURES, "species", "island", "sex"]]
    result, decided = _audit_and_decide(registry, tmp_path, body, model, data, policy)
    assert decided.state == "ACTIVE", result.verdict
    detail = result.kinds["by_attribute"]["island"]
    assert detail["classes"] == classes
    assert sum(np.asarray(g["matrix"]).sum() for g in detail["groups"]) == len(df)

    rng = np.random.default_rng(1)
    pred = model.predict(df[PENGUIN_FEATURES])
    island = df["island"].to_numpy()

    def batch(rows, broken):
        rows = np.asarray(rows)
        shown = pred[rows].copy()
        wrong = (island[rows] == broken) & (rng.random(len(rows)) < 0.8)
        shown[wrong] = np.where(shown[wrong] == classes[0], classes[1], classes[0])
        return {
            "prediction": shown.tolist(),
            "outcome": df["species"].to_numpy()[rows].tolist(),
            "sensitive": {"island": island[rows].tolist()},
        }

    fair = [batch(rng.integers(0, len(df), 200), None) for _ in range(4)]
    biased = [batch(rng.integers(0, len(df), 200), "Dream") for _ in range(6)]
    text = _trip_text(registry, "penguins-served", policy, fair, biased)
    assert "live_accuracy_floor" in text and '"Dream"' in text
