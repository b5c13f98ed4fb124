"""The sandbox worker: loads one vendor model and scores frames for the parent, nothing more.

Started by :mod:`fairgate.audit.pipeline.sandbox` as ``python -I -m
fairgate.audit.pipeline.sandbox_worker LIMITS_JSON`` in a scratch folder with a scrubbed
environment. It sets its own resource limits first (address space, CPU time, open files),
before it reads anything a vendor sent. Requests arrive as JSON lines on stdin; answers leave
as JSON lines on a private copy of stdout (the model's own prints go to stderr). Frames come in
as Arrow IPC files and results go out as ``.npy`` files without pickle, both inside the scratch
folder.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _limit(kind: int, value: int) -> None:
    if value <= 0:
        return
    _soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard if hard != resource.RLIM_INFINITY else value))


def _plain(values: Any) -> Any:
    import numpy as np

    return np.asarray(values).tolist()


def _result(values: Any, n_rows: int) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(values, pd.DataFrame):
        values = values.to_numpy()
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.asarray(arr.tolist())
        if arr.dtype == object:
            arr = arr.astype(str)
    if arr.ndim == 0 or len(arr) != n_rows:
        raise ValueError(f"the model returned shape {arr.shape} for {n_rows} rows")
    return arr


class _Worker:
    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.model: Any = None

    def _file(self, name: Any) -> Path:
        path = (self.scratch / str(name)).resolve()
        if path.parent != self.scratch:
            raise ValueError(f"file {name!r} is not in the scratch folder")
        return path

    def load(self, request: dict[str, Any]) -> dict[str, Any]:
        from fairgate.audit.pipeline.model_io import load_model, model_inputs

        path = Path(str(request["path"]))
        self.model = load_model(path, allow_pickle=bool(request.get("allow_pickle")))
        if not callable(getattr(self.model, "predict", None)):
            raise TypeError("the loaded object has no predict method; save a fitted model")
        classes = getattr(self.model, "classes_", None)
        return {
            "inputs": model_inputs(self.model, path).to_dict(),
            "classes": None if classes is None else _plain(classes),
            "has_proba": callable(getattr(self.model, "predict_proba", None)),
            "type": type(self.model).__name__,
        }

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        import numpy as np
        import pyarrow as pa

        if self.model is None:
            raise RuntimeError("no model loaded")
        with pa.memory_map(str(self._file(request["input"]))) as source:
            frame = pa.ipc.open_file(source).read_pandas()
        method = {"predict": "predict", "predict_proba": "predict_proba"}[request["op"]]
        out = _result(getattr(self.model, method)(frame), len(frame))
        np.save(self._file(request["output"]), out, allow_pickle=False)
        return {"shape": list(out.shape), "dtype": out.dtype.str}


def _answer(proto: Any, body: dict[str, Any]) -> None:
    proto.write(json.dumps(body) + "\n")
    proto.flush()


def _error(exc: BaseException) -> dict[str, Any]:
    from fairgate.errors import FairgateError

    if isinstance(exc, MemoryError):
        return {"ok": False, "error": "memory", "message": "the model ran out of memory"}
    if isinstance(exc, FairgateError):
        return {"ok": False, "error": exc.code, "message": exc.message}
    text = f"{type(exc).__name__}: {str(exc)[:500]}"
    return {"ok": False, "error": "model_error", "message": text}


def main() -> int:
    """Serve requests until ``close`` or end of input; the exit status is 0 on a clean close."""
    limits = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    _limit(resource.RLIMIT_AS, int(limits.get("memory_bytes", 0)))
    _limit(resource.RLIMIT_CPU, int(limits.get("cpu_seconds", 0)))
    _limit(resource.RLIMIT_NOFILE, int(limits.get("open_files", 0)))
    _limit(resource.RLIMIT_CORE, 1)
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever the model prints goes to the log, never into the protocol
    sys.stdout = sys.stderr
    worker = _Worker(Path.cwd().resolve())
    for line in sys.stdin:
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "close":
                _answer(proto, {"ok": True})
                return 0
            body = worker.load(request) if op == "load" else worker.call(request)
            _answer(proto, {"ok": True, **body})
        except BaseException as exc:  # every failure is answered; the parent decides
            traceback.print_exc(file=sys.stderr)
            _answer(proto, _error(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
