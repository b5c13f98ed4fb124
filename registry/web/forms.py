"""Check what a person typed into a page's form, and say what is wrong next to the field.

The page routes take their form fields as plain text and check them here, once, so a wrong
entry answers with the same page again (status 422), the message beside the field in the
page's language and the entered text kept, instead of the REST API's JSON refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fairgate.audit.report.catalog import Text
from fairgate.registry.store.lifecycle import COMMITTEE_ACTIONS, DISSENT, MIN_RATIONALE

__all__ = [
    "MAX_FIELD",
    "MAX_RATIONALE",
    "DecisionForm",
    "FieldError",
    "check_decision",
]

MAX_RATIONALE = 20_000
"""The longest rationale a decision form takes (characters)."""

MAX_FIELD = 500
"""The longest value of a short field (a token, an action, a CSRF token, a return address)."""


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field of a form.

    Attributes
    ----------
    field : str
        The form field (``rationale``, ``action``).
    key : str
        The message's catalog key.
    params : dict
        The message's placeholders.
    """

    field: str
    key: str
    params: dict[str, Any]

    def text(self, t: Text) -> str:
        """The message in the page's language (numbers as the language writes them)."""
        return t(
            self.key, **{k: t.num(v) if isinstance(v, int) else v for k, v in self.params.items()}
        )


@dataclass(frozen=True)
class DecisionForm:
    """A decision form as it was sent, and what is wrong with it (``None``: nothing)."""

    action: str
    rationale: str
    error: FieldError | None = None


def check_decision(action: str, rationale: str) -> DecisionForm:
    """Check a decision form's action and rationale.

    Parameters
    ----------
    action : str
        The decision (``approve``, ``reject``, ..., ``dissent``); empty when the field was
        missing.
    rationale : str
        The written rationale, as typed.

    Returns
    -------
    DecisionForm
        With ``error`` set for a missing or unknown action, an empty, too short or too long
        rationale.
    """
    form = DecisionForm(action, rationale)
    if action not in (*COMMITTEE_ACTIONS, DISSENT):
        return DecisionForm(
            action[:40], rationale, FieldError("action", "web_form_action_unknown", {})
        )
    text = rationale.strip()
    if not text:
        error = FieldError("rationale", "web_form_rationale_missing", {"n": MIN_RATIONALE})
    elif len(text) < MIN_RATIONALE:
        error = FieldError(
            "rationale", "web_form_rationale_short", {"n": MIN_RATIONALE, "got": len(text)}
        )
    elif len(rationale) > MAX_RATIONALE:
        error = FieldError(
            "rationale", "web_form_rationale_long", {"n": MAX_RATIONALE, "got": len(rationale)}
        )
    else:
        return form
    return DecisionForm(action, rationale, error)
