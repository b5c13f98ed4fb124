"""The audit runner and ``fairgate audit``: real models, real files, bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from fairgate.audit.pipeline.run import run_audit
from fairgate.audit.report.result import AuditResult
from fairgate.cli import main
from fairgate.errors import MissingColumnError, ModelLoadError, UnsafeModelError
from tests.fixtures.audit import FEATURES, biased_frame, make_case, train


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return make_case(tmp_path_factory.mktemp("case"))


def test_run_audit_writes_result_report_and_notebook(case, tmp_path):
    model, data, spec = case
    out = tmp_path / "out"
    result = run_audit(model, data, spec, None, seed=0, out_dir=out)
    assert sorted(p.name for p in out.iterdir()) == ["audit.ipynb", "audit.json", "report.html"]
    assert result.outcome == "fail"
    failing = [r for r in result.verdict["rules"] if r["outcome"] == "fail"]
    assert any(r["attributes"] == ["sex"] for r in failing)
    saved = json.loads((out / "audit.json").read_text())
    assert saved["schema_version"] == "1.0"
    assert saved["model"]["sha256"] == result.model["sha256"]
    assert len(saved["data"]["sha256"]) == 64
    assert {"numpy", "pandas", "scikit-learn", "shap", "fairgate"} <= set(saved["versions"])
    assert set(saved["reports"]) == {"sex", "race", "sex x race"}
    groups = {g["group"]["sex"] for g in saved["reports"]["sex"]["groups"]}
    assert groups == {"Female", "Male"}
    # no temporary folder left next to the output
    assert not list(tmp_path.glob(".fairgate-audit-*"))


def test_audit_result_is_reproducible_bit_for_bit(case, tmp_path):
    model, data, spec = case
    first = run_audit(model, data, spec, seed=3, out_dir=tmp_path / "a")
    second = run_audit(model, data, spec, seed=3, out_dir=tmp_path / "b")
    assert first.reproducible_json() == second.reproducible_json()
    a = json.loads((tmp_path / "a" / "audit.json").read_text())
    b = json.loads((tmp_path / "b" / "audit.json").read_text())
    for body in (a, b):
        body.pop("created_at")
        body.pop("timings")
        body["model"].pop("path")
        body["data"].pop("path")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert AuditResult.load(tmp_path / "a" / "audit.json").fingerprint() == first.fingerprint()


def test_large_parquet_path_gives_the_same_numbers(case, tmp_path, monkeypatch):
    from fairgate.audit.pipeline import score as scoring

    model, data, spec = case
    small = run_audit(model, data, spec, seed=0)
    monkeypatch.setattr(scoring, "LARGE_ROWS", 100)
    batched = run_audit(model, data, spec, seed=0)
    assert batched.reports == small.reports
    assert batched.verdict == small.verdict


def test_in_memory_model_and_frame(tmp_path):
    frame = biased_frame(800)
    model = train(frame)
    spec = {"target": "approved", "sensitive": "sex", "features": FEATURES}
    result = run_audit(model, frame, spec, seed=0, out_dir=tmp_path / "mem")
    names = sorted(p.name for p in (tmp_path / "mem").iterdir())
    assert names == ["audit.ipynb", "audit.json", "data.parquet", "model.skops", "report.html"]
    assert result.model["kind"] == "skops" and result.data["rows"] == 800


def test_onnx_model(tmp_path):
    pytest.importorskip("skl2onnx")
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    frame = biased_frame(1000)
    frame["male"] = (frame["sex"] == "Male").astype(np.float32)
    feats = ["male", "income", "debt"]
    model = LogisticRegression(max_iter=500).fit(frame[feats].astype(np.float32), frame["approved"])
    onx = to_onnx(model, frame[feats].to_numpy(np.float32)[:1], options={"zipmap": False})
    (tmp_path / "m.onnx").write_bytes(onx.SerializeToString())
    frame.to_parquet(tmp_path / "d.parquet", index=False)
    spec = {"target": "approved", "sensitive": ["sex"], "features": feats}
    onnx_result = run_audit(tmp_path / "m.onnx", tmp_path / "d.parquet", spec, seed=0)
    sk_result = run_audit(
        model, frame.assign(**{f: frame[f].astype(np.float32) for f in feats}), spec, seed=0
    )
    assert onnx_result.model["kind"] == "onnx"
    assert onnx_result.reports["sex"]["groups"] == sk_result.reports["sex"]["groups"]


def test_python_api_errors(case, tmp_path):
    model, data, spec = case
    with pytest.raises(MissingColumnError, match="target"):
        run_audit(model, data, {**spec, "target": "nope"})
    bad = tmp_path / "bad.skops"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ModelLoadError, match=r"bad\.skops"):
        run_audit(bad, data, spec)
    pkl = tmp_path / "m.joblib"
    import joblib

    joblib.dump(train(biased_frame(300)), pkl)
    with pytest.raises(UnsafeModelError, match="allow-pickle"):
        run_audit(pkl, data, spec)


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _audit_args(
    model: str, data: str, out, *extra: str, target: str = "approved", sensitive: str = "sex,race"
) -> list[str]:
    """``fairgate audit`` of the lending case (with its features) into ``out``."""
    return [
        "audit",
        model,
        data,
        "--target",
        target,
        "--sensitive",
        sensitive,
        "--features",
        ",".join(FEATURES),
        "--out",
        str(out),
        *extra,
        "--quiet",
    ]


def test_cli_audit_succeeds(case, tmp_path):
    model, data, _ = case
    out = tmp_path / "report"
    res = _cli(*_audit_args(str(model), str(data), out, "--lang", "zh"))
    assert res.exit_code == 0, res.output
    assert "verdict: fail" in res.output
    assert "公平性审计报告" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "problem",
    ["missing_target", "model_missing", "corrupt_model", "pickle", "wrong_schema", "not_parquet"],
)
def test_cli_bad_inputs_fail_cleanly(case, tmp_path, problem):
    model, data, _ = case
    args = {"model": str(model), "data": str(data), "target": "approved"}
    expect = ""
    if problem == "missing_target":
        args["target"] = "outcome"
        expect = "target"
    elif problem == "model_missing":
        args["model"] = str(tmp_path / "nothing.skops")
        expect = "no such file"
    elif problem == "corrupt_model":
        (tmp_path / "corrupt.skops").write_bytes(b"PK\x03\x04garbage")
        args["model"] = str(tmp_path / "corrupt.skops")
        expect = "could not be loaded"
    elif problem == "pickle":
        import joblib

        joblib.dump(train(biased_frame(300)), tmp_path / "m.pkl")
        args["model"] = str(tmp_path / "m.pkl")
        expect = "--allow-pickle"
    elif problem == "wrong_schema":
        biased_frame(200).rename(columns={"income": "salary"}).to_parquet(tmp_path / "w.parquet")
        args["data"] = str(tmp_path / "w.parquet")
        expect = "income"
    elif problem == "not_parquet":
        (tmp_path / "x.parquet").write_text("hello")
        args["data"] = str(tmp_path / "x.parquet")
        expect = "Parquet"
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main, _audit_args(args["model"], args["data"], out, target=args["target"])
    )
    assert res.exit_code == 2, res.output
    assert "error:" in res.output and expect in res.output
    assert not out.exists()
    assert not list(tmp_path.glob(".fairgate-audit-*"))


def test_cli_pickle_allowed_with_flag(case, tmp_path):
    import joblib

    _, data, _ = case
    joblib.dump(train(biased_frame(300)), tmp_path / "m.joblib")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        _audit_args(str(tmp_path / "m.joblib"), str(data), out, "--allow-pickle", sensitive="sex"),
    )
    assert res.exit_code == 0, res.output
    assert "warning" in res.output and (out / "report.html").exists()


@pytest.mark.slow
def test_mlflow_pyfunc_model(case, tmp_path):
    mlflow_sklearn = pytest.importorskip("mlflow.sklearn")
    _, data, spec = case
    model = train(biased_frame(1000))
    mlflow_sklearn.save_model(model, str(tmp_path / "mlmodel"))
    via_mlflow = run_audit(tmp_path / "mlmodel", data, spec, seed=0)
    direct = run_audit(model, data, spec, seed=0)
    assert via_mlflow.model["kind"] == "mlflow"
    assert via_mlflow.reports == direct.reports
