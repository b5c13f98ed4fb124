"""Roles and API tokens of the fairgate service.

A token looks like ``fg_<id>_<secret>``: the ``id`` (12 hex characters) finds the row, the secret
(32 random bytes, URL-safe base64) is verified against a salted PBKDF2-HMAC-SHA256 hash
(:data:`PBKDF2_ITERATIONS` rounds, 16-byte random salt per token, standard library only). The
token itself is printed once by ``fairgate token create`` and never stored.

The status endpoint is the hot path, so verified tokens are cached in memory for
:data:`CACHE_SECONDS`: the cache maps the token id to the SHA-256 of the *whole* token and the
principal, so a cache hit costs one SHA-256 instead of the KDF, and a different secret for the same
id still misses. Revoking a token through this :class:`TokenStore` marks it revoked in the cache
at once; a revocation made by another process (another worker, the CLI) reaches a running service
through the change feed (:mod:`fairgate.registry.store.changes`), which calls
:meth:`TokenStore.forget` within milliseconds. A cached token marked revoked is refused without
running the KDF again. Expiry is checked on every request, cached or not.

Roles
-----
``admin``      everything, including token management.
``vendor``     files models and uploads artifacts; reads its own filings, audits and reports.
``committee``  reads everything, starts audits, decides (approve, reject, reinstate, withdraw);
               a committee token names its member (``--member``), the voter a quorum counts.
``operations`` asks for status, follows the push stream, posts observations.
``public``     the public listing needs no token; a ``public`` token can read nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from fairgate.errors import (
    AuthenticationError,
    NotFoundError,
    ValidationError,
)
from fairgate.registry.api.principals import (
    MAX_EXPIRES_DAYS,
    ROLES,
    Principal,
    TokenInfo,
    as_utc,
    require_role,
    token_info,
)
from fairgate.registry.store.changes import notify_change
from fairgate.registry.store.tables import service_tokens as tokens_table

__all__ = [
    "CACHE_SECONDS",
    "MAX_EXPIRES_DAYS",
    "PBKDF2_ITERATIONS",
    "ROLES",
    "Principal",
    "TokenInfo",
    "TokenStore",
    "hash_secret",
    "require_role",
    "tokens_table",
]

PBKDF2_ITERATIONS = 120_000
"""PBKDF2-HMAC-SHA256 rounds per token verification (only on a cache miss)."""

CACHE_SECONDS = 30.0
"""How long a verified token stays in the in-memory cache."""


def hash_secret(secret: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> str:
    """PBKDF2-HMAC-SHA256 of ``secret`` with ``salt``, hex encoded.

    Parameters
    ----------
    secret : str
        The token's secret part.
    salt : bytes
        The per-token random salt.
    iterations : int
        PBKDF2 rounds.

    Returns
    -------
    str
    """
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations).hex()


def _parse(token: str) -> tuple[str, str]:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "fg" or not parts[1] or not parts[2]:
        raise AuthenticationError(
            "the token is malformed; send 'Authorization: Bearer fg_<id>_<secret>' with a token "
            "printed by 'fairgate token create'."
        )
    return parts[1], parts[2]


class TokenStore:
    """Create, verify, list and revoke API tokens in the registry database.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The registry's engine (its schema includes migration ``0002_service``).
    cache_seconds : float
        Lifetime of a verified token in the in-memory cache (see the module docstring).
    """

    def __init__(self, engine: sa.engine.Engine, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[bytes, Principal, float, datetime | None]] = {}
        self._revoked: set[str] = set()  # cached tokens revoked since: refused without the KDF
        self._lock = threading.Lock()

    def create(
        self,
        role: str,
        *,
        vendor: str | None = None,
        expires_days: float | None = None,
        label: str | None = None,
        member: str | None = None,
    ) -> tuple[str, TokenInfo]:
        """Create a token; the returned string is the only copy of the secret.

        Parameters
        ----------
        role : str
            One of :data:`ROLES`.
        vendor : str, optional
            Required for (and only allowed with) the ``vendor`` role.
        expires_days : float, optional
            Lifetime in days; ``None`` never expires.
        label : str, optional
            A note for humans (who holds it).
        member : str, optional
            Only with the ``committee`` role: the committee member who holds it; the member is
            the voter a quorum counts and the name the ledger records.

        Returns
        -------
        (token, info) : tuple of str and TokenInfo
        """
        if role not in ROLES:
            raise ValidationError(f"role={role!r} is unknown; use one of {', '.join(ROLES)}.")
        if role == "vendor" and not vendor:
            raise ValidationError("role='vendor' needs --vendor NAME: whose filings it may touch.")
        if role != "vendor" and vendor:
            raise ValidationError(f"vendor={vendor!r} is only meaningful with role='vendor'.")
        member = (member or "").strip() or None
        if member is not None and role != "committee":
            raise ValidationError(f"member={member!r} is only meaningful with role='committee'.")
        if member is not None and (len(member) > 200 or ":" in member):
            raise ValidationError(
                f"member={member!r}: give the committee member's name, at most 200 characters "
                "and without ':'."
            )
        if expires_days is not None and not 0 < expires_days <= MAX_EXPIRES_DAYS:
            raise ValidationError(
                f"expires_days={expires_days!r}: give a number of days above 0 and at most "
                f"{MAX_EXPIRES_DAYS} (ten years); rotate tokens rather than keep them forever."
            )
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        now = datetime.now(UTC)
        expires = now + timedelta(days=expires_days) if expires_days is not None else None
        row = {
            "id": token_id,
            "role": role,
            "vendor": vendor,
            "label": label,
            "member": member,
            "salt": base64.b64encode(salt).decode(),
            "hash": hash_secret(secret, salt),
            "iterations": PBKDF2_ITERATIONS,
            "created_at": now,
            "expires_at": expires,
            "revoked_at": None,
        }
        with self.engine.begin() as conn:
            conn.execute(tokens_table.insert().values(**row))
        info = TokenInfo(token_id, role, vendor, label, now, expires, None, member)
        return f"fg_{token_id}_{secret}", info

    def cached(self, token: str) -> Principal | None:
        """The principal of a token verified recently, without I/O; ``None`` on a cache miss.

        Parameters
        ----------
        token : str
            The full token.

        Returns
        -------
        Principal or None
        """
        try:
            token_id, _ = _parse(token)
        except AuthenticationError:
            return None
        hit = self._cache.get(token_id)
        if hit is None or hit[2] <= time.monotonic() or token_id in self._revoked:
            return None
        if not hmac.compare_digest(hit[0], hashlib.sha256(token.encode()).digest()):
            return None
        if hit[3] is not None and hit[3] <= datetime.now(UTC):
            return None
        return hit[1]

    def verify(self, token: str) -> Principal:
        """Return the principal of a valid token.

        Raises
        ------
        AuthenticationError
            Malformed, unknown, wrong, expired or revoked token.
        """
        token_id, secret = _parse(token)
        digest = hashlib.sha256(token.encode()).digest()
        now_mono = time.monotonic()
        hit = self._cache.get(token_id)
        if hit is not None and hit[2] > now_mono and hmac.compare_digest(hit[0], digest):
            if token_id in self._revoked:  # this very secret was verified before: no KDF needed
                raise AuthenticationError(_revoked_message(token_id))
            self._check_expiry(token_id, hit[3])
            return hit[1]
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(tokens_table).where(tokens_table.c.id == token_id))
                .mappings()
                .first()
            )
        if row is None:
            raise AuthenticationError(
                f"token {token_id!r} is unknown; ask an administrator for a token."
            )
        salt = base64.b64decode(row["salt"])
        if not hmac.compare_digest(hash_secret(secret, salt, row["iterations"]), row["hash"]):
            raise AuthenticationError(f"token {token_id!r}: the secret does not match.")
        if row["revoked_at"] is not None:
            raise AuthenticationError(_revoked_message(token_id))
        expires = as_utc(row["expires_at"])
        self._check_expiry(token_id, expires)
        principal = Principal(token_id, row["role"], row["vendor"], row["member"])
        with self._lock:
            self._cache[token_id] = (digest, principal, now_mono + self.cache_seconds, expires)
        return principal

    @staticmethod
    def _check_expiry(token_id: str, expires: datetime | None) -> None:
        if expires is not None and expires <= datetime.now(UTC):
            raise AuthenticationError(
                f"token {token_id!r} expired at {expires.isoformat()}; ask for a new token."
            )

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke a token by id (idempotent) and evict it from this process's cache."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            result = conn.execute(
                tokens_table.update()
                .where(tokens_table.c.id == token_id, tokens_table.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            notify_change(conn, "token")  # every worker forgets it at commit
            row = (
                conn.execute(sa.select(tokens_table).where(tokens_table.c.id == token_id))
                .mappings()
                .first()
            )
        self.forget([token_id])
        if row is None:
            raise NotFoundError(f"token {token_id!r} does not exist; see 'fairgate token list'.")
        del result
        return token_info(row)

    def forget(self, token_ids: Iterable[str]) -> None:
        """Refuse revoked tokens from this process's cache on (another worker revoked them).

        A cached token stays cached, marked revoked, so it is refused at once (its secret was
        verified before); an uncached one is checked against the database as always.
        """
        with self._lock:
            self._revoked.update(t for t in token_ids if t in self._cache)

    def committee_members(self) -> list[str]:
        """The members named on committee tokens that are neither revoked nor expired, sorted."""
        now = datetime.now(UTC)
        return sorted(
            {
                t.member
                for t in self.list()
                if t.role == "committee"
                and t.member
                and t.revoked_at is None
                and (t.expires_at is None or t.expires_at > now)
            }
        )

    def list(self) -> list[TokenInfo]:
        """Every token (without secrets), oldest first."""
        with self.engine.connect() as conn:
            rows = (
                conn.execute(sa.select(tokens_table).order_by(tokens_table.c.created_at))
                .mappings()
                .all()
            )
        return [token_info(r) for r in rows]


def _revoked_message(token_id: str) -> str:
    return f"token {token_id!r} was revoked; ask an administrator for a new token."
