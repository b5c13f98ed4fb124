"""Rules on a ranking's top k, judged on a real scores model of the Toronto arrests data.

The example filing (``registry/examples/ranking-filing.yaml``) ranks arrests by the probability
of release and names its top k; the example policy asks every group to hold at least 0.8 of its
share of everyone ranked in the top k. At the filing's top 500 Black people hold about 0.54 of
their share: the rule fails naming them, in English and in Chinese. At a top 4,000 it passes.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fairgate.audit.core.ranking import ranking_counts, ranking_table
from fairgate.audit.policy import evaluate, load_policy
from fairgate.audit.policy.ranking_checks import RankingEvidence, ranking_results
from fairgate.audit.policy.verdict import AuditEvidence
from fairgate.registry.store.filing import parse_filing

EXAMPLES = Path(str(resources.files("fairgate.registry") / "examples"))


@pytest.fixture(scope="module")
def ranked():
    """The arrests data, a linear probability model of release trained on it, and its scores."""
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklego.datasets import load_arrests

    frame = load_arrests(as_frame=True)
    frame["released"] = (frame["released"] == "Yes").astype(int)
    filing = yaml.safe_load((EXAMPLES / "ranking-filing.yaml").read_text(encoding="utf-8"))
    features = [f["name"] for f in filing["features"]]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["employed", "citizen"]),
            (StandardScaler(), ["year", "age", "checks"]),
        ),
        LinearRegression(),
    ).fit(frame[features], frame["released"])
    scores = model.predict(frame[features])  # a scores model's predict gives its scores
    return frame, model, filing, scores


def _policy():
    return load_policy(EXAMPLES / "ranking-policy.yaml")


def _evidence(frame, scores, k: int, *, filed: bool = True) -> AuditEvidence:
    by_attribute = {}
    for attr in ("colour", "sex"):
        table = ranking_table(ranking_counts(scores, frame[[attr]], k=k))
        by_attribute[attr] = [{"group": str(g), **row} for g, row in table.iterrows()]
    return AuditEvidence(reports={}, ranking=RankingEvidence(k, len(frame), filed, by_attribute))


def _reference_share_ratio(frame, scores, k, attr, group) -> float:
    top = np.argsort(-scores, kind="stable")[:k]
    member = (frame[attr] == group).to_numpy()
    return member[top].mean() / member.mean()


def test_the_top_k_floor_fails_naming_the_group_below_it(ranked):
    frame, _, _, scores = ranked
    rule = _policy().rules[0]
    results = {
        r.attributes[0]: r for r in ranking_results(_policy(), rule, _evidence(frame, scores, 500))
    }
    colour, sex = results["colour"], results["sex"]
    assert colour.outcome == "fail" and colour.groups_involved == ["Black"]
    expected = _reference_share_ratio(frame, scores, 500, "colour", "Black")
    assert expected < 0.8
    assert colour.value == pytest.approx(expected, abs=1e-12)
    assert f"Black {expected:.3f} (n=1288)" in colour.why
    assert "top 500 of 5226 ranked rows, as the filing states" in colour.why
    assert sex.outcome == "pass" and sex.groups_involved == []


def test_a_larger_top_passes_and_small_groups_are_left_out(ranked):
    frame, _, _, scores = ranked
    policy = _policy()
    results = ranking_results(policy, policy.rules[0], _evidence(frame, scores, 4000))
    assert [r.outcome for r in results] == ["pass", "pass"]
    assert results[0].value == pytest.approx(
        _reference_share_ratio(frame, scores, 4000, "colour", "Black"), abs=1e-12
    )
    strict = policy.model_copy(update={"min_group_size": 1000})
    female = ranking_results(strict, policy.rules[0], _evidence(frame, scores, 500))[1]
    assert "left out: Female (443)" in female.why and female.groups_involved == []


def test_ratio_rule_compares_the_top_k_rates_and_unranked_audits_warn(ranked):
    frame, _, _, scores = ranked
    policy = load_policy(
        {
            "name": "p",
            "rules": [{"id": "r", "kind": "ratio", "metric": "top_k_rate", "min": 0.8}],
        }
    )
    ev = _evidence(frame, scores, 500, filed=False)
    colour = ranking_results(policy, policy.rules[0], ev)[0]
    top = np.argsort(-scores, kind="stable")[:500]
    rates = {
        g: (frame["colour"].to_numpy()[top] == g).sum() / (frame["colour"] == g).sum()
        for g in ("Black", "White")
    }
    assert colour.value == pytest.approx(rates["Black"] / rates["White"], abs=1e-12)
    assert colour.outcome == "fail" and colour.groups_involved == ["Black"]
    assert "those the threshold selects" in colour.why
    verdict = evaluate(policy, AuditEvidence(reports={}))
    assert verdict.rules[0].outcome == "warn"
    assert "not a metric of a binary audit" in verdict.rules[0].why


@pytest.mark.slow
def test_an_audit_of_the_ranking_filing_fails_for_black_people_in_english_and_chinese(
    ranked, tmp_path
):
    from fairgate.audit import run_audit
    from fairgate.audit.report.html import render_report

    frame, model, filing, scores = ranked
    result = run_audit(
        model,
        frame,
        parse_filing(filing),
        _policy(),
        out_dir=tmp_path / "fail",
        explain_size=30,
    )
    assert result.kinds["k"] == 500
    top = [r for r in result.verdict["rules"] if r["rule_id"] == "top_k_four_fifths"]
    assert [(r["attributes"], r["outcome"]) for r in top] == [
        (["colour"], "fail"),
        (["sex"], "pass"),
    ]
    assert top[0]["groups_involved"] == ["Black"]
    assert result.outcome == "fail"
    pages = {
        "en": (tmp_path / "fail" / "report.html").read_text(encoding="utf-8"),
        "zh": render_report(result, "zh"),
    }
    share = f"{_reference_share_ratio(frame, scores, 500, 'colour', 'Black'):.3f}"
    assert f"Black {share} (n=1288)" in pages["en"]
    assert "top-k share ratio" in pages["en"] and "as the filing states" in pages["en"]
    assert "The top 500 is the size the filing states" in pages["en"]
    assert f"Black {share} (n=1288)" in pages["zh"]
    assert "前 k 名占比比值" in pages["zh"] and "按备案所述" in pages["zh"]
    assert "每个群体在前 k 名中的占比至少为其在全部排名对象中占比的 0.8" in pages["zh"]
    # the same policy passes when the filing's top is 4,000
    filing4000 = dict(filing, version="2", target={**filing["target"], "top_k": 4000})
    passed = run_audit(model, frame, parse_filing(filing4000), _policy(), explain_size=30)
    top = [r for r in passed.verdict["rules"] if r["rule_id"] == "top_k_four_fifths"]
    assert [r["outcome"] for r in top] == ["pass", "pass"] and passed.kinds["k"] == 4000
    assert isinstance(frame, pd.DataFrame)
