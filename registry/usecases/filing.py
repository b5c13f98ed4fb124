"""Filing a model version: the filing checked, its artifact stored, its policy pinned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fairgate.registry.store import Filing, ModelVersion, Registry

__all__ = ["FileRequest", "file_model"]


@dataclass(frozen=True)
class FileRequest:
    """What to file.

    Attributes
    ----------
    filing : Filing, mapping, str or Path
        The filing (see :func:`fairgate.registry.store.filing.parse_filing`).
    artifact : str, Path or None
        A model file or MLflow model folder, or a ``models:/`` / ``runs:/`` URI.
    actor : str
        Who files (recorded in the ledger).
    vendor : str, optional
        The owning vendor (default: the filing's vendor name).
    """

    filing: Filing | Mapping[str, Any] | str | Path
    artifact: str | Path | None
    actor: str
    vendor: str | None = None


def file_model(registry: Registry, request: FileRequest) -> ModelVersion:
    """File a model version with its documentation and (optionally) its artifact.

    Parameters
    ----------
    registry : Registry
        Where the version is filed.
    request : FileRequest
        The filing, the artifact and who files.

    Returns
    -------
    ModelVersion
        In state FILED; ``findings`` names declared inputs that the published policy the
        version is assigned (the one its audits apply) prohibits.

    The filing's ``policy`` must name a policy the committee published (``NAME`` or
    ``NAME@VERSION``; ``default`` when it names none); it is checked before anything is stored,
    and pinned to the version as its assigned policy (ledger event ``policy_assign``).

    Raises
    ------
    FilingError
        A malformed filing, or an artifact whose inputs differ from the declared features.
    ModelLoadError, UnsafeModelError
        An artifact the sandbox refuses (corrupt, over a bound, outside the skops allowlist,
        pickle while not allowed); checked before anything is stored.
    PermissionDeniedError
        The name belongs to another vendor.
    ConflictError, ValidationError
    """
    from fairgate.registry.store.filing import parse_filing
    from fairgate.registry.store.policies import PolicyStore

    parsed = parse_filing(request.filing)
    policies = PolicyStore(registry.engine)
    policy = policies.for_filing(parsed.policy)
    record = registry.file(
        parsed, request.artifact, actor=request.actor, vendor=request.vendor, policy=policy
    )
    why = "the policy the filing names" if parsed.policy else "no policy named: the default"
    policies.assign(record.name, record.version, policy.ref, actor=request.actor, rationale=why)
    return record
