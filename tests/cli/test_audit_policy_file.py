"""``fairgate audit --policy FILE``: the operator's local policy file, validated, clear errors."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from click.testing import CliRunner

from fairgate.cli import main
from tests.fixtures.audit import FEATURES, make_case


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    folder = tmp_path_factory.mktemp("case")
    model, data, _spec = make_case(folder, n=800)
    policy = yaml.safe_load(_builtin_text("default"))
    policy.update(name="lax-local", rules=[r for r in policy["rules"] if r["kind"] != "flip"])
    policy["rules"][0]["min"] = 0.01  # four-fifths made lax: the local file is what is applied
    (folder / "lax.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True))
    (folder / "bad.yaml").write_text("name: bad\nrules: [{id: a, kind: ratio, metric: nope}]\n")
    (folder / "broken.yaml").write_text("name: [unclosed\n")
    return folder, model, data


def _builtin_text(name: str) -> str:
    from importlib import resources

    return (resources.files("fairgate.audit.policy") / "builtin" / f"{name}.yaml").read_text()


def _audit(*args: str):
    return CliRunner().invoke(main, ["audit", *args, "--quiet"])


def _audit_file(model, data, out, policy: str):
    """``fairgate audit`` of a model file (target approved, sensitive sex) with ``--policy``."""
    return _audit(
        str(model), str(data), "--target", "approved", "--sensitive", "sex", "--out", str(out),
        "--policy", policy,
    )  # fmt: skip


def test_model_file_with_a_local_policy_file(case, tmp_path, monkeypatch):
    folder, model, data = case
    monkeypatch.chdir(folder)  # a relative path, as an operator types it
    out = tmp_path / "out"
    r = _audit_file(model, data, out, "lax.yaml")
    assert r.exit_code == 0, r.output
    saved = json.loads((out / "audit.json").read_text())
    assert saved["policy"]["name"] == "lax-local"
    assert "flip_test" not in {rule["rule_id"] for rule in saved["verdict"]["rules"]}


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("bad.yaml", r"bad.yaml: 2 problem\(s\): rules.0.metric: received 'nope'"),
        ("broken.yaml", r"'broken.yaml': not valid YAML/JSON at line 2"),
        ("missing.yaml", r"'missing.yaml': no such file and not a built-in policy"),
    ],
)
def test_bad_policy_file_is_one_clear_error(case, tmp_path, monkeypatch, file, message):
    folder, model, data = case
    monkeypatch.chdir(folder)
    out = tmp_path / "out"
    r = _audit_file(model, data, out, file)
    assert r.exit_code == 2
    assert re.search(message, r.output), r.output
    assert "Traceback" not in r.output and not out.exists()


def test_filed_model_with_a_local_policy_file(case, make_filing, monkeypatch):
    from fairgate.registry.store import Registry
    from fairgate.registry.usecases import FileRequest, file_model

    folder, model, data = case
    features = [{"name": f, "description": f, "type": "categorical"} for f in FEATURES]
    filing = make_filing(
        "lending",
        "1",
        features=features,
        sensitive_variables=["sex"],
        target={"name": "approved", "positive_label": 1, "favourable_outcome": "approved"},
    )
    registry = Registry()
    file_model(registry, FileRequest(filing, model, actor="vendor"))
    monkeypatch.chdir(folder)
    r = _audit("lending@1", str(data), "--policy", "bad.yaml")
    assert r.exit_code == 2 and "rules.0.metric" in r.output and "lending@1" in r.output
    assert registry.audits("lending", "1") == []  # refused before the run: nothing recorded
    r = _audit("lending@1", str(data), "--policy", "lax.yaml")
    assert r.exit_code == 0, r.output
    assert "policy: lax.yaml" in r.output
    (audit,) = registry.audits("lending", "1")
    assert audit.result["policy"]["name"] == "lax-local"
    assert "governing_policy" not in audit.result  # a local file is not a published policy
