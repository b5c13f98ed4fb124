"""Vendor models in a separate, limited worker process, behind a scikit-learn-like proxy.

:class:`SandboxedModel` starts :mod:`fairgate.audit.pipeline.sandbox_worker` (``python -m``) in
a fresh scratch folder (mode 0700) with an environment built from scratch (no ``FAIRGATE_*``
variables, no database URL, no tokens), its own session, and limits on address space, CPU time
and open files. The parent sends frames as Arrow IPC files and reads results with
``numpy.load(allow_pickle=False)`` and answers as bounded JSON lines: it never unpickles anything
the worker sends, since a worker that loaded a hostile model may be compromised. Every call has a
deadline; a worker that misses it is killed with its whole process group.

The proxy has ``predict``, ``predict_proba`` (when the model has it), ``classes_`` and
``feature_names_in_``, so the audit steps, the model-agnostic SHAP path and the flip test call
the worker in batches without knowing it is there.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.audit.pipeline.model_io import ModelInputs, check_artifact
from fairgate.audit.pipeline.sandbox_limits import SandboxLimits
from fairgate.errors import ModelLoadError, UnsafeModelError

__all__ = ["ArtifactInfo", "SandboxLimits", "SandboxedModel", "inspect_artifact"]

_MAX_LINE = 1 << 20
_MAX_COLUMNS = 10_000
_ENV_KEEP = ("PATH", "LANG", "LC_ALL")


@dataclass(frozen=True)
class ArtifactInfo:
    """What opening an artifact in the sandbox showed.

    Attributes
    ----------
    kind : str
        ``skops``, ``onnx``, ``mlflow`` or ``pickle``.
    inputs : ModelInputs
        The model's actual input names (or count).
    classes : list or None
        ``classes_`` of a classifier.
    has_proba : bool
        Whether the model has ``predict_proba``.
    """

    kind: str
    inputs: ModelInputs
    classes: list[Any] | None
    has_proba: bool


def _environment(scratch: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
    env.update(
        HOME=str(scratch),
        TMPDIR=str(scratch),
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        MPLBACKEND="Agg",
    )
    return env


def _stop(proc: subprocess.Popen, scratch: Path) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    shutil.rmtree(scratch, ignore_errors=True)


def _read_result(path: Path, n_rows: int, max_bytes: int) -> np.ndarray:
    """Read the worker's ``.npy`` answer: no links, no pickle, bounded, one row per input row."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise ValueError(
                f"{size:,} bytes, over the sandbox's output limit of {max_bytes:,} bytes "
                "(FAIRGATE_SANDBOX_OUTPUT_BYTES); score less data per call or raise the limit"
            )
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _order, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, _order, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f".npy format version {version}")
        if dtype.hasobject or len(shape) not in (1, 2) or shape[0] != n_rows:
            raise ValueError(f"shape {shape} and dtype {dtype} for {n_rows} rows")
        if len(shape) == 2 and shape[1] > _MAX_COLUMNS:
            raise ValueError(f"{shape[1]} output columns")
        fh.seek(0)
        return np.load(fh, allow_pickle=False)


class SandboxedModel:
    """A vendor model loaded and scored in a limited worker process.

    Parameters
    ----------
    path : str or Path
        The artifact (``.skops``, ``.onnx``, MLflow folder; pickle with ``allow_pickle``).
    allow_pickle : bool, default False
        Let the worker unpickle (``FAIRGATE_ALLOW_PICKLE``); the limits still apply.
    limits : SandboxLimits, optional
        Default: :meth:`SandboxLimits.from_settings` (the operator's settings).

    Raises
    ------
    ModelLoadError
        The artifact is refused or does not load; the worker died or missed its deadline.
    UnsafeModelError
        A format that unpickles while pickle is not allowed.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        allow_pickle: bool = False,
        limits: SandboxLimits | None = None,
    ) -> None:
        self.path = Path(path).resolve()
        self.limits = limits if limits is not None else SandboxLimits.from_settings()
        self.kind = check_artifact(self.path, allow_pickle=allow_pickle)
        self._calls = 0
        self._buffer = b""
        self.scratch = Path(tempfile.mkdtemp(prefix="fairgate-sandbox-"))
        os.chmod(self.scratch, 0o700)
        self._log = open(self.scratch / "worker.log", "wb")  # noqa: SIM115 - closed in close()
        limits_arg = json.dumps(
            {
                "memory_bytes": self.limits.memory_bytes,
                "cpu_seconds": self.limits.cpu_seconds,
                "open_files": self.limits.open_files,
            }
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "fairgate.audit.pipeline.sandbox_worker", limits_arg],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=self.scratch,
            env=_environment(self.scratch),
            start_new_session=True,
            close_fds=True,
        )
        self._finalizer = weakref.finalize(self, _stop, self._proc, self.scratch)
        try:
            info = self._request(
                {"op": "load", "path": str(self.path), "allow_pickle": allow_pickle},
                self.limits.load_timeout,
                "load",
            )
        except BaseException:
            self.close()
            raise
        inputs = info.get("inputs") or {}
        names = inputs.get("names")
        count = inputs.get("count")
        self.inputs = ModelInputs(
            names=[str(n) for n in names][:100_000] if isinstance(names, list) else None,
            count=int(count) if isinstance(count, int) else None,
            source=str(inputs.get("source", ""))[:200],
        )
        classes = info.get("classes")
        self._classes = np.asarray(classes) if isinstance(classes, list) else None
        self._has_proba = bool(info.get("has_proba"))

    # ------------------------------------------------------------------ the proxy's face
    @property
    def classes_(self) -> np.ndarray:
        """The classifier's classes, as the worker reported them."""
        if self._classes is None:
            raise AttributeError("the sandboxed model has no classes_")
        return self._classes

    @property
    def feature_names_in_(self) -> np.ndarray:
        """The model's input names, as the worker reported them."""
        if self.inputs.names is None:
            raise AttributeError("the sandboxed model records no input names")
        return np.asarray(self.inputs.names, dtype=object)

    def predict(self, X: Any) -> np.ndarray:
        """The model's decisions for ``X`` (scored in the worker)."""
        return self._call("predict", X)

    @property
    def predict_proba(self) -> Any:
        """Class probabilities for ``X`` (only when the model has ``predict_proba``)."""
        if not self._has_proba:
            raise AttributeError("the sandboxed model has no predict_proba")
        return lambda X: self._call("predict_proba", X).astype(np.float64)

    @property
    def pid(self) -> int:
        """The worker's process id (for monitoring its resource use)."""
        return self._proc.pid

    @property
    def running(self) -> bool:
        """Whether the worker process is alive."""
        return self._proc.poll() is None

    def info(self) -> ArtifactInfo:
        """What the worker reported about the loaded model."""
        classes = None if self._classes is None else self._classes.tolist()
        return ArtifactInfo(self.kind, self.inputs, classes, self._has_proba)

    def close(self) -> None:
        """Stop the worker and remove its scratch folder."""
        proc = self._proc
        if proc.poll() is None and proc.stdin is not None:
            try:
                proc.stdin.write(b'{"op": "close"}\n')
                proc.stdin.flush()
                proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._log.close()
        self._finalizer()

    def __enter__(self) -> SandboxedModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------- plumbing
    def _call(self, op: str, X: Any) -> np.ndarray:
        import pyarrow as pa

        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
        frame = frame.rename(columns=str)
        self._calls += 1
        src, out = f"in-{self._calls}.arrow", f"out-{self._calls}.npy"
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise ModelLoadError(
                f"model: the data could not be sent to the sandboxed model ({exc}); give each "
                "column one type."
            ) from exc
        with (
            pa.OSFile(str(self.scratch / src), "wb") as sink,
            pa.ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)
        try:
            self._request({"op": op, "input": src, "output": out}, self.limits.call_timeout, op)
            result = _read_result(self.scratch / out, len(frame), self.limits.output_bytes)
        except (ValueError, OSError) as exc:
            raise ModelLoadError(
                f"model: the sandboxed {op} returned unreadable output ({exc})."
            ) from exc
        finally:
            for name in (src, out):
                (self.scratch / name).unlink(missing_ok=True)
        return result

    def _request(self, body: dict[str, Any], timeout: float, what: str) -> dict[str, Any]:
        proc = self._proc
        if proc.poll() is not None or proc.stdin is None:
            raise ModelLoadError(self._died(what))
        try:
            proc.stdin.write((json.dumps(body) + "\n").encode())
            proc.stdin.flush()
        except OSError as exc:
            raise ModelLoadError(self._died(what)) from exc
        line = self._read_line(timeout, what)
        try:
            answer = json.loads(line)
        except ValueError as exc:
            raise ModelLoadError(f"model: the sandbox worker answered garbage to {what}.") from exc
        if not isinstance(answer, dict):
            raise ModelLoadError(f"model: the sandbox worker answered garbage to {what}.")
        if answer.get("ok") is True:
            return answer
        message = str(answer.get("message", "no message"))[:2000]
        code = answer.get("error")
        if code == "unsafe_model":
            raise UnsafeModelError(message, details={"file": self.path.name})
        if code == "memory":
            message = (
                f"the model ran out of memory in the sandbox (limit "
                f"{self.limits.memory_bytes:,} bytes) during {what}"
            )
        elif code != "model_load_error":
            message = f"the model failed during {what} in the sandbox ({message})"
        raise ModelLoadError(f"model={self.path.name!r}: {message}", details={"step": what})

    def _read_line(self, timeout: float, what: str) -> bytes:
        proc = self._proc
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._kill()
                    raise ModelLoadError(
                        f"model={self.path.name!r}: the sandboxed model did not finish {what} "
                        f"within {timeout:g} s and was stopped; make the model faster or score "
                        "less data.",
                        details={"step": what, "timeout_s": timeout},
                    )
                if not sel.select(left):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise ModelLoadError(self._died(what))
                self._buffer += chunk
                if len(self._buffer) > _MAX_LINE:
                    self._kill()
                    raise ModelLoadError(
                        f"model={self.path.name!r}: the sandbox worker sent an answer over "
                        f"{_MAX_LINE:,} bytes during {what}; it was stopped."
                    )
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _kill(self) -> None:
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()

    def _died(self, what: str) -> str:
        self._kill()
        code = self._proc.returncode
        why = f"exit status {code}"
        if code is not None and code < 0:
            sig = signal.Signals(-code)
            why = {
                signal.SIGXCPU: f"over its CPU-time limit of {self.limits.cpu_seconds} s",
                signal.SIGKILL: "killed",
                signal.SIGSEGV: "crashed (segmentation fault)",
            }.get(sig, f"stopped by {sig.name}")
        return (
            f"model={self.path.name!r}: the sandbox worker ended during {what} ({why}); the "
            "artifact may be corrupt, or need more memory or time than the sandbox allows."
        )


def inspect_artifact(
    path: str | Path, *, allow_pickle: bool = False, limits: SandboxLimits | None = None
) -> ArtifactInfo:
    """Open an artifact in the sandbox and report its kind, inputs and classes.

    Parameters
    ----------
    path : str or Path
        The artifact.
    allow_pickle : bool, default False
        Whether formats that unpickle may load (in the worker).
    limits : SandboxLimits, optional
        Default: :meth:`SandboxLimits.from_settings` (the operator's settings).

    Returns
    -------
    ArtifactInfo

    Raises
    ------
    ModelLoadError, UnsafeModelError
    """
    with SandboxedModel(path, allow_pickle=allow_pickle, limits=limits) as model:
        return model.info()
