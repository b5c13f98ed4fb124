"""The registry's use cases on a real SQLite registry: what an audit of a filed model refuses
before it runs (nothing recorded), and how a run that stops is recorded."""

from __future__ import annotations

import pandas as pd
import pytest

from fairgate.errors import (
    ArtifactIntegrityError,
    ConflictError,
    FairgateError,
    FilingError,
    TransitionError,
)
from fairgate.registry.usecases import (
    AuditRequest,
    DecisionRequest,
    FileRequest,
    audit_filed_model,
    decide,
    file_model,
    prepare_audit,
    previous_audit,
)


def _file(registry, make_filing, skops_model, **changes):
    filing = make_filing(**changes)
    return file_model(registry, FileRequest(filing, skops_model, actor="vendor"))


def _request(tmp_path, **changes) -> AuditRequest:
    body = {"name": "lending", "version": "1", "data": tmp_path / "eval.parquet", "actor": "me"}
    return AuditRequest(**{**body, **changes})


def test_a_filing_naming_an_unpublished_policy_is_refused_before_it_is_stored(
    registry, make_filing, skops_model, tmp_path
):
    for ref in ("no-such-policy", "/srv/policies/lax.yaml"):
        with pytest.raises(FilingError, match="policy"):
            _file(registry, make_filing, skops_model, policy=ref)
    assert registry.list_versions() == []
    assert {e.kind for e in registry.events()} <= {"policy_publish"}


def test_the_assigned_policy_is_used_unless_the_request_names_a_published_one(
    registry, make_filing, skops_model, tmp_path
):
    _file(registry, make_filing, skops_model, policy="city-example")
    prepared = prepare_audit(registry, _request(tmp_path))
    assert prepared.policy_ref == "city-example@1" and prepared.policy.name == "city-example"
    assert prepared.governing["name"] == "city-example" and len(prepared.governing["sha256"]) == 64
    assert prepared.spec["target"] == "released"
    assert prepared.spec["sensitive"] == ["colour", "sex"]
    chosen = prepare_audit(registry, _request(tmp_path, policy="default"))
    assert chosen.policy_ref == "default@1" and chosen.policy.name == "default"
    _file(registry, make_filing, skops_model, version="2", policy=None)
    assert prepare_audit(registry, _request(tmp_path, version="2")).policy_ref == "default@1"


def test_refusals_before_the_run_record_nothing(registry, make_filing, skops_model, tmp_path):
    file_model(registry, FileRequest(make_filing(version="0"), None, actor="vendor"))
    with pytest.raises(ConflictError, match="filed without an artifact"):
        prepare_audit(registry, _request(tmp_path, version="0"))
    _file(registry, make_filing, skops_model)
    decide(registry, DecisionRequest("lending", "1", "withdraw", "withdrawn for good", "A. M."))
    with pytest.raises(TransitionError):
        prepare_audit(registry, _request(tmp_path))
    _file(registry, make_filing, skops_model, version="2")
    registry.artifact_path("lending", "2").write_bytes(b"not the filed model")
    with pytest.raises(ArtifactIntegrityError, match="changed on disk"):
        audit_filed_model(registry, _request(tmp_path, version="2"))
    for version in ("0", "1", "2"):
        assert registry.audits("lending", version) == []


def test_a_run_that_stops_is_recorded_as_a_failed_audit(
    registry, make_filing, skops_model, tmp_path
):
    record = _file(registry, make_filing, skops_model)
    pd.DataFrame({"colour": ["White", "Black"], "sex": ["Male", "Female"]}).to_parquet(
        tmp_path / "eval.parquet"
    )
    with pytest.raises(FairgateError) as caught:
        audit_filed_model(registry, _request(tmp_path, out_dir=tmp_path / "out"))
    [failed] = registry.audits("lending", "1")
    assert failed.status == "failed" and failed.error == caught.value.message
    assert failed.passed is False and failed.verdict == "error" and failed.report_path is None
    assert failed.artifact_sha256 == record.artifact_sha256
    assert registry.get("lending", "1").state == "FILED"
    events = [e for e in registry.events() if not e.kind.startswith("policy_")]
    assert [e.kind for e in events] == ["file", "audit_failed"]
    assert events[-1].payload["error"] == failed.error
    assert not (tmp_path / "out").exists()
    assert registry.verify_ledger().ok


def test_a_failed_audit_is_no_evidence_for_or_against_approval(registry, make_filing, skops_model):
    record = _file(registry, make_filing, skops_model)
    registry.record_audit(
        "lending",
        "1",
        artifact_sha256=record.artifact_sha256,
        passed=True,
        verdict="pass",
        result={"summary": "no violations"},
        report_path=None,
        actor="auditor",
    )
    registry.record_failed_audit(
        "lending", "1", artifact_sha256=record.artifact_sha256, error="disk full", actor="auditor"
    )
    approved = decide(
        registry, DecisionRequest("lending", "1", "approve", "the audit passed", "A. Member")
    )
    assert approved.state == "ACTIVE"
    approval = registry.events()[-1]
    assert approval.kind == "approve"
    assert approval.payload["audit_id"] == registry.audits("lending", "1")[0].id


def test_the_cli_takes_a_filed_models_columns_from_its_filing(
    registry, make_filing, skops_model, tmp_path, monkeypatch
):
    from click.testing import CliRunner

    from fairgate.cli import main

    monkeypatch.setenv("FAIRGATE_HOME", str(registry.settings.home))
    _file(registry, make_filing, skops_model)
    res = CliRunner().invoke(
        main, ["audit", "lending@1", str(tmp_path / "eval.parquet"), "--target", "y"]
    )
    assert res.exit_code == 2
    assert "lending@1 is a filed model" in res.output and "--target" in res.output
    assert registry.audits("lending", "1") == []


@pytest.mark.slow
def test_the_report_of_a_new_version_shows_the_previous_versions_latest_audit(
    registry, make_filing, skops_model, tmp_path
):
    from sklego.datasets import load_arrests

    frame = load_arrests(as_frame=True).sample(1500, random_state=0)
    frame["released"] = (frame["released"] == "Yes").astype(int)
    frame.to_parquet(tmp_path / "eval.parquet")
    pd.DataFrame({"colour": ["White"], "sex": ["Male"]}).to_parquet(tmp_path / "bad.parquet")
    for version in ("1", "2", "3"):
        _file(registry, make_filing, skops_model, version=version)
    assert previous_audit(registry, "lending", "1") is None
    assert previous_audit(registry, "lending", "3") is None  # nothing audited yet
    first = audit_filed_model(registry, _request(tmp_path, version="1", out_dir=tmp_path / "a1"))
    report = first.report.read_text(encoding="utf-8")
    assert 'id="previous"' not in report  # version 1 has nothing to compare with
    with pytest.raises(FairgateError):  # version 2's audit stops: recorded, never compared
        audit_filed_model(registry, _request(tmp_path, version="2", data=tmp_path / "bad.parquet"))
    assert [a.status for a in registry.audits("lending", "2")] == ["failed"]
    found = previous_audit(registry, "lending", "3")
    assert found is not None and found.fingerprint() == first.result.fingerprint()
    assert found.filing["version"] == "1"
    prepared = prepare_audit(registry, _request(tmp_path, version="3"))
    assert prepared.previous is not None and prepared.previous.filing["version"] == "1"
    third = audit_filed_model(
        registry, _request(tmp_path, version="3", out_dir=tmp_path / "a3", lang="zh")
    )
    page = third.report.read_text(encoding="utf-8")
    assert 'id="previous"' in page and "版本 1" in page, page[:2000]
    assert previous_audit(registry, "lending", "1") is None  # only earlier versions count
