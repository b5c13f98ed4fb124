"""The worked benefits example: its filing and policy load, and denials near the threshold go to
a caseworker."""

from __future__ import annotations

import random
from importlib import resources
from pathlib import Path

from fairgate.audit.policy import load_policy
from fairgate.registry.store.filing import parse_filing
from fairgate.routing import Router

EXAMPLES = resources.files("fairgate.registry") / "examples"


def test_the_benefits_example_routes_denials_near_the_threshold_to_a_caseworker():
    filing = parse_filing(Path(str(EXAMPLES / "benefits-filing.yaml")))
    policy = load_policy(Path(str(EXAMPLES / "benefits-policy.yaml")))
    assert filing.policy == policy.name == "benefits"
    bound = policy.bind(list(filing.sensitive_variables)).oversight
    assert {lim.id for lim in bound.bound_limits()} >= {
        "min_review_share.sex",
        "max_override_gap.district",
    }
    router = Router(bound.to_rules(), random.Random(0).random)
    scores = [i / 1000 for i in range(1000)]
    routes = [router.reason(score=s, decision=int(s >= 0.5)) for s in scores]
    near_denials = [r for s, r in zip(scores, routes, strict=True) if 0.4 <= s < 0.5]
    assert set(near_denials) == {"near_threshold_denials"}
    others = [r for s, r in zip(scores, routes, strict=True) if not 0.4 <= s < 0.5]
    sampled = sum(r == "audit_sample" for r in others)
    assert set(others) <= {None, "audit_sample"}
    assert 5 <= sampled <= 40  # about 2% of 900
