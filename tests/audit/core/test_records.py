"""Findings and results give their JSON form through one base: every field, tuples as lists."""

from __future__ import annotations

import json
from dataclasses import dataclass

from fairgate.audit.core.records import Record, json_ready
from fairgate.audit.policy.verdict import RuleResult
from fairgate.detectors.content import Evidence
from fairgate.detectors.flip import FlipPair, FlipResult
from fairgate.detectors.prohibited import ProhibitedFinding
from fairgate.detectors.proxies import JointProxy, ProxyFinding, ProxyReport
from fairgate.detectors.representation import GroupShare, RepresentationResult


def test_json_ready_turns_every_tuple_into_a_list_all_the_way_down():
    assert json_ready({"a": (1, (2, 3)), "b": [{"c": ()}]}) == {"a": [1, [2, 3]], "b": [{"c": []}]}


def test_a_record_is_its_fields_in_order_with_nested_records_as_dicts():
    @dataclass(frozen=True)
    class Inner(Record):
        names: tuple[str, ...]

    @dataclass(frozen=True)
    class Outer(Record):
        label: str
        inner: tuple[Inner, ...]
        extra: dict

    outer = Outer("x", (Inner(("a", "b")),), {"k": (1, 2)})
    assert outer.to_dict() == {
        "label": "x",
        "inner": [{"names": ["a", "b"]}],
        "extra": {"k": [1, 2]},
    }
    assert list(outer.to_dict()) == ["label", "inner", "extra"]


def test_detector_findings_keep_their_json_form():
    pair = FlipPair("F", "M", 10, 3, 0.3, 0.1, 0.6)
    small = FlipPair("M", "X", 2, 2, 1.0, None, None)
    flips = FlipResult("sex", (pair, small), 0.4, 12, min_n=5)
    assert flips.to_dict() == {
        "attribute": "sex",
        "pairs": [
            {"from_group": "F", "to_group": "M", "n": 10, "flips": 3, "rate": 0.3,
             "ci_low": 0.1, "ci_high": 0.6, "ci_method": "wilson"},
            {"from_group": "M", "to_group": "X", "n": 2, "flips": 2, "rate": 1.0,
             "ci_low": None, "ci_high": None, "ci_method": "wilson"},
        ],
        "rate": 0.4,
        "n": 12,
        "min_n": 5,
        "confidence": 0.95,
        "worst": pair.to_dict(),
    }  # fmt: skip
    proxies = ProxyReport(
        (ProxyFinding(("zip",), "race", 0.5, "cramers_v", True, 0.2),),
        threshold=0.3,
        sample_size=100,
        seed=0,
        joint=(JointProxy("race", 0.6, ("zip", "school"), "tree"),),
    )
    assert proxies.to_dict() == {
        "findings": [{"features": ["zip"], "attribute": "race", "score": 0.5,
                      "method": "cramers_v", "above_threshold": True, "mutual_information": 0.2}],
        "threshold": 0.3,
        "sample_size": 100,
        "seed": 0,
        "joint": [{"attribute": "race", "score": 0.6, "top_features": ["zip", "school"],
                   "method": "tree"}],
    }  # fmt: skip
    share = GroupShare("A", 10, 0.5, 0.4, 1.2, False)
    rep = RepresentationResult("g", (share,), 1.5, 0.2, 0.05)
    assert rep.to_dict()["groups"] == [share.__dict__]
    reason = Evidence("name", {"word": "sex"}, "named sex", "strong")
    found = ProhibitedFinding("sex", "sex", "name", True, "name", ("sex",), "strong", (reason,))
    assert found.to_dict()["reasons"] == [
        {"code": "name", "params": {"word": "sex"}, "text": "named sex", "strength": "strong"}
    ]
    assert found.to_dict()["categories"] == ["sex"]
    pair_params = {"pair": ("F", "M")}
    result = RuleResult("r", "pass", ["g"], "rule", None, None, [], "ok", params=pair_params)
    for record in (flips, proxies, rep, found, result):
        assert json.loads(json.dumps(record.to_dict())) == record.to_dict()
