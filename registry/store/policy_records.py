"""Published policies as values: a policy's reference, its record, and its assignment."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fairgate.audit.report.catalog import refusal
from fairgate.errors import ValidationError

__all__ = [
    "DEFAULT_POLICY",
    "POLICY_NAME_PATTERN",
    "SYSTEM_ACTOR",
    "PolicyAssignment",
    "PolicyRecord",
    "parse_policy_ref",
    "record_from_row",
]

POLICY_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}(@[1-9][0-9]{0,8})?$"
"""A policy reference: a published name, optionally ``@version`` (e.g. ``default@2``)."""

DEFAULT_POLICY = "default"
"""The policy of a filing that names none."""

SYSTEM_ACTOR = "fairgate"
"""The actor recorded for what fairgate does on its own (publishing the built-in policies)."""

_REF = re.compile(POLICY_NAME_PATTERN)


def parse_policy_ref(ref: str) -> tuple[str, int | None]:
    """Split ``name`` or ``name@version`` and check it is a reference, not a path.

    Parameters
    ----------
    ref : str
        A policy reference from a filing, the CLI or a request.

    Returns
    -------
    (name, version) : tuple of str and int or None
        ``version`` is ``None`` for "the newest".

    Raises
    ------
    ValidationError
        For anything that is not ``name`` or ``name@version`` (a path, an empty string, ...).
    """
    if not isinstance(ref, str) or not _REF.match(ref):
        raise refusal(
            ValidationError,
            "policy_ref_invalid",
            details={"policy": str(ref)[:200]},
            given=repr(str(ref)[:80]),
            example="default, city-example@2",
        )
    name, _, version = ref.partition("@")
    return name, (int(version) if version else None)


@dataclass(frozen=True)
class PolicyRecord:
    """One published version of a policy.

    Attributes
    ----------
    name : str
    version : int
        1, 2, ... per name, in publishing order.
    sha256 : str
        SHA-256 of the policy's canonical JSON.
    body : dict
        The validated policy (``Policy.to_dict()``).
    actor : str
        Who published it.
    created_at : float
        Epoch seconds.
    """

    name: str
    version: int
    sha256: str
    body: dict[str, Any]
    actor: str
    created_at: float

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    def summary(self) -> dict[str, Any]:
        """Name, version, hash (what audits and breaker trips record)."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the policy body."""
        return {
            **self.summary(),
            "actor": self.actor,
            "created_at": self.created_at,
            "policy": self.body,
        }

    def policy(self) -> Any:
        """The policy as a :class:`fairgate.audit.policy.Policy`."""
        from fairgate.audit.policy import load_policy

        return load_policy(self.body, recorded=True)


@dataclass(frozen=True)
class PolicyAssignment:
    """The policy that governs a model version.

    Attributes
    ----------
    model, model_version : str
    policy : PolicyRecord
    actor, rationale : str
    created_at : float
    """

    model: str
    model_version: str
    policy: PolicyRecord
    actor: str
    rationale: str
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "model": self.model,
            "version": self.model_version,
            "policy": self.policy.summary(),
            "actor": self.actor,
            "rationale": self.rationale,
            "created_at": self.created_at,
        }


def record_from_row(row: Any) -> PolicyRecord:
    """A :class:`PolicyRecord` from a ``policies`` table row."""
    return PolicyRecord(
        row.name, int(row.version), row.sha256, json.loads(row.body), row.actor, row.created_at
    )
