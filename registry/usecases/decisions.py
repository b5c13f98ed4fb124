"""Committee decisions and votes on a filed model version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

__all__ = ["DecisionRequest", "decide"]

if TYPE_CHECKING:
    from fairgate.registry.store import ModelVersion, Registry


@dataclass(frozen=True)
class DecisionRequest:
    """A committee decision, or a member's vote (approve, reinstate, dissent: see ``votes``).

    Attributes
    ----------
    name, version : str
    action : {"approve", "reject", "suspend", "reinstate", "withdraw", "dissent"}
    rationale : str
        Why (recorded in the ledger).
    actor : str
        The committee member deciding (from the token or session, never a free-text field).
    evidence : mapping, optional
        Anything the decision rests on, recorded with it.
    """

    name: str
    version: str
    action: str
    rationale: str
    actor: str
    evidence: Mapping[str, Any] | None = None


def decide(registry: Registry, request: DecisionRequest) -> ModelVersion:
    """Apply a committee decision or vote (approval needs a passing audit of the artifact).

    Approval and reinstatement take effect at the quorum of distinct members (the assigned
    policy's ``quorum``, else ``FAIRGATE_QUORUM``); each vote is a ledger event, and
    ``registry.votes(name, version)`` tells the pending question and the votes so far.

    Parameters
    ----------
    registry, request : Registry, DecisionRequest
        Where the version is filed; the action, its rationale and who decides.

    Returns
    -------
    ModelVersion
        In its new state (unchanged while the quorum is not met).

    Raises
    ------
    ValidationError, TransitionError, ConflictError, NotFoundError
    """
    r = request
    why = {"rationale": r.rationale, "actor": r.actor, "evidence": r.evidence}
    return registry.decide(r.name, r.version, r.action, **why)
