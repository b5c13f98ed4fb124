"""Who calls the service: roles, the principal of a token, a token's record, and role checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fairgate.errors import PermissionDeniedError

__all__ = [
    "MAX_EXPIRES_DAYS",
    "ROLES",
    "Principal",
    "TokenInfo",
    "as_utc",
    "require_role",
    "token_info",
]

ROLES: tuple[str, ...] = ("admin", "vendor", "committee", "operations", "public")
"""The roles a token can carry."""

MAX_EXPIRES_DAYS = 3653
"""Longest token lifetime accepted (ten years)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the role and, for a vendor, which vendor.

    Attributes
    ----------
    token_id : str or None
        ``None`` for the anonymous public caller.
    role : str
    vendor : str or None
    """

    token_id: str | None
    role: str
    vendor: str | None = None
    member: str | None = None

    @property
    def actor(self) -> str:
        """A name for the ledger: ``role:vendor``, ``role:member`` or ``role:token-id``.

        A committee token created with a member name acts as that member (two tokens of one
        member are one voter); one without acts under its token id.
        """
        return f"{self.role}:{self.vendor or self.member or self.token_id or 'anonymous'}"


@dataclass(frozen=True)
class TokenInfo:
    """A token's record without its secret (what ``fairgate token list`` shows)."""

    id: str
    role: str
    vendor: str | None
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    member: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "id": self.id,
            "role": self.role,
            "vendor": self.vendor,
            "member": self.member,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def as_utc(value: datetime | None) -> datetime | None:
    """A database time as a UTC-aware datetime (SQLite returns naive ones)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def token_info(row: Any) -> TokenInfo:
    """A :class:`TokenInfo` from a ``service_tokens`` row mapping (times made UTC-aware)."""
    return TokenInfo(
        id=row["id"],
        role=row["role"],
        vendor=row["vendor"],
        label=row["label"],
        created_at=as_utc(row["created_at"]),  # type: ignore[arg-type]
        expires_at=as_utc(row["expires_at"]),
        revoked_at=as_utc(row["revoked_at"]),
        member=row["member"],
    )


def require_role(principal: Principal, *roles: str) -> Principal:
    """Raise :class:`PermissionDeniedError` unless the principal has one of ``roles`` (or admin).

    Parameters
    ----------
    principal : Principal
        The caller.
    *roles : str
        Roles allowed besides ``admin``.

    Returns
    -------
    Principal
    """
    if principal.role == "admin" or principal.role in roles:
        return principal
    allowed = [*roles, "admin"]
    raise PermissionDeniedError(
        f"role {principal.role!r} may not do this; it needs one of: {', '.join(allowed)}. "
        "Ask an administrator for a token with one of these roles.",
        details={"role": principal.role, "allowed": allowed},
    )
