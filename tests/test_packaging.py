"""The fixed top-level folders install under the one ``fairgate`` namespace (editable and wheel)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import json, importlib.util, fairgate, fairgate.audit, fairgate.detectors, "
    "fairgate.registry, fairgate.report_templates;"
    "print(json.dumps({'fairgate': fairgate.__file__, 'audit': fairgate.audit.__file__,"
    " 'generic': [m for m in ('audit', 'registry', 'detectors', 'report_templates')"
    " if importlib.util.find_spec(m) is not None]}))"
)


def _probe(cwd: Path, env: dict[str, str] | None = None) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_installed_package_maps_folders_into_the_namespace(tmp_path):
    found = _probe(tmp_path)
    assert Path(str(found["audit"])).parent.name in {"audit"}
    assert found["generic"] == []  # nothing generic like `registry` importable on its own


@pytest.mark.slow
def test_wheel_holds_every_folder_under_fairgate_and_imports(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("fairgate-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.startswith("fairgate-")}
    assert top == {"fairgate"}
    folders = {"fairgate": "fairgate", "audit": "fairgate/audit", "detectors": "fairgate/detectors"}
    folders |= {"registry": "fairgate/registry", "report_templates": "fairgate/report_templates"}
    sources = [
        f"{prefix}/{path.relative_to(ROOT / folder).as_posix()}"
        for folder, prefix in folders.items()
        for path in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in path.parts
    ]
    assert len(sources) > 50
    missing = sorted(set(sources) - set(names))
    assert not missing, f"pyproject.toml's packages list misses: {missing}"
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    found = _probe(tmp_path, env)
    assert str(found["audit"]).startswith(str(target))
    assert found["generic"] == []
