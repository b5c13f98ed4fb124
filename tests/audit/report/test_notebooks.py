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
@pytest.mark.parametrize("policy", ["default", "relative-file"])
def test_generated_notebook_reproduces_the_audit_from_another_directory(
    tmp_path, monkeypatch, policy
):
    """A built-in policy name or a relative policy file: the notebook runs unmodified elsewhere."""
    from importlib import resources

    model, data, spec = make_case(tmp_path, n=1200)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    if policy == "relative-file":
        builtin = resources.files("fairgate.audit.policy") / "builtin" / "city-example.yaml"
        source = builtin.read_text(encoding="utf-8")
        Path("policy.yaml").write_text(source, encoding="utf-8")
        policy = "policy.yaml"
    result = run_audit(
        model, data, spec, policy, seed=7, out_dir=Path("out"), explain_size=40, lang="zh"
    )
    notebook = workdir / "out" / "audit.ipynb"
    source = notebook.read_text(encoding="utf-8")
    assert str(workdir / policy) not in source and str(workdir / "default") not in source
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    nb = _execute(notebook, elsewhere)
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
