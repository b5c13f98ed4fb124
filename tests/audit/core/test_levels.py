"""The highest of several ordered levels: outcomes and evidence strengths share one rule."""

from __future__ import annotations

from typing import get_args

import pytest

from fairgate.audit.core.levels import highest
from fairgate.audit.policy.verdict import Outcome
from fairgate.detectors.content import Evidence, Strength, strongest


def test_outcomes_and_strengths_are_ordered_mildest_first():
    assert get_args(Outcome) == ("pass", "warn", "fail")
    assert get_args(Strength) == ("weak", "moderate", "strong")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], "pass"),
        (["pass"], "pass"),
        (["warn", "pass"], "warn"),
        (["pass", "fail", "warn"], "fail"),
    ],
)
def test_highest_outcome(values, expected):
    assert highest(Outcome, values, default="pass") == expected


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError, match="not in tuple"):
        highest(Outcome, ["pass", "error"], default="pass")


def test_strongest_evidence():
    def ev(strength):
        return Evidence("name", {}, "why", strength)

    assert strongest([]) == "weak"
    assert strongest([ev("weak"), ev("strong"), ev("moderate")]) == "strong"
    assert strongest([ev("moderate"), ev("weak")]) == "moderate"
