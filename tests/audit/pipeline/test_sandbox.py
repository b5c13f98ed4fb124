"""The sandbox worker: scrubbed environment, limits, deadlines; the proxy scores like the model.

Payloads are pickles loaded with ``allow_pickle=True``, so they run *inside* the worker: that is
what lets the test see the worker's environment, working folder and limits from the inside.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairgate.audit.pipeline.sandbox import SandboxedModel, SandboxLimits
from fairgate.errors import ModelLoadError


class _Evaluated:
    """Unpickles to ``eval(expression)``: code the worker runs on load."""

    def __init__(self, expression: str) -> None:
        self.expression = expression

    def __reduce__(self):
        return (eval, (self.expression,))


def _pickled(tmp_path: Path, name: str, expression: str) -> Path:
    path = tmp_path / name
    path.write_bytes(pickle.dumps(_Evaluated(expression)))
    return path


def _limits(**changes) -> SandboxLimits:
    return replace(SandboxLimits.from_settings(), **changes)


_MODEL = "type('M', (), {{'predict': lambda self, X: {predict}}})()"


def test_worker_runs_without_secrets_in_scratch_with_limits(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGATE_ADMIN_TOKEN", "fg_secret_token")
    monkeypatch.setenv("FAIRGATE_DATABASE_URL", "postgresql://user:pw@db/fairgate")
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:pw@db/other")
    probe = tmp_path / "probe.json"
    inside = (
        f"(open({str(probe)!r}, 'w').write(__import__('json').dumps({{"
        "'env': dict(__import__('os').environ), 'cwd': __import__('os').getcwd(), "
        "'as': __import__('resource').getrlimit(__import__('resource').RLIMIT_AS), "
        "'cpu': __import__('resource').getrlimit(__import__('resource').RLIMIT_CPU), "
        "'nofile': __import__('resource').getrlimit(__import__('resource').RLIMIT_NOFILE)})), "
        + _MODEL.format(predict="__import__('numpy').arange(len(X))")
        + ")[1]"
    )
    path = _pickled(tmp_path, "probe.pkl", inside)
    limits = _limits(memory_bytes=3 << 30, cpu_seconds=300, open_files=64)
    model = SandboxedModel(path, allow_pickle=True, limits=limits)
    try:
        seen = json.loads(probe.read_text())
        assert not [k for k in seen["env"] if k.startswith("FAIRGATE")]
        assert "DATABASE_URL" not in seen["env"]
        assert "fg_secret_token" not in probe.read_text()
        assert Path(seen["cwd"]) == model.scratch.resolve() and Path(seen["cwd"]) != Path.cwd()
        assert seen["as"][0] == 3 << 30 and seen["cpu"][0] == 300 and seen["nofile"][0] == 64
        frame = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
        assert model.predict(frame).tolist() == [0, 1, 2]
        assert not hasattr(model, "predict_proba") and not hasattr(model, "classes_")
        scratch = model.scratch
    finally:
        model.close()
    assert not scratch.exists() and not model.running


def test_call_past_its_deadline_is_killed(tmp_path):
    path = _pickled(tmp_path, "slow.pkl", _MODEL.format(predict="__import__('time').sleep(3600)"))
    model = SandboxedModel(path, allow_pickle=True, limits=_limits(call_timeout=2))
    try:
        with pytest.raises(ModelLoadError, match=r"did not finish predict within 2 s"):
            model.predict(pd.DataFrame({"a": [1.0]}))
        assert not model.running  # the worker is gone
        with pytest.raises(ModelLoadError, match="worker ended"):
            model.predict(pd.DataFrame({"a": [1.0]}))
    finally:
        model.close()


def test_memory_limit_is_enforced(tmp_path):
    path = _pickled(tmp_path, "greedy.pkl", _MODEL.format(predict="bytearray(64 << 30)"))
    limits = _limits(memory_bytes=3 << 30)
    with (
        SandboxedModel(path, allow_pickle=True, limits=limits) as model,
        pytest.raises(ModelLoadError, match="ran out of memory"),
    ):
        model.predict(pd.DataFrame({"a": [1.0]}))


def test_limits_come_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGATE_SANDBOX_MEMORY_BYTES", str(3 << 30))
    monkeypatch.setenv("FAIRGATE_SANDBOX_CPU_SECONDS", "77")
    monkeypatch.setenv("FAIRGATE_SANDBOX_OPEN_FILES", "48")
    monkeypatch.setenv("FAIRGATE_SANDBOX_LOAD_SECONDS", "30")
    monkeypatch.setenv("FAIRGATE_SANDBOX_CALL_SECONDS", "2")
    monkeypatch.setenv("FAIRGATE_SANDBOX_OUTPUT_BYTES", "4096")
    assert SandboxLimits.from_settings() == SandboxLimits(3 << 30, 77, 48, 30.0, 2.0, 4096)
    probe = tmp_path / "limits.json"
    inside = (
        f"(open({str(probe)!r}, 'w').write(__import__('json').dumps(["
        "__import__('resource').getrlimit(__import__('resource').RLIMIT_CPU)[0], "
        "__import__('resource').getrlimit(__import__('resource').RLIMIT_NOFILE)[0]])), "
        + _MODEL.format(predict="__import__('numpy').zeros(len(X))")
        + ")[1]"
    )
    with SandboxedModel(_pickled(tmp_path, "p.pkl", inside), allow_pickle=True) as model:
        assert json.loads(probe.read_text()) == [77, 48]
        assert model.predict(pd.DataFrame({"a": [1.0] * 10})).tolist() == [0.0] * 10
        # 1,000 float64 scores are 8,000 bytes, over the 4,096-byte output limit
        with pytest.raises(ModelLoadError, match=r"output limit of 4,096 bytes"):
            model.predict(pd.DataFrame({"a": [1.0] * 1000}))


@pytest.mark.parametrize("name", ["FAIRGATE_SANDBOX_CALL_SECONDS", "FAIRGATE_SANDBOX_OUTPUT_BYTES"])
def test_bad_sandbox_setting_names_the_variable(monkeypatch, name):
    from fairgate.errors import ValidationError

    monkeypatch.setenv(name, "lots")
    with pytest.raises(ValidationError, match=f"{name}='lots' is not a whole number"):
        SandboxLimits.from_settings()


def test_pickle_needs_allow_pickle_even_in_the_sandbox(tmp_path):
    marker = tmp_path / "marker.txt"
    path = _pickled(tmp_path, "m.pkl", f"open({str(marker)!r}, 'w').write('ran')")
    from fairgate.errors import UnsafeModelError

    with pytest.raises(UnsafeModelError, match="allow-pickle"):
        SandboxedModel(path)
    assert not marker.exists()


@pytest.fixture(scope="module")
def arrests(tmp_path_factory):
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklego.datasets import load_arrests

    frame = load_arrests(as_frame=True)
    y = (frame.pop("released") == "Yes").astype(int)
    categorical = ["colour", "sex", "employed", "citizen"]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
            remainder="passthrough",
        ),
        HistGradientBoostingClassifier(max_iter=30, random_state=0),
    ).fit(frame, y)
    path = tmp_path_factory.mktemp("sandbox") / "model.skops"
    sio.dump(model, path)
    return model, path, frame


def test_proxy_scores_explains_and_flips_like_the_model(arrests):
    from fairgate.audit.explain import explain
    from fairgate.detectors import flip_test

    model, path, frame = arrests
    sample = frame.sample(300, random_state=0).reset_index(drop=True)
    with SandboxedModel(path) as proxy:
        assert list(proxy.feature_names_in_) == list(model.feature_names_in_)
        assert proxy.classes_.tolist() == model.classes_.tolist()
        np.testing.assert_array_equal(proxy.predict(sample), model.predict(sample))
        np.testing.assert_allclose(proxy.predict_proba(sample), model.predict_proba(sample))
        flips = flip_test(proxy, sample, "colour", seed=0).to_dict()
        shap = explain(proxy, sample, sensitive=sample[["sex"]], sample_size=20, seed=0)
    assert flips == flip_test(model, sample, "colour", seed=0).to_dict()
    direct = explain(
        model, sample, sensitive=sample[["sex"]], sample_size=20, seed=0, algorithm="permutation"
    )
    np.testing.assert_allclose(shap.values, direct.values)
