"""The lifecycle of a model version: states, actions, and which action is allowed when.

::

    FILED ──audit──► AUDITED ──approve──► ACTIVE ──suspend / breaker_trip──► SUSPENDED
      │                 │ reject                                     │ reinstate  │
      └──reject──► REJECTED                     ACTIVE ◄─────────────┘            │
    any state but WITHDRAWN ──withdraw──► WITHDRAWN (final) ◄───────────────────────┘

``audit`` records an audit without changing ACTIVE or SUSPENDED (a re-audit). Approval needs a
passing audit of the very artifact on file; reinstatement needs a passing audit recorded after
the suspension; every committee decision needs a written rationale. Approval and reinstatement
need the quorum of distinct committee members (:mod:`.votes`); a member may instead record a
``dissent``, which changes no state.
"""

from __future__ import annotations

from enum import StrEnum

from fairgate.errors import TransitionError, ValidationError

__all__ = [
    "ACTIONS",
    "COMMITTEE_ACTIONS",
    "DISSENT",
    "MIN_RATIONALE",
    "QUORUM_ACTIONS",
    "State",
    "allowed_actions",
    "check_rationale",
    "check_transition",
]

MIN_RATIONALE = 10


class State(StrEnum):
    """States of a model version."""

    FILED = "FILED"
    AUDITED = "AUDITED"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


_TABLE: dict[str, dict[State, State]] = {
    "audit": {
        State.FILED: State.AUDITED,
        State.AUDITED: State.AUDITED,
        State.ACTIVE: State.ACTIVE,
        State.SUSPENDED: State.SUSPENDED,
    },
    "approve": {State.AUDITED: State.ACTIVE},
    "reject": {State.FILED: State.REJECTED, State.AUDITED: State.REJECTED},
    "suspend": {State.ACTIVE: State.SUSPENDED},
    "breaker_trip": {State.ACTIVE: State.SUSPENDED},
    "reinstate": {State.SUSPENDED: State.ACTIVE},
    "withdraw": {
        State.FILED: State.WITHDRAWN,
        State.AUDITED: State.WITHDRAWN,
        State.ACTIVE: State.WITHDRAWN,
        State.SUSPENDED: State.WITHDRAWN,
        State.REJECTED: State.WITHDRAWN,
    },
}

ACTIONS: tuple[str, ...] = tuple(_TABLE)
COMMITTEE_ACTIONS: tuple[str, ...] = ("approve", "reject", "suspend", "reinstate", "withdraw")
QUORUM_ACTIONS: tuple[str, ...] = ("approve", "reinstate")
"""Decisions that need the quorum of distinct committee members (see :mod:`.votes`)."""
DISSENT = "dissent"
"""A committee member's recorded vote against the pending approval or reinstatement."""


def allowed_actions(state: State | str) -> list[str]:
    """The actions allowed from ``state``."""
    state = State(state)
    return [action for action, moves in _TABLE.items() if state in moves]


def check_transition(state: State | str, action: str) -> State:
    """The state ``action`` leads to from ``state``.

    Raises
    ------
    ValidationError
        An unknown action.
    TransitionError
        The action is not allowed from ``state``; the message names the allowed ones.
    """
    if action not in _TABLE:
        raise ValidationError(f"action={action!r}: use one of {', '.join(ACTIONS)}.")
    state = State(state)
    target = _TABLE[action].get(state)
    if target is None:
        allowed = allowed_actions(state)
        raise TransitionError(
            f"cannot {action} a model version that is {state}; allowed from {state}: "
            f"{', '.join(allowed) if allowed else 'nothing (final state)'}.",
            details={"state": str(state), "action": action, "allowed": allowed},
        )
    return target


def check_rationale(rationale: str | None, actor: str | None) -> tuple[str, str]:
    """A decision's rationale and actor, stripped.

    Raises
    ------
    ValidationError
        A rationale shorter than :data:`MIN_RATIONALE` characters or a missing actor.
    """
    text = (rationale or "").strip()
    who = (actor or "").strip()
    if len(text) < MIN_RATIONALE:
        raise ValidationError(
            f"rationale={text!r}: every decision needs a written rationale of at least "
            f"{MIN_RATIONALE} characters, saying why."
        )
    if not who:
        raise ValidationError("actor: say which committee member decides (e.g. --by NAME).")
    return text, who
