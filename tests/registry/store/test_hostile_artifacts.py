"""Hostile artifacts are refused at filing, before anything is stored, and no payload runs.

Each test builds the attack for real (a skops file calling a numpy function that runs code, a zip
bomb, pickle bytes named ``.skops``, a corrupt file, an MLflow model that unpickles, models whose
inputs differ from the filing) and files it through the registry on a real SQLite file. A marker
file written by the payload proves whether it ran.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from fairgate.errors import FilingError, ModelLoadError, PermissionDeniedError, UnsafeModelError


def _counts(reg) -> tuple[int, int]:
    with reg.engine.connect() as conn:
        models = conn.execute(sa.text("SELECT COUNT(*) FROM model_versions")).scalar()
        events = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_events")).scalar()
    return models, events


def _stored_files(reg) -> list[Path]:
    root = reg.settings.artifacts_dir / "sha256"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _payload(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('payload ran')"


def _numpy_exec_skops(good: Path, out: Path, marker: Path) -> Path:
    """A valid skops model with one more attribute: numpy's runstring(code, {}) is called."""
    with zipfile.ZipFile(good) as src:
        members = {name: src.read(name) for name in src.namelist()}
    schema = json.loads(members["schema.json"])
    code = {
        "__class__": "str",
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(_payload(marker)),
        "is_json": True,
        "__id__": 1,
    }
    scope = {
        "__class__": "dict",
        "__module__": "builtins",
        "__loader__": "DictNode",
        "content": {},
        "key_types": {
            "__class__": "list",
            "__module__": "builtins",
            "__loader__": "ListNode",
            "content": [],
            "__id__": 2,
        },
        "__id__": 3,
    }
    call = {
        "__class__": "runstring",
        "__module__": "numpy.testing._private.utils",
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            "__class__": "tuple",
            "__module__": "builtins",
            "__loader__": "TupleNode",
            "content": [code, scope],
            "__id__": 4,
        },
        "__id__": 5,
    }
    attributes = schema["content"]  # the pipeline's attribute dict
    attributes["content"]["fairgate_probe"] = call
    attributes["key_types"]["content"].append(
        {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode", "__id__": 6}
    )
    members["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(out, "w") as dst:
        for name, body in members.items():
            dst.writestr(name, body)
    return out


class _Payload:
    """Unpickling this runs code (writes the marker)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('payload ran')",))


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "marker.txt"


def test_numpy_exec_attack_is_real_under_a_prefix_rule(tmp_path, skops_model, marker):
    """Control: skops trusting every ``numpy.`` name (the old rule) runs the payload."""
    evil = _numpy_exec_skops(skops_model, tmp_path / "evil.skops", marker)
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=evil)
    assert "numpy.testing._private.utils.runstring" in untrusted
    assert all(t.startswith(("sklearn.", "numpy.")) for t in untrusted)
    code = (
        "import skops.io as s, sys; "
        "s.load(sys.argv[1], trusted=s.get_untrusted_types(file=sys.argv[1]))"
    )
    subprocess.run([sys.executable, "-c", code, str(evil)], check=True, timeout=300)
    assert marker.read_text() == "payload ran"


def test_numpy_exec_skops_refused_at_filing(registry, make_filing, tmp_path, skops_model, marker):
    evil = _numpy_exec_skops(skops_model, tmp_path / "evil.skops", marker)
    with pytest.raises(ModelLoadError) as err:
        registry.file(make_filing(), evil, actor="vendor")
    message = str(err.value)
    assert "numpy.testing._private.utils.runstring" in message and "no functions" in message
    assert err.value.status_code == 422
    assert not marker.exists()
    assert _counts(registry) == (0, 0) and _stored_files(registry) == []


def test_zip_bomb_refused_at_filing(registry, make_filing, tmp_path, skops_model):
    bomb = tmp_path / "bomb.skops"
    with (
        zipfile.ZipFile(skops_model) as src,
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        with dst.open("zeros.npy", "w", force_zip64=True) as fh:  # 400 MB of zeros
            block = bytes(1 << 20)
            for _ in range(400):
                fh.write(block)
    assert bomb.stat().st_size < 1 << 20  # under 1 MB on disk, 400 MB unpacked
    with pytest.raises(ModelLoadError, match="zip bomb") as err:
        registry.file(make_filing(), bomb, actor="vendor")
    assert "419,4" in str(err.value) or "unpack to" in str(err.value)
    assert _counts(registry) == (0, 0) and _stored_files(registry) == []


def test_pickle_bytes_named_skops_refused(registry, make_filing, tmp_path, marker):
    fake = tmp_path / "model.skops"
    fake.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ModelLoadError, match="pickle bytes, not a skops archive"):
        registry.file(make_filing(), fake, actor="vendor")
    assert not marker.exists()
    assert _counts(registry) == (0, 0) and _stored_files(registry) == []


def test_corrupt_skops_refused(registry, make_filing, tmp_path, skops_model):
    broken = tmp_path / "broken.skops"
    broken.write_bytes(skops_model.read_bytes()[: skops_model.stat().st_size // 2])
    with pytest.raises(ModelLoadError, match="could not be loaded") as err:
        registry.file(make_filing(), broken, actor="vendor")
    assert "broken.skops" in str(err.value) and err.value.status_code == 422
    assert _counts(registry) == (0, 0) and _stored_files(registry) == []


def _two_input_frame() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"income": rng.normal(size=300), "debt": rng.normal(size=300)})
    return X, (X.income - X.debt > 0).astype(int)


def test_onnx_inputs_differ_from_filing(registry, make_filing, tmp_path):
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _two_input_frame()
    model = make_pipeline(
        make_column_transformer((StandardScaler(), ["income", "debt"])), LogisticRegression()
    ).fit(X.astype(np.float32), y)
    onx = to_onnx(
        model,
        initial_types=[
            ("income", FloatTensorType([None, 1])),
            ("debt", FloatTensorType([None, 1])),
        ],
        options={"zipmap": False},
    )
    path = tmp_path / "model.onnx"
    path.write_bytes(onx.SerializeToString())
    filing = make_filing()
    declared = [f["name"] for f in filing["features"]]
    with pytest.raises(FilingError) as err:
        registry.file(filing, path, actor="vendor")
    message = str(err.value)
    assert str(["income", "debt"]) in message and str(declared) in message
    assert err.value.status_code == 422 and err.value.details["not_declared"] == ["income", "debt"]
    assert _counts(registry) == (0, 0) and _stored_files(registry) == []


def test_mlflow_inputs_differ_from_filing(registry, make_filing, tmp_path):
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    X, y = _two_input_frame()
    folder = tmp_path / "mlflow-model"
    mlflow.sklearn.save_model(
        LogisticRegression().fit(X, y), folder, serialization_format="skops", input_example=X[:3]
    )
    filing = make_filing()
    declared = [f["name"] for f in filing["features"]]
    with pytest.raises(FilingError, match="MLflow signature") as err:
        registry.file(filing, folder, actor="vendor")
    assert str(["income", "debt"]) in str(err.value) and str(declared) in str(err.value)
    assert _counts(registry) == (0, 0) and _stored_files(registry) == []


def test_mlflow_model_that_unpickles_refused(registry, make_filing, tmp_path, marker):
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    X, y = _two_input_frame()
    folder = tmp_path / "mlflow-pickle"
    mlflow.sklearn.save_model(
        LogisticRegression().fit(X, y), folder, serialization_format="cloudpickle"
    )
    (folder / "model.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(UnsafeModelError, match="loads only by unpickling") as err:
        registry.file(make_filing(), folder, actor="vendor")
    assert err.value.status_code == 403
    assert not marker.exists()
    assert _counts(registry) == (0, 0) and _stored_files(registry) == []


def test_symlink_in_mlflow_folder_refused(registry, make_filing, tmp_path):
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    X, y = _two_input_frame()
    folder = tmp_path / "mlflow-link"
    mlflow.sklearn.save_model(LogisticRegression().fit(X, y), folder, serialization_format="skops")
    (folder / "secrets").symlink_to("/etc/hostname")
    with pytest.raises(ModelLoadError, match="symbolic link"):
        registry.file(make_filing(), folder, actor="vendor")
    assert _counts(registry) == (0, 0)


def test_prohibited_input_reported_at_filing(registry, make_filing, skops_model):
    mv = registry.file(make_filing(), skops_model, actor="vendor")
    reported = " ".join(mv.findings)
    assert "'sex'" in reported and "prohibited" in reported and "'default@1'" in reported
    assert "'year'" not in reported
    event = registry.events()[-1]
    assert {p["feature"] for p in event.payload["checks"]["prohibited_inputs"]} >= {"sex"}
    assert event.payload["checks"]["inputs"]["source"] == "feature_names_in_"


def test_names_are_owned_and_transferred(registry, make_filing):
    registry.file(make_filing(version="1"), actor="vendor a", vendor="A")
    with pytest.raises(PermissionDeniedError, match="belongs to another vendor"):
        registry.file(make_filing(version="2"), actor="vendor b", vendor="B")
    assert [m.version for m in registry.list_versions(name="lending")] == ["1"]
    assert registry.name_owner("lending") == "A"
    previous = registry.transfer_name(
        "lending", "B", rationale="department B took over the service", actor="admin"
    )
    assert previous == "A" and registry.name_owner("lending") == "B"
    assert registry.list_versions(vendor="A") == []
    assert registry.file(make_filing(version="2"), actor="vendor b", vendor="B").vendor == "B"
    with pytest.raises(PermissionDeniedError):
        registry.file(make_filing(version="3"), actor="vendor a", vendor="A")
    kinds = [e.kind for e in registry.events()]
    assert "transfer_name" in kinds
    assert registry.verify_ledger().ok


def _zip_folder(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, Path(folder.name) / file.relative_to(folder))
    return out


def test_zipped_mlflow_model_checked_and_stored(registry, make_filing, tmp_path, arrests_model):
    import mlflow.sklearn

    model, X = arrests_model
    folder = tmp_path / "arrests-model"
    mlflow.sklearn.save_model(model, folder, serialization_format="skops", input_example=X[:3])
    mv = registry.file(make_filing(), _zip_folder(folder, tmp_path / "model.zip"), actor="v")
    assert mv.artifact_kind == "mlflow"
    with registry.load_model(mv.name, mv.version) as loaded:
        assert loaded.predict(X.head(4)).tolist() == model.predict(X.head(4)).tolist()

    escape = tmp_path / "escape.zip"
    with zipfile.ZipFile(escape, "w") as archive:
        archive.writestr("../outside.txt", b"x")
    with pytest.raises(ModelLoadError, match="points outside the archive"):
        registry.file(make_filing(version="2"), escape, actor="v")
    assert not (tmp_path.parent / "outside.txt").exists()
