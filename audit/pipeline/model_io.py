"""Safe model loading: skops (explicit class allowlist), ONNX, MLflow; pickle only if allowed.

The kind of an artifact is detected from its suffix (``.skops``, ``.onnx``, ``.pkl``/``.pickle``/
``.joblib``) or, for a folder, from an ``MLmodel`` file inside it. Every archive and folder is
bounded first (:mod:`fairgate.audit.pipeline.archives`); a skops file constructs only the classes
of :mod:`fairgate.audit.pipeline.skops_allowlist`. MLflow models load only through flavours that
do not unpickle (``onnx``, ``sklearn`` saved with skops); any other MLflow model is treated as
pickle. Formats that execute code on load are refused unless ``allow_pickle=True``.

Vendors' artifacts are loaded by :mod:`fairgate.audit.pipeline.sandbox`'s worker process, never
in the service process; :func:`load_model` is what that worker calls.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairgate.audit.core.records import Record
from fairgate.audit.pipeline.archives import (
    ArchiveLimits,
    check_folder,
    check_zip,
    looks_like_pickle,
)
from fairgate.audit.pipeline.onnx_model import OnnxModel
from fairgate.audit.pipeline.skops_allowlist import check_skops_schema
from fairgate.errors import ModelLoadError, UnsafeModelError

__all__ = [
    "ModelInputs",
    "check_artifact",
    "detect_kind",
    "load_model",
    "mlflow_flavour",
    "model_inputs",
    "sha256_path",
]

_PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib"}
_SAFE_MLFLOW_FLAVOURS = ("onnx", "sklearn with serialization_format: skops")


def sha256_path(path: str | Path) -> str:
    """SHA-256 of a file, or of a folder's files (sorted relative paths and contents).

    Parameters
    ----------
    path : str or Path
        A file or a folder (an MLflow model).

    Returns
    -------
    str
        Hex digest.
    """
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def detect_kind(path: str | Path) -> str:
    """The artifact kind of ``path``: ``skops``, ``onnx``, ``mlflow`` or ``pickle``.

    Raises
    ------
    ModelLoadError
        If the path does not exist or the kind cannot be told.
    """
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(
            f"model={path.name!r}: no such file or folder; check the path.",
            details={"model": path.name},
        )
    if path.is_dir():
        if (path / "MLmodel").is_file():
            return "mlflow"
        raise ModelLoadError(
            f"model={path.name!r}: a folder without an MLmodel file; pass an MLflow model folder, "
            "or a .skops / .onnx file."
        )
    suffix = path.suffix.lower()
    if suffix == ".skops":
        return "skops"
    if suffix == ".onnx":
        return "onnx"
    if suffix in _PICKLE_SUFFIXES:
        return "pickle"
    raise ModelLoadError(
        f"model={path.name!r}: unknown model format {suffix or '(no suffix)'!r}; save the model "
        "with skops (.skops), as ONNX (.onnx) or as an MLflow model folder (zipped to upload it)."
    )


def _mlmodel(folder: Path) -> dict[str, Any]:
    import yaml

    file = folder / "MLmodel"
    if file.stat().st_size > 1 << 20:
        raise ModelLoadError(f"{folder.name}: the MLmodel file is over 1 MiB; it is refused.")
    try:
        body = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ModelLoadError(
            f"{folder.name}: the MLmodel file is not readable YAML ({exc}); re-save the model "
            "with MLflow."
        ) from exc
    if not isinstance(body, dict) or not isinstance(body.get("flavors"), dict):
        raise ModelLoadError(
            f"{folder.name}: the MLmodel file has no 'flavors' mapping; re-save the model with "
            "MLflow."
        )
    return body


def _inside(folder: Path, name: Any) -> Path:
    target = (folder / str(name)).resolve()
    if folder.resolve() not in target.parents or not target.is_file():
        raise ModelLoadError(
            f"{folder.name}: the MLmodel file names {str(name)!r}, which is not a file inside "
            "the model folder."
        )
    return target


def mlflow_flavour(folder: str | Path) -> tuple[str, Path | None]:
    """How an MLflow model folder loads without unpickling: ``("onnx"|"skops", file)``.

    Any other model is ``("pickle", None)``: loading it runs code, so it needs
    ``allow_pickle``.

    Raises
    ------
    ModelLoadError
        An unreadable MLmodel file, or a flavour naming a file outside the folder.
    """
    folder = Path(folder)
    flavors = _mlmodel(folder)["flavors"]
    onnx = flavors.get("onnx")
    if isinstance(onnx, dict) and onnx.get("data"):
        return "onnx", _inside(folder, onnx["data"])
    sk = flavors.get("sklearn")
    if (
        isinstance(sk, dict)
        and sk.get("serialization_format") == "skops"
        and not sk.get("code")
        and sk.get("pickled_model")
    ):
        return "skops", _inside(folder, sk["pickled_model"])
    return "pickle", None


def check_artifact(path: str | Path, *, allow_pickle: bool = False) -> str:
    """Checks that need no loading: bounds, format, skops allowlist, MLflow flavour.

    Safe to run in any process: archives are measured from their directory, the skops schema is
    read as JSON, nothing is constructed.

    Parameters
    ----------
    path : str or Path
        A model file or MLflow folder.
    allow_pickle : bool, default False
        Whether pickle/joblib files (and MLflow models that unpickle) are allowed.

    Returns
    -------
    str
        The kind (``skops``, ``onnx``, ``mlflow``, ``pickle``).

    Raises
    ------
    ModelLoadError
        Corrupt, over a limit, pickle bytes under another name, types outside the allowlist.
    UnsafeModelError
        Pickle (or an MLflow model that unpickles) while pickle is not allowed.
    """
    path = Path(path)
    kind = detect_kind(path)
    if kind == "skops":
        check_zip(path)
        check_skops_schema(path)
    elif kind == "onnx":
        if looks_like_pickle(path):
            raise ModelLoadError(
                f"{path.name}: the file holds pickle bytes, not an ONNX model; export the model "
                "to ONNX (e.g. with skl2onnx) and file it again."
            )
        limit = ArchiveLimits().max_unpacked_bytes
        if path.stat().st_size > limit:
            raise ModelLoadError(
                f"{path.name}: the ONNX file is over the size limit of {limit:,} bytes."
            )
    elif kind == "mlflow":
        check_folder(path)
        flavour, file = mlflow_flavour(path)
        if flavour == "skops" and file is not None:
            check_zip(file)
            check_skops_schema(file)
        if flavour == "pickle" and not allow_pickle:
            raise UnsafeModelError(
                f"{path.name}: this MLflow model loads only by unpickling (it has neither an "
                f"onnx flavour nor a sklearn flavour saved with skops), which runs code. Log it "
                "with mlflow.onnx or mlflow.sklearn.log_model(..., serialization_format='skops'); "
                "or, if you trust its source, allow pickle (FAIRGATE_ALLOW_PICKLE=1 for the "
                "service, --allow-pickle or allow_pickle=True for an audit).",
                details={"file": path.name, "safe_flavours": list(_SAFE_MLFLOW_FLAVOURS)},
            )
    elif not allow_pickle:
        raise UnsafeModelError(
            f"{path.name}: pickle/joblib files run any code they hold when loaded, so fairgate "
            "refuses them. Save the model with skops (.skops), as ONNX (.onnx) or as an MLflow "
            "model; or, if you trust its source, allow pickle (FAIRGATE_ALLOW_PICKLE=1 for the "
            "service, --allow-pickle or allow_pickle=True for an audit).",
            details={"file": path.name},
        )
    return kind


def load_model(path: str | Path, *, allow_pickle: bool = False) -> Any:
    """Load a model: bounded, allowlisted, pickle only if allowed.

    Call it in the sandbox worker (:mod:`fairgate.audit.pipeline.sandbox`) for any artifact a
    vendor sent: even an allowlisted model runs native code of the libraries it names.

    Parameters
    ----------
    path : str or Path
        A ``.skops`` or ``.onnx`` file, an MLflow model folder, or (only with ``allow_pickle``)
        a ``.pkl``/``.joblib`` file or an MLflow model that unpickles.
    allow_pickle : bool, default False
        Load formats that run arbitrary code on load. A warning is issued.

    Returns
    -------
    object
        Something with ``predict`` (and usually ``predict_proba``).

    Raises
    ------
    ModelLoadError
        Missing, corrupt, over a limit, unloadable, or types outside the skops allowlist.
    UnsafeModelError
        A format that unpickles without ``allow_pickle``.
    """
    path = Path(path)
    kind = check_artifact(path, allow_pickle=allow_pickle)
    try:
        if kind == "skops":
            return _load_skops(path)
        if kind == "onnx":
            return OnnxModel(path)
        if kind == "mlflow":
            flavour, file = mlflow_flavour(path)
            if flavour == "onnx":
                return OnnxModel(file)
            if flavour == "skops":
                return _load_skops(file)
            return _unpickle(path, mlflow=True)
        return _unpickle(path, mlflow=False)
    except (ModelLoadError, UnsafeModelError):
        raise
    except Exception as exc:  # corrupt or incompatible artifact
        raise ModelLoadError(
            f"model={path.name!r}: the {kind} file could not be loaded "
            f"({type(exc).__name__}: {str(exc)[:200]}); check that the file is complete and was "
            "saved by a compatible library version, or re-export it.",
            details={"model": path.name, "kind": kind},
        ) from exc


def _unpickle(path: Path, *, mlflow: bool) -> Any:
    warnings.warn(
        f"loading {path.name} by unpickling: this runs any code the file contains",
        UserWarning,
        stacklevel=3,
    )
    if mlflow:
        import mlflow.pyfunc

        return mlflow.pyfunc.load_model(str(path))
    import joblib

    return joblib.load(path)


def _load_skops(path: Path) -> Any:
    import skops.io as sio

    trusted = check_skops_schema(path)
    return sio.load(path, trusted=trusted)


@dataclass(frozen=True)
class ModelInputs(Record):
    """The inputs a loaded model actually takes.

    Attributes
    ----------
    names : list of str or None
        Input names (``feature_names_in_``, ONNX input names, the MLflow signature); ``None``
        when the model does not record them.
    count : int or None
        Number of input columns, when known.
    source : str
        Where the names come from.
    """

    names: list[str] | None
    count: int | None
    source: str


def model_inputs(model: Any, path: str | Path | None = None) -> ModelInputs:
    """The input names of a loaded model (and, for MLflow, of its signature).

    Parameters
    ----------
    model : object
        What :func:`load_model` returned.
    path : str or Path, optional
        The artifact; an MLflow folder's signature takes precedence.

    Returns
    -------
    ModelInputs
    """
    if path is not None and Path(path).is_dir():
        signature = _mlmodel(Path(path)).get("signature") or {}
        raw = signature.get("inputs") if isinstance(signature, dict) else None
        if isinstance(raw, str):
            try:
                cols = json.loads(raw)
            except ValueError:
                cols = None
            if isinstance(cols, list) and all(isinstance(c, dict) and "name" in c for c in cols):
                names = [str(c["name"]) for c in cols]
                return ModelInputs(names, len(names), "MLflow signature")
    if isinstance(model, OnnxModel):
        inputs = model.inputs
        if len(inputs) == 1:
            shape = inputs[0].shape
            width = shape[1] if len(shape) == 2 and isinstance(shape[1], int) else None
            if width not in (None, 1):
                return ModelInputs(None, width, f"ONNX input {inputs[0].name!r} (one tensor)")
        return ModelInputs([i.name for i in inputs], len(inputs), "ONNX input names")
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return ModelInputs([str(n) for n in names], len(names), "feature_names_in_")
    count = getattr(model, "n_features_in_", None)
    return ModelInputs(None, int(count) if count is not None else None, "n_features_in_")
