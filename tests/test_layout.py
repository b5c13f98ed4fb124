"""Layout rules: layers and no cycles (import-linter), small modules, no private imports.

import-linter reads packages from the file system, and the folders install under the ``fairgate``
namespace only through ``package-dir``, so the tests lay the folders out as a wheel would (a
copy in ``tmp_path``) and run ``lint-imports`` on that copy with the project's contracts.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
MAX_LINES = 500


def _package_dirs() -> dict[str, Path]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    mapping = config["tool"]["setuptools"]["package-dir"]
    return {pkg: ROOT / folder for pkg, folder in mapping.items()}


def _modules() -> list[Path]:
    out = []
    for folder in _package_dirs().values():
        for path in folder.rglob("*.py"):
            if "migrations" not in path.relative_to(ROOT).parts:
                out.append(path)
    return sorted(set(out))


def lay_out(dest: Path) -> Path:
    """Copy the folders to ``dest`` as they install (``audit/`` as ``fairgate/audit``, ...)."""
    for pkg, folder in sorted(_package_dirs().items(), key=lambda kv: kv[0].count(".")):
        target = dest.joinpath(*pkg.split("."))
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(folder, target, ignore=ignore, dirs_exist_ok=True)
    return dest


def _lint_imports(layout: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.fail("lint-imports is missing: pip install -e '.[test]' installs import-linter")
    env = {**os.environ, "PYTHONPATH": str(layout)}
    return subprocess.run(
        [str(exe), str(PYPROJECT), "--no-cache"],
        cwd=layout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_contracts_hold(tmp_path):
    run = _lint_imports(lay_out(tmp_path / "layout"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_an_upward_import_or_a_cycle_breaks_the_contracts(tmp_path):
    layout = lay_out(tmp_path / "layout")
    core = layout / "fairgate" / "audit" / "core"
    (core / "upward.py").write_text(
        '"""An upward import."""\n\nfrom fairgate.registry.store import Registry  # noqa\n'
    )
    (core / "ping.py").write_text('"""Half a cycle."""\n\nfrom fairgate.audit.core import pong\n')
    (core / "pong.py").write_text('"""Half a cycle."""\n\nfrom fairgate.audit.core import ping\n')
    run = _lint_imports(layout)
    assert run.returncode != 0
    assert "fairgate.audit.core.upward -> fairgate.registry.store" in run.stdout
    assert "No cycles between the modules of a package BROKEN" in run.stdout


def test_no_module_is_over_500_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these by responsibility: {long}"


def test_every_module_says_its_job_in_a_docstring():
    missing = [
        str(p.relative_to(ROOT))
        for p in _modules()
        if not (ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or "").strip()
    ]
    assert missing == []


def private_imports(path: Path) -> list[str]:
    """``from fairgate.x import _name`` and ``module._name`` of an imported fairgate module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fairgate"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.name}:{node.lineno} {node.module}.{alias.name}")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("fairgate"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_no_private_name_is_imported_across_modules():
    found = [hit for p in _modules() for hit in private_imports(p)]
    assert found == []


def test_the_private_import_check_finds_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from fairgate.audit.core.counts import _binary\n"
        "from fairgate.audit.core import uncertainty\n"
        "uncertainty._percentiles\n"
    )
    assert len(private_imports(sample)) == 2
