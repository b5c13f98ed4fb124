"""The :class:`AuditResult`: everything an audit found, as schema-versioned, reproducible JSON.

Two runs of the same audit (same model file, same data file, same policy and seed) give
byte-identical JSON except for ``created_at``; :meth:`AuditResult.fingerprint` hashes the JSON
without that field, and without the file paths (only the file names and SHA-256 digests count).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fairgate.errors import ValidationError

__all__ = ["SCHEMA_VERSION", "AuditResult", "library_versions"]

SCHEMA_VERSION = "1.0"
"""Version of the JSON schema written by :meth:`AuditResult.to_json`."""


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose numbers end up in an audit."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("fairgate", "numpy", "pandas", "scikit-learn", "shap", "duckdb", "pyarrow"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _clean(value: Any) -> Any:
    """Make ``value`` JSON-ready: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "to_dict"):
        return _clean(value.to_dict())
    return str(value)


@dataclass
class AuditResult:
    """The outcome of one audit.

    Attributes
    ----------
    schema_version : str
    created_at : str
        ISO 8601 UTC time of the run (left out of :meth:`fingerprint`).
    seed : int
    versions : dict
        Library versions (numpy, pandas, scikit-learn, shap, fairgate, ...).
    filing : dict
        The model's filing summary (name, version, purpose, owner, target, sensitive, ...).
    model : dict
        ``file``, ``kind`` and ``sha256`` of the model artifact.
    data : dict
        ``file``, ``sha256``, ``rows`` and ``columns`` of the audited data.
    policy : dict
        The policy applied.
    reports : dict
        ``GroupReport.to_dict()`` per attribute and intersection, keyed ``"colour"``,
        ``"colour x sex"``.
    detectors : dict
        ``prohibited``, ``proxies``, ``flips``, ``representation`` (each a dict or list, or
        ``None`` when the step did not run, with the reason under ``skipped``).
    explanation : dict or None
        Global and per-group feature importance.
    verdict : dict
        ``outcome`` (``pass``/``warn``/``fail``) and ``rules`` with their outcomes and reasons.
    timings : dict
        Seconds per step (left out of :meth:`fingerprint`).
    parameters : dict
        The run's keyword arguments that change its numbers (``sample_size``,
        ``explain_size``): the notebook passes them again to reproduce the audit.
    oversight : dict or None
        How many decisions of the sample the policy's oversight rules would send to people,
        per group (``None`` without an oversight section; see ``audit.pipeline.oversight``).
    kinds : dict
        The model kind's detail for its report section: error histograms (regression),
        confusion matrices (multiclass), AUC, calibration, threshold sweep and the top-k ranking
        audit (scores); empty for 0/1 decisions.
    """

    schema_version: str
    created_at: str
    seed: int
    versions: dict[str, str]
    filing: dict[str, Any]
    model: dict[str, Any]
    data: dict[str, Any]
    policy: dict[str, Any]
    reports: dict[str, Any]
    detectors: dict[str, Any]
    explanation: dict[str, Any] | None
    verdict: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    oversight: dict[str, Any] | None = None
    kinds: dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        """The verdict: ``"pass"``, ``"warn"`` or ``"fail"``."""
        return str(self.verdict.get("outcome", "fail"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return _clean(asdict(self))

    def to_json(self) -> str:
        """Deterministic JSON (sorted keys, two-space indent)."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    def reproducible_json(self) -> str:
        """The JSON without ``created_at``, ``timings`` and file paths: what another run repeats."""
        body = self.to_dict()
        body.pop("created_at", None)
        body.pop("timings", None)
        for part in ("model", "data"):
            body.get(part, {}).pop("path", None)
        return json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False)

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`reproducible_json`: equal for two runs that reproduce each other."""
        return hashlib.sha256(self.reproducible_json().encode()).hexdigest()

    def write(self, path: str | Path) -> Path:
        """Write the JSON to ``path`` and return it."""
        path = Path(path)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> AuditResult:
        """Rebuild from :meth:`to_dict` output.

        Raises
        ------
        ValidationError
            If the schema version is not understood.
        """
        version = body.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValidationError(
                f"schema_version={version!r}: this fairgate reads audit results of schema "
                f"{SCHEMA_VERSION}; re-run the audit with this version."
            )
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in body.items() if k in names})

    @classmethod
    def load(cls, path: str | Path) -> AuditResult:
        """Read an ``audit.json`` written by :meth:`write`."""
        try:
            body = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValidationError(
                f"path={str(path)!r}: not a readable audit result ({exc}); pass an audit.json."
            ) from exc
        return cls.from_dict(body)
