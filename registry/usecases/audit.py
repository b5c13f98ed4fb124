"""Auditing a filed model version: checked before the run, run, and recorded (failed runs too)."""

from __future__ import annotations

import datetime as _dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fairgate.errors import ArtifactIntegrityError, ConflictError, FairgateError, PolicyError
from fairgate.registry.store.lifecycle import check_transition

if TYPE_CHECKING:
    from fairgate.audit.policy import Policy
    from fairgate.audit.report.result import AuditResult
    from fairgate.registry.store import AuditRecord, Filing, ModelVersion, Registry

__all__ = [
    "AuditOutcome",
    "AuditRequest",
    "PreparedAudit",
    "audit_filed_model",
    "check_auditable",
    "prepare_audit",
    "previous_audit",
    "run_prepared_audit",
]


@dataclass(frozen=True)
class AuditRequest:
    """What to audit: a filed version on an evaluation data file.

    Attributes
    ----------
    name, version : str
        The filed model version; its filing gives the target, the sensitive attributes, the
        features, the favourable label and the policy.
    data : Path
        Evaluation data (Parquet or CSV).
    actor : str
        Who starts the audit (recorded with it).
    policy : str or mapping, optional
        A policy chosen for this audit (a built-in name, a file, or an inline policy); default:
        the filing's policy, or ``"default"`` when the filing names none.
    out_dir : Path, optional
        Folder for ``audit.json``, ``report.html`` and ``audit.ipynb``; default
        ``FAIRGATE_HOME/reports/NAME/VERSION/<UTC time>-<random>``.
    lang : {"en", "zh"}, default "en"
        Language of the report.
    seed : int, optional
        Seed of the audit (default: ``FAIRGATE_SEED``).
    allow_pickle : bool, default False
        Load a pickle/joblib artifact (also allowed when ``FAIRGATE_ALLOW_PICKLE`` is set).
    progress : bool, default False
        Show a progress bar per step.
    engine : {"auto", "memory", "duckdb", "spark"}, default "auto"
        Where the per-group counts are computed (see :func:`fairgate.audit.run_audit`).
    """

    name: str
    version: str
    data: Path
    actor: str
    policy: str | Mapping[str, Any] | None = None
    out_dir: Path | None = None
    lang: Literal["en", "zh"] = "en"
    seed: int | None = None
    allow_pickle: bool = False
    progress: bool = False
    engine: str = "auto"


@dataclass(frozen=True)
class PreparedAudit:
    """An audit checked and ready to run (see :func:`prepare_audit`).

    ``model_path`` is the stored artifact (its hash checked against ``artifact_sha256``, the
    hash on file), ``spec`` the filing's target, sensitive attributes, features and summary,
    ``policy`` the policy the audit is judged by and ``policy_ref`` where it came from (its
    ``NAME@VERSION`` from the policy store, a local file, or ``"inline"``) and ``governing`` the
    published policy's name, version and SHA-256 (recorded with the audit); ``out_dir``,
    ``seed`` and ``allow_pickle`` are resolved. ``previous`` is the latest completed audit of
    the model's previous version (see :func:`previous_audit`), which the report shows beside
    this one.
    """

    request: AuditRequest
    model_path: Path
    artifact_sha256: str
    spec: dict[str, Any]
    policy: Policy
    policy_ref: str
    governing: dict[str, Any] | None
    out_dir: Path
    seed: int
    allow_pickle: bool
    previous: AuditResult | None = None


@dataclass(frozen=True)
class AuditOutcome:
    """A finished, recorded audit.

    The registry's ``record``, the ``result`` (also in ``out_dir/audit.json``), the HTML
    ``report`` and ``policy_ref``, the policy it was judged by.
    """

    record: AuditRecord
    result: AuditResult
    out_dir: Path
    report: Path
    policy_ref: str


def _load_policy(ref: str | Mapping[str, Any], where: str) -> Policy:
    from fairgate.audit.policy import load_policy

    try:
        return load_policy(ref)
    except FairgateError as exc:
        shown = "an inline policy" if isinstance(ref, Mapping) else f"policy {ref!r}"
        raise PolicyError(
            f"{where} {shown}, which cannot be loaded: {exc.message} Fix or publish that "
            "policy, or name a loadable one.",
            details={"policy": shown, **exc.details},
        ) from exc


def _policy_of(
    registry: Registry, request: AuditRequest, filing: Filing
) -> tuple[Policy, str, dict[str, Any] | None]:
    """The audit's policy, its reference, and (from the policy store) its name, version, hash.

    Without ``request.policy`` (always so over REST) the policy assigned to the version in the
    policy store governs; a published ``NAME[@VERSION]`` is taken from the store too. Only the
    local command line may still pass a policy file or an inline policy (the operator's own).
    """
    from fairgate.registry.store.policies import POLICY_NAME_PATTERN, PolicyStore

    what = f"{request.name}@{request.version}"
    store = PolicyStore(registry.engine)
    if request.policy is None:
        record = store.governing(request.name, request.version, filing.policy)
        return record.policy(), record.ref, record.summary()
    if isinstance(request.policy, str) and re.match(POLICY_NAME_PATTERN, request.policy):
        record = store.get(request.policy)
        return record.policy(), record.ref, record.summary()
    ref = "inline" if isinstance(request.policy, Mapping) else str(request.policy)
    return _load_policy(request.policy, f"the audit of {what} names"), ref, None


def check_auditable(registry: Registry, name: str, version: str) -> ModelVersion:
    """The filed version, if its state allows an audit and it has an artifact on file.

    Parameters
    ----------
    registry : Registry
        Where the version is filed.
    name, version : str
        The version.

    Returns
    -------
    ModelVersion

    Raises
    ------
    NotFoundError, TransitionError, ConflictError
    """
    record = registry.get(name, version)
    check_transition(record.state, "audit")
    if record.artifact_sha256 is None:
        raise ConflictError(
            f"{record.name}@{record.version} was filed without an artifact; file a new version "
            "with its artifact."
        )
    return record


def previous_audit(registry: Registry, name: str, version: str) -> AuditResult | None:
    """The previous version's latest completed audit (None when there is none).

    See :meth:`~fairgate.registry.store.reader.RegistryReader.previous_audit`.
    """
    from fairgate.audit.report.result import SCHEMA_VERSION, AuditResult

    record = registry.previous_audit(name, version, SCHEMA_VERSION)
    return None if record is None else AuditResult.from_dict(record.result)


def prepare_audit(registry: Registry, request: AuditRequest) -> PreparedAudit:
    """Check everything an audit of a filed version needs before it runs.

    The version must be filed and in a state that may be audited, its artifact must be on file
    and still hash to the SHA-256 recorded at filing, and its policy must load. Nothing is
    recorded when a check fails.

    Parameters
    ----------
    registry : Registry
        Where the version is filed and the audit is recorded.
    request : AuditRequest
        The version, the evaluation data and the audit's options.

    Returns
    -------
    PreparedAudit

    Raises
    ------
    NotFoundError
        The version is not filed.
    TransitionError
        The version may not be audited in its state (e.g. WITHDRAWN).
    ConflictError
        The version was filed without an artifact.
    ArtifactIntegrityError
        The stored artifact is missing or changed since it was filed.
    PolicyError
        The policy cannot be loaded (it is named; the default is never used instead).
    """
    record = check_auditable(registry, request.name, request.version)
    model_path = registry.verify_artifact(record.name, record.version)
    filing = registry.filing_object(record.name, record.version)
    policy, policy_ref, governing = _policy_of(registry, request, filing)
    settings = registry.settings
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S")
    folder = settings.reports_dir / record.name / record.version
    out_dir = request.out_dir or folder / f"{stamp}-{secrets.token_hex(3)}"
    return PreparedAudit(
        request=request,
        model_path=Path(model_path),
        artifact_sha256=record.artifact_sha256,
        spec=dict(filing.audit_spec()),
        policy=policy,
        policy_ref=policy_ref,
        governing=governing,
        out_dir=Path(out_dir),
        seed=settings.seed if request.seed is None else int(request.seed),
        allow_pickle=bool(request.allow_pickle or settings.allow_pickle),
        previous=previous_audit(registry, record.name, record.version),
    )


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, FairgateError):
        return exc.message
    return f"the audit stopped on an unexpected error ({type(exc).__name__}: {exc})."


def run_prepared_audit(registry: Registry, prepared: PreparedAudit) -> AuditOutcome:
    """Run a prepared audit and record it; a run that stops is recorded as a failed audit.

    The artifact's hash is checked again right before it is loaded, and the hash of the model
    the audit actually loaded must equal the one on file.

    Parameters
    ----------
    registry : Registry
        Where the audit is recorded.
    prepared : PreparedAudit
        From :func:`prepare_audit`.

    Returns
    -------
    AuditOutcome

    Raises
    ------
    FairgateError
        Whatever stopped the audit (after recording it as failed, with its message).
    """
    from fairgate.audit.pipeline.run import run_audit

    request = prepared.request
    try:
        registry.verify_artifact(request.name, request.version)
        p = prepared
        checked = {"seed": p.seed, "out_dir": p.out_dir, "allow_pickle": p.allow_pickle}
        asked = {"lang": request.lang, "progress": request.progress, "engine": request.engine}
        result = run_audit(
            p.model_path, request.data, p.spec, p.policy, **checked, **asked, previous=p.previous
        )
        audited = result.model.get("sha256")
        if audited != prepared.artifact_sha256:
            raise ArtifactIntegrityError(
                f"the artifact of {request.name}@{request.version} changed during the audit: "
                f"expected sha256 {prepared.artifact_sha256}, audited {audited}; the audit is "
                "void. Re-file the model.",
                details={"expected": prepared.artifact_sha256, "found": audited},
            )
    except Exception as exc:
        registry.record_failed_audit(
            request.name,
            request.version,
            artifact_sha256=prepared.artifact_sha256,
            error=_error_text(exc),
            actor=request.actor,
        )
        raise
    report = prepared.out_dir.resolve() / "report.html"
    body = result.to_dict()
    if prepared.governing is not None:
        body["governing_policy"] = prepared.governing
    record = registry.record_audit(
        request.name,
        request.version,
        artifact_sha256=result.model.get("sha256"),
        passed=result.outcome != "fail",
        verdict=result.outcome,
        result=body,
        report_path=str(report),
        actor=request.actor,
    )
    return AuditOutcome(
        record=record,
        result=result,
        out_dir=prepared.out_dir.resolve(),
        report=report,
        policy_ref=prepared.policy_ref,
    )


def audit_filed_model(registry: Registry, request: AuditRequest) -> AuditOutcome:
    """Audit a filed model version on evaluation data and record the audit.

    The filing gives the target, the sensitive attributes, the features and the policy; the
    stored artifact's SHA-256 is checked before it is loaded. See :func:`prepare_audit` for the
    refusals (nothing recorded) and :func:`run_prepared_audit` for the run (a failure is
    recorded as a failed audit with its message, then raised).

    Parameters
    ----------
    registry, request : Registry, AuditRequest
        As for :func:`prepare_audit`.

    Returns
    -------
    AuditOutcome

    Raises
    ------
    NotFoundError, TransitionError, ConflictError, ArtifactIntegrityError, PolicyError
        Before the run (nothing recorded).
    FairgateError
        From the run (recorded as a failed audit).
    """
    return run_prepared_audit(registry, prepare_audit(registry, request))
