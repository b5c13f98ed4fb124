"""The report section of each model kind: scores (probabilities and raw), from real models.

Score detail equals scikit-learn's ``roc_auc_score`` per group within the stated binning bound;
probabilities get a calibration (ECE equal to a plain numpy reference) and raw scores none, which
the report says in both languages; the rates of the threshold sweep equal counting the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score

from fairgate.audit import run_audit
from fairgate.audit.core.score_statistics import score_statistics
from fairgate.audit.pipeline.kind_detail import SWEEP_POINTS, score_detail


@pytest.fixture(scope="module")
def arrests():
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True)
    frame = pd.get_dummies(df[["age", "employed", "citizen", "checks"]], drop_first=True)
    frame = frame.astype(float)
    features = list(frame.columns)
    frame["released"] = (df["released"] == "Yes").astype(int)
    frame["colour"], frame["sex"] = df["colour"], df["sex"]
    return frame, features


def _ece_reference(y, p, bins=10):
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(y[m].mean() - p[m].mean())
    return total / len(y)


def test_probabilities_get_auc_calibration_and_a_sweep_equal_to_plain_references(arrests):
    frame, features = arrests
    model = LogisticRegression(max_iter=500).fit(frame[features], frame["released"])
    p = model.predict_proba(frame[features])[:, 1]
    y = frame["released"].to_numpy()
    stats = score_statistics(y, p, frame[["colour"]], threshold=0.5)
    detail = score_detail(stats, threshold=0.5)
    assert detail["raw"] is False
    entry = detail["by_attribute"]["colour"]
    for i, group in enumerate(entry["groups"]):
        m = (frame["colour"] == group).to_numpy()
        assert abs(entry["auc"][i] - roc_auc_score(y[m], p[m])) <= entry["auc_bound"][i] + 1e-12
        assert entry["ece"][i] == pytest.approx(_ece_reference(y[m], p[m]), abs=2e-3)
        rate_at_half = entry["sweep"]["selection_rate"][i][(SWEEP_POINTS - 1) // 2]
        assert rate_at_half == pytest.approx((p[m] >= 0.5).mean(), abs=2e-3)
    ranking = {r["group"]: r for r in entry["ranking"]}
    assert sum(r["top_k"] for r in ranking.values()) == detail["k"] == int((p >= 0.5).sum())


@pytest.mark.slow
def test_raw_scores_are_audited_at_the_threshold_without_calibration_in_both_languages(
    arrests, tmp_path
):
    frame, features = arrests
    target = frame["released"] * 4.0 - 2.0
    model = LinearRegression().fit(frame[features], target)  # raw scores around -2..2
    spec = {
        "target": "released",
        "sensitive": ["colour", "sex"],
        "features": features,
        "kind": "scores",
        "threshold": 0.5,
        "name": "release-rank",
    }
    pages = {}
    for lang in ("en", "zh"):
        result = run_audit(
            model, frame, spec, None, out_dir=tmp_path / lang, lang=lang, explain_size=30
        )
        pages[lang] = (tmp_path / lang / "report.html").read_text(encoding="utf-8")
    detail = result.kinds
    assert detail["kind"] == "scores" and detail["raw"] is True
    entry = detail["by_attribute"]["sex"]
    assert "ece" not in entry and "reliability" not in entry
    scores = model.predict(frame[features])
    y = frame["released"].to_numpy()
    for i, group in enumerate(entry["groups"]):
        m = (frame["sex"] == group).to_numpy()
        assert abs(entry["auc"][i] - roc_auc_score(y[m], scores[m])) <= entry["auc_bound"][i]
    # the rates at the threshold are the audit's own group table
    sex = {
        g["group"]["sex"]: g["metrics"]["selection_rate"] for g in result.reports["sex"]["groups"]
    }
    for group, rate in sex.items():
        m = (frame["sex"] == group).to_numpy()
        assert rate == pytest.approx((scores[m] >= 0.5).mean(), abs=1e-12)
    assert "Calibration does not apply to raw scores" in pages["en"]
    assert "校准不适用于原始评分" in pages["zh"]
    for page in pages.values():
        assert 'id="kind"' in page and page.count("data:image/svg+xml") >= 4
