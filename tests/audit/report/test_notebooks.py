"""Notebooks run end to end: the generated one reproduces the audit exactly; the examples run."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from fairgate.audit.pipeline.run import run_audit
from tests.fixtures.audit import make_case

NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"


def _execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def _outputs(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") or json.dumps(out.get("data", {})))
    return "\n".join(parts)


@pytest.mark.slow
def test_generated_notebook_reproduces_the_audit(tmp_path):
    model, data, spec = make_case(tmp_path)
    out = tmp_path / "out"
    result = run_audit(model, data, spec, seed=7, out_dir=out)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    nb = _execute(out / "audit.ipynb", elsewhere)  # does not depend on the cwd
    text = _outputs(nb)
    assert f"reproduced exactly: {result.fingerprint()}" in text
    assert f"verdict: {result.outcome}" in text


@pytest.mark.slow
@pytest.mark.parametrize("name", ["arrests_audit.ipynb", "metrics_tour.ipynb"])
def test_example_notebooks_run(name, tmp_path):
    nb = _execute(NOTEBOOKS / name, tmp_path)
    assert nb.cells
    if name == "arrests_audit.ipynb":
        assert "reproduced:" in _outputs(nb)
