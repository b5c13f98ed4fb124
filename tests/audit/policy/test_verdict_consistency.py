"""One consistent verdict: a model leaning on a strong proxy, checked sentence by sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairgate.audit.explain import Explanation
from fairgate.audit.policy import AuditEvidence, evaluate, load_policy
from fairgate.audit.policy.reasons import REASONS, reason_text
from fairgate.detectors import ProhibitedFinding, ProxyReport

FEATURES = ["year", "age", "employed", "citizen", "checks", "household_role"]


def _proxy_model_and_data():
    """Arrests data with a planted proxy of sex that the model's decisions rest on."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from fairgate.demo.data import load_arrests_frame

    data = load_arrests_frame(0)
    rng = np.random.default_rng(7)

    def plant(frame: pd.DataFrame) -> pd.DataFrame:
        agree = rng.random(len(frame)) < 0.95
        role = np.where(frame["sex"] == "Male", "head", "partner")
        other = np.where(role == "head", "partner", "head")
        return frame.assign(household_role=np.where(agree, role, other))

    train, audit = plant(data.train), plant(data.audit)
    # the vendor's model decides mostly on the proxy (and a little on the real outcome)
    leaning = np.where(rng.random(len(train)) < 0.85, train["household_role"] == "head", 0)
    target = np.where(leaning == 1, 1, train["released"] * (rng.random(len(train)) < 0.3))
    model = Pipeline(
        [
            (
                "pre",
                ColumnTransformer(
                    [("cat", OneHotEncoder(), ["employed", "citizen", "household_role"])],
                    remainder="passthrough",
                ),
            ),
            ("lr", LogisticRegression(max_iter=500)),
        ]
    ).fit(train[FEATURES], target)
    return model, audit


@pytest.mark.slow
def test_a_strong_proxy_fails_explainability_and_no_sentence_contradicts_another(tmp_path):
    from fairgate.audit.pipeline.run import run_audit

    model, audit = _proxy_model_and_data()
    spec = {"target": "released", "sensitive": ["colour", "sex"], "features": FEATURES}
    result = run_audit(model, audit, spec, "default", seed=0, explain_size=150, sample_size=5000)
    rules = result.verdict["rules"]
    by_kind: dict[str, list[dict]] = {}
    for rule in rules:
        by_kind.setdefault(rule["kind"], []).append(rule)
        # every sentence is the English rendering of its reason code and parameters
        assert rule["code"] in REASONS
        assert rule["why"] == reason_text(rule["code"], rule["params"])

    proxy = by_kind["proxy"][0]
    assert proxy["outcome"] == "warn"  # the default policy's proxy rule warns
    assert "household_role → sex" in proxy["groups_involved"]
    explained = by_kind["explainability"][0]
    assert explained["outcome"] == "fail", explained["why"]
    assert "household_role (proxy of sex)" in explained["groups_involved"]
    assert explained["params"]["shares"]["household_role (proxy of sex)"] > 0.5
    assert result.explanation["sensitive_share"]["household_role"] > 0.5

    # the facts the rules state agree with each other
    prohibited = by_kind["prohibited"][0]
    assert prohibited["outcome"] == "pass" and prohibited["code"] == "prohibited.none"
    assert by_kind["flip"][0]["code"] == "flip.no_sensitive_input"
    flagged = set(proxy["groups_involved"])
    for rule in rules:
        if flagged:
            assert rule["code"] not in ("proxy.none", "explain.nothing_to_weigh"), rule
        assert "no detected proxy" not in rule["why"] or not flagged
    # the headline names the real reasons: explainability, not prohibited inputs
    assert result.verdict["outcome"] == "fail"
    assert "explainability" in result.verdict["headline"]
    assert "prohibited" not in result.verdict["headline"]
    failing = {r["kind"] for r in rules if r["outcome"] == "fail"}
    assert set(result.verdict["headline"]) == failing


def _reports():
    from fairgate.audit.core.counts import group_counts
    from fairgate.audit.core.group_report import group_report

    g = np.repeat(["A", "B"], 200)
    y = np.tile([0, 1], 200)
    counts = group_counts(y, y, {"g": g})  # a perfect, equal model
    return {("g",): group_report(counts, attributes=("g",), min_group_size=30)}


def test_a_version_failing_only_on_prohibited_inputs_is_headlined_so():
    evidence = AuditEvidence(
        reports=_reports(),
        features=["g", "sex", "income"],
        prohibited=[ProhibitedFinding("sex", "sex", "x", prohibited=True, how="name")],
        proxies=ProxyReport(findings=(), threshold=0.3, sample_size=400, seed=0),
        flips=[],
        explanation=Explanation(
            method="SHAP",
            features=("g", "sex", "income"),
            values=np.zeros((1, 3)),
            base_value=0.0,
            n_explained=100,
            global_importance={"income": 0.95, "sex": 0.05},
            group_importance={},
            sensitive_share={},
            seed=0,
        ),
    )
    verdict = evaluate(load_policy("default"), evidence)
    assert verdict.outcome == "fail"
    assert verdict.headline() == ["prohibited"]
    assert [r.kind for r in verdict.failing()] == ["prohibited"]
    metric = [r for r in verdict.rules if r.kind in ("ratio", "difference")]
    assert metric and all(r.outcome == "pass" for r in metric)


def test_the_flip_rule_uses_the_worst_pair_and_agrees_with_the_table():
    """A pooled 1.9% hides pairs that flip 5.2% and 6.1%: the rule reads the worst pair."""
    from fairgate.detectors import flip_test

    class Leaning:
        """A real rule-based model: it flips some decisions of two group pairs only."""

        def predict(self, X: pd.DataFrame) -> np.ndarray:
            base = (X["score"] > 0.5).astype(int).to_numpy()
            swap = {("a", "b"): 0.052, ("c", "b"): 0.061}
            out = base.copy()
            for (orig, to), share in swap.items():
                hit = (X["origin"] == orig) & (X["group"] == to) & (X["score"] < share)
                out[hit.to_numpy()] = 1 - out[hit.to_numpy()]
            return out

    rng = np.random.default_rng(0)
    n = 6000
    group = rng.choice(["a", "b", "c"], n)
    X = pd.DataFrame({"group": group, "origin": group, "score": rng.random(n)})
    calls = []

    class Counting(Leaning):
        def predict(self, X: pd.DataFrame) -> np.ndarray:
            calls.append(len(X))
            return super().predict(X)

    flips = flip_test(Counting(), X, "group", sample_size=2000, min_n=30, seed=0)
    assert len(calls) == 1  # every flipped copy scored in one batch
    assert flips.rate < 0.04  # pooled over six pairs
    worst = flips.worst
    assert (worst.from_group, worst.to_group) == ("c", "b")
    assert worst.rate == pytest.approx(0.061, abs=0.015) and worst.ci_low > 0.03
    policy = load_policy("default")
    verdict = evaluate(policy, AuditEvidence(reports={}, features=list(X), flips=[flips]))
    rule = next(r for r in verdict.rules if r.kind == "flip")
    assert rule.outcome == "fail" and rule.value == worst.rate
    over = sorted((p for p in flips.pairs if p.rate > 0.05), key=lambda p: -p.rate)
    assert rule.groups_involved == [f"{p.from_group}→{p.to_group}" for p in over]
    assert rule.groups_involved[0] == "c→b"
    assert rule.params["ci_low"] == worst.ci_low and rule.params["n"] == worst.n
    body = flips.to_dict()
    assert body["worst"]["rate"] == rule.value  # the table's worst row is the rule's value
    assert {p["ci_method"] for p in body["pairs"]} == {"wilson"}
