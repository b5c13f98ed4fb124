"""The filing's top k: a ranking model's audited top, validated once and carried to the audit."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from fairgate.audit.pipeline.run import AuditSpec
from fairgate.errors import FilingError
from fairgate.registry.store.filing import filing_json_schema, parse_filing

EXAMPLES = Path(str(resources.files("fairgate.registry") / "examples"))


def _ranking(example_filing, **target) -> dict:
    body = dict(example_filing, algorithm_type="ranking")
    body["target"] = {**example_filing["target"], "threshold": 0.5, **target}
    return body


def test_the_ranking_example_reaches_the_audit_spec_with_its_top_k():
    filing = parse_filing(EXAMPLES / "ranking-filing.yaml")
    assert filing.target.top_k == 500
    spec = AuditSpec.coerce(filing)
    assert spec.kind == "scores" and spec.top_k == 500 and spec.threshold == 0.5
    assert spec.to_dict()["top_k"] == 500
    assert "top_k" not in spec.extra


def test_without_top_k_the_spec_has_none_and_the_hash_is_unchanged(example_filing):
    filing = parse_filing(_ranking(example_filing))
    assert filing.target.top_k is None and AuditSpec.coerce(filing).top_k is None
    assert '"top_k"' not in filing.canonical_json()  # hashed as before the field existed
    with_k = parse_filing(_ranking(example_filing, top_k=100))
    assert '"top_k":100' in with_k.canonical_json() and with_k.sha256() != filing.sha256()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0, "received 0; top_k is at least 1"),
        (-5, "received -5; top_k is at least 1"),
        (2.5, "received 2.5 (float); top_k is a whole number"),
        ("100", "received '100' (str); top_k is a whole number"),
        (True, "received True (bool); top_k is a whole number"),
        (10**12, "at most 1,000,000,000"),
    ],
)
def test_a_bad_top_k_is_refused_naming_the_field(example_filing, value, words):
    with pytest.raises(FilingError) as err:
        parse_filing(_ranking(example_filing, top_k=value))
    assert err.value.status_code == 422
    problems = err.value.details["problems"]
    assert [p["field"] for p in problems] == ["target.top_k"]
    assert words in problems[0]["problem"]


def test_top_k_is_refused_for_a_model_that_ranks_nothing(example_filing):
    body = dict(example_filing)
    body["target"] = {**example_filing["target"], "top_k": 100}
    with pytest.raises(FilingError, match=r"target\.top_k: a top k is audited for ranking models"):
        parse_filing(body)


def test_the_json_schema_describes_top_k(example_filing):
    schema = filing_json_schema()
    top_k = schema["$defs"]["Target"]["properties"]["top_k"]
    assert "ranking" in top_k["description"]
    body = _ranking(example_filing, top_k=100)
    body["filed_on"] = str(body.get("filed_on", "2026-01-01"))
    jsonschema.validate(body, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_ranking(body, top_k=0), schema)


def test_a_bad_top_k_is_a_422_from_the_service(env, example_filing):
    body = _ranking(example_filing, top_k=0)
    body["name"] = "ranked-release"
    with env.client("acme") as c:
        r = c.post("/v1/models", json={"filing": body})
    assert r.status_code == 422, r.text
    assert "target.top_k" in r.json()["message"] and "at least 1" in r.json()["message"]
    with env.client("acme") as c:
        r = c.post("/v1/models", json={"filing": _ranking(body, top_k=50)})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "binary", "top_k": 10},
        {"kind": "scores", "threshold": 0.5, "top_k": 0},
        {"kind": "scores", "threshold": 0.5, "top_k": "10"},
    ],
)
def test_a_python_spec_with_a_bad_top_k_is_refused(spec):
    from fairgate.errors import ValidationError

    with pytest.raises(ValidationError, match=r"top_k=.*whole number of at least 1") as err:
        AuditSpec.coerce({"target": "y", "sensitive": ["sex"], **spec})
    assert err.value.status_code == 422
