"""The README's first command: `fairgate demo` runs the whole loop on the embedded default."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_files_audits_and_decides(tmp_path):
    env = {**os.environ, "FAIRGATE_HOME": str(tmp_path / "home"), "COLUMNS": "120"}
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
    assert "Ledger: intact, 6 events" in out
    for version in ("1", "2"):
        folder = tmp_path / "home" / "reports" / "toronto-arrests-release" / version
        assert (folder / "report.html").stat().st_size > 10_000
        assert (folder / "audit.ipynb").exists() and (folder / "audit.json").exists()

    from fairgate.registry.store import Registry
    from fairgate.settings import Settings

    reg = Registry(Settings(home=tmp_path / "home"))
    states = {m.version: m.state for m in reg.list_versions()}
    assert states == {"1": "REJECTED", "2": "ACTIVE"}
    assert [a.verdict for a in reg.audits("toronto-arrests-release", "2")] in (["pass"], ["warn"])
