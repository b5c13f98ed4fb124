"""An ONNX model as scikit-learn-like ``predict`` / ``predict_proba`` over an onnxruntime session.

Each session runs on one thread (the sandbox worker bounds its CPU); a frame is fed column by
column when the model has one named input per feature, else as one tensor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["OnnxModel"]


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
        options.inter_op_num_threads = 1
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
