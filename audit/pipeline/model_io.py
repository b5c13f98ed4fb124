"""Safe model loading for the audit runner: skops, ONNX, MLflow pyfunc; pickle only if allowed.

The kind of an artifact is detected from its suffix (``.skops``, ``.onnx``, ``.pkl``/``.pickle``/
``.joblib``) or, for a folder, from an ``MLmodel`` file inside it. Formats that execute code on
load (pickle, joblib) are refused unless ``allow_pickle=True``, and then load with a warning.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from fairgate.errors import ModelLoadError, UnsafeModelError

__all__ = ["OnnxModel", "detect_kind", "load_model", "sha256_path"]

_PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib"}
_TRUSTED_PREFIXES = ("sklearn.", "numpy.")  # scikit-learn's and numpy's own types


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
            f"model={str(path)!r}: no such file or folder; check the path.",
            details={"model": str(path)},
        )
    if path.is_dir():
        if (path / "MLmodel").exists():
            return "mlflow"
        raise ModelLoadError(
            f"model={str(path)!r}: a folder without an MLmodel file; pass an MLflow model folder, "
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
        f"model={str(path)!r}: unknown model format {suffix or '(no suffix)'!r}; save the model "
        "with skops (.skops), as ONNX (.onnx) or as an MLflow model folder."
    )


class OnnxModel:
    """A scikit-learn-like wrapper around an onnxruntime session (``predict``, ``predict_proba``).

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file.
    """

    def __init__(self, path: str | Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = self.session.get_inputs()
        self.outputs = [o.name for o in self.session.get_outputs()]

    def _feed(self, X: Any) -> dict[str, np.ndarray]:
        import pandas as pd

        if len(self.inputs) == 1 or not isinstance(X, pd.DataFrame):
            arr = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
            kind = self.inputs[0].type
            dtype = np.int64 if "int64" in kind else np.str_ if "string" in kind else np.float32
            return {self.inputs[0].name: arr.astype(dtype)}
        feed = {}
        for inp in self.inputs:
            col = X[inp.name].to_numpy()
            if "string" in inp.type:
                col = col.astype(str)
            elif "int64" in inp.type:
                col = col.astype(np.int64)
            else:
                col = col.astype(np.float32)
            feed[inp.name] = col.reshape(-1, 1)
        return feed

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels."""
        return np.asarray(self.session.run([self.outputs[0]], self._feed(X))[0]).ravel()

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n, classes)``."""
        out = self.session.run([self.outputs[1]], self._feed(X))[0]
        if isinstance(out, list):  # ZipMap output: a list of dicts
            keys = sorted(out[0])
            return np.array([[row[k] for k in keys] for row in out], dtype=np.float64)
        return np.asarray(out, dtype=np.float64)


def load_model(
    path: str | Path, *, allow_pickle: bool = False, trusted: list[str] | None = None
) -> Any:
    """Load a model safely.

    Parameters
    ----------
    path : str or Path
        A ``.skops`` or ``.onnx`` file, an MLflow model folder, or (only with ``allow_pickle``)
        a ``.pkl``/``.joblib`` file.
    allow_pickle : bool, default False
        Load pickle/joblib files, which run arbitrary code on load. A warning is issued.
    trusted : list of str, optional
        skops types to trust beyond scikit-learn's own.

    Returns
    -------
    object
        Something with ``predict`` (and usually ``predict_proba``).

    Raises
    ------
    ModelLoadError
        Missing, corrupt or unloadable artifact, or untrusted types in a skops file.
    UnsafeModelError
        A pickle/joblib file without ``allow_pickle``.
    """
    path = Path(path)
    kind = detect_kind(path)
    try:
        if kind == "skops":
            return _load_skops(path, trusted)
        if kind == "onnx":
            return OnnxModel(path)
        if kind == "mlflow":
            import mlflow.pyfunc

            return mlflow.pyfunc.load_model(str(path))
    except (ModelLoadError, UnsafeModelError):
        raise
    except Exception as exc:  # corrupt or incompatible artifact
        raise ModelLoadError(
            f"model={str(path)!r}: the {kind} file could not be loaded "
            f"({type(exc).__name__}: {str(exc)[:200]}); check that the file is complete and was "
            "saved by a compatible library version, or re-export it.",
            details={"model": str(path), "kind": kind},
        ) from exc
    if not allow_pickle:
        raise UnsafeModelError(
            f"model={str(path)!r}: pickle/joblib files run arbitrary code when loaded and are "
            "refused; save the model with skops or ONNX, or pass --allow-pickle (allow_pickle="
            "True) if you trust its source.",
            details={"model": str(path)},
        )
    warnings.warn(
        f"loading {path.name} with pickle/joblib: this runs any code the file contains",
        UserWarning,
        stacklevel=2,
    )
    try:
        import joblib

        return joblib.load(path)
    except Exception as exc:
        raise ModelLoadError(
            f"model={str(path)!r}: the pickle/joblib file could not be loaded "
            f"({type(exc).__name__}: {str(exc)[:200]}); check the file or re-export it.",
            details={"model": str(path), "kind": kind},
        ) from exc


def _load_skops(path: Path, trusted: list[str] | None) -> Any:
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    allowed = set(trusted or ())
    unknown = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES) and t not in allowed]
    if unknown:
        raise ModelLoadError(
            f"model={str(path)!r}: the skops file holds types that are not trusted: "
            f"{unknown[:10]}; review them and pass trusted=[...] if they are safe.",
            details={"model": str(path), "untrusted": unknown},
        )
    return sio.load(path, trusted=list(untrusted))
