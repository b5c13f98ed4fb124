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


class ValidationError(FairgateError):
    """Input that fairgate cannot use as given (HTTP 422)."""

    status_code = 422
    code = "validation_error"


class MissingColumnError(ValidationError):
    """A named column is not in the data."""

    code = "missing_column"


class LengthMismatchError(ValidationError):
    """Arrays that must align have different lengths."""

    code = "length_mismatch"


class LabelError(ValidationError):
    """Labels or predictions are not binary, or the positive label is not among them."""

    code = "label_error"


class MissingValueError(ValidationError):
    """NaN or None where a value is required (labels, predictions, or scores)."""

    code = "missing_value"


class EmptyDataError(ValidationError):
    """The data has no rows."""

    code = "empty_data"


class PolicyError(ValidationError):
    """A policy file is malformed or refers to something unknown."""

    code = "policy_error"


class FilingError(ValidationError):
    """A filing is malformed."""

    code = "filing_error"


class ModelLoadError(ValidationError):
    """A model artifact cannot be loaded or does not score."""

    code = "model_load_error"


class UnsafeModelError(FairgateError):
    """A model format that executes code on load (pickle/joblib) was refused (HTTP 403)."""

    status_code = 403
    code = "unsafe_model"


class ArtifactIntegrityError(FairgateError):
    """An artifact's bytes no longer match its recorded SHA-256 (HTTP 409)."""

    status_code = 409
    code = "artifact_integrity"


class NotFoundError(FairgateError):
    """A model, version, audit or token does not exist (HTTP 404)."""

    status_code = 404
    code = "not_found"


class ConflictError(FairgateError):
    """The request conflicts with the current state, e.g. a version filed twice (HTTP 409)."""

    status_code = 409
    code = "conflict"


class TransitionError(ConflictError):
    """An illegal lifecycle transition; the message names the allowed ones."""

    code = "illegal_transition"


class AuthenticationError(FairgateError):
    """Missing, wrong, expired or revoked token (HTTP 401)."""

    status_code = 401
    code = "unauthenticated"


class PermissionDeniedError(FairgateError):
    """A valid token whose role or vendor may not do this (HTTP 403)."""

    status_code = 403
    code = "forbidden"


class PayloadTooLargeError(FairgateError):
    """A body or upload over the configured limit (HTTP 413)."""

    status_code = 413
    code = "payload_too_large"


class LedgerIntegrityError(FairgateError):
    """The hash-chained ledger does not verify (HTTP 500)."""

    status_code = 500
    code = "ledger_integrity"


class ServiceUnavailableError(FairgateError):
    """fairgate's service cannot be reached or is not ready (HTTP 503)."""

    status_code = 503
    code = "unavailable"


class ConfigurationError(FairgateError):
    """The operator's set-up is incomplete, e.g. a database driver is not installed (HTTP 503)."""

    status_code = 503
    code = "configuration"
