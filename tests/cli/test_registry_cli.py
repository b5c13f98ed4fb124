"""The loop from the command line: file, audit the filed artifact, approve, show, verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml


def _cli(home, *args, token=None):
    env = {**os.environ, "FAIRGATE_HOME": str(home), "COLUMNS": "150"}
    if token is not None:  # the committee member's token: decisions act as its member
        env["FAIRGATE_TOKEN"] = token
    cmd = [sys.executable, "-c", "from fairgate.cli import main; main()", *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_cli_loop(tmp_path, example_filing):
    import skops.io as sio

    from fairgate.demo.data import UNAWARE_FEATURES, arrests_model, load_arrests_frame

    data = load_arrests_frame(0)
    sio.dump(arrests_model(data.train, 0, features=UNAWARE_FEATURES), tmp_path / "m.skops")
    data.audit.to_parquet(tmp_path / "audit.parquet")
    body = dict(example_filing, name="arrests", version="7")
    body["features"] = [f for f in body["features"] if f["name"] in UNAWARE_FEATURES]
    (tmp_path / "f.yaml").write_text(yaml.safe_dump(body))
    home = tmp_path / "home"

    r = _cli(home, "file", tmp_path / "f.yaml", "--artifact", tmp_path / "m.skops")
    assert r.returncode == 0 and "filed arrests@7: FILED" in r.stdout, r.stderr
    r = _cli(home, "token", "create", "--role", "committee", "--member", "A. Member")
    member = r.stdout.strip()
    r = _cli(home, "approve", "arrests@7", "--rationale", "looks fine to me", token=member)
    assert r.returncode == 2 and "cannot approve" in r.stderr
    r = _cli(home, "audit", "arrests@7", tmp_path / "audit.parquet", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "recorded: audit 1 of arrests@7" in r.stdout and "verdict: fail" not in r.stdout
    r = _cli(home, "approve", "arrests@7", "--rationale", "the audit passed", token=member)
    assert r.returncode == 0 and "ACTIVE" in r.stdout, r.stderr
    r = _cli(home, "show", "arrests@7", "--json")
    shown = json.loads(r.stdout)
    assert shown["model"]["state"] == "ACTIVE" and len(shown["audits"]) == 1
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds == ["file", "policy_assign", "audit", "approve"]  # the filing's policy pinned
    r = _cli(home, "models", "--json")
    assert [m["name"] for m in json.loads(r.stdout)] == ["arrests"]
    r = _cli(home, "ledger", "export", "-o", tmp_path / "chain.jsonl")
    assert r.returncode == 0
    r = _cli(home, "ledger", "verify", "--anchor", tmp_path / "chain.jsonl")
    # two built-in policies published, file, policy pinned, audit, approve
    assert r.returncode == 0 and "ledger intact: 6 events" in r.stdout
    r = _cli(home, "filing-schema")
    assert json.loads(r.stdout)["title"] == "fairgate filing"
    r = _cli(home, "file", tmp_path / "audit.parquet")
    assert r.returncode == 2 and "error:" in r.stderr
