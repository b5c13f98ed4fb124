"""Checks of a vendor's artifact at filing, before anything is stored.

The artifact opens in the sandbox (:func:`fairgate.audit.pipeline.sandbox.inspect_artifact`),
which refuses corrupt files, archives over their bounds, pickle under another name and skops
types outside the allowlist. The model's actual input names must then equal the filing's
declared features (a 422 naming both lists), and every declared input that the filing's policy
prohibits is reported to the vendor at once, before any audit runs. That is the published policy
assigned to the filing, the one its audits will apply (never the built-ins in its place).
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairgate.audit.pipeline.sandbox import ArtifactInfo, SandboxLimits, inspect_artifact
from fairgate.errors import FilingError, ModelLoadError
from fairgate.registry.store.artifacts import ArtifactRef, ArtifactStore
from fairgate.registry.store.filing_schema import Filing

if TYPE_CHECKING:
    from fairgate.audit.policy import Policy

__all__ = [
    "FilingCheck",
    "ProhibitedInput",
    "check_and_store",
    "check_filed_artifact",
    "prohibited_inputs",
]


@dataclass(frozen=True)
class ProhibitedInput:
    """A declared input that the filing's policy prohibits.

    Attributes
    ----------
    feature : str
        The declared input.
    category : str
        The prohibited category it points to (or the exact name the policy lists).
    policy : str
        The policy that prohibits it.
    """

    feature: str
    category: str
    policy: str

    def message(self) -> str:
        """One sentence for the vendor."""
        return (
            f"input {self.feature!r} is a prohibited variable ({self.category}) under policy "
            f"{self.policy!r}; the audit will fail on it unless the model stops taking it."
        )


@dataclass(frozen=True)
class FilingCheck:
    """What the checks at filing found.

    Attributes
    ----------
    artifact : ArtifactInfo or None
        The artifact as the sandbox opened it (None when the filing has no artifact).
    prohibited : tuple of ProhibitedInput
        Declared inputs the policy prohibits (reported, not refused).
    """

    artifact: ArtifactInfo | None
    prohibited: tuple[ProhibitedInput, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (recorded in the ledger's filing event)."""
        return {
            "inputs": None if self.artifact is None else self.artifact.inputs.to_dict(),
            "prohibited_inputs": [{**asdict(p), "message": p.message()} for p in self.prohibited],
        }


def prohibited_inputs(
    filing: Filing, policy: Policy, policy_ref: str
) -> tuple[ProhibitedInput, ...]:
    """Declared inputs that ``policy`` (the one the filing is assigned) prohibits.

    An input counts when its name is a prohibited name, or points (by the detectors' name
    words and the policy's own ``sensitive_names``) to a prohibited category; the filing's own
    ``prohibited_variables`` always count.

    Parameters
    ----------
    filing : Filing
        The parsed filing.
    policy : Policy
        The published policy assigned to the filing (the one its audits will apply).
    policy_ref : str
        Its ``NAME@VERSION``, named in each finding.

    Returns
    -------
    tuple of ProhibitedInput
    """
    from fairgate.detectors import category_of_name

    banned = {p.lower() for p in (*filing.prohibited_variables, *policy.prohibited)}
    out = []
    for feature in (f.name for f in filing.features):
        category = category_of_name(feature, policy.sensitive_names)
        if feature.lower() in banned:
            out.append(ProhibitedInput(feature, feature, policy_ref))
        elif category is not None and category.lower() in banned:
            out.append(ProhibitedInput(feature, category, policy_ref))
    return tuple(out)


def _inputs_match(filing: Filing, info: ArtifactInfo, file_name: str) -> None:
    declared = [f.name for f in filing.features]
    actual = info.inputs.names
    if actual is None:
        raise FilingError(
            f"{file_name}: the model does not record its input names ({info.inputs.source}: "
            f"{info.inputs.count} input(s)), so the declared features {declared} cannot be "
            "checked against it. Train it on a pandas DataFrame with the declared column names "
            "(scikit-learn keeps feature_names_in_), or export ONNX with one named input per "
            "feature, and file it again.",
            details={"declared_features": declared, "model_inputs": None},
        )
    if sorted(actual) != sorted(declared):
        missing = [n for n in actual if n not in declared]
        extra = [n for n in declared if n not in actual]
        raise FilingError(
            f"{file_name}: the model's inputs ({info.inputs.source}) are {actual}, but the filing "
            f"declares the features {declared}. Not declared: {missing}; declared but not taken "
            f"by the model: {extra}. Make the filing's features the model's inputs, exactly.",
            details={
                "declared_features": declared,
                "model_inputs": list(actual),
                "not_declared": missing,
                "not_taken": extra,
            },
        )


def check_filed_artifact(
    path: str | Path,
    filing: Filing,
    *,
    allow_pickle: bool = False,
    limits: SandboxLimits | None = None,
) -> ArtifactInfo:
    """Open the artifact in the sandbox and check it against the filing.

    Parameters
    ----------
    path : str or Path
        The artifact on local disk.
    filing : Filing
        The parsed filing.
    allow_pickle : bool, default False
        Whether the operator allows formats that unpickle.
    limits : SandboxLimits, optional
        The sandbox's limits.

    Returns
    -------
    ArtifactInfo

    Raises
    ------
    ModelLoadError
        The artifact is corrupt, over a bound, pickle under another name, outside the skops
        allowlist, or does not load in the sandbox (422).
    UnsafeModelError
        A format that unpickles while pickle is not allowed (403).
    FilingError
        The model's input names differ from the declared features (422, both lists named).
    """
    info = inspect_artifact(path, allow_pickle=allow_pickle, limits=limits)
    _inputs_match(filing, info, Path(path).name)
    return info


def check_and_store(
    store: ArtifactStore,
    artifact: str | Path | ArtifactRef | None,
    filing: Filing,
) -> tuple[ArtifactRef | None, ArtifactInfo | None]:
    """Check an artifact against its filing in the sandbox, then (only then) store it.

    Parameters
    ----------
    store : ArtifactStore
        Where accepted artifacts go.
    artifact : str, Path, ArtifactRef or None
        A local file or folder, a ``.zip`` of an MLflow model folder (unpacked within the
        archive bounds), a ``models:/`` / ``runs:/`` URI (downloaded first), or an artifact
        already in the store.
    filing : Filing
        The parsed filing.

    Returns
    -------
    (ArtifactRef or None, ArtifactInfo or None)
        Both None for a filing without an artifact.

    Raises
    ------
    ModelLoadError, UnsafeModelError, FilingError, ArtifactIntegrityError
    """
    if artifact is None:
        return None, None
    if isinstance(artifact, ArtifactRef):
        store.verify(artifact)
        path = store.path_of(artifact)
        return artifact, check_filed_artifact(path, filing, allow_pickle=store.allow_pickle)
    text = str(artifact)
    meta: dict[str, Any] = {}
    if text.startswith(("models:/", "runs:/")):
        from fairgate.registry.store.mlflow_bridge import download_model

        tracking = filing.mlflow.tracking_uri if filing.mlflow else None
        local, meta = download_model(text, tracking_uri=tracking)
    else:
        local = Path(artifact)
    if local.is_file() and local.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="fairgate-unzip-") as scratch:
            folder = _unzip_mlflow(local, Path(scratch))
            info = check_filed_artifact(folder, filing, allow_pickle=store.allow_pickle)
            return store.put(folder, **meta), info
    info = check_filed_artifact(local, filing, allow_pickle=store.allow_pickle)
    return store.put(local, **meta), info


def _unzip_mlflow(archive: Path, scratch: Path) -> Path:
    """Unpack a zipped MLflow model folder within the archive bounds; return the folder."""
    from fairgate.audit.pipeline.archives import safe_extract

    root = safe_extract(archive, scratch / "unpacked")
    if (root / "MLmodel").is_file():
        folder = root
    else:
        inner = [p for p in root.iterdir() if p.is_dir() and (p / "MLmodel").is_file()]
        if len(inner) != 1:
            raise ModelLoadError(
                f"{archive.name}: the zip archive holds no MLflow model (an MLmodel file at its "
                "top or in its one top folder); zip the MLflow model folder and upload it again.",
                details={"file": archive.name},
            )
        folder = inner[0]
    named = scratch / archive.stem
    folder.rename(named)
    return named
