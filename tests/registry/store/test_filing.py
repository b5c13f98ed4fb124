"""Filing parsing: clear errors naming the field, stable hashes, a valid JSON Schema."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fairgate.errors import FilingError
from fairgate.registry.store.filing import filing_json_schema, parse_filing


def test_example_parses_and_feeds_the_audit(example_filing):
    filing = parse_filing(example_filing)
    spec = filing.audit_spec()
    assert spec["target"] == "released" and spec["sensitive"] == ["colour", "sex"]
    assert filing.summary()["vendor"] == "City data office"


def test_invalid_utf8_and_yaml_errors(tmp_path):
    with pytest.raises(FilingError, match="UTF-8 at byte 6"):
        parse_filing(b"name: \xff\xfe")
    with pytest.raises(FilingError, match="line 3"):
        parse_filing("name: x\nversion: [1\n")
    with pytest.raises(FilingError, match="mapping"):
        parse_filing("- a\n- b\n")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"purpose: " + b"x" * (2 * 1024 * 1024))
    with pytest.raises(FilingError, match="at most 1,048,576 bytes"):
        parse_filing(big)


def test_every_problem_reported_at_once(example_filing):
    body = dict(example_filing, algorithm_type="magic", version=None, extra_field=1)
    body["prohibited_variables"] = ["colour"]
    del body["purpose"]
    with pytest.raises(FilingError) as err:
        parse_filing(body)
    fields = {p["field"] for p in err.value.details["problems"]}
    assert {"algorithm_type", "version", "extra_field", "purpose"} <= fields


def test_prohibited_feature_and_duplicates(example_filing):
    with pytest.raises(FilingError, match="prohibited_variables"):
        parse_filing(dict(example_filing, prohibited_variables=["sex"]))
    feats = example_filing["features"] + [example_filing["features"][0]]
    with pytest.raises(FilingError, match="duplicate"):
        parse_filing(dict(example_filing, features=feats))


@settings(max_examples=25, deadline=None)
@given(st.randoms())
def test_hash_ignores_key_order_and_layout(example_filing, rnd):
    keys = list(example_filing)
    rnd.shuffle(keys)
    shuffled = {k: example_filing[k] for k in keys}
    as_json = json.dumps(shuffled, default=str, indent=rnd.choice([None, 1, 4]))
    assert parse_filing(as_json).sha256() == parse_filing(example_filing).sha256()
    assert parse_filing(yaml.safe_dump(shuffled)).sha256() == parse_filing(example_filing).sha256()


def test_json_schema_validates_the_example(example_filing):
    import jsonschema

    schema = filing_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    body = json.loads(json.dumps(example_filing, default=str))
    jsonschema.validate(body, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(body, risk_level="galactic"), schema)
