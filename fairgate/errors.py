"""The one exception hierarchy of fairgate.

Every error fairgate raises on purpose derives from :class:`FairgateError`. Each class carries the
HTTP status the service answers with, so :mod:`fairgate.registry.api.app` maps all of them in one
handler, and the CLI turns them into one clear line and a non-zero exit code.

Messages follow one rule: name the argument, say what was received, and say what to do.
"""

from __future__ import annotations

__all__ = [
    "ArtifactIntegrityError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "EmptyDataError",
    "FairgateError",
    "FilingError",
    "LabelError",
    "LedgerIntegrityError",
    "LengthMismatchError",
    "MissingColumnError",
    "MissingValueError",
    "ModelLoadError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PolicyError",
    "ServiceUnavailableError",
    "TransitionError",
    "UnsafeModelError",
    "ValidationError",
]


class FairgateError(Exception):
    """Root of every error fairgate raises on purpose.

    Attributes
    ----------
    status_code : int
        The HTTP status the service answers with for this error.
    code : str
        A short, stable machine-readable name for the error (used in JSON bodies).
    message_key : str or None
        The message catalog key of ``message`` (with ``params``), when the message is one a
        committee member reads: the service and the CLI then say it in the reader's language.
    params : dict
        The values of the catalog message's placeholders.
    """

    status_code: int = 500
    code: str = "fairgate_error"

    def __init_subclass__(cls, *, code: str, status: int | None = None, **kwargs: object) -> None:
        """Give a subclass its machine-readable ``code`` and, if it differs, its HTTP ``status``."""
        super().__init_subclass__(**kwargs)
        cls.code = code
        if status is not None:
            cls.status_code = status

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, object] | None = None,
        message_key: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = dict(details or {})
        self.message_key = message_key
        self.params: dict[str, object] = dict(params or {})

    def to_dict(self) -> dict[str, object]:
        """Return the JSON body the service sends for this error."""
        body: dict[str, object] = {"error": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ValidationError(FairgateError, status=422, code="validation_error"):
    """Input that fairgate cannot use as given (HTTP 422)."""


class MissingColumnError(ValidationError, code="missing_column"):
    """A named column is not in the data."""


class LengthMismatchError(ValidationError, code="length_mismatch"):
    """Arrays that must align have different lengths."""


class LabelError(ValidationError, code="label_error"):
    """Labels or predictions are not binary, or the positive label is not among them."""


class MissingValueError(ValidationError, code="missing_value"):
    """NaN or None where a value is required (labels, predictions, or scores)."""


class EmptyDataError(ValidationError, code="empty_data"):
    """The data has no rows."""


class PolicyError(ValidationError, code="policy_error"):
    """A policy file is malformed or refers to something unknown."""


class FilingError(ValidationError, code="filing_error"):
    """A filing is malformed."""


class ModelLoadError(ValidationError, code="model_load_error"):
    """A model artifact cannot be loaded or does not score."""


class UnsafeModelError(FairgateError, status=403, code="unsafe_model"):
    """A model format that executes code on load (pickle/joblib) was refused (HTTP 403)."""


class ArtifactIntegrityError(FairgateError, status=409, code="artifact_integrity"):
    """An artifact's bytes no longer match its recorded SHA-256 (HTTP 409)."""


class NotFoundError(FairgateError, status=404, code="not_found"):
    """A model, version, audit or token does not exist (HTTP 404)."""


class ConflictError(FairgateError, status=409, code="conflict"):
    """The request conflicts with the current state, e.g. a version filed twice (HTTP 409)."""


class TransitionError(ConflictError, code="illegal_transition"):
    """An illegal lifecycle transition; the message names the allowed ones."""


class AuthenticationError(FairgateError, status=401, code="unauthenticated"):
    """Missing, wrong, expired or revoked token (HTTP 401)."""


class PermissionDeniedError(FairgateError, status=403, code="forbidden"):
    """A valid token whose role or vendor may not do this (HTTP 403)."""


class PayloadTooLargeError(FairgateError, status=413, code="payload_too_large"):
    """A body or upload over the configured limit (HTTP 413)."""


class LedgerIntegrityError(FairgateError, status=500, code="ledger_integrity"):
    """The hash-chained ledger does not verify (HTTP 500)."""


class ServiceUnavailableError(FairgateError, status=503, code="unavailable"):
    """fairgate's service cannot be reached or is not ready (HTTP 503)."""


class ConfigurationError(FairgateError, status=503, code="configuration"):
    """The operator's set-up is incomplete, e.g. a database driver is not installed (HTTP 503)."""
