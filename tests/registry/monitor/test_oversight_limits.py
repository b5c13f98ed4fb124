"""Oversight limits on review counts: the guard (group size, significance) and each limit kind."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from fairgate.audit.policy import load_policy
from fairgate.errors import ValidationError
from fairgate.registry.monitor.observations import parse_batch_dict
from fairgate.registry.monitor.oversight import evaluate_limit, is_adverse, review_cells
from fairgate.registry.monitor.windows import Window, combined_groups


def _limits(**section):
    policy = load_policy({"name": "o", "oversight": {"adverse_decisions": [0], **section}})
    return {lim.kind: lim for lim in policy.bind(["sex"]).oversight.bound_limits()}


def _window(groups: dict[str, dict[str, int]], oversight) -> Window:
    """A window holding, per sex, decisions with the given counts.

    ``groups[sex]`` has ``n`` decisions, ``adverse`` of them adverse (decision 0), ``reviewed``
    reviewed (adverse ones first) and ``overridden`` overridden (among the reviewed).
    """
    pred, sex, reviewed, overridden = [], [], [], []
    for level, c in groups.items():
        for i in range(c["n"]):
            pred.append(0 if i < c["adverse"] else 1)
            sex.append(level)
            reviewed.append(i < c["reviewed"])
            overridden.append(i < c.get("overridden", 0))
    batch = parse_batch_dict(
        {
            "model": "m",
            "version": "1",
            "prediction": pred,
            "sensitive": {"sex": sex},
            "reviewed": reviewed,
            "overridden": overridden,
        }
    )
    window = Window("sliding", 100_000)
    local, keys = combined_groups(batch, ["sex"])
    window.add(local, keys, review_cells(batch, oversight), batch.id)
    return window


def test_review_share_trips_only_when_large_and_significant():
    limit = _limits(min_review_share=0.2)["min_review_share"]
    section = load_policy({"name": "o", "oversight": {"min_review_share": 0.2}}).oversight
    low = _window(
        {
            "F": {"n": 300, "adverse": 100, "reviewed": 30},
            "M": {"n": 50, "adverse": 0, "reviewed": 0},
        },
        section,
    )
    status, stat, p, evidence = evaluate_limit(limit, low, low.counts)
    assert status == "trip" and stat == pytest.approx(0.1)
    assert p == pytest.approx(stats.binomtest(30, 300, 0.2, alternative="less").pvalue)
    assert evidence["compared"] == [["F"]] and evidence["eligible"] == [True, False]
    near = _window({"F": {"n": 150, "adverse": 0, "reviewed": 27}}, section)
    assert evaluate_limit(limit, near, near.counts)[0] == "breach"  # 18% < 20%, not significant
    small = _window({"F": {"n": 60, "adverse": 0, "reviewed": 0}}, section)
    assert evaluate_limit(limit, small, small.counts)[0] == "insufficient"
    fine = _window({"F": {"n": 300, "adverse": 0, "reviewed": 90}}, section)
    assert evaluate_limit(limit, fine, fine.counts)[0] == "ok"


def test_automated_adverse_share_counts_unreviewed_denials():
    limits = _limits(max_automated_adverse_share=0.5)
    section = load_policy(
        {"name": "o", "oversight": {"adverse_decisions": [0], "max_automated_adverse_share": 0.5}}
    ).oversight
    # 200 denials, 40 of them reviewed: 80% automated
    window = _window({"F": {"n": 400, "adverse": 200, "reviewed": 40}}, section)
    status, stat, p, _ = evaluate_limit(
        limits["max_automated_adverse_share"], window, window.counts
    )
    assert status == "trip" and stat == pytest.approx(0.8)
    assert p == pytest.approx(stats.binomtest(160, 200, 0.5, alternative="greater").pvalue)


def test_override_rate_and_its_gap_between_groups():
    limits = _limits(max_override_rate=0.5, max_override_gap={"kind": "ratio", "threshold": 0.8})
    section = load_policy({"name": "o", "oversight": {"max_override_rate": 0.5}}).oversight
    window = _window(
        {
            "F": {"n": 400, "adverse": 200, "reviewed": 200, "overridden": 90},
            "M": {"n": 400, "adverse": 200, "reviewed": 200, "overridden": 30},
        },
        section,
    )
    rate = evaluate_limit(limits["max_override_rate"], window, window.counts)
    assert rate[0] == "ok" and rate[1] == pytest.approx(0.45)
    status, stat, p, evidence = evaluate_limit(limits["max_override_gap"], window, window.counts)
    assert status == "trip" and stat == pytest.approx(0.15 / 0.45)
    assert evidence["compared"] == [["M"], ["F"]] and p < 1e-6


def test_adverse_decisions_compare_like_route_and_reviews_are_required():
    class Section:
        adverse_decisions = (0, "deny")
        adverse_below = None

    assert is_adverse(np.array([0, 1, 0]), Section).tolist() == [True, False, True]
    assert is_adverse(np.array(["deny", "grant"]), Section).tolist() == [True, False]
    batch = parse_batch_dict(
        {"model": "m", "version": "1", "prediction": [0], "sensitive": {"s": ["a"]}}
    )
    with pytest.raises(ValidationError, match="send 'reviewed'"):
        review_cells(batch, Section)
