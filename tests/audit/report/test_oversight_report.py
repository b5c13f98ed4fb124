"""The report's oversight section: the rules in both languages, and who they send to people.

An audit of the Toronto arrests model under the default policy plus an oversight section; the
counts of decisions sent to people are checked against the model's own probabilities.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from fairgate.audit.policy import load_policy
from fairgate.audit.report.html import render_report

OVERSIGHT = {
    "threshold": 0.5,
    "adverse_decisions": [0],
    "route_to_human": [
        {"id": "near_threshold_denials", "score_band": 0.1, "adverse": "all"},
        {"id": "audit_sample", "sample_rate": 0.05},
    ],
    "min_review_share": 0.1,
    "max_override_gap": {"kind": "difference", "threshold": 0.1},
}


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    from fairgate.audit.pipeline.run import run_audit
    from fairgate.demo import data as demo

    data = demo.load_arrests_frame(0)
    model = demo.arrests_model(data.train, 0, demo.UNAWARE_FEATURES)
    body = load_policy("default").to_dict()
    policy = load_policy({**body, "name": "default-with-oversight", "oversight": OVERSIGHT})
    spec = {
        "target": demo.TARGET,
        "sensitive": list(demo.SENSITIVE),
        "features": list(demo.UNAWARE_FEATURES),
    }
    folder = tmp_path_factory.mktemp("oversight-audit")
    result = run_audit(model, data.audit, spec, policy, seed=0, out_dir=folder, explain_size=40)
    return result, model, data, spec


def test_the_counts_are_the_decisions_near_the_threshold_plus_the_sample(audited):
    result, model, data, spec = audited
    counts = result.oversight
    assert counts["not_estimated"] is None
    n = counts["rows"]
    assert n == min(len(data.audit), result.parameters["sample_size"])
    assert counts["human"] == sum(counts["by_condition"].values())
    # every decision near the threshold that is a denial, computed from the model itself
    frame = data.audit
    proba = model.predict_proba(frame[spec["features"]])[:, 1]
    near_denials = (np.abs(proba - 0.5) <= 0.1) & (model.predict(frame[spec["features"]]) == 0)
    if n == len(frame):  # the whole evaluation set was the sample
        assert counts["by_condition"]["near_threshold_denials"] == int(near_denials.sum())
    assert counts["by_condition"]["near_threshold_denials"] > 0
    # about 5% of the others were sampled
    rest = n - counts["by_condition"]["near_threshold_denials"]
    assert abs(counts["by_condition"]["audit_sample"] / rest - 0.05) < 0.02
    # per group: the groups add up
    for attr, rows in counts["groups"].items():
        assert sum(r["n"] for r in rows) == n, attr
        assert sum(r["human"] for r in rows) == counts["human"], attr


def test_the_counts_reproduce_with_the_seed(audited, tmp_path):
    from fairgate.audit.pipeline.run import run_audit

    result, model, data, spec = audited
    again = run_audit(model, data.audit, spec, load_policy(result.policy), seed=0, explain_size=40)
    assert again.oversight == result.oversight


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_states_the_rules_and_who_they_send(audited, lang):
    result = audited[0]
    page = render_report(result, lang)
    section = page[page.index('id="oversight"') : page.index('aria-labelledby="glossary"')]
    human = f"{result.oversight['human']:,}"
    if lang == "en":
        assert "near_threshold_denials: the score is within 0.10 of the threshold 0.50" in section
        assert "the decision is adverse to the person (0)" in section
        assert "random audit sample of 5.0%" in section
        assert "at least 10.0% of the decisions in every group are reviewed" in section
        assert "override rates differ between groups by at most 0.10" in section
        assert f"would send {human} of them" in section
        assert "Decisions the oversight rules would send to a person, by sex" in section
    else:
        assert "得分与阈值 0.50 相差不超过 0.10" in section
        assert f"将有 {human} 个" in section
        assert "按sex统计" in section
        assert not re.search(r"\b(the|decision|person|override)\b", section)
    for rows in result.oversight["groups"].values():
        for row in rows:
            assert f'<th scope="row">{row["group"]}</th>' in section


def test_a_policy_without_oversight_says_every_decision_is_automated(audited):
    result = audited[0]
    body = result.to_dict()
    body["policy"] = {k: v for k, v in body["policy"].items() if k != "oversight"}
    body["oversight"] = None
    from fairgate.audit.report.result import AuditResult

    page = render_report(AuditResult.from_dict(body), "en")
    assert "every decision takes effect without a person" in page
