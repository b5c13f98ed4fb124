"""Who acts on the command line: the committee member of the token in ``FAIRGATE_TOKEN``.

A decision's actor never comes from free text. A committee token acts as its member
(``fairgate token create --role committee --member NAME``). An administrator may record the vote
of a named member (``--by NAME``, e.g. a vote given in a meeting), checked against the members
of the live committee tokens; the ledger then records the member and who recorded it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from fairgate.errors import PermissionDeniedError, ValidationError

__all__ = ["TOKEN_ENV", "committee_actor", "rationale_and_actor"]

TOKEN_ENV = "FAIRGATE_TOKEN"
"""Environment variable holding the command line user's token."""

_F = TypeVar("_F", bound=Callable[..., Any])


def rationale_and_actor(who: str, why: str = "Why (recorded in the ledger).") -> Callable[[_F], _F]:
    """The ``--rationale`` and ``--by`` options (into ``rationale`` and ``actor``) of a command.

    Parameters
    ----------
    who : str
        The help text of ``--by``: who acts.
    why : str, optional
        The help text of ``--rationale``.

    Returns
    -------
    callable
        A decorator for a click command.
    """
    import click

    def decorate(command: _F) -> _F:
        command = click.option("--by", "actor", required=True, help=who)(command)
        return click.option("--rationale", required=True, help=why)(command)

    return decorate


def committee_actor(engine: Any, by: str | None) -> tuple[str, dict[str, str] | None]:
    """The actor of a committee decision made on the command line, and evidence to record.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's database (where the token is verified).
    by : str or None
        ``--by``: the member whose vote an administrator records.

    Returns
    -------
    (str, dict or None)
        The actor (``committee:<member>``) and, for a vote recorded by an administrator,
        ``{"recorded_by": <admin>}``.

    Raises
    ------
    ValidationError
        No token, or a ``--by`` that names no committee member or does not fit the token.
    AuthenticationError
        A token that does not verify.
    PermissionDeniedError
        A token whose role may not decide.
    """
    from fairgate.registry.api.auth import TokenStore

    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise ValidationError(
            f"set {TOKEN_ENV} to your committee token (an administrator creates it with "
            "'fairgate token create --role committee --member \"YOUR NAME\"'); decisions are "
            "recorded under the token's member, never under a typed name."
        )
    store = TokenStore(engine)
    principal = store.verify(token)
    if principal.role == "committee":
        if by is not None and by.strip() != (principal.member or ""):
            raise ValidationError(
                f"--by {by!r}: a committee token decides as its own member "
                f"({principal.member or 'token ' + str(principal.token_id)}); leave out --by."
            )
        return principal.actor, None
    if principal.role == "admin":
        members = store.committee_members()
        name = (by or "").strip()
        if name not in members:
            raise ValidationError(
                f"--by {by!r}: an administrator records the vote of a committee member; name "
                f"one of: {', '.join(members) or '(none: create committee tokens with --member)'}."
            )
        return f"committee:{name}", {"recorded_by": principal.actor}
    raise PermissionDeniedError(
        f"a {principal.role} token may not decide; use a committee token in {TOKEN_ENV}."
    )
