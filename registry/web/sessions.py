"""Server-side sign-in sessions of the web pages, with their CSRF tokens and idle timeout.

Signing in exchanges an API token (committee, admin or vendor) for a random session secret held
in a cookie; the database keeps only the secret's SHA-256, the token's id, role and vendor, the
member's identity and the session's CSRF token. A session ends after ``web_idle_minutes``
without a request, when it signs out, or as soon as its API token is revoked or expires.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from fairgate.errors import AuthenticationError, PermissionDeniedError
from fairgate.registry.api.auth import Principal
from fairgate.registry.store.tables import service_tokens, web_sessions

__all__ = ["SESSION_ROLES", "TOUCH_SECONDS", "Session", "SessionStore", "csrf_matches"]

SESSION_ROLES: tuple[str, ...] = ("committee", "admin", "vendor")
"""Roles whose token may sign in to the web pages."""

TOUCH_SECONDS = 15.0
"""A session's last-seen time is written at most this often (fewer writes, same timeout)."""


@dataclass(frozen=True)
class Session:
    """A signed-in web session.

    Attributes
    ----------
    id : str
        SHA-256 of the cookie's secret.
    principal : Principal
        The token's role and vendor.
    member : str
        Who decides, as the ledger records it (the same identity as over REST).
    csrf : str
        The session's CSRF token, sent back with every form.
    last_seen : float
        UNIX time of the latest request.
    """

    id: str
    principal: Principal
    member: str
    csrf: str
    last_seen: float

    @property
    def is_committee(self) -> bool:
        """A committee member or an administrator."""
        return self.principal.role in ("committee", "admin")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_matches(session: Session, sent: str | None) -> bool:
    """Whether a form's CSRF token is the session's (compared in constant time).

    Parameters
    ----------
    session : Session
        The signed-in session.
    sent : str or None
        The token the form carried.

    Returns
    -------
    bool
    """
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), str(sent).encode())


class SessionStore:
    """Create, find and end web sessions in the registry database.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's engine (schema with migration ``0013``).
    idle_seconds : float
        A session unused this long is over.
    """

    def __init__(self, engine: sa.engine.Engine, *, idle_seconds: float) -> None:
        self.engine = engine
        self.idle_seconds = idle_seconds

    def create(self, principal: Principal) -> tuple[str, Session]:
        """Open a session for a verified token; the returned secret goes in the cookie only.

        Parameters
        ----------
        principal : Principal
            From :meth:`fairgate.registry.api.auth.TokenStore.verify`.

        Returns
        -------
        (secret, session) : tuple of str and Session

        Raises
        ------
        PermissionDeniedError
            A role that has no web pages (operations, public).
        """
        if principal.role not in SESSION_ROLES or principal.token_id is None:
            raise PermissionDeniedError(
                f"a {principal.role} token cannot sign in to the web pages; sign in with a "
                "committee or vendor token.",
                details={"role": principal.role, "allowed": list(SESSION_ROLES)},
            )
        secret = secrets.token_urlsafe(32)
        now = time.time()
        session = Session(
            id=_digest(secret),
            principal=principal,
            member=principal.actor,
            csrf=secrets.token_urlsafe(32),
            last_seen=now,
        )
        with self.engine.begin() as conn:
            # sessions idle past the timeout are over: forget them as a new one starts
            conn.execute(
                web_sessions.delete().where(web_sessions.c.last_seen < now - self.idle_seconds)
            )
            conn.execute(
                web_sessions.insert().values(
                    id=session.id,
                    token_id=principal.token_id,
                    role=principal.role,
                    vendor=principal.vendor,
                    member=session.member,
                    csrf=session.csrf,
                    created_at=now,
                    last_seen=now,
                )
            )
        return secret, session

    def find(self, secret: str | None) -> Session:
        """The live session of a cookie's secret, its idle clock restarted.

        Raises
        ------
        AuthenticationError
            No cookie, an unknown or ended session, an idle timeout, or a revoked or expired
            token.
        """
        if not secret:
            raise AuthenticationError("you are not signed in; sign in with your token.")
        key = _digest(secret)
        now = time.time()
        query = (
            sa.select(web_sessions, service_tokens.c.revoked_at, service_tokens.c.expires_at)
            .join(service_tokens, service_tokens.c.id == web_sessions.c.token_id)
            .where(web_sessions.c.id == key)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise AuthenticationError("your session has ended; sign in again.")
        expires = row["expires_at"]
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if (
            now - row["last_seen"] > self.idle_seconds
            or row["revoked_at"] is not None
            or (expires is not None and expires <= datetime.now(UTC))
        ):
            self.end(secret)
            raise AuthenticationError("your session has ended; sign in again.")
        if now - row["last_seen"] > TOUCH_SECONDS:
            with self.engine.begin() as conn:
                conn.execute(
                    web_sessions.update().where(web_sessions.c.id == key).values(last_seen=now)
                )
        principal = Principal(row["token_id"], row["role"], row["vendor"])
        return Session(key, principal, row["member"], row["csrf"], now)

    def end(self, secret: str) -> None:
        """End a session (sign out); ending an unknown session does nothing."""
        with self.engine.begin() as conn:
            conn.execute(web_sessions.delete().where(web_sessions.c.id == _digest(secret)))
