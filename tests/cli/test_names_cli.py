"""Name ownership from the command line: file as one vendor, transfer, file as the other."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml


def _cli(home, *args):
    env = {**os.environ, "FAIRGATE_HOME": str(home)}
    cmd = [sys.executable, "-c", "from fairgate.cli import main; main()", *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_cli_name_owner_and_transfer(tmp_path, make_filing):
    home = tmp_path / "home"
    for version in ("1", "2"):
        (tmp_path / f"f{version}.yaml").write_text(yaml.safe_dump(make_filing(version=version)))
    r = _cli(home, "file", tmp_path / "f1.yaml", "--vendor", "A")
    assert r.returncode == 0, r.stderr
    r = _cli(home, "file", tmp_path / "f2.yaml", "--vendor", "B")
    assert r.returncode == 2 and "belongs to another vendor" in r.stderr
    assert _cli(home, "name", "owner", "lending").stdout.strip() == "A"
    r = _cli(
        home,
        "name",
        "transfer",
        "lending",
        "B",
        "--rationale",
        "department B runs it now",
        "--by",
        "admin",
    )
    assert r.returncode == 0 and "owner A -> B" in r.stdout, r.stderr
    assert _cli(home, "name", "owner", "lending").stdout.strip() == "B"
    r = _cli(home, "file", tmp_path / "f2.yaml", "--vendor", "B")
    assert r.returncode == 0, r.stderr
    r = _cli(home, "name", "owner", "unknown")
    assert r.returncode == 2 and "never filed" in r.stderr
