"""The README's first command: `fairgate demo` runs the whole loop on the embedded default,
备案 -> 评估 -> 退出: file, audit, committee decision, live decisions through StatusClient to an
in-process service, the breaker tripping on a biased stream, the model suspended, the evidence
in the ledger."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_files_audits_decides_serves_and_trips(tmp_path):
    env = {**os.environ, "FAIRGATE_HOME": str(tmp_path / "home"), "COLUMNS": "120"}
    env.pop("FAIRGATE_BREAKER_POLICY", None)
    run = subprocess.run(
        [sys.executable, "-c", "from fairgate.cli import main; main()", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "Verdict: FAIL" in out and "prohibited_variable" in out  # version 1 uses colour, sex
    assert "committee: REJECTED" in out and "committee: ACTIVE" in out
    assert "fairgate service running in this process at http://127.0.0.1:" in out
    assert "Circuit breaker tripped" in out and "push stream reported SUSPENDED" in out
    assert "breaker_trip" in out and "live_selection_rate.colour" in out
    assert "Ledger: intact, 11 events" in out  # 2 policy publications, 2 assignments
    for version in ("1", "2"):
        folder = tmp_path / "home" / "reports" / "toronto-arrests-release" / version
        assert (folder / "report.html").stat().st_size > 10_000
        assert (folder / "audit.ipynb").exists() and (folder / "audit.json").exists()

    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    reg = Registry(Settings(home=tmp_path / "home"))
    states = {m.version: m.state for m in reg.list_versions()}
    assert states == {"1": "REJECTED", "2": "SUSPENDED"}
    assert [a.verdict for a in reg.audits("toronto-arrests-release", "2")] in (["pass"], ["warn"])
    events = reg.events()
    assert [e.kind for e in events] == [
        "policy_publish",  # the built-in policies, published at first start
        "policy_publish",
        "file",
        "policy_assign",  # the committee's policy pinned to the filing
        "file",
        "policy_assign",
        "audit",
        "reject",
        "audit",
        "approve",
        "breaker_trip",
    ]
    trip = events[-1].payload
    assert trip["evidence"]["p_value"] < trip["evidence"]["alpha"]
    assert trip["evidence"]["statistic"] > trip["evidence"]["threshold"]
    assert reg.verify_ledger().ok


def test_run_demo_audit_writes_under_fairgate_home(_isolated_home):
    from fairgate.demo import run_demo_audit

    result = run_demo_audit(lang="zh")
    out = _isolated_home / "reports" / "arrests-demo"
    assert (out / "report.html").exists() and (out / "audit.ipynb").exists()
    assert set(result.reports) == {"colour", "sex", "colour x sex"}
    assert result.explanation and set(result.explanation["group_importance"]) == {"colour", "sex"}
    assert "公平性审计报告" in (out / "report.html").read_text(encoding="utf-8")


def test_the_audit_layer_does_not_import_the_demo():
    from pathlib import Path

    import fairgate.audit

    root = Path(fairgate.audit.__file__).parent
    importers = [p for p in root.rglob("*.py") if "fairgate.demo" in p.read_text(encoding="utf-8")]
    assert importers == []
    assert not hasattr(fairgate.audit, "run_demo_audit")
