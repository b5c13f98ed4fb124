"""Content-addressed artifact store: model files kept by SHA-256, checked on every load.

Layout under the root: ``sha256/<2 hex>/<64 hex>/<file name>`` (an MLflow model folder keeps its
folder). A folder's hash covers its sorted relative paths and contents
(:func:`~fairgate.audit.pipeline.model_io.sha256_path`). Files arrive by copy to a temporary
name in the target folder, fsync and an atomic rename, so a crash or two processes storing the
same content never leave a half-written artifact.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from fairgate.audit.pipeline.model_io import check_artifact, sha256_path
from fairgate.audit.pipeline.sandbox import SandboxedModel, SandboxLimits
from fairgate.errors import ArtifactIntegrityError, UnsafeModelError

__all__ = ["ArtifactRef", "ArtifactStore"]

Kind = Literal["skops", "onnx", "mlflow", "pickle"]


@dataclass(frozen=True)
class ArtifactRef:
    """Where a stored artifact is and what it hashes to.

    Attributes
    ----------
    sha256 : str
    kind : {"skops", "onnx", "mlflow", "pickle"}
    size : int
        Bytes (summed over a folder's files).
    path : str
        Relative to the store root.
    filename : str
    source_uri, tracking_uri, run_id : str or None
        For MLflow models: where they were filed from.
    """

    sha256: str
    kind: str
    size: int
    path: str
    filename: str
    source_uri: str | None = None
    tracking_uri: str | None = None
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> ArtifactRef:
        """Inverse of :meth:`to_dict`."""
        return cls(**{k: body.get(k) for k in cls.__dataclass_fields__})


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _fsync_tree(path: Path) -> None:
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    for file in files:
        with open(file, "rb") as fh:
            os.fsync(fh.fileno())


class ArtifactStore:
    """Model artifacts by content hash under ``root``.

    Parameters
    ----------
    root : Path
        Folder of the store (``FAIRGATE_HOME/artifacts``).
    allow_pickle : bool, default False
        Accept pickle/joblib files; they run code when loaded, so the operator must opt in
        (``FAIRGATE_ALLOW_PICKLE=1``).
    """

    def __init__(self, root: str | Path, *, allow_pickle: bool = False) -> None:
        self.root = Path(root)
        self.allow_pickle = allow_pickle

    def _refuse_pickle(self, what: str) -> None:
        if not self.allow_pickle:
            raise UnsafeModelError(
                f"{what}: pickle/joblib files run any code they hold when loaded, so fairgate "
                "refuses them. Save the model with skops (.skops), as ONNX (.onnx) or as an "
                "MLflow model; or let the operator allow pickle with FAIRGATE_ALLOW_PICKLE=1."
            )

    def put(
        self,
        path: str | Path,
        *,
        source_uri: str | None = None,
        tracking_uri: str | None = None,
        run_id: str | None = None,
    ) -> ArtifactRef:
        """Store a model file or MLflow model folder; idempotent for the same content.

        Raises
        ------
        ModelLoadError
            The path is missing, not a model format fairgate reads, corrupt, over an archive
            bound, or holds skops types outside the allowlist.
        UnsafeModelError
            A format that unpickles while pickle is not allowed.
        """
        src = Path(path)
        kind = check_artifact(src, allow_pickle=self.allow_pickle)
        digest = sha256_path(src)
        rel = Path("sha256") / digest[:2] / digest / src.name
        dest = self.root / rel
        if not (dest.exists() and sha256_path(dest) == digest):
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=dest.parent)) / src.name
            try:
                if src.is_dir():
                    shutil.copytree(src, tmp)
                else:
                    shutil.copyfile(src, tmp)
                _fsync_tree(tmp)
                if sha256_path(tmp) != digest:
                    raise ArtifactIntegrityError(
                        f"{src.name} changed while it was being stored; file it again."
                    )
                if dest.exists():  # a stale or corrupt copy: replace it
                    if dest.is_dir():
                        shutil.rmtree(dest)
                    else:
                        dest.unlink()
                try:
                    os.replace(tmp, dest)
                except OSError:
                    if not (dest.exists() and sha256_path(dest) == digest):
                        raise  # another process won the race only if its copy is intact
            finally:
                shutil.rmtree(tmp.parent, ignore_errors=True)
        return ArtifactRef(
            sha256=digest,
            kind=kind,
            size=_size(dest),
            path=rel.as_posix(),
            filename=src.name,
            source_uri=source_uri,
            tracking_uri=tracking_uri,
            run_id=run_id,
        )

    def path_of(self, ref: ArtifactRef) -> Path:
        """Absolute path of a stored artifact."""
        return self.root / ref.path

    def verify(self, ref: ArtifactRef) -> None:
        """Recompute the hash.

        Raises
        ------
        ArtifactIntegrityError
            When the artifact is missing or its content changed.
        """
        path = self.path_of(ref)
        if not path.exists():
            raise ArtifactIntegrityError(
                f"artifact {ref.filename} ({ref.sha256[:12]}…) is missing from the store; "
                "re-file the model.",
                details={"sha256": ref.sha256},
            )
        found = sha256_path(path)
        if found != ref.sha256:
            raise ArtifactIntegrityError(
                f"artifact {ref.filename} changed on disk: expected sha256 {ref.sha256}, found "
                f"{found}; it is refused. Re-file the model.",
                details={"expected": ref.sha256, "found": found},
            )

    def load(self, ref: ArtifactRef, *, limits: SandboxLimits | None = None) -> SandboxedModel:
        """Verify the hash, then open the model in a sandbox worker.

        The caller closes the returned proxy (``with store.load(ref) as model: ...``); the
        worker is also stopped when the proxy is garbage-collected.

        Raises
        ------
        ArtifactIntegrityError, ModelLoadError, UnsafeModelError
        """
        if ref.kind == "pickle":
            self._refuse_pickle(ref.filename)
        self.verify(ref)
        return SandboxedModel(self.path_of(ref), allow_pickle=self.allow_pickle, limits=limits)
